"""Parameter types and the conversions PowerShell applies when it binds an argument.

A ``ParamType`` turns any shell value into the value a cmdlet wants or raises
``ConversionError`` ("Cannot convert value 'abc' to type Int32."). Cmdlets
declare domain types of their own (VMs by object or name) the same way.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
from collections.abc import Callable

from clients.shell.errors import ConversionError
from clients.shell.numeric import parse_number
from clients.shell.psobject import PSObject
from clients.shell.values import is_true, to_string

_INT32 = (-(2**31), 2**31 - 1)


def shown(value: object) -> str:
    """A value as it appears in a conversion error."""
    if isinstance(value, list | tuple):
        return "System.Object[]"
    return to_string(value)


def _number(value: object, type_name: str) -> int | float:
    if value is None:
        return 0
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        if not value.strip():
            return 0
        number = parse_number(value)
        if number is not None:
            return number
    if isinstance(value, list | tuple) and len(value) == 1:
        return _number(value[0], type_name)
    raise ConversionError(shown(value), type_name)


def to_int32(value: object) -> int:
    """``[int]$value``: strings are parsed, doubles are rounded half to even."""
    number = _number(value, "Int32")
    if isinstance(number, float):
        if not math.isfinite(number):
            raise ConversionError(shown(value), "Int32")
        number = round(number)
    if not _INT32[0] <= number <= _INT32[1]:
        raise ConversionError(shown(value), "Int32", "Value was either too large or too small for an Int32.")
    return number


def to_double(value: object) -> float:
    """``[double]$value``."""
    return float(_number(value, "Double"))


def to_number(value: object) -> int | float:
    """A value as an int or a double, for arithmetic."""
    return _number(value, "Double")


def to_switch(value: object) -> bool:
    """The value after ``-Switch:``; only booleans and numbers are accepted, as in PowerShell."""
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    raise ConversionError(
        shown(value),
        "SwitchParameter",
        "Boolean parameters accept only Boolean values and numbers, such as $True, $False, 1 or 0.",
    )


def to_bool(value: object) -> bool:
    """``[bool]$value``."""
    return is_true(value)


class ParamType:
    """How a parameter's argument is converted; ``switch`` parameters take no argument."""

    switch = False

    def __init__(self, name: str, convert: Callable[[object], object]) -> None:
        self.name = name
        self._convert = convert

    def convert(self, value: object) -> object:
        """The converted value; raises ``ConversionError``."""
        return self._convert(value)


class SwitchType(ParamType):
    """A switch: present means True; ``-Switch:$false`` means False."""

    switch = True

    def __init__(self) -> None:
        super().__init__("SwitchParameter", to_switch)


class ArrayType(ParamType):
    """An array of ``element``: a single value becomes a one-item array."""

    def __init__(self, element: ParamType) -> None:
        super().__init__(element.name + "[]", self._convert_items)
        self.element = element

    def _convert_items(self, value: object) -> object:
        items = value if isinstance(value, list | tuple) else [value]
        return [self.element.convert(item) for item in items]


def _to_string_argument(value: object) -> str:
    if isinstance(value, PSObject) and value.label is None:
        raise ConversionError(shown(value), "String")
    return to_string(value)


STRING = ParamType("String", _to_string_argument)
INT32 = ParamType("Int32", to_int32)
DOUBLE = ParamType("Double", to_double)
BOOLEAN = ParamType("Boolean", to_bool)
SWITCH = SwitchType()
STRINGS = ArrayType(STRING)
OBJECT = ParamType("Object", lambda value: value)


#: the date forms a DateTime argument may take besides ISO 8601 (en-US, as PowerShell parses them)
_DATE_FORMATS = (
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y",
)


def to_datetime(value: object) -> dt.datetime:
    """``[datetime]$value``: a date, or text in ISO 8601 or en-US form; without a zone it is local time."""
    if isinstance(value, list | tuple) and len(value) == 1:
        return to_datetime(value[0])
    if isinstance(value, dt.datetime):
        when = value
    elif isinstance(value, str):
        text = value.strip()
        parsed: dt.datetime | None = None
        with contextlib.suppress(ValueError):
            parsed = dt.datetime.fromisoformat(text)
        for form in _DATE_FORMATS:
            if parsed is not None:
                break
            with contextlib.suppress(ValueError):
                parsed = dt.datetime.strptime(text, form)
        if parsed is None:
            raise ConversionError(shown(value), "DateTime", "String was not recognized as a valid DateTime.")
        when = parsed
    else:
        raise ConversionError(shown(value), "DateTime")
    return when if when.tzinfo else when.astimezone()


DATETIME = ParamType("DateTime", to_datetime)
INT32S = ArrayType(INT32)
DOUBLES = ArrayType(DOUBLE)

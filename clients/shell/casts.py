"""Type names in scripts: casts (``[int]"5"``), ``-is`` / ``-as``, and typed function parameters.

Type names are matched without case and without a leading ``System.``;
``T[]`` is an array of ``T``. An unknown type is PowerShell's "Unable to find
type [T]." error.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from clients.shell.conversions import (
    SWITCH,
    ParamType,
    to_bool,
    to_datetime,
    to_double,
    to_int32,
)
from clients.shell.errors import ConversionError, ShellError
from clients.shell.hashtable import Hashtable
from clients.shell.psobject import PSObject
from clients.shell.values import to_string

PSCUSTOMOBJECT = "System.Management.Automation.PSCustomObject"


def _int64(value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float):
        return round(value)
    try:
        return to_int32(value)
    except ConversionError:
        raise ConversionError(to_string(value), "Int64") from None


def _array(value: object) -> list[object]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _hashtable(value: object) -> Hashtable:
    if isinstance(value, dict):
        return Hashtable(value.items())
    if isinstance(value, PSObject):
        return Hashtable(value.items())
    raise ConversionError(to_string(value), "Hashtable")


def _custom_object(value: object) -> object:
    if isinstance(value, dict):
        return PSObject(PSCUSTOMOBJECT, ((to_string(k), v) for k, v in value.items()))
    return value


def _char(value: object) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return chr(value)
    text = to_string(value)
    if len(text) != 1:
        raise ConversionError(text, "Char", "String must be exactly one character long.")
    return text


def _string(value: object) -> str:
    return to_string(value)


def _scalar(convert: Callable[[object], object]) -> Callable[[object], object]:
    """A conversion that takes a one-item array as its item."""

    def run(value: object) -> object:
        if isinstance(value, list | tuple) and len(value) == 1:
            value = value[0]
        return convert(value)

    return run


_CASTS: dict[str, Callable[[object], object]] = {
    "int": _scalar(to_int32),
    "int32": _scalar(to_int32),
    "int16": _scalar(to_int32),
    "short": _scalar(to_int32),
    "byte": _scalar(to_int32),
    "long": _scalar(_int64),
    "int64": _scalar(_int64),
    "double": _scalar(to_double),
    "float": _scalar(to_double),
    "single": _scalar(to_double),
    "decimal": _scalar(to_double),
    "string": _string,
    "bool": to_bool,
    "boolean": to_bool,
    "switch": to_bool,
    "switchparameter": to_bool,
    "datetime": to_datetime,
    "char": _scalar(_char),
    "array": _array,
    "object": lambda value: value,
    "psobject": _custom_object,
    "pscustomobject": _custom_object,
    "hashtable": _hashtable,
    "collections.hashtable": _hashtable,
    "ordered": _hashtable,
    "void": lambda value: None,
}
_CHECKS: dict[str, Callable[[object], bool]] = {
    "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "double": lambda v: isinstance(v, float),
    "string": lambda v: isinstance(v, str),
    "bool": lambda v: isinstance(v, bool),
    "datetime": lambda v: isinstance(v, dt.datetime),
    "array": lambda v: isinstance(v, list | tuple),
    "object": lambda v: v is not None,
    "hashtable": lambda v: isinstance(v, dict),
    "psobject": lambda v: v is not None,
    "pscustomobject": lambda v: isinstance(v, PSObject),
    "scriptblock": lambda v: type(v).__name__ == "ScriptBlock",
}
_CHECK_ALIASES = {
    "int32": "int", "long": "int", "int64": "int", "float": "double", "single": "double",
    "decimal": "double", "boolean": "bool", "collections.hashtable": "hashtable",
    "management.automation.scriptblock": "scriptblock",
}  # fmt: skip


def normalize(type_name: str) -> str:
    """``System.Int32`` -> ``int32``: lower case, no ``System.`` prefix, no blanks."""
    key = "".join(type_name.split()).lower()
    return key[len("system.") :] if key.startswith("system.") else key


def _not_found(type_name: str) -> ShellError:
    return ShellError(f"Unable to find type [{type_name}].", "InvalidOperation")


def known(type_name: str) -> bool:
    """Whether casts to ``type_name`` are supported."""
    key = normalize(type_name)
    while key.endswith("[]"):
        key = key[:-2]
    return key in _CASTS or key in ("scriptblock", "regex")


def cast(type_name: str, value: object) -> object:
    """``[type_name]value``; raises ``ShellError`` (InvalidArgument) when the value does not convert."""
    key = normalize(type_name)
    if key.endswith("[]"):
        element = type_name.strip()[:-2]
        return [cast(element, item) for item in _array(value)]
    if key in ("scriptblock", "regex"):
        if key == "regex" or type(value).__name__ == "ScriptBlock":
            return value if key == "scriptblock" else to_string(value)
        raise ShellError(f"Cannot convert value '{to_string(value)}' to type ScriptBlock.", "InvalidArgument")
    convert = _CASTS.get(key)
    if convert is None:
        raise _not_found(type_name)
    try:
        return convert(value)
    except ConversionError as error:
        raise error.labelled("InvalidArgument") from None


def is_type(value: object, type_name: str) -> bool:
    """``value -is [type_name]``; a PSObject also is any type named like its own type name."""
    key = normalize(type_name)
    if key.endswith("[]"):
        return isinstance(value, list | tuple)
    key = _CHECK_ALIASES.get(key, key)
    check = _CHECKS.get(key)
    if isinstance(value, PSObject) and (
        value.type_name.lower() == type_name.lower() or value.type_name.lower().endswith("." + key)
    ):
        return True
    if check is None:
        if key in _CASTS or isinstance(value, PSObject):
            return False
        raise _not_found(type_name)
    return check(value)


def as_type(type_name: str, value: object) -> object:
    """``value -as [type_name]``: the converted value, or $null when it does not convert."""
    try:
        return cast(type_name, value)
    except ShellError as error:
        if error.message.startswith("Unable to find type"):
            raise
        return None


def param_type(type_name: str | None) -> ParamType:
    """The binding type of a function parameter declared ``[type_name]$x``."""
    if type_name is None:
        return ParamType("Object", lambda value: value)
    key = normalize(type_name)
    if key in ("switch", "switchparameter"):
        return SWITCH
    if not known(type_name):
        raise _not_found(type_name)
    shown = {"int": "Int32", "string": "String", "bool": "Boolean", "double": "Double"}.get(key, type_name)

    def convert(value: object) -> object:
        try:
            return cast(type_name, value)
        except ShellError as error:
            if isinstance(error, ConversionError):
                raise
            raise ConversionError(to_string(value), shown) from None

    return ParamType(shown, convert)


class TypeName:
    """The value of a type literal such as ``[int]`` (the right side of ``-is`` and ``-as``)."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __str__(self) -> str:
        return self.name

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TypeName) and normalize(other.name) == normalize(self.name)

    def __hash__(self) -> int:
        return hash(normalize(self.name))


def type_argument(value: object) -> str:
    """The type a ``-is``/``-as`` right operand names: ``[int]`` or a string such as ``'int'``."""
    return value.name if isinstance(value, TypeName) else to_string(value)

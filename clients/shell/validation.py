"""Parameter validation attributes of script functions: ``[ValidateSet()]``, ``[ValidateRange()]``,
``[ValidateNotNull()]``, ``[ValidateNotNullOrEmpty()]``, ``[ValidatePattern()]``, ``[ValidateCount()]``,
``[ValidateLength()]``, ``[ValidateScript({ })]``, with PowerShell's messages.

``check(attribute, arguments, parameter)`` returns a function that raises ``ShellError`` for a value
the attribute rejects (array values are checked item by item, as PowerShell does, except by
ValidateCount).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from clients.shell import textops
from clients.shell.conversions import to_number
from clients.shell.errors import ConversionError, ShellError
from clients.shell.scriptblock import ScriptBlock, invoke_value
from clients.shell.values import is_true, to_string

Check = Callable[[object], None]
_NULL = "The argument is null. Provide a valid value for the argument, and then run the command again."
_EMPTY = (
    "The argument is null or empty. Provide an argument that is not null or empty, "
    "and then try the command again."
)


def _fail(parameter: str, reason: str) -> ShellError:
    return ShellError(f"Cannot validate argument on parameter '{parameter}'. {reason}")


def _number(value: object) -> float:
    try:
        return float(to_number(value))
    except ConversionError:
        return float("nan")


def _each(value: object) -> list[object]:
    return list(value) if isinstance(value, list | tuple) else [value]


def check(attribute: str, arguments: Sequence[object], parameter: str) -> Check:
    """The check for ``[attribute(arguments)]`` on ``parameter``."""
    name = attribute.lower()
    if name == "validateset":
        allowed = [to_string(a) for a in arguments]

        def in_set(value: object) -> None:
            for item in _each(value):
                if to_string(item).casefold() not in (a.casefold() for a in allowed):
                    shown = ",".join(allowed)
                    raise _fail(
                        parameter,
                        f'The argument "{to_string(item)}" does not belong to the set "{shown}" specified by '
                        "the ValidateSet attribute. Supply an argument that is in the set and then try the "
                        "command again.",
                    )

        return in_set
    if name in ("validaterange", "validatelength", "validatecount"):
        low, high = (_number(arguments[0]), _number(arguments[1])) if len(arguments) == 2 else (0.0, 0.0)
        return _range_check(name, low, high, parameter)
    if name == "validatenotnull":

        def not_null(value: object) -> None:
            if value is None:
                raise _fail(parameter, _NULL)

        return not_null
    if name == "validatenotnullorempty":

        def not_empty(value: object) -> None:
            if value is None or value == "" or (isinstance(value, list | tuple) and not value):
                raise _fail(parameter, _EMPTY)

        return not_empty
    if name == "validatepattern":
        pattern = to_string(arguments[0]) if arguments else ""

        def matches(value: object) -> None:
            for item in _each(value):
                if textops.match(item, pattern, False) is None:
                    raise _fail(
                        parameter,
                        f'The argument "{to_string(item)}" does not match the "{pattern}" pattern. Supply an '
                        f'argument that matches "{pattern}" and try the command again.',
                    )

        return matches
    if name == "validatescript":
        block = arguments[0] if arguments else None
        if not isinstance(block, ScriptBlock):
            raise ShellError("ValidateScript needs a script block: [ValidateScript({ $_ -gt 0 })].")

        def script(value: object) -> None:
            for item in _each(value):
                if not is_true(invoke_value(block, dollar_underscore=item)):
                    raise _fail(
                        parameter,
                        f'The "{block.text.strip()}" validation script for the argument with value '
                        f'"{to_string(item)}" did not return a result of True. Determine why the validation '
                        "script failed, and then try the command again.",
                    )

        return script
    raise ShellError(f"The attribute [{attribute}] is not supported by this shell yet.")


def _range_check(name: str, low: float, high: float, parameter: str) -> Check:
    def shown(number: float) -> str:
        return str(int(number)) if number.is_integer() else str(number)

    def in_range(value: object) -> None:
        if name == "validatecount":
            count = len(_each(value))
            if not low <= count <= high:
                raise _fail(
                    parameter,
                    f"The parameter requires at least {shown(low)} value(s) and no more than {shown(high)} "
                    f"value(s) - {count} value(s) were provided.",
                )
            return
        for item in _each(value):
            measure = float(len(to_string(item))) if name == "validatelength" else _number(item)
            what = f"The {to_string(item)} argument"
            if name == "validatelength":
                what = f"The character length of the {to_string(item)} argument"
            if measure < low:
                raise _fail(
                    parameter,
                    f"{what} is less than the minimum allowed range of {shown(low)}. Supply an argument that "
                    f"is greater than or equal to {shown(low)} and then try the command again.",
                )
            if measure > high:
                raise _fail(
                    parameter,
                    f"{what} is greater than the maximum allowed range of {shown(high)}. Supply an argument "
                    f"that is less than or equal to {shown(high)} and then try the command again.",
                )

    return in_range

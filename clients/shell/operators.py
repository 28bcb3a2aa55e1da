"""PowerShell's operators on shell values: arithmetic, comparison, -like, -match, -contains, -in,
-replace, -split, -join, -f, -is, -as, ranges, -not.

Comparisons are case-insensitive unless c-prefixed (``-ceq``); the right operand
is converted to the left operand's type; an array on the left filters
(``1,2,3 -gt 1`` is ``2,3``; ``-match`` too). ``-and``/``-or`` short-circuit and
live in the evaluator, which also sets ``$Matches`` after a scalar ``-match``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from operator import and_, or_, xor

from clients.shell import casts, textops
from clients.shell.conversions import to_int32, to_number
from clients.shell.errors import ConversionError, ShellError
from clients.shell.hashtable import Hashtable
from clients.shell.psobject import PSObject
from clients.shell.values import is_true, to_string, type_name
from clients.shell.wildcard import like

INVALID = "InvalidOperation"


def _no_method(left: object, method: str) -> ShellError:
    return ShellError(
        f"Method invocation failed because [{type_name(left)}] does not contain a method named '{method}'.",
        INVALID,
    )


def _numbers(left: object, right: object, method: str) -> tuple[int | float, int | float]:
    if isinstance(left, PSObject | list | tuple):
        raise _no_method(left, method)
    try:
        return to_number(left), to_number(right)
    except ConversionError as error:
        raise error.labelled(INVALID) from None


def add(left: object, right: object) -> object:
    """``left + right``: numbers add, strings concatenate, arrays append, a date plus a TimeSpan."""
    if isinstance(left, dt.datetime | dt.timedelta) and isinstance(right, dt.timedelta):
        return left + right
    if isinstance(left, dict) and isinstance(right, dict):
        merged = Hashtable(left.items())
        for key, value in right.items():
            if key in merged:
                raise ShellError(
                    f"Item has already been added. Key in dictionary: '{to_string(merged.actual_key(key))}'  "
                    f"Key being added: '{to_string(key)}'",
                    INVALID,
                )
            merged[key] = value
        return merged
    if left is None:
        return list(right) if isinstance(right, list | tuple) else right
    if isinstance(left, list | tuple):
        return [*left, *(right if isinstance(right, list | tuple) else [right])]
    if isinstance(left, str):
        return left + to_string(right)
    a, b = _numbers(left, right, "op_Addition")
    return a + b


def subtract(left: object, right: object) -> object:
    """``left - right``: numbers; a date minus a date is a TimeSpan, minus a TimeSpan a date."""
    if isinstance(left, dt.datetime) and isinstance(right, dt.datetime):
        return _aware(left) - _aware(right)
    if isinstance(left, dt.datetime | dt.timedelta) and isinstance(right, dt.timedelta):
        return left - right
    a, b = _numbers(left, right, "op_Subtraction")
    return a - b


def _aware(value: dt.datetime) -> dt.datetime:
    """A date with a time zone (naive dates are local time), so that any two can be subtracted."""
    return value if value.tzinfo else value.astimezone()


def multiply(left: object, right: object) -> object:
    """``left * right``: also repeats a string or an array."""
    if isinstance(left, str):
        return left * max(0, _count(right))
    if isinstance(left, list | tuple):
        return list(left) * max(0, _count(right))
    a, b = _numbers(left, right, "op_Multiply")
    return a * b


def _count(value: object) -> int:
    try:
        return to_int32(value)
    except ConversionError as error:
        raise error.labelled(INVALID) from None


def divide(left: object, right: object) -> object:
    """``left / right``: integers that divide exactly stay integers."""
    a, b = _numbers(left, right, "op_Division")
    if b == 0:
        raise ShellError("Attempted to divide by zero.", INVALID)
    if isinstance(a, int) and isinstance(b, int) and a % b == 0:
        return a // b
    return a / b


def remainder(left: object, right: object) -> object:
    """``left % right``: the sign follows the dividend, as in .NET."""
    a, b = _numbers(left, right, "op_Modulus")
    if b == 0:
        raise ShellError("Attempted to divide by zero.", INVALID)
    if isinstance(a, int) and isinstance(b, int):
        r = abs(a) % abs(b)
        return r if a >= 0 else -r
    return math.fmod(a, b)


def _equals(left: object, right: object, case_sensitive: bool) -> bool:
    if left is None or right is None:
        return left is None and right is None
    if isinstance(left, str):
        r = to_string(right)
        return left == r if case_sensitive else left.casefold() == r.casefold()
    if isinstance(left, bool):
        return left == is_true(right)
    if isinstance(left, int | float):
        try:
            return left == to_number(right)
        except ConversionError:
            return False
    if isinstance(left, PSObject) and isinstance(right, PSObject):
        return left is right or (left.base is not None and left.base == right.base)
    return left == right


def _order(left: object, right: object, case_sensitive: bool) -> int:
    """-1, 0 or 1 as ``left`` sorts before, with or after ``right``."""
    if left is None or right is None:
        return (left is not None) - (right is not None)
    a: object
    b: object
    if isinstance(left, str):
        a, b = left, to_string(right)
        if not case_sensitive:
            a, b = left.casefold(), to_string(right).casefold()
    elif isinstance(left, bool | int | float):
        try:
            a, b = int(left) if isinstance(left, bool) else left, to_number(right)
        except ConversionError:
            raise _cannot_compare(left, right) from None
    elif isinstance(left, dt.datetime) and isinstance(right, dt.datetime):
        a, b = _aware(left), _aware(right)
    elif isinstance(left, dt.timedelta) and isinstance(right, dt.timedelta):
        a, b = left, right
    else:
        raise _cannot_compare(left, right)
    return (a > b) - (a < b)  # type: ignore[operator]


def _cannot_compare(left: object, right: object) -> ShellError:
    return ShellError(f'Could not compare "{to_string(left)}" to "{to_string(right)}".', INVALID)


_COMPARERS: dict[str, Callable[[object, object, bool], bool]] = {
    "eq": _equals,
    "ne": lambda a, b, cs: not _equals(a, b, cs),
    "gt": lambda a, b, cs: _order(a, b, cs) > 0,
    "ge": lambda a, b, cs: _order(a, b, cs) >= 0,
    "lt": lambda a, b, cs: _order(a, b, cs) < 0,
    "le": lambda a, b, cs: _order(a, b, cs) <= 0,
    "like": lambda a, b, cs: like(to_string(a), to_string(b), cs),
    "notlike": lambda a, b, cs: not like(to_string(a), to_string(b), cs),
    "match": lambda a, b, cs: textops.match(a, b, cs) is not None,
    "notmatch": lambda a, b, cs: textops.match(a, b, cs) is None,
}


def _items(value: object) -> list[object]:
    return list(value) if isinstance(value, list | tuple) else [value]


def _contains(collection: object, item: object, case_sensitive: bool) -> bool:
    return any(_equals(element, item, case_sensitive) for element in _items(collection))


#: operators whose left side is a collection as a whole (no filtering), or text operators
_COLLECTION: dict[str, Callable[[object, object, bool], object]] = {
    "contains": _contains,
    "notcontains": lambda a, b, cs: not _contains(a, b, cs),
    "in": lambda a, b, cs: _contains(b, a, cs),
    "notin": lambda a, b, cs: not _contains(b, a, cs),
    "replace": textops.replace,
    "split": textops.split,
}


def compare(operator: str, left: object, right: object) -> object:
    """A comparison operator (``eq``, ``ceq``, ``ilike`` ...); an array on the left is filtered."""
    case_sensitive = False
    if operator not in _COMPARERS and operator not in _COLLECTION and operator[:1] in ("c", "i"):
        case_sensitive = operator[0] == "c"
        operator = operator[1:]
    if operator in _COLLECTION:
        return _COLLECTION[operator](left, right, case_sensitive)
    test = _COMPARERS[operator]
    if isinstance(left, list | tuple):
        return [item for item in left if test(item, right, case_sensitive)]
    return test(left, right, case_sensitive)


ARITHMETIC: dict[str, Callable[[object, object], object]] = {
    "+": add,
    "-": subtract,
    "*": multiply,
    "/": divide,
    "%": remainder,
}


def value_range(left: object, right: object) -> list[object]:
    """``left..right``: the integers from one to the other, counting down when ``left`` is larger."""
    try:
        first, last = to_int32(left), to_int32(right)
    except ConversionError as error:
        raise error.labelled(INVALID) from None
    if abs(last - first) > 50_000_000:
        raise ShellError("The range is too large: it may hold at most 50,000,000 numbers.", INVALID)
    step = 1 if last >= first else -1
    return list(range(first, last + step, step))


def _integers(left: object, right: object) -> tuple[int, int]:
    try:
        return to_int32(left), to_int32(right)
    except ConversionError as error:
        raise error.labelled(INVALID) from None


def _bitwise(left: object, right: object, apply: Callable[[int, int], int]) -> int:
    return apply(*_integers(left, right))


_OTHER: dict[str, Callable[[object, object], object]] = {
    "band": lambda a, b: _bitwise(a, b, and_),
    "bor": lambda a, b: _bitwise(a, b, or_),
    "bxor": lambda a, b: _bitwise(a, b, xor),
    "shl": lambda a, b: _bitwise(a, b, lambda x, y: x << (y & 31)),
    "shr": lambda a, b: _bitwise(a, b, lambda x, y: x >> (y & 31)),
    "xor": lambda a, b: is_true(a) != is_true(b),
    "..": value_range,
    "join": textops.join,
    "f": textops.format_operator,
    "is": lambda a, b: casts.is_type(a, casts.type_argument(b)),
    "isnot": lambda a, b: not casts.is_type(a, casts.type_argument(b)),
    "as": lambda a, b: casts.as_type(casts.type_argument(b), a),
}


def binary(operator: str, left: object, right: object) -> object:
    """Apply a non-short-circuit binary operator."""
    if operator in ARITHMETIC:
        return ARITHMETIC[operator](left, right)
    if operator in _OTHER:
        return _OTHER[operator](left, right)
    return compare(operator, left, right)


def unary(operator: str, operand: object) -> object:
    """``-x``, ``+x``, ``!x``, ``-not x``, ``-split x``, ``-join x``."""
    if operator in ("!", "not"):
        return not is_true(operand)
    if operator == "split":
        return textops.split_whitespace(operand)
    if operator == "join":
        return textops.join(operand, "")
    if operator == "bnot":
        return ~_integers(operand, 0)[0]
    if isinstance(operand, PSObject | list | tuple):
        raise _no_method(operand, "op_UnaryNegation" if operator == "-" else "op_UnaryPlus")
    try:
        number = to_number(operand)
    except ConversionError as error:
        raise error.labelled(INVALID) from None
    return -number if operator == "-" else number


def supports(operator: str) -> bool:
    """Whether ``binary`` implements ``operator``."""
    known = _COMPARERS.keys() | _COLLECTION.keys()
    base = operator[1:] if operator not in known and operator[:1] in ("c", "i") else operator
    return operator in ARITHMETIC or operator in _OTHER or base in known

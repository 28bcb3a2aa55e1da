"""Method calls on shell values (``$s.ToUpper()``, ``$h.ContainsKey('a')``) and static members
(``[math]::Round($x, 2)``, ``[datetime]::Now``).

The common .NET methods of strings, arrays, hashtables, dates, numbers and
script blocks are provided; a method an array lacks is called on each item
(PowerShell's member enumeration). Errors read as PowerShell's: "Method
invocation failed because [System.String] does not contain a method named
'Foo'.", "You cannot call a method on a null-valued expression."
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from typing import Any

from clients.shell import casts, textops
from clients.shell.conversions import to_double, to_int32
from clients.shell.errors import ConversionError, ShellError
from clients.shell.psobject import PSObject
from clients.shell.scriptblock import ScriptBlock
from clients.shell.values import collect, is_true, to_string, type_name

INVALID = "InvalidOperation"
_Method = Callable[..., object]


def _int(value: object) -> int:
    try:
        return to_int32(value)
    except ConversionError as error:
        raise error.labelled(INVALID) from None


def _number(value: object) -> float:
    try:
        return to_double(value)
    except ConversionError as error:
        raise error.labelled(INVALID) from None


def _comparison(ignore_case: object) -> Callable[[str], str]:
    return str.casefold if is_true(ignore_case) else (lambda s: s)


def _split(text: str, *separators: object) -> list[object]:
    if not separators:
        return list(text.split())
    chars = "".join(to_string(s) for s in separators)
    parts = [text]
    for c in chars:
        parts = [piece for part in parts for piece in part.split(c)]
    return list(parts)


def _trim(text: str, chars: Sequence[object], how: str) -> str:
    strip_chars = "".join(to_string(c) for c in chars) or None
    return {"both": text.strip, "start": text.lstrip, "end": text.rstrip}[how](strip_chars)


def _substring(text: str, start: object, length: object = None) -> str:
    first = _int(start)
    if first < 0 or first > len(text):
        raise ShellError("startIndex cannot be larger than length of string.", INVALID)
    if length is None:
        return text[first:]
    count = _int(length)
    if count < 0 or first + count > len(text):
        raise ShellError("Index and length must refer to a location within the string.", INVALID)
    return text[first : first + count]


_STRING: dict[str, _Method] = {
    "toupper": lambda s: s.upper(),
    "tolower": lambda s: s.lower(),
    "trim": lambda s, *c: _trim(s, c, "both"),
    "trimstart": lambda s, *c: _trim(s, c, "start"),
    "trimend": lambda s, *c: _trim(s, c, "end"),
    "startswith": lambda s, p, ic=False: _comparison(ic)(s).startswith(_comparison(ic)(to_string(p))),
    "endswith": lambda s, p, ic=False: _comparison(ic)(s).endswith(_comparison(ic)(to_string(p))),
    "contains": lambda s, p: to_string(p) in s,
    "indexof": lambda s, p: s.find(to_string(p)),
    "lastindexof": lambda s, p: s.rfind(to_string(p)),
    "replace": lambda s, old, new: s.replace(to_string(old), to_string(new)),
    "split": _split,
    "substring": _substring,
    "padleft": lambda s, n, c=" ": s.rjust(_int(n), to_string(c)[:1] or " "),
    "padright": lambda s, n, c=" ": s.ljust(_int(n), to_string(c)[:1] or " "),
    "insert": lambda s, i, t: s[: _int(i)] + to_string(t) + s[_int(i) :],
    "remove": lambda s, i, n=None: s[: _int(i)] + ("" if n is None else s[_int(i) + _int(n) :]),
    "equals": lambda s, o: s == to_string(o),
    "tochararray": lambda s: list(s),
}
_ARRAY: dict[str, _Method] = {
    "contains": lambda a, x: any(item == x for item in a),
    "indexof": lambda a, x: next((i for i, item in enumerate(a) if item == x), -1),
    "add": lambda a, x: _fixed_size("Add"),
    "remove": lambda a, x: _fixed_size("Remove"),
    "clear": lambda a: _fixed_size("Clear"),
}
_HASHTABLE: dict[str, _Method] = {
    "containskey": lambda h, k: k in h,
    "contains": lambda h, k: k in h,
    "containsvalue": lambda h, v: any(value == v for value in h.values()),
    "add": lambda h, k, v: _add(h, k, v),
    "remove": lambda h, k: h.pop(k, None) and None,
    "clear": lambda h: h.clear(),
    "clone": lambda h: h.copy(),
    "getenumerator": lambda h: [
        PSObject("System.Collections.DictionaryEntry", [("Name", k), ("Value", v), ("Key", k)])
        for k, v in h.items()
    ],
}
_DATE: dict[str, _Method] = {
    "adddays": lambda d, n: d + dt.timedelta(days=_number(n)),
    "addhours": lambda d, n: d + dt.timedelta(hours=_number(n)),
    "addminutes": lambda d, n: d + dt.timedelta(minutes=_number(n)),
    "addseconds": lambda d, n: d + dt.timedelta(seconds=_number(n)),
    "addmilliseconds": lambda d, n: d + dt.timedelta(milliseconds=_number(n)),
    "touniversaltime": lambda d: d.astimezone(dt.UTC),
    "tolocaltime": lambda d: d.astimezone(),
    "tostring": lambda d, f="": textops.format_value(d, to_string(f)) if f else to_string(d),
}
_NUMBER: dict[str, _Method] = {
    "tostring": lambda n, f="": textops.format_value(n, to_string(f)) if f else to_string(n),
    "equals": lambda n, o: n == o,
    "compareto": lambda n, o: (n > _number(o)) - (n < _number(o)),
}


def _fixed_size(method: str) -> object:
    raise ShellError(
        f'Exception calling "{method}": "Collection was of a fixed size." (use $array += $item)', INVALID
    )


def _add(table: dict[Any, Any], key: object, value: object) -> None:
    if key in table:
        shown = to_string(key)
        message = f'Exception calling "Add": "Item has already been added. Key in dictionary: \'{shown}\'"'
        raise ShellError(message, INVALID)
    table[key] = value


def _type_of(value: object) -> PSObject:
    name = type_name(value)
    full = name if "." in name else f"System.{name}"
    return PSObject("System.RuntimeType", [("Name", name.rsplit(".", 1)[-1]), ("FullName", full)], label=full)


def _table_for(target: object) -> dict[str, _Method] | None:
    if isinstance(target, str):
        return _STRING
    if isinstance(target, dict):
        return _HASHTABLE
    if isinstance(target, list | tuple):
        return _ARRAY
    if isinstance(target, dt.datetime):
        return _DATE
    if isinstance(target, int | float) and not isinstance(target, bool):
        return _NUMBER
    return None


_CASED_NAMES = (
    "ToUpper",
    "ToLower",
    "Trim",
    "TrimStart",
    "TrimEnd",
    "StartsWith",
    "EndsWith",
    "Contains",
    "IndexOf",
    "LastIndexOf",
    "Replace",
    "Split",
    "Substring",
    "PadLeft",
    "PadRight",
    "Insert",
    "Remove",
    "Equals",
    "ToCharArray",
    "Add",
    "Clear",
    "ContainsKey",
    "ContainsValue",
    "Clone",
    "GetEnumerator",
    "AddDays",
    "AddHours",
    "AddMinutes",
    "AddSeconds",
    "AddMilliseconds",
    "ToUniversalTime",
    "ToLocalTime",
    "ToString",
    "CompareTo",
    "GetType",
)
_CASED = {name.lower(): name for name in _CASED_NAMES}


def method_names(target: object) -> list[str]:
    """The methods ``target.Name(…)`` can call, as PowerShell spells them (Get-Member's Method rows)."""
    table = _table_for(target) or {}
    return sorted({_CASED.get(key, key) for key in table} | {"GetType"}, key=str.lower)


def call_method(target: object, name: str, arguments: Sequence[object]) -> object:
    """``target.name(arguments)``."""
    key = name.lower()
    if target is None:
        raise ShellError("You cannot call a method on a null-valued expression.", INVALID)
    if isinstance(target, ScriptBlock) and key in ("invoke", "invokereturnasis"):
        return collect(target.invoke(*arguments))
    if isinstance(target, ScriptBlock) and key == "getnewclosure":
        return target  # script blocks already close over the scope that defined them
    if key == "gettype" and not arguments:
        return _type_of(target)
    table = _table_for(target)
    method = None if table is None else table.get(key)
    if method is None:
        if key == "tostring" and not arguments:
            return to_string(target)
        if key == "equals" and len(arguments) == 1:
            return target == arguments[0]
        if isinstance(target, list | tuple):  # member enumeration: call it on each item
            return collect([call_method(item, name, arguments) for item in target])
        shown = _full_name(target)
        raise ShellError(
            f"Method invocation failed because [{shown}] does not contain a method named '{name}'.", INVALID
        )
    try:
        return method(target, *arguments)
    except TypeError:
        raise ShellError(
            f'Cannot find an overload for "{name}" and the argument count: "{len(arguments)}".', INVALID
        ) from None


def _full_name(value: object) -> str:
    name = type_name(value)
    return name if "." in name else f"System.{name}"


def _round(value: object, digits: object = 0) -> object:
    """[math]::Round: to even at midpoints, as .NET does by default."""
    number = _number(value)
    places = _int(digits)
    result = round(number, places)
    return result if places else float(result)


_STATIC: dict[str, dict[str, _Method]] = {
    "math": {
        "round": _round,
        "floor": lambda x: float(math.floor(_number(x))),
        "ceiling": lambda x: float(math.ceil(_number(x))),
        "truncate": lambda x: float(math.trunc(_number(x))),
        "abs": lambda x: abs(x) if isinstance(x, int) and not isinstance(x, bool) else abs(_number(x)),
        "max": lambda a, b: max(a, b, key=_number),
        "min": lambda a, b: min(a, b, key=_number),
        "sqrt": lambda x: math.sqrt(_number(x)),
        "pow": lambda x, y: math.pow(_number(x), _number(y)),
        "log": lambda x, b=math.e: math.log(_number(x), _number(b)),
        "log10": lambda x: math.log10(_number(x)),
    },
    "string": {
        "isnullorempty": lambda s: s is None or to_string(s) == "",
        "isnullorwhitespace": lambda s: s is None or to_string(s).strip() == "",
        "join": lambda sep, *items: textops.join(items[0] if len(items) == 1 else list(items), sep),
        "format": lambda f, *args: textops.format_operator(f, list(args)),
    },
    "datetime": {"parse": lambda s: casts.cast("datetime", s)},
    "guid": {"newguid": lambda: _new_guid()},
}
_STATIC_PROPERTIES: dict[str, dict[str, Callable[[], object]]] = {
    "math": {"pi": lambda: math.pi, "e": lambda: math.e},
    "datetime": {"now": lambda: dt.datetime.now().astimezone(), "utcnow": lambda: dt.datetime.now(dt.UTC),
                 "today": lambda: dt.datetime.now().astimezone().replace(hour=0, minute=0, second=0,
                                                                          microsecond=0)},
    "string": {"empty": lambda: ""},
    "int": {"maxvalue": lambda: 2**31 - 1, "minvalue": lambda: -(2**31)},
    "int32": {"maxvalue": lambda: 2**31 - 1, "minvalue": lambda: -(2**31)},
    "environment": {"newline": lambda: "\n"},
}  # fmt: skip


def _new_guid() -> str:
    import uuid

    return str(uuid.uuid4())


def static_member(type_name_text: str, name: str, arguments: Sequence[object] | None) -> object:
    """``[type]::name`` or ``[type]::name(arguments)``."""
    key = casts.normalize(type_name_text)
    member = name.lower()
    if arguments is None:
        prop = _STATIC_PROPERTIES.get(key, {}).get(member)
        if prop is None:
            raise ShellError(f"The static property '{name}' of [{type_name_text}] is not supported.", INVALID)
        return prop()
    method = _STATIC.get(key, {}).get(member)
    if method is None:
        raise ShellError(
            f"Method invocation failed because [{type_name_text}] does not contain a method named '{name}'.",
            INVALID,
        )
    try:
        return method(*arguments)
    except TypeError:
        raise ShellError(
            f'Cannot find an overload for "{name}" and the argument count: "{len(arguments)}".', INVALID
        ) from None

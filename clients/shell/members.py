"""Reading and writing ``value.Name`` and ``value[index]`` on shell values.

Arrays enumerate members (``$vms.Name`` is every VM's name); hashtables read
keys as members (``$h.Key``) and have ``Keys``, ``Values`` and ``Count``;
PSObjects read properties. Writing works on array elements, hashtable keys and
the existing properties of ``[pscustomobject]`` objects; other objects'
properties are read-only.
"""

from __future__ import annotations

import datetime as dt

from clients.shell.casts import PSCUSTOMOBJECT
from clients.shell.conversions import to_int32
from clients.shell.errors import ConversionError, ShellError
from clients.shell.hashtable import Hashtable
from clients.shell.psobject import PSObject
from clients.shell.values import collect, enumerate_value

INVALID = "InvalidOperation"


def member(value: object, name: str) -> object:
    """``value.name``: a property; on an array, the property of each item (member enumeration)."""
    key = name.lower()
    if isinstance(value, PSObject) and (value.has(name) or key != "count"):
        return value.get(name)
    if isinstance(value, dict):
        if name in value:
            return value[name]
        if key == "keys":
            return list(value.keys())
        if key == "values":
            return list(value.values())
        if key == "count":
            return len(value)
        return None
    if isinstance(value, list | tuple):
        if key in ("count", "length"):
            return len(value)
        results: list[object] = []
        for item in value:
            results.extend(v for v in enumerate_value(member(item, name)) if v is not None)
        return collect(results)
    if key == "count":
        return 0 if value is None else 1
    if isinstance(value, str) and key == "length":
        return len(value)
    if isinstance(value, dt.datetime):
        return _date_member(value, key)
    if isinstance(value, dt.timedelta):
        return _timespan_member(value, key)
    return None


def _timespan_member(value: dt.timedelta, key: str) -> object:
    """A TimeSpan's Days ... Milliseconds (the parts) and TotalDays ... TotalMilliseconds."""
    seconds = value.total_seconds()
    totals = {"totaldays": 86400.0, "totalhours": 3600.0, "totalminutes": 60.0, "totalseconds": 1.0,
              "totalmilliseconds": 0.001}  # fmt: skip
    if key in totals:
        return seconds / totals[key]
    whole = int(seconds)  # .NET parts truncate toward zero and share the sign
    sign = -1 if seconds < 0 else 1
    magnitude = abs(whole)
    parts = {
        "days": magnitude // 86400,
        "hours": magnitude % 86400 // 3600,
        "minutes": magnitude % 3600 // 60,
        "seconds": magnitude % 60,
        "milliseconds": int(abs(seconds) * 1000) % 1000,
    }
    return sign * parts[key] if key in parts else None


_DATE_PARTS = ("year", "month", "day", "hour", "minute", "second")


def _date_member(value: dt.datetime, key: str) -> object:
    """A DateTime's Year ... Second, Millisecond, DayOfWeek, DayOfYear and Date."""
    if key in _DATE_PARTS:
        return getattr(value, key)
    if key == "millisecond":
        return value.microsecond // 1000
    if key == "dayofweek":
        return value.strftime("%A")
    if key == "dayofyear":
        return value.timetuple().tm_yday
    if key == "date":
        return value.replace(hour=0, minute=0, second=0, microsecond=0)
    return None


def position(index: object, length: int) -> int | None:
    """An array index (negative counts from the end) as a position, or None when out of range."""
    try:
        at = to_int32(index)
    except ConversionError as error:
        raise error.labelled(INVALID) from None
    if at < 0:
        at += length
    return at if 0 <= at < length else None


def index(target: object, key: object) -> object:
    """``target[key]``; an array of keys gives an array of values."""
    if target is None:
        raise ShellError("Cannot index into a null array.", INVALID)
    if isinstance(key, list | tuple) and not isinstance(target, dict):
        return [_index_one(target, k) for k in key]
    return _index_one(target, key)


def _index_one(target: object, key: object) -> object:
    if isinstance(target, dict):
        if isinstance(key, list | tuple):
            return [target.get(k) for k in key]
        return target.get(key)
    if isinstance(target, PSObject) and isinstance(key, str):
        return target.get(key)
    items: list[object] | str = target if isinstance(target, list | str) else [target]
    at = position(key, len(items))
    return None if at is None else items[at]


def set_index(target: object, key: object, value: object) -> None:
    """``target[key] = value`` on an array or a hashtable."""
    if isinstance(target, dict):
        target[key] = value
        return
    if not isinstance(target, list):
        raise ShellError("Unable to index into an object of this type.", INVALID)
    at = position(key, len(target))
    if at is None:
        raise ShellError("Index was outside the bounds of the array.", INVALID)
    target[at] = value


def set_member(target: object, name: str, value: object) -> None:
    """``target.name = value`` on a hashtable key or a custom object's existing property."""
    if isinstance(target, Hashtable | dict):
        target[name] = value
        return
    if isinstance(target, PSObject) and target.type_name == PSCUSTOMOBJECT:
        declared = target.canonical(name)
        if declared is None:
            raise ShellError(f"The property '{name}' cannot be found on this object.", INVALID)
        target.properties[declared] = value
        return
    if target is None:
        raise ShellError(f"The property '{name}' cannot be found on this object.", INVALID)
    raise ShellError(f"'{name}' is a ReadOnly property.", INVALID)

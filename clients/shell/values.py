"""How PowerShell treats plain values: as strings, as booleans, in a pipeline.

Shell values are Python objects: ``None`` ($null), ``bool``, ``int``, ``float``,
``str``, ``datetime``, ``list`` (an array) and ``PSObject``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator

from clients.shell.psobject import PSObject


def format_float(value: float) -> str:
    """A double as PowerShell prints it: ``0.25``, ``2`` (not ``2.0``), 15 significant digits."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    text = f"{value:.15g}"
    return text.replace("e+", "E+").replace("e-", "E-")


def format_date(value: dt.datetime) -> str:
    """A date in local time, as PowerShell (en-US) prints it: ``11/27/2024 7:26:00 AM``."""
    local = value.astimezone() if value.tzinfo else value
    hour = local.hour % 12 or 12
    ampm = "AM" if local.hour < 12 else "PM"
    return f"{local.month}/{local.day}/{local.year} {hour}:{local.minute:02d}:{local.second:02d} {ampm}"


def format_timespan(value: dt.timedelta) -> str:
    """A TimeSpan as .NET prints it: ``[-][d.]hh:mm:ss[.fffffff]``."""
    sign = "-" if value < dt.timedelta(0) else ""
    value = abs(value)
    hours, rest = divmod(value.seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    text = f"{hours:02d}:{minutes:02d}:{seconds:02d}"
    if value.days:
        text = f"{value.days}.{text}"
    if value.microseconds:
        text += f".{value.microseconds * 10:07d}"
    return sign + text


def to_string(value: object) -> str:
    """``[string]$value``: arrays are joined with a space, $null is empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, float):
        return format_float(value)
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return "System.Collections.Hashtable"
    if isinstance(value, dt.datetime):
        return format_date(value)
    if isinstance(value, dt.timedelta):
        return format_timespan(value)
    if isinstance(value, list | tuple):
        return " ".join(to_string(item) for item in value)
    if isinstance(value, PSObject):
        if value.label is not None:
            return value.label
        inner = "; ".join(f"{name}={to_string(item)}" for name, item in value.items())
        return "@{" + inner + "}"
    return str(value)


def type_name(value: object) -> str:
    """The .NET-style type name PowerShell would show for ``value``."""
    if value is None:
        return "null"
    if isinstance(value, PSObject):
        return value.type_name
    names = {bool: "Boolean", int: "Int32", float: "Double", str: "String", dt.datetime: "DateTime",
             dt.timedelta: "TimeSpan"}  # fmt: skip
    if isinstance(value, list | tuple):
        return "Object[]"
    if isinstance(value, dict):
        return "System.Collections.Hashtable"
    if type(value).__name__ == "ScriptBlock":
        return "System.Management.Automation.ScriptBlock"
    return names.get(type(value), type(value).__name__)


def enumerate_value(value: object) -> Iterator[object]:
    """What a value sends down a pipeline: an array's items, anything else as itself."""
    if isinstance(value, list | tuple):
        yield from value
    else:
        yield value


def collect(outputs: list[object]) -> object:
    """A statement's output as one value: nothing is $null, one object is itself, more are an array."""
    if not outputs:
        return None
    if len(outputs) == 1:
        return outputs[0]
    return outputs


def is_true(value: object) -> bool:
    """PowerShell truthiness: $null, 0, '' and empty arrays are false; one-item arrays use the item."""
    if isinstance(value, list | tuple):
        if len(value) == 1:
            return is_true(value[0])
        return len(value) > 0
    if value is None:
        return False
    if isinstance(value, bool | int | float | str):
        return bool(value)
    return True

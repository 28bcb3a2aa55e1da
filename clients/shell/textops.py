"""PowerShell's text operators: ``-match`` (with ``$Matches``), ``-replace``, ``-split``, ``-join``, ``-f``.

Patterns are .NET regular expressions, case-insensitive unless the operator is
c-prefixed; ``(?<name>...)`` groups and ``$1`` / ``${name}`` replacements are
translated to Python's ``re``. ``-f`` implements .NET composite formatting:
``{index[,alignment][:format]}`` with the N, F, D, X, P, E and custom ``0.00``
numeric formats and ``yyyy-MM-dd HH:mm:ss``-style date formats.
"""

from __future__ import annotations

import datetime as dt
import decimal
import functools
import re

from clients.shell.conversions import to_int32
from clients.shell.errors import ConversionError, ShellError
from clients.shell.hashtable import Hashtable
from clients.shell.values import format_float, to_string

INVALID = "InvalidOperation"
_NAMED_GROUP = re.compile(r"\(\?<(?![=!])")
_BACKREF = re.compile(r"\\k<(\w+)>")


@functools.lru_cache(maxsize=256)
def regex(pattern: str, case_sensitive: bool) -> re.Pattern[str]:
    """A compiled .NET-style pattern; an invalid one is an InvalidOperation error."""
    translated = _BACKREF.sub(r"(?P=\1)", _NAMED_GROUP.sub("(?P<", pattern))
    try:
        return re.compile(translated, 0 if case_sensitive else re.IGNORECASE)
    except re.error as error:
        raise ShellError(
            f"The regular expression pattern {pattern} is not valid. ({error})", INVALID
        ) from None


def match(text: object, pattern: object, case_sensitive: bool) -> Hashtable | None:
    """``text -match pattern``: ``$Matches`` (group number or name to text) or None."""
    found = regex(to_string(pattern), case_sensitive).search(to_string(text))
    if found is None:
        return None
    groups = Hashtable()
    for number in range(found.re.groups, -1, -1):
        if found.group(number) is not None:
            groups[number] = found.group(number)
    names = {index: name for name, index in found.re.groupindex.items()}
    for index, name in names.items():
        if found.group(index) is not None:
            groups.pop(index, None)
            groups[name] = found.group(index)
    return groups


def _replacement(template: str) -> functools.partial[str]:
    return functools.partial(_expand, template)


def _expand(template: str, found: re.Match[str]) -> str:
    """A .NET replacement string: ``$1``, ``${name}``, ``$&``, ``$$``."""
    out: list[str] = []
    i = 0
    while i < len(template):
        c = template[i]
        if c == "$" and i + 1 < len(template):
            nxt = template[i + 1]
            if nxt == "$":
                out.append("$")
                i += 2
                continue
            if nxt == "&":
                out.append(found.group(0))
                i += 2
                continue
            if nxt.isdigit():
                j = i + 1
                while j < len(template) and template[j].isdigit():
                    j += 1
                number = int(template[i + 1 : j])
                if number <= found.re.groups:
                    out.append(found.group(number) or "")
                    i = j
                    continue
            if nxt == "{":
                end = template.find("}", i + 2)
                name = template[i + 2 : end] if end > 0 else ""
                if name.isdigit() and int(name) <= found.re.groups:
                    out.append(found.group(int(name)) or "")
                    i = end + 1
                    continue
                if name in found.re.groupindex:
                    out.append(found.group(name) or "")
                    i = end + 1
                    continue
        out.append(c)
        i += 1
    return "".join(out)


def replace(left: object, right: object, case_sensitive: bool) -> object:
    """``left -replace pattern[, replacement]``; an array on the left is replaced item by item."""
    items = list(right) if isinstance(right, list | tuple) else [right]
    if not items:
        raise ShellError("The -replace operator needs a pattern: -replace 'pattern', 'replacement'.", INVALID)
    if len(items) > 2:
        raise ShellError(
            "The -replace operator allows only two elements to follow it, not " + str(len(items)) + ".",
            INVALID,
        )
    pattern = regex(to_string(items[0]), case_sensitive)
    template = to_string(items[1]) if len(items) == 2 else ""
    if isinstance(left, list | tuple):
        return [pattern.sub(_replacement(template), to_string(item)) for item in left]
    return pattern.sub(_replacement(template), to_string(left))


def split(left: object, right: object, case_sensitive: bool) -> list[object]:
    """``left -split pattern[, max]``; each string of an array on the left is split."""
    items = list(right) if isinstance(right, list | tuple) else [right]
    if not items:
        raise ShellError("The -split operator needs a pattern: -split 'pattern'[, max].", INVALID)
    pattern = regex(to_string(items[0]), case_sensitive)
    try:
        limit = to_int32(items[1]) if len(items) > 1 else 0
    except ConversionError as error:
        raise error.labelled(INVALID) from None
    out: list[object] = []
    for text in left if isinstance(left, list | tuple) else [left]:
        parts = pattern.split(to_string(text), maxsplit=max(0, limit - 1))
        out.extend(p for p in parts if p is not None)
    return out


def split_whitespace(value: object) -> list[object]:
    """Unary ``-split text``: on runs of whitespace, without empty ends."""
    out: list[object] = []
    for text in value if isinstance(value, list | tuple) else [value]:
        out.extend(to_string(text).split())
    return out


def join(left: object, separator: object) -> str:
    """``left -join separator`` (unary ``-join`` uses no separator)."""
    items = left if isinstance(left, list | tuple) else [left]
    return to_string(separator).join(to_string(item) for item in items)


# -- -f ---------------------------------------------------------------------------------------

_FORMAT_ITEM = re.compile(r"\{\{|\}\}|\{(\d+)\s*(?:,\s*(-?\d+)\s*)?(?::([^}]*))?\}")
_DATE_TOKENS = re.compile(r"yyyy|yy|MMMM|MMM|MM|M|dddd|ddd|dd|d|HH|H|hh|h|mm|m|ss|s|fff|tt")


def format_operator(template: object, arguments: object) -> str:
    """``template -f arguments``: .NET composite formatting."""
    text = to_string(template)
    values = list(arguments) if isinstance(arguments, list | tuple) else [arguments]

    def item(found: re.Match[str]) -> str:
        token = found.group(0)
        if token in ("{{", "}}"):
            return token[0]
        index = int(found.group(1))
        if index >= len(values):
            raise ShellError(
                "Error formatting a string: Index (zero based) must be greater than or equal to zero and "
                "less than the size of the argument list.",
                INVALID,
            )
        shown = format_value(values[index], found.group(3) or "")
        width = int(found.group(2) or 0)
        return shown.rjust(width) if width >= 0 else shown.ljust(-width)

    return _FORMAT_ITEM.sub(item, text)


def format_value(value: object, spec: str) -> str:
    """One value with a .NET format string (``N2``, ``D3``, ``X``, ``0.00``, ``yyyy-MM-dd`` ...)."""
    if not spec:
        return to_string(value)
    if isinstance(value, dt.datetime):
        return _format_date(value, spec)
    if not isinstance(value, int | float) or isinstance(value, bool):
        return to_string(value)
    kind, digits = spec[0].upper(), spec[1:]
    if digits.isdigit() or digits == "":
        places = int(digits) if digits else None
        if kind == "N":
            return _fixed(value, 2 if places is None else places, grouping=True)
        if kind == "F":
            return _fixed(value, 2 if places is None else places, grouping=False)
        if kind == "P":
            return _fixed(value * 100, 2 if places is None else places, grouping=True) + "%"
        if kind == "E":
            return f"{value:.{6 if places is None else places}E}".replace("E+", "E+0").replace("E-", "E-0")
        if kind == "D" and isinstance(value, int):
            return str(value).zfill(places or 0) if value >= 0 else "-" + str(-value).zfill(places or 0)
        if kind == "X" and isinstance(value, int):
            shown = f"{value:X}" if spec[0] == "X" else f"{value:x}"
            return shown.zfill(places or 0)
        if kind == "G":
            return to_string(value) if isinstance(value, int) else format_float(float(value))
    if set(spec) <= set("0#,.%"):
        return _custom_number(float(value), spec)
    return to_string(value)


def _fixed(value: float, places: int, *, grouping: bool) -> str:
    """``value`` with ``places`` decimals, midpoints rounded away from zero as .NET does."""
    exact = decimal.Decimal(value).quantize(decimal.Decimal(1).scaleb(-places), decimal.ROUND_HALF_UP)
    return f"{exact:,.{places}f}" if grouping else f"{exact:.{places}f}"


def _custom_number(value: float, spec: str) -> str:
    percent = "%" in spec
    spec = spec.replace("%", "")
    number = value * 100 if percent else value
    decimals = spec.split(".", 1)[1] if "." in spec else ""
    places = len(decimals)
    shown = _fixed(number, places, grouping="," in spec.split(".", 1)[0])
    required = decimals.count("0")
    if places > required and "." in shown:
        whole, frac = shown.split(".")
        frac = frac.rstrip("0").ljust(required, "0")
        shown = whole + ("." + frac if frac else "")
    return shown + ("%" if percent else "")


def _format_date(value: dt.datetime, spec: str) -> str:
    if len(spec) == 1:
        standard = {"d": "M/d/yyyy", "D": "dddd, MMMM d, yyyy", "t": "h:mm tt", "T": "h:mm:ss tt",
                    "s": "yyyy-MM-ddTHH:mm:ss", "u": "yyyy-MM-dd HH:mm:ssZ"}  # fmt: skip
        spec = standard.get(spec, spec)
    local = value.astimezone() if value.tzinfo else value

    def token(found: re.Match[str]) -> str:
        t = found.group(0)
        table = {
            "yyyy": f"{local.year:04d}", "yy": f"{local.year % 100:02d}", "MMMM": local.strftime("%B"),
            "MMM": local.strftime("%b"), "MM": f"{local.month:02d}", "M": str(local.month),
            "dddd": local.strftime("%A"), "ddd": local.strftime("%a"), "dd": f"{local.day:02d}",
            "d": str(local.day), "HH": f"{local.hour:02d}", "H": str(local.hour),
            "hh": f"{local.hour % 12 or 12:02d}", "h": str(local.hour % 12 or 12),
            "mm": f"{local.minute:02d}", "m": str(local.minute), "ss": f"{local.second:02d}",
            "s": str(local.second), "fff": f"{local.microsecond // 1000:03d}",
            "tt": "AM" if local.hour < 12 else "PM",
        }  # fmt: skip
        return table[t]

    return _DATE_TOKENS.sub(token, spec)

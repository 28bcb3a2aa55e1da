"""PowerShell numeric literals: ``42``, ``0x1F``, ``1.5``, ``1e3``, ``10l``, ``256MB``, ``1.5GB``."""

from __future__ import annotations

import re

#: a number literal without sign; used by the tokenizer (``match`` at a position) and by conversions
NUMBER_RE = re.compile(
    r"""
    (?: 0[xX](?P<hex>[0-9a-fA-F]+)
      | (?P<dec>(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?)
    )
    (?P<suffix>[lLdD])?
    (?P<mult>[kKmMgGtTpP][bB])?
    """,
    re.VERBOSE,
)

_MULTIPLIERS = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40, "p": 1 << 50}


def number_value(match: re.Match[str]) -> int | float:
    """The value of a ``NUMBER_RE`` match."""
    hex_digits, decimal = match.group("hex"), match.group("dec")
    value: int | float
    if hex_digits is not None:
        value = int(hex_digits, 16)
    elif any(c in decimal for c in ".eE") or (match.group("suffix") or "").lower() == "d":
        value = float(decimal)
    else:
        value = int(decimal)
    mult = match.group("mult")
    if mult:
        value = value * _MULTIPLIERS[mult[0].lower()]
    return value


def parse_number(text: str) -> int | float | None:
    """``text`` (optionally signed, surrounding blanks allowed) as a number, or None."""
    stripped = text.strip()
    sign = 1
    if stripped[:1] in ("-", "+"):
        sign = -1 if stripped[0] == "-" else 1
        stripped = stripped[1:]
    match = NUMBER_RE.fullmatch(stripped)
    if match is None:
        return None
    return sign * number_value(match)

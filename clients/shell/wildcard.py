"""PowerShell wildcards (``-like``, ``Get-VM web*``): ``*``, ``?``, ``[abc]``, ``[a-z]``, backtick escapes."""

from __future__ import annotations

import functools
import re


def is_wildcard(pattern: str) -> bool:
    """Whether ``pattern`` contains an unescaped wildcard character."""
    escaped = False
    for c in pattern:
        if escaped:
            escaped = False
        elif c == "`":
            escaped = True
        elif c in "*?[":
            return True
    return False


@functools.lru_cache(maxsize=256)
def compile_pattern(pattern: str, case_sensitive: bool = False) -> re.Pattern[str]:
    """A regular expression that matches what the wildcard ``pattern`` matches, whole string."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "`" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        if c == "*":
            out.append(".*")
        elif c == "?":
            out.append(".")
        elif c == "[":
            close = pattern.find("]", i + 1)
            if close <= i + 1:
                out.append(re.escape(c))
            else:
                body = pattern[i + 1 : close].replace("\\", "\\\\").replace("^", "\\^")
                out.append(f"[{body}]")
                i = close + 1
                continue
        else:
            out.append(re.escape(c))
        i += 1
    flags = re.DOTALL if case_sensitive else re.DOTALL | re.IGNORECASE
    try:
        return re.compile("".join(out), flags)
    except re.error:  # a malformed [range]: match the pattern literally
        return re.compile(re.escape(unescape(pattern)), flags)


def like(text: str, pattern: str, case_sensitive: bool = False) -> bool:
    """``text -like pattern``."""
    return compile_pattern(pattern, case_sensitive).fullmatch(text) is not None


def unescape(pattern: str) -> str:
    """A pattern without its backtick escapes: what it matches literally when it has no wildcard."""
    return re.sub(r"`(.)", r"\1", pattern)

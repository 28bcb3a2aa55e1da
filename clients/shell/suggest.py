"""The error for a command name the shell does not know, with the nearest known names suggested."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from clients.shell.errors import ShellError

#: how alike (0..1, difflib's ratio) a known name must be to be suggested
CUTOFF = 0.75
MAX_SUGGESTIONS = 3


def nearest(name: str, known: Iterable[str]) -> list[str]:
    """The known names most like ``name`` (case-insensitive), best first."""
    by_lower = {k.lower(): k for k in known}
    close = difflib.get_close_matches(name.lower(), list(by_lower), n=MAX_SUGGESTIONS, cutoff=CUTOFF)
    return [by_lower[c] for c in close]


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """`` Did you mean Get-VM?`` (or ``Get-VM or Get-VMHost``), or "" when nothing is near."""
    close = nearest(name, known)
    return f" Did you mean {' or '.join(close)}?" if close else ""


def not_recognized(name: str, known: Iterable[str]) -> ShellError:
    """PowerShell's CommandNotFound error for ``name``, with a suggestion when one is near."""
    return ShellError(
        f"The term '{name}' is not recognized as a name of a cmdlet, function, script file, or executable "
        f"program.{did_you_mean(name, known)}",
        name,
    )

"""Where the shell writes: output text to stdout, one-line errors and warnings to stderr.

On a terminal (``colour``) errors are red and warnings yellow, as in PowerShell;
``NO_COLOR`` in the environment turns colours off (https://no-color.org).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from typing import TextIO

RED = "\x1b[31m"
YELLOW = "\x1b[33m"
RESET = "\x1b[0m"


def wants_colour(stream: TextIO) -> bool:
    """Whether to colour what goes to ``stream``: a terminal, and NO_COLOR unset."""
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and not os.environ.get("NO_COLOR")


class Console:
    """The shell's two output streams, and (in an interactive shell) a way to ask the user."""

    def __init__(
        self,
        out: TextIO,
        err: TextIO,
        ask: Callable[[str], str] | None = None,
        width: int | None = None,
        colour: bool = False,
    ) -> None:
        self.out = out
        self.err = err
        self._width = width
        #: ``ask(prompt)`` reads the user's answer; None when nobody is there to answer
        self.reader = ask
        self.colour = colour

    @property
    def width(self) -> int | None:
        """How wide tables may be: the terminal's width; None (no limit) when output is not a terminal."""
        if self._width is not None:
            return self._width
        isatty = getattr(self.out, "isatty", None)
        if isatty is None or not isatty():
            return None
        return shutil.get_terminal_size().columns

    @property
    def interactive(self) -> bool:
        """Whether a user can answer questions (the REPL); ``-c`` and scripts cannot."""
        return self.reader is not None

    def ask(self, prompt: str) -> str:
        """The user's answer to ``prompt``; end of input answers "no"."""
        if self.reader is None:
            return "n"
        self.out.flush()
        try:
            return self.reader(prompt)
        except EOFError:
            return "n"

    def write(self, text: str) -> None:
        """Output text, written as is."""
        self.out.write(text)
        self.out.flush()

    def _line(self, line: str, colour: str) -> None:
        self.out.flush()
        self.err.write(f"{colour}{line}{RESET}\n" if self.colour else line + "\n")
        self.err.flush()

    def error(self, line: str) -> None:
        """One error line (red on a terminal)."""
        self._line(line, RED)

    def warning(self, message: str) -> None:
        """A ``WARNING: ...`` line on stderr, so that stdout stays parseable (yellow on a terminal)."""
        self._line(f"WARNING: {message}", YELLOW)

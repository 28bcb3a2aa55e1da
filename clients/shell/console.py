"""Where the shell writes: output text to stdout, one-line errors and warnings to stderr."""

from __future__ import annotations

from typing import TextIO


class Console:
    """The shell's two output streams."""

    def __init__(self, out: TextIO, err: TextIO) -> None:
        self.out = out
        self.err = err

    def write(self, text: str) -> None:
        """Output text, written as is."""
        self.out.write(text)
        self.out.flush()

    def error(self, line: str) -> None:
        """One error line."""
        self.out.flush()
        self.err.write(line + "\n")
        self.err.flush()

    def warning(self, message: str) -> None:
        """A ``WARNING: ...`` line on stderr, so that stdout stays parseable."""
        self.error(f"WARNING: {message}")

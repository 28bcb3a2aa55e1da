"""The shell's error tree; every error is reported as one line.

    ShellError(message, category)       "Category: message" (category may be filled in later)
    ├── ParseError(message, position)   "ParserError: At line:L char:C: message" (+ the line and a caret)
    └── ConversionError(value, type)    a value that cannot become the type a parameter wants

``ExitRequest`` is not an error: it carries ``exit N`` out of the evaluator.
Faults from the client (``pyesx.faults.VimFault``) are not wrapped here; the
command runner labels them with the cmdlet's name.
"""

from __future__ import annotations


class ShellError(Exception):
    """An error the shell reports as a single line and that ends a script."""

    def __init__(self, message: str, category: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.category = category

    def labelled(self, category: str) -> ShellError:
        """This error with ``category`` filled in when it has none yet."""
        if self.category is None:
            self.category = category
        return self

    def render(self) -> str:
        """The one line printed to stderr."""
        return f"{self.category}: {self.message}" if self.category else self.message

    def __str__(self) -> str:
        return self.render()


class ParseError(ShellError):
    """Source text that does not parse; ``incomplete`` when more input could complete it."""

    def __init__(
        self,
        message: str,
        line: int,
        column: int,
        *,
        source_name: str = "",
        incomplete: bool = False,
        source_line: str = "",
    ) -> None:
        super().__init__(message, "ParserError")
        self.line = line
        self.column = column
        self.source_name = source_name
        self.incomplete = incomplete
        #: the text of the offending line, shown under the message with a caret
        self.source_line = source_line

    def render(self) -> str:
        where = f"At {self.source_name}:{self.line}" if self.source_name else f"At line:{self.line}"
        return f"ParserError: {where} char:{self.column}: {self.message}"

    def display(self) -> str:
        """What the shell prints: the message line, then the source line and a caret under the column::

        ParserError: At line:2 char:8: Unexpected token ')' in expression or statement.
        + Get-VM )
        +        ^
        """
        if not self.source_line.strip():
            return self.render()
        before = self.source_line[: self.column - 1]
        pad = "".join(c if c == "\t" else " " for c in before).ljust(self.column - 1)
        return f"{self.render()}\n+ {self.source_line}\n+ {pad}^"


class ConversionError(ShellError):
    """A value that cannot be converted to a .NET-style type name such as ``Int32``."""

    def __init__(self, shown: str, type_name: str, detail: str = "") -> None:
        message = f"Cannot convert value '{shown}' to type {type_name}."
        super().__init__(f"{message} {detail}" if detail else message)
        self.type_name = type_name


class ExitRequest(BaseException):
    """``exit N``: stop the script with exit code N (a BaseException: cmdlets running a script block
    must not mistake it for their own failure)."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code

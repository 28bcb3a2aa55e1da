"""Control flow that unwinds the evaluator: ``break``, ``continue``, ``return``, and ``throw``.

The three signals are ``BaseException``s so that a cmdlet running a script
block (``ForEach-Object { break }``) lets them pass instead of reporting them
as its own failure; loops, functions and script blocks catch them.
"""

from __future__ import annotations

from clients.shell.errors import ShellError


class BreakSignal(BaseException):
    """``break [label]``: leave the innermost loop, or the one labelled so (outside any: stop the script)."""

    def __init__(self, label: str | None = None) -> None:
        super().__init__(label)
        self.label = label


class ContinueSignal(BaseException):
    """``continue [label]``: next iteration of the innermost loop, or of the one labelled so."""

    def __init__(self, label: str | None = None) -> None:
        super().__init__(label)
        self.label = label


class ReturnSignal(BaseException):
    """``return``: leave the running function or script block (its output so far stays written)."""


class ThrownError(ShellError):
    """``throw value``: a terminating error whose record carries ``value`` as its target object."""

    def __init__(self, message: str, target: object = None, record: object = None) -> None:
        super().__init__(message, "Exception")
        self.target = target
        #: the error record rethrown by ``throw $_`` in a catch block
        self.record = record

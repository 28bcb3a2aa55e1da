"""The interactive loop: ``PS pyesx> `` prompts, ``>> `` while a statement is unfinished."""

from __future__ import annotations

from collections.abc import Callable

from clients.shell.errors import ExitRequest, ParseError
from clients.shell.parser import parse
from clients.shell.runner import Runner

PROMPT = "PS pyesx> "
CONTINUATION = ">> "


def repl(runner: Runner, read_line: Callable[[str], str] | None = None) -> int:
    """Read, run and show statements until end of input or ``exit``; errors do not end the loop.

    ``read_line(prompt)`` defaults to ``input`` (with line editing when readline is available)."""
    read = read_line or input
    runner.console.reader = read  # -Confirm and High-impact cmdlets ask here
    lines: list[str] = []
    while True:
        try:
            line = read(CONTINUATION if lines else PROMPT)
        except EOFError:
            runner.console.write("\n")
            return 0
        except KeyboardInterrupt:
            runner.console.write("\n")
            lines = []
            continue
        lines.append(line)
        try:
            body = parse("\n".join(lines))
        except ParseError as error:
            if error.incomplete and line.strip():
                continue
            runner.console.error(error.render())
            lines = []
            continue
        lines = []
        try:
            runner.execute(body)
        except ExitRequest as request:
            return request.code
        except KeyboardInterrupt:
            runner.console.write("\n")

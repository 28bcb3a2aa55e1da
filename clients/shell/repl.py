"""The interactive loop: read a statement (more lines while a block or a quote is open), run it, repeat.

Two front ends share ``run_input``: ``repl`` reads lines from a function
(``input``, or a pipe's lines with ``pyesx shell -i``), showing ``>> `` while
the statement is unfinished; ``interactive`` (in ``clients.shell.terminal``)
is the prompt_toolkit editor of a terminal. Errors never end the loop;
Ctrl-C ends the running pipeline (or the line being typed) and the prompt
comes back; end of input (Ctrl-D) or ``exit N`` ends it.
"""

from __future__ import annotations

from collections.abc import Callable

from clients.shell.errors import ExitRequest, ParseError
from clients.shell.parser import parse
from clients.shell.runner import Runner

PROMPT = "PS pyesx> "
CONTINUATION = ">> "
INTERRUPTED = "Interrupted."


def prompt_text(runner: Runner) -> str:
    """``PS pyesx 127.0.0.1:8443> `` while connected, else ``PS pyesx> ``."""
    server = runner.interpreter.session.server
    if server is None or not server.connected:
        return PROMPT
    return f"PS pyesx {server.name}:{server.port}> "


def needs_more(text: str) -> bool:
    """Whether ``text`` is an unfinished statement that more lines could complete.

    An empty last line ends the statement anyway (its parse error is then shown)."""
    if not text.strip() or not text.split("\n")[-1].strip():
        return False
    try:
        parse(text)
    except ParseError as error:
        return error.incomplete
    return False


def run_input(runner: Runner, text: str) -> int | None:
    """Run one statement's text; ``exit N``'s code, else None. Ctrl-C stops it and returns None."""
    progress = runner.interpreter.session.progress
    try:
        body = parse(text)
    except ParseError as error:
        runner.console.error(error.display())
        return None
    progress.reset()
    try:
        runner.execute(body)
    except ExitRequest as request:
        return request.code
    except KeyboardInterrupt:
        progress.reset()
        runner.console.error(INTERRUPTED)
    finally:
        progress.reset()
    return None


def repl(runner: Runner, read_line: Callable[[str], str] | None = None) -> int:
    """Read, run and show statements until end of input or ``exit``; errors do not end the loop.

    ``read_line(prompt)`` defaults to ``input`` (with line editing when readline is available);
    it raises EOFError at the end of input."""
    read = read_line or input
    runner.console.reader = read  # -Confirm and High-impact cmdlets ask here
    lines: list[str] = []
    while True:
        try:
            line = read(CONTINUATION if lines else prompt_text(runner))
        except EOFError:
            if read_line is None:  # at a terminal: end the prompt's line
                runner.console.write("\n")
            return 0
        except KeyboardInterrupt:  # Ctrl-C while typing: drop the statement
            runner.console.write("\n")
            lines = []
            continue
        lines.append(line)
        text = "\n".join(lines)
        if needs_more(text):
            continue
        lines = []
        code = run_input(runner, text)
        if code is not None:
            return code


def pipe_reader(stream: Callable[[], str]) -> Callable[[str], str]:
    """``read_line`` over a pipe's ``readline``: no prompt, EOFError at the end."""

    def read(prompt: str) -> str:
        line = stream()
        if not line:
            raise EOFError
        return line.rstrip("\n")

    return read

"""Running parsed scripts: each statement's output goes to the default display; the first error stops."""

from __future__ import annotations

import os
import traceback

from clients.shell.console import Console
from clients.shell.errorrecord import ERROR_RECORD
from clients.shell.errors import ExitRequest, ParseError, ShellError
from clients.shell.evaluator import Interpreter
from clients.shell.flow import BreakSignal, ContinueSignal, ReturnSignal
from clients.shell.formatting import format_default
from clients.shell.nodes import StatementList
from clients.shell.parser import parse
from clients.shell.psobject import PSObject
from pyesx.faults import VimFault

#: set to print the Python traceback behind an unexpected error
DEBUG_ENV = "PYESX_DEBUG"


class OutputSink:
    """Out-Default: shows objects as they come; a run of objects of one type becomes one table."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.pending: list[PSObject] = []

    def add(self, obj: object) -> None:
        if (
            isinstance(obj, PSObject) and obj.type_name == ERROR_RECORD
        ):  # an error record shows as its message
            self.flush()
            self.console.write(f"{obj.label}\n")
            return
        if isinstance(obj, dict):  # a hashtable shows as a Name / Value table
            self.flush()
            entries = [PSObject("HashtableEntry", [("Name", k), ("Value", v)]) for k, v in obj.items()]
            self.console.write(format_default(entries, self.console.width))
            return
        if isinstance(obj, PSObject):
            if self.pending and self.pending[0].type_name != obj.type_name:
                self.flush()
            self.pending.append(obj)
            return
        self.flush()
        self.console.write(format_default([obj], self.console.width))

    def flush(self) -> None:
        if self.pending:
            pending, self.pending = self.pending, []
            self.console.write(format_default(pending, self.console.width))


class Runner:
    """Parses and runs script text; reports errors as one line each."""

    def __init__(self, interpreter: Interpreter, console: Console) -> None:
        self.interpreter = interpreter
        self.console = console

    def run_script(self, text: str, source_name: str = "") -> int:
        """Run a whole script; the exit code (0, 1 after an error, or N from ``exit N``)."""
        try:
            body = parse(text, source_name)
        except ParseError as error:
            self.console.error(error.display())
            return 1
        if source_name and os.path.isfile(source_name):
            full = os.path.abspath(source_name)
            self.interpreter.variables.set_local("PSScriptRoot", os.path.dirname(full))
            self.interpreter.variables.set_local("PSCommandPath", full)
        try:
            return self.execute(body)
        except ExitRequest as request:
            return request.code

    def execute(self, body: StatementList) -> int:
        """Run parsed statements until the first error; ``ExitRequest`` propagates.

        ``return`` (or ``break``/``continue`` outside a loop) ends the script quietly."""
        for statement in body.statements:
            sink = OutputSink(self.console)
            try:
                for obj in self.interpreter.execute(statement):
                    sink.add(obj)
            except ShellError as error:
                sink.flush()
                self.report(error, error.display() if isinstance(error, ParseError) else error.render())
                return 1
            except VimFault as fault:
                sink.flush()
                self.report(fault, str(fault))
                return 1
            except (BreakSignal, ContinueSignal, ReturnSignal):
                return 0
            except RecursionError as error:
                sink.flush()
                self.report(error, "CallDepthOverflow: The script failed due to call depth overflow.")
                return 1
            finally:
                sink.flush()
        return 0

    def report(self, error: BaseException, line: str) -> None:
        """Print the error line (and, with PYESX_DEBUG set, the Python traceback behind it);
        the error goes to ``$Error``."""
        self.interpreter.record_error(error)
        if os.environ.get(DEBUG_ENV):
            cause = error.__cause__ or error
            self.console.error("".join(traceback.format_exception(cause)).rstrip())
        self.console.error(line)

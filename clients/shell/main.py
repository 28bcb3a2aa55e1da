"""``pyesx shell``: options, environment, and which input to run (-c TEXT, a .ps1 file, stdin, or a REPL).

At a terminal (stdin and stdout both) the shell is interactive
(``clients.shell.terminal``: prompt_toolkit, colours, progress bars); piped
stdin runs as one script, or line by line as a REPL with ``-i``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Callable

from clients.shell.console import Console, wants_colour
from clients.shell.evaluator import Interpreter
from clients.shell.progress import TaskProgress
from clients.shell.repl import pipe_reader, repl
from clients.shell.runner import Runner
from clients.shell.session import Client, ConnectFn, Credentials, Session


def _sdk_connect(
    server: str,
    user: str,
    password: str,
    invalid_certificate_action: str = "pin",
    accept: Callable[[str, str | None, str], bool] | None = None,
) -> Client:
    from clients.sdk import connect  # lazy: the shell runs (and is tested) without the SDK loaded
    from clients.tls import Trust

    return connect(server, user, password, trust=Trust(action=invalid_certificate_action, accept=accept))


def _arguments() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pyesx shell",
        description="A PowerCLI-style shell for a pyesx host.",
        epilog="Defaults for --server/--user/--password come from PYESX_SERVER, PYESX_USER, PYESX_PASSWORD.",
    )
    parser.add_argument("--server", help="HOST:PORT of the host (connects on first use)")
    parser.add_argument("--user", help="user name")
    parser.add_argument("--password", help="password")
    parser.add_argument("-c", "--command", metavar="TEXT", help="run TEXT and exit")
    parser.add_argument(
        "-i",
        "--interactive",
        action="store_true",
        help="read statements one by one from a piped stdin (a REPL without a terminal)",
    )
    parser.add_argument("file", nargs="?", metavar="FILE", help="a .ps1 script to run")
    return parser


def main(argv: list[str] | None = None, connect: ConnectFn | None = None) -> int:
    """Run the shell; returns the exit code (0 ok, 1 after an error, N after ``exit N``)."""
    try:
        args = _arguments().parse_args(argv)
    except SystemExit as stop:  # --help or a usage error; argparse already printed it
        return stop.code if isinstance(stop.code, int) else 2
    credentials = Credentials(
        server=args.server or os.environ.get("PYESX_SERVER") or None,
        user=args.user or os.environ.get("PYESX_USER") or None,
        password=args.password if args.password is not None else os.environ.get("PYESX_PASSWORD"),
    )
    terminal = args.command is None and args.file is None and sys.stdin.isatty() and sys.stdout.isatty()
    console = Console(sys.stdout, sys.stderr, colour=terminal and wants_colour(sys.stderr))
    progress = TaskProgress(sys.stderr, enabled=terminal and sys.stderr.isatty())
    session = Session(connect or _sdk_connect, credentials, progress=progress)
    runner = Runner(Interpreter(session, console), console)
    try:
        if args.command is not None:
            return runner.run_script(args.command)
        if args.file is not None:
            try:
                with open(args.file, encoding="utf-8-sig") as handle:
                    text = handle.read()
            except OSError as error:
                console.error(f"{args.file}: {error.strerror or error}")
                return 1
            return runner.run_script(text, args.file)
        if terminal:
            from clients.shell.terminal import interactive  # lazy: prompt_toolkit only at a terminal

            return interactive(runner)
        if sys.stdin.isatty():  # output redirected: prompts still go to stdout, as input() does
            with contextlib.suppress(ImportError):
                import readline  # noqa: F401 - line editing for input()
            return repl(runner)
        if args.interactive:
            return repl(runner, pipe_reader(sys.stdin.readline))
        return runner.run_script(sys.stdin.read())
    except KeyboardInterrupt:
        console.error("Interrupted.")
        return 130
    finally:
        session.close()

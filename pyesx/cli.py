"""The ``pyesx`` command: ``boot`` (the VMkernel in the foreground), ``shell``, ``esxtop``, ``console``,
``dcui``."""

from __future__ import annotations

import os
import sys

USAGE = """usage: pyesx COMMAND [ARGS]

commands:
  boot   [--root DIR] [--listen HOST:PORT] [--memory-mb N]
                                                  boot a host in the foreground (python -m vmkernel)
  shell  [--server HOST:PORT] [--user U] [--password P] [-c TEXT | FILE.ps1]
                                                  run PowerCLI commands against a host
  esxtop [-b] [-d SECONDS] [-n N] [--view cpu|memory] [--server …]
                                                  esxtop's CPU or memory view, live or as CSV (-b)
  console VM [--server …] | --url URL             attach this terminal to a VM's console (Ctrl-] detaches)
  dcui   [--server HOST:PORT]                     the host's Direct Console User Interface (F2, F12)
"""


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] in ("-h", "--help", "help"):
        print(USAGE, end="")
        raise SystemExit(0 if args else 2)
    command, rest = args[0], args[1:]
    if command == "boot":
        # gRPC's fork handlers only warn here: every child is exec'd, never forked with gRPC state
        os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "false")
        # exec, so the process tree shows the VMkernel itself, not a wrapper around it
        os.execv(sys.executable, [sys.executable, "-m", "vmkernel", *rest])
    if command == "esxtop":
        from clients.esxtop import main as esxtop_main

        raise SystemExit(esxtop_main(rest))
    if command == "console":
        from clients.consoleterm import main as console_main

        raise SystemExit(console_main(rest))
    if command == "dcui":
        from clients.dcui.main import main as dcui_main

        raise SystemExit(dcui_main(rest))
    if command == "shell":
        from clients.shell import main as shell_main

        raise SystemExit(shell_main(rest))
    print(f"pyesx: unknown command '{command}'\n{USAGE}", file=sys.stderr, end="")
    raise SystemExit(2)

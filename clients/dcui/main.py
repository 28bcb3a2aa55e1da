"""``pyesx dcui [--server HOST:PORT]``: the DCUI on this terminal."""

from __future__ import annotations

import argparse
import os
import sys

from clients.dcui.app import App
from clients.dcui.backend import ApiHost
from clients.dcui.terminal import run
from pyesx.faults import VimFault


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="pyesx dcui",
        description="The host's Direct Console User Interface: F2 customizes the system, F12 shuts it down.",
        epilog="The default --server comes from PYESX_SERVER (else 127.0.0.1:8443). Ctrl-C leaves.",
    )
    parser.add_argument("--server", help="HOST:PORT of the host")
    args = parser.parse_args(argv)
    if not sys.stdin.isatty() or not sys.stdout.isatty():
        print("pyesx dcui: needs a terminal (stdin and stdout)", file=sys.stderr)
        return 2
    server = args.server or os.environ.get("PYESX_SERVER") or "127.0.0.1:8443"
    try:
        host = ApiHost(server)
    except VimFault as fault:  # not there, or a certificate not trusted
        print(f"pyesx dcui: {fault}", file=sys.stderr)
        return 1
    try:
        return run(App(host, server))
    finally:
        host.close()

"""``pyesx console VM``: attach a terminal to a VM's console, like ``virsh console``.

The terminal goes raw (every key goes to the guest as typed), the guest's screen output is written
as it comes, and Ctrl-] detaches and restores the terminal. ``--url`` takes a ticket URL
(``Open-VMConsoleWindow -UrlOnly``) instead of a login.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import select
import sys
import termios
import threading
import tty
from collections.abc import Iterable, Iterator
from typing import Protocol

from pyesx import faults

ESCAPE = b"\x1d"  # Ctrl-]


class Attached(Protocol):
    def send(self, keys: str | bytes) -> None: ...
    def __iter__(self) -> Iterator[bytes]: ...
    def close(self) -> None: ...


def _arguments() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pyesx console",
        description="Attach this terminal to a VM's console (Ctrl-] detaches).",
        epilog="Defaults for --server/--user/--password come from PYESX_SERVER, PYESX_USER, PYESX_PASSWORD.",
    )
    parser.add_argument("vm", nargs="?", help="the VM's name or id")
    parser.add_argument("--server", help="HOST:PORT of the host")
    parser.add_argument("--user", help="user name")
    parser.add_argument("--password", help="password")
    parser.add_argument("--url", help="a console ticket URL (pyesx+console://HOST:PORT/vm-1?ticket=…)")
    return parser


def pump(console: Attached, in_fd: int, out_fd: int) -> str:
    """Copy in_fd's bytes to the console and its output to out_fd until Ctrl-] ("detached"), the end
    of input ("eof") or of the console's stream ("closed")."""
    wake_r, wake_w = os.pipe()
    ended = threading.Event()

    def output() -> None:
        with contextlib.suppress(faults.VimFault, OSError):
            for chunk in console:
                os.write(out_fd, chunk)
        ended.set()
        os.write(wake_w, b"x")

    writer = threading.Thread(target=output, name="console-output", daemon=True)
    writer.start()
    reason = "closed"
    try:
        while not ended.is_set():
            readable, _, _ = select.select([in_fd, wake_r], [], [])
            if in_fd not in readable:
                continue
            data = os.read(in_fd, 4096)
            if not data:
                reason = "eof"
                break
            keys, escape, _ = data.partition(ESCAPE)
            if keys:
                console.send(keys)
            if escape:
                reason = "detached"
                break
    finally:
        console.close()
        writer.join(timeout=10)
        os.close(wake_r)
        os.close(wake_w)
    return reason


@contextlib.contextmanager
def raw_terminal(fd: int) -> Iterator[None]:
    """The terminal on fd in raw mode for the block (nothing when fd is not a terminal)."""
    if not os.isatty(fd):
        yield
        return
    saved = termios.tcgetattr(fd)
    tty.setraw(fd)
    try:
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def _find_vm(vms: Iterable[object], wanted: str) -> str:
    for vm in vms:
        if wanted in (getattr(vm, "name", None), getattr(vm, "id", None)):
            return str(getattr(vm, "id"))  # noqa: B009 - model objects of the SDK
    raise faults.NotFound("VirtualMachine", wanted)


def main(argv: list[str]) -> int:
    try:
        args = _arguments().parse_args(argv)
    except SystemExit as stop:
        return int(stop.code or 0)
    from clients.console import attach_url
    from clients.sdk import connect

    closers = []
    try:
        if args.url:
            console, channel = attach_url(args.url)
            closers.append(channel.close)
            name = console.vm_id
        else:
            if not args.vm:
                print("pyesx console: name a VM (or give --url)", file=sys.stderr)
                return 2
            server = args.server or os.environ.get("PYESX_SERVER") or "127.0.0.1:8443"
            user = args.user or os.environ.get("PYESX_USER") or "root"
            password = args.password if args.password is not None else os.environ.get("PYESX_PASSWORD", "")
            client = connect(server, user, password)
            closers.append(client.__exit__)
            vm_id = _find_vm(client.list_vms(), args.vm)
            console, name = client.console(vm_id), args.vm
        print(f"Connected to {name}.\nEscape character is ^]", flush=True)
        with raw_terminal(sys.stdin.fileno()):
            pump(console, sys.stdin.fileno(), sys.stdout.fileno())
        print(flush=True)
        return 0
    except faults.VimFault as fault:
        print(f"pyesx console: {fault}", file=sys.stderr)
        return 1
    finally:
        for close in reversed(closers):
            close()

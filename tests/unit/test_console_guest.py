"""The simulated guest's end of the console channel: greeting, echo, bounded non-blocking output."""

from __future__ import annotations

import socket

from pyesx.checkpoint import VcpuState
from vmx.guest import CONSOLE_BUFFER, SimGuest


def _attached() -> tuple[SimGuest, socket.socket]:
    guest = SimGuest(VcpuState(0))
    ours, theirs = socket.socketpair()
    guest.attach_console(theirs, "web01")
    return guest, ours


def _drain(sock: socket.socket) -> bytes:
    sock.setblocking(False)
    data = b""
    while True:
        try:
            chunk = sock.recv(1 << 20)
        except BlockingIOError:
            return data
        data += chunk


def test_greeting_and_echo() -> None:
    guest, vmx_end = _attached()
    assert _drain(vmx_end) == b"web01 console\r\n> "
    guest.console_input(b"ab\x7fc\r")
    assert _drain(vmx_end) == b"ab\b \bc\r\n> "


def test_output_never_blocks_and_is_bounded_when_nobody_reads() -> None:
    guest, vmx_end = _attached()
    for _ in range(100):
        guest.console_write(b"z" * 65536)  # 6.4 MB with nobody reading: returns at once every time
    assert len(guest._console_out) <= CONSOLE_BUFFER
    received = _drain(vmx_end)
    assert received.startswith(b"web01 console")
    guest._flush_console()
    assert len(_drain(vmx_end)) > 0

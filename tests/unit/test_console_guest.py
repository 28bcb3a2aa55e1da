"""The simulated guest's end of the console channel: bounded non-blocking output, keys to the guest."""

from __future__ import annotations

import socket

from pyesx.checkpoint import VcpuState
from vmx.guest import CONSOLE_BUFFER, SimGuest


def _attached() -> tuple[SimGuest, socket.socket]:
    guest = SimGuest(VcpuState(0))
    ours, theirs = socket.socketpair()
    guest.attach_console(theirs)
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


def test_output_reaches_the_vmx_in_order() -> None:
    guest, vmx_end = _attached()
    guest.console_write(b"BIOS\r\n")
    guest.console_write(b"login: ")
    assert _drain(vmx_end) == b"BIOS\r\nlogin: "


def test_output_never_blocks_and_is_bounded_when_nobody_reads() -> None:
    guest, vmx_end = _attached()
    for _ in range(1100):
        guest.console_write(b"z" * 65536)  # 72 MB with nobody reading: returns at once every time
    assert len(guest._console_out) <= CONSOLE_BUFFER
    received = _drain(vmx_end)
    assert received.startswith(b"z")
    guest._flush_console()
    assert len(_drain(vmx_end)) > 0


def test_keys_without_guest_software_go_nowhere() -> None:
    guest, vmx_end = _attached()
    guest.console_input(b"root\r")  # no guest software attached (a bare world): nothing echoes
    assert _drain(vmx_end) == b""

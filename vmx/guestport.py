"""vCPU 0's port to the guest software: boots it, feeds it its events, runs its steps.

The guest software (``vmx.guestos``: the firmware that boots the disk or the
installer CD, or the preinstalled appliance) runs inside the VMM world's loop.
This port gives it the machine (``vmx.machine.VmmMachine``), delivers keys from
the console, requests from the backdoor and CD-ROM media changes, and on a
hardware reset starts it again from the firmware.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from typing import Any

from vmx.guestos.firmware import PcGuest, boot_appliance
from vmx.guestos.machine import GuestSoftware
from vmx.machine import VmmMachine

BACKDOOR_READ = 1 << 20  # taken per pass of the loop
MAX_BACKDOOR_LINE = 64 << 20  # a file copied into the guest travels base64 in one line


class GuestPort:
    """The guest software of one VM and what it waits on."""

    def __init__(
        self,
        machine: VmmMachine,
        bios: bool,
        log: Callable[[str], None],
        console_backlogged: Callable[[], bool] = lambda: False,
    ) -> None:
        self.machine = machine
        self.console_backlogged = console_backlogged
        self.bios = bios
        self.log = log
        self.software: GuestSoftware | None = None
        self._backdoor_in = bytearray()

    def boot(self) -> None:
        """Power-on or reset: the firmware starts (or the appliance boots at once)."""
        if self.bios:
            self.software = PcGuest(self.machine, restart_on_reset=False)
        else:
            self.software = boot_appliance(self.machine, restart_on_reset=False)

    @property
    def backdoor(self) -> socket.socket | None:
        return self.machine.backdoor

    def read_fds(self) -> list[int]:
        return [self.backdoor.fileno()] if self.backdoor is not None else []

    def write_fds(self) -> list[int]:
        return [self.backdoor.fileno()] if self.backdoor is not None and self.machine.backdoor_pending else []

    def step(self, now: float) -> float | None:
        """Run the guest software; seconds until it wants the vCPU again (None: halted)."""
        if self.software is None or self.console_backlogged():
            return None  # halted until the vmx takes the screen's output (the loop waits on it)
        due = self.software.step(now)
        self.machine.flush_backdoor()
        return due

    def console_input(self, data: bytes) -> None:
        if self.software is not None:
            self.software.console_input(data)

    def media_changed(self) -> None:
        if self.software is not None:
            self.software.media_changed()

    def io(self, readable: list[int], writable: list[int]) -> None:
        """Take the vmx's backdoor messages; send what waited for room."""
        backdoor = self.backdoor
        if backdoor is None:
            return
        if backdoor.fileno() in writable:
            self.machine.flush_backdoor()
        if backdoor.fileno() not in readable:
            return
        try:
            data = backdoor.recv(BACKDOOR_READ)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self.machine.backdoor = None  # the vmx is gone; the control channel ends the world
            return
        self._backdoor_in += data
        while (end := self._backdoor_in.find(b"\n")) >= 0:
            line = bytes(self._backdoor_in[:end])
            del self._backdoor_in[: end + 1]
            self._request(line)
        if len(self._backdoor_in) > MAX_BACKDOOR_LINE:
            self.log("the vmx sent a backdoor line past the limit: dropped")
            self._backdoor_in.clear()

    def _request(self, line: bytes) -> None:
        try:
            request: Any = json.loads(line)
        except ValueError:
            self.log("a backdoor line that is not JSON: dropped")
            return
        if isinstance(request, dict) and self.software is not None:
            self.software.tools_request(request)

    def close(self) -> None:
        self.machine.close()

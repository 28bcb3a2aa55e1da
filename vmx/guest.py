"""Guest engines: what a VMM world executes. Stdlib only: a VMM world imports nothing heavy.

The interface is small (DESIGN.md, "Guest engines"): ``run`` executes the guest
on this vCPU until ``stop`` is asked for over the control channel; later engines
add pause/resume, reset and state save/restore behind the same calls.
"""

from __future__ import annotations

import socket
from typing import Protocol


class GuestEngine(Protocol):
    def run(self, control: socket.socket) -> int:
        """Execute the guest until told to stop; return the exit status of the world."""
        ...


class IdleGuest:
    """A guest with no work: its vCPU halts (blocks, using no CPU) until the vmx speaks.

    Commands, one per line on the control socket: ``status`` (answers ``halted``)
    and ``stop``; end of file means the vmx is gone and the world ends too.
    """

    state = "halted"

    def run(self, control: socket.socket) -> int:
        stream = control.makefile("rwb", buffering=0)
        while True:
            line = stream.readline()
            if not line or line.strip() == b"stop":
                return 0
            if line.strip() == b"status":
                stream.write(f"{self.state}\n".encode())

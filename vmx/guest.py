"""Guest engines: what a VMM world executes.

The interface is small (DESIGN.md, "Guest engines"): ``run`` executes the guest
on this vCPU, answering the vmx's requests on the control channel, one JSON
object per line: ``status``, ``save`` (the vCPU's state, to checkpoint),
``reset`` (a hardware reset: the guest boots again) and ``stop``. End of file
means the vmx is gone and the world ends too.
"""

from __future__ import annotations

import json
import socket
import time
from dataclasses import asdict
from typing import Any, Protocol

from pyesx.checkpoint import VcpuState


class GuestEngine(Protocol):
    def run(self, control: socket.socket) -> int:
        """Execute the guest until told to stop; return the exit status of the world."""
        ...


class IdleGuest:
    """A guest with no work: its vCPU halts (blocks, using no CPU) between requests.

    Its clock runs while the VM runs and stands still while it is suspended, so
    a resumed guest's uptime carries on from where it was.
    """

    def __init__(self, state: VcpuState) -> None:
        self.state = state
        self._resumed_at = time.monotonic()

    def uptime(self) -> float:
        return self.state.uptime_at_resume + (time.monotonic() - self._resumed_at)

    def snapshot(self) -> dict[str, Any]:
        return {**asdict(self.state), "uptime_at_resume": self.uptime()}

    def _reset(self) -> None:
        self.state = VcpuState(self.state.vcpu, 0.0, self.state.boot_count + 1)
        self._resumed_at = time.monotonic()

    def handle(self, request: dict[str, Any]) -> dict[str, Any] | None:
        """The answer to one request; None ends the world."""
        op = request.get("op")
        if op == "stop":
            return None
        if op == "status":
            return {"state": "halted", "uptime": self.uptime(), "boot_count": self.state.boot_count}
        if op == "save":
            return {"vcpu_state": self.snapshot()}
        if op == "reset":
            self._reset()
            return {"ok": True}
        return {"error": f"unknown request {op!r}"}

    def run(self, control: socket.socket) -> int:
        stream = control.makefile("rwb", buffering=0)
        while True:
            line = stream.readline()
            if not line:
                return 0
            answer = self.handle(json.loads(line))
            if answer is None:
                return 0
            stream.write(json.dumps(answer).encode() + b"\n")

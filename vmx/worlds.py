"""The vmx's VMM worlds: fork one process per vCPU, wait until each runs, stop them."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import traceback
from dataclasses import dataclass

from pyesx.procs import ForkedChild
from vmx.vmm import run_world


@dataclass
class VmmWorld:
    vcpu: int
    pid: int
    control: socket.socket
    child: ForkedChild | None = None  # set once the event loop runs


class VmmWorlds:
    """All VMM worlds of one VM."""

    def __init__(self, vm_id: str, vm_name: str, root: str) -> None:
        self.vm_id, self.vm_name, self.root = vm_id, vm_name, root
        self.worlds: list[VmmWorld] = []

    def fork(self, num_cpu: int, timeout: float = 10.0) -> list[int]:
        """Fork the worlds (call before any gRPC object or event loop exists); return their pids
        by vCPU once each has said it runs."""
        for vcpu in range(num_cpu):
            ours, theirs = socket.socketpair()
            pid = os.fork()
            if pid == 0:
                code = 1
                try:
                    ours.close()
                    for sibling in self.worlds:
                        sibling.control.close()
                    code = run_world(self.vm_id, self.vm_name, vcpu, theirs, os.getppid(), self.root)
                except BaseException:
                    traceback.print_exc()
                finally:
                    os._exit(code)
            theirs.close()
            self.worlds.append(VmmWorld(vcpu, pid, ours))
        for world in self.worlds:
            world.control.settimeout(timeout)
            if not world.control.recv(64).startswith(b"ready"):
                raise RuntimeError(f"VMM world vcpu{world.vcpu} exited before running")
            world.control.settimeout(None)
        return [world.pid for world in self.worlds]

    def watch(self) -> None:
        """Start waiting on the worlds' exits (inside the event loop)."""
        for world in self.worlds:
            world.child = ForkedChild(world.pid)

    async def stop(self, timeout: float = 3.0) -> None:
        """Ask every world to stop; kill the ones that do not within timeout."""
        for world in self.worlds:
            with contextlib.suppress(OSError):
                world.control.sendall(b"stop\n")
        for world in self.worlds:
            assert world.child is not None
            try:
                await asyncio.wait_for(world.child.wait(), timeout)
            except TimeoutError:
                world.child.kill()
                await world.child.wait()
            world.control.close()

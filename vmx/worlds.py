"""The vmx's VMM worlds: start one process per vCPU, wait until each runs, stop them."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from dataclasses import dataclass, field

from pyesx.procs import python_argv


@dataclass
class VmmWorld:
    vcpu: int
    process: asyncio.subprocess.Process
    control: socket.socket
    reader: asyncio.StreamReader = field(repr=False)
    writer: asyncio.StreamWriter = field(repr=False)

    @property
    def pid(self) -> int:
        return self.process.pid


class VmmWorlds:
    """All VMM worlds of one VM."""

    def __init__(self, vm_id: str, root: str) -> None:
        self.vm_id = vm_id
        self.root = root
        self.worlds: list[VmmWorld] = []

    async def start(self, num_cpu: int, timeout: float = 10.0) -> list[int]:
        """Start num_cpu VMM worlds concurrently; return their pids by vCPU once all report running."""
        self.worlds = list(await asyncio.gather(*(self._start_one(vcpu, timeout) for vcpu in range(num_cpu))))
        return [world.pid for world in self.worlds]

    async def _start_one(self, vcpu: int, timeout: float) -> VmmWorld:
        ours, theirs = socket.socketpair()
        try:
            process = await asyncio.create_subprocess_exec(
                *python_argv(
                    "vmx.vmm",
                    "--vm-id",
                    self.vm_id,
                    "--vcpu",
                    str(vcpu),
                    "--control-fd",
                    str(theirs.fileno()),
                    "--parent-pid",
                    str(os.getpid()),
                    "--root",
                    self.root,
                ),
                pass_fds=(theirs.fileno(),),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
            )
        finally:
            theirs.close()
        reader, writer = await asyncio.open_connection(sock=ours)
        line = await asyncio.wait_for(reader.readline(), timeout)
        if not line.startswith(b"ready"):
            raise RuntimeError(f"VMM world vcpu{vcpu} exited before running (code {await process.wait()})")
        return VmmWorld(vcpu, process, ours, reader, writer)

    async def stop(self, timeout: float = 3.0) -> None:
        """Ask every world to stop; kill the ones that do not within timeout."""
        for world in self.worlds:
            with contextlib.suppress(OSError):
                world.writer.write(b"stop\n")
        for world in self.worlds:
            try:
                await asyncio.wait_for(world.process.wait(), timeout)
            except TimeoutError:
                world.process.kill()
                await world.process.wait()
            world.writer.close()

"""The vmx's VMM worlds: fork one process per vCPU, talk to them, stop them."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import traceback
from dataclasses import dataclass, field
from typing import Any

from pyesx.checkpoint import VcpuState
from pyesx.guestsim import DiskWorkload, NetSettings
from pyesx.procs import Child, ForkedChild
from vmx.guestmem import GuestMemory
from vmx.vmm import Vcpu0Devices, exec_argv, run_world


class WorldGone(Exception):
    """A VMM world exited while the vmx was talking to it."""


@dataclass
class VmmWorld:
    vcpu: int
    pid: int
    control: socket.socket
    child: Child | None = None  # set once the event loop runs
    reader: asyncio.StreamReader | None = None
    writer: asyncio.StreamWriter | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def request(self, op: str, **fields: Any) -> dict[str, Any]:
        """One request/answer exchange with the guest engine on this vCPU."""
        assert self.reader is not None and self.writer is not None
        async with self.lock:
            try:
                self.writer.write(json.dumps({"op": op, **fields}).encode() + b"\n")
                await self.writer.drain()
                line = await self.reader.readline()
            except (ConnectionError, OSError) as exc:
                raise WorldGone(f"vcpu{self.vcpu}: {exc}") from None
        if not line:
            raise WorldGone(f"vcpu{self.vcpu} exited")
        answer: dict[str, Any] = json.loads(line)
        return answer

    async def request_with_fd(self, op: str, fd: int, **fields: Any) -> dict[str, Any]:
        """A request that hands ``fd`` to the world (SCM_RIGHTS with the request's line); its answer."""
        assert self.reader is not None and self.writer is not None
        line = json.dumps({"op": op, "fd": True, **fields}).encode() + b"\n"
        async with self.lock:
            try:
                await self.writer.drain()  # nothing of ours is queued ahead of the line
                while True:
                    try:
                        sent = socket.send_fds(self.control, [line], [fd])
                        break
                    except BlockingIOError:  # the world has not read its channel yet (rare)
                        await asyncio.sleep(0.01)
                if sent < len(line):
                    self.writer.write(line[sent:])
                    await self.writer.drain()
                answer_line = await self.reader.readline()
            except (ConnectionError, OSError) as exc:
                raise WorldGone(f"vcpu{self.vcpu}: {exc}") from None
        if not answer_line:
            raise WorldGone(f"vcpu{self.vcpu} exited")
        answer: dict[str, Any] = json.loads(answer_line)
        return answer


class VmmWorlds:
    """All VMM worlds of one VM."""

    def __init__(
        self,
        vm_id: str,
        vm_name: str,
        root: str,
        cpu_demand: int = 0,
        memory: GuestMemory | None = None,
        disk_workload: DiskWorkload | None = None,
        network: tuple[str, NetSettings] | None = None,
        vmx_path: str = "",
        bios: bool = False,
    ) -> None:
        self.vm_id, self.vm_name, self.root = vm_id, vm_name, root
        self.vmx_path = vmx_path  # the guest software reads its nvram and guestinfo beside it
        self.bios = bios  # the firmware boots the disk or the CD (else the preinstalled appliance)
        self.cpu_demand = cpu_demand  # percent of each vCPU the guest's work keeps busy
        self.memory = memory  # the guest's memory, touched by the guest on vCPU 0
        self.disk_workload = disk_workload or DiskWorkload()  # the guest's disk I/O, on vCPU 0
        self.network = network  # (its first NIC, the guest's network settings), on vCPU 0
        self.worlds: list[VmmWorld] = []
        self.backdoor: socket.socket | None = None  # the vmx's end of the guest's backdoor (vCPU 0)
        self.console: socket.socket | None = None  # the vmx's end of vCPU 0's console channel
        self.added = asyncio.Event()  # set when a hot-added world joins

    def fork(self, states: list[VcpuState], timeout: float = 10.0) -> list[int]:
        """Fork one world per vCPU state (call before any gRPC object or event loop exists);
        return their pids by vCPU once each has said it runs."""
        for state in states:
            ours, theirs = socket.socketpair()
            first = state.vcpu == 0
            backdoor = socket.socketpair() if first else None
            console = socket.socketpair() if first else None
            pid = os.fork()
            if pid == 0:
                code = 1
                try:
                    ours.close()
                    for sibling in self.worlds:
                        sibling.control.close()
                    for vmx_end in (self.console, self.backdoor):
                        if vmx_end is not None:
                            vmx_end.close()
                    devices = None
                    if backdoor is not None and console is not None:
                        backdoor[0].close()
                        console[0].close()
                        devices = Vcpu0Devices(
                            self.vmx_path,
                            len(states),
                            self.bios,
                            backdoor[1],
                            console[1],
                            self.memory,
                            self.disk_workload,
                            self.network,
                        )
                    vmx_pid = os.getppid()
                    code = run_world(
                        self.vm_id, self.vm_name, state, theirs, vmx_pid, self.root, self.cpu_demand, devices
                    )
                except BaseException:
                    traceback.print_exc()
                finally:
                    os._exit(code)
            theirs.close()
            if backdoor is not None and console is not None:
                backdoor[1].close()
                console[1].close()
                self.backdoor, self.console = backdoor[0], console[0]
            self.worlds.append(VmmWorld(state.vcpu, pid, ours))
        for world in self.worlds:
            world.control.settimeout(timeout)
            if not world.control.recv(64).startswith(b"ready"):
                raise RuntimeError(f"VMM world vcpu{world.vcpu} exited before running")
            world.control.settimeout(None)
        return [world.pid for world in self.worlds]

    async def attach(self) -> None:
        """Start waiting on the worlds' exits and open their control streams (inside the event loop)."""
        for world in self.worlds:
            world.child = ForkedChild(world.pid)
            world.control.setblocking(False)
            world.reader, world.writer = await asyncio.open_connection(sock=world.control)

    async def hot_add(self, num_cpu: int, timeout: float = 30.0) -> list[int]:
        """Exec VMM worlds until there are num_cpu, each starting from vCPU 0's current clock."""
        status = await self.worlds[0].request("save")
        clock = status["vcpu_state"]
        for vcpu in range(len(self.worlds), num_cpu):
            state = VcpuState(vcpu, clock["uptime_at_resume"], clock["boot_count"])
            ours, theirs = socket.socketpair()
            try:
                process = await asyncio.create_subprocess_exec(
                    *exec_argv(self.vm_id, self.vm_name, state, theirs.fileno(), self.root, self.cpu_demand),
                    pass_fds=(theirs.fileno(),),
                    stdin=asyncio.subprocess.DEVNULL,
                    stdout=asyncio.subprocess.DEVNULL,
                )
            finally:
                theirs.close()
            ours.setblocking(False)
            reader, writer = await asyncio.open_connection(sock=ours)
            line = await asyncio.wait_for(reader.readline(), timeout)
            if not line.startswith(b"ready"):
                raise RuntimeError(f"hot-added VMM world vcpu{vcpu} exited with code {await process.wait()}")
            self.worlds.append(VmmWorld(vcpu, process.pid, ours, process, reader, writer))
            self.added.set()
        return [world.pid for world in self.worlds]

    async def request_all(self, op: str, **fields: Any) -> list[dict[str, Any]]:
        return list(await asyncio.gather(*(world.request(op, **fields) for world in self.worlds)))

    async def set_demand(self, cpu_percent: int) -> None:
        """The guest's work now keeps each vCPU cpu_percent busy."""
        self.cpu_demand = cpu_percent
        await self.request_all("demand", cpu=cpu_percent)

    async def wake_memory(self) -> None:
        """The wanted working set changed: the guest on vCPU 0 touches it now."""
        if self.memory is not None and self.worlds and self.worlds[0].vcpu == 0:
            await self.worlds[0].request("memory")

    async def set_disk_workload(self, workload: DiskWorkload) -> None:
        """The guest's disk workload changed (it runs on vCPU 0)."""
        self.disk_workload = workload
        if self.worlds and self.worlds[0].vcpu == 0:
            await self.worlds[0].request("disk", **workload.to_dict())

    async def set_network(self, settings: NetSettings) -> None:
        """The guest's network settings changed (its stack runs on vCPU 0)."""
        if self.network is None:
            return
        self.network = (self.network[0], settings)
        if self.worlds and self.worlds[0].vcpu == 0:
            await self.worlds[0].request("net", **settings.to_dict())

    async def set_guest_load(self, vcpus: int, percent: int) -> None:
        """The guest OS's own work keeps ``vcpus`` vCPUs ``percent`` busy (the configured demand stays
        the floor of every vCPU)."""
        for world in self.worlds:
            load = percent if world.vcpu < vcpus else 0
            await world.request("demand", cpu=max(self.cpu_demand, load))

    async def stop(self, timeout: float = 3.0) -> None:
        """Ask every world to stop; kill the ones that do not within timeout."""
        for world in self.worlds:
            if world.writer is not None:
                with contextlib.suppress(OSError, RuntimeError):
                    world.writer.write(b'{"op": "stop"}\n')
        for world in self.worlds:
            assert world.child is not None
            try:
                await asyncio.wait_for(world.child.wait(), timeout)
            except TimeoutError:
                world.child.kill()
                await world.child.wait()
            if world.writer is not None:
                world.writer.close()

"""Starting, stopping and watching the vmx user worlds (one per powered-on VM)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import structlog

from pyesx import faults
from pyesx.layout import HostLayout
from pyesx.logs import get_logger
from pyesx.procs import ChildFailed, ForkedChild
from pyesx.rpc.channel import call, unix_channel
from pyesx.rpc.credentials import InternalCredentials
from pyesx.rpc.metadata import current_request_id, request_id_var
from pyesx.vmkernel.v1 import vmkernel_pb2
from pyesx.vmx.v1 import vmx_pb2, vmx_pb2_grpc
from pyesx.vmxfile import VmxConfig
from vmkernel.cpusched.scheduler import CpuScheduler
from vmkernel.events import WorldEventBus
from vmkernel.net.stack import NetStack, NicSpec
from vmkernel.storage.io_service import DiskIoService, DiskSpec
from vmkernel.vmx_factory import VmxFactory
from vmkernel.worlds import WorldTable
from vmx.main import VmxSpec, swap_path

_log = get_logger("vmxs")
HANDSHAKE_TIMEOUT = 30.0
POWER_OFF_TIMEOUT = 5.0


@dataclass
class VmxHandle:
    vm_id: str
    vm_name: str
    process: ForkedChild
    socket_path: str
    vmm_pids: list[int]
    started_at: float
    vmx_path: str = ""
    guest_memory_fd: int = -1  # the vmx's fd of the guest memory (its memfd), for /proc/PID/fd/N
    stopping: bool = False
    exited: asyncio.Event = field(default_factory=asyncio.Event)
    exit_code: int = 0

    def to_proto(self) -> vmkernel_pb2.VmxWorld:
        return vmkernel_pb2.VmxWorld(
            vm_id=self.vm_id,
            pid=self.process.pid,
            socket_path=self.socket_path,
            vmm_pids=self.vmm_pids,
            started_at=self.started_at,
        )


class VmxManager:
    """The running vmx processes, keyed by VM id."""

    def __init__(
        self,
        layout: HostLayout,
        worlds: WorldTable,
        events: WorldEventBus,
        factory: VmxFactory,
        scheduler: CpuScheduler,
        storage: DiskIoService,
        disk_specs: Callable[[vmkernel_pb2.VmDisk], DiskSpec],
        net: NetStack,
        credentials: InternalCredentials | None = None,
    ) -> None:
        self.layout = layout
        self.credentials = credentials or InternalCredentials()
        self.storage = storage
        self.disk_specs = disk_specs
        self.net = net
        self.factory = factory
        self.scheduler = scheduler
        self.worlds = worlds
        self.events = events
        self.handles: dict[str, VmxHandle] = {}
        self._starting: set[str] = set()
        self._watchers: set[asyncio.Task[Any]] = set()

    async def start(self, request: vmkernel_pb2.StartVmxRequest) -> VmxHandle:
        vm_id = request.vm_id
        if vm_id in self.handles or vm_id in self._starting:
            raise faults.InvalidPowerState(
                "poweredOff", "poweredOn", f"A vmx is already running for {vm_id}."
            )
        config = await asyncio.to_thread(VmxConfig.read, Path(request.vmx_path), request.vmx_path)
        self.scheduler.admit(
            vm_id, request.num_cpu, request.memory_mb, config, request.resource_pool_id
        )  # or InsufficientResourcesFault
        self._starting.add(vm_id)
        try:
            await self.storage.attach(vm_id, [self.disk_specs(d) for d in request.disks])
            try:
                nics = [NicSpec(n.key, n.network_name, n.mac, n.connected) for n in request.nics]
                self.net.attach_vm(vm_id, nics)  # or InsufficientResourcesFault: no free port
                handle = await self._launch(request)
            except BaseException:
                self.net.detach_vm(vm_id)
                await self.storage.detach(vm_id)
                raise
        except BaseException:
            self.scheduler.release(vm_id)
            raise
        finally:
            self._starting.discard(vm_id)
        self.scheduler.attach_worlds(vm_id, handle.vmm_pids)
        return handle

    async def _launch(self, request: vmkernel_pb2.StartVmxRequest) -> VmxHandle:
        self.layout.vmx_run.mkdir(mode=0o700, parents=True, exist_ok=True)
        spec = VmxSpec(
            root=str(self.layout.root),
            vm_id=request.vm_id,
            vm_name=request.vm_name,
            vmx_path=request.vmx_path,
            num_cpu=request.num_cpu,
            memory_mb=request.memory_mb,
            vmkernel_pid=os.getpid(),
            request_id=current_request_id(),
            checkpoint_path=request.checkpoint_path,
            guest_tools=request.guest_tools,
            credential=self.credentials.issue(request.vm_id),
        )
        stderr_path = self.layout.log / f"vmx-{request.vm_id}.stderr.log"
        try:
            process, info = await self.factory.spawn(spec, stderr_path=stderr_path, timeout=HANDSHAKE_TIMEOUT)
        except ChildFailed as exc:
            self.credentials.revoke(request.vm_id)
            _log.error("vmx.start_failed", vm_id=request.vm_id, vm=request.vm_name, reason=str(exc))
            raise faults.SystemError(f"the vmx of {request.vm_name} failed to start: {exc}") from None
        handle = VmxHandle(
            vm_id=request.vm_id,
            vm_name=request.vm_name,
            process=process,
            socket_path=info["socket"],
            vmm_pids=list(info["vmm_pids"]),
            started_at=time.time(),
            vmx_path=request.vmx_path,
            guest_memory_fd=int(info.get("guest_memory_fd", -1)),
        )
        self.handles[request.vm_id] = handle
        self.worlds.add(vmkernel_pb2.VMX, process.pid, f"vmx-{request.vm_name}", request.vm_id)
        for vcpu, pid in enumerate(handle.vmm_pids):
            self.worlds.add(vmkernel_pb2.VMM, pid, f"vmm{vcpu}:{request.vm_name}", request.vm_id, vcpu)
        for pid in handle.vmm_pids:
            self._reap_when_orphaned(pid)
        self.events.publish(vmkernel_pb2.WorldEvent(time=time.time(), vmx_started=handle.to_proto()))
        watcher = asyncio.create_task(self._watch(handle))
        self._watchers.add(watcher)
        watcher.add_done_callback(self._watchers.discard)
        _log.info(
            "vmx.started",
            vm_id=request.vm_id,
            vm=request.vm_name,
            vmx_pid=process.pid,
            vmm_pids=handle.vmm_pids,
        )
        return handle

    async def hot_add_vcpus(self, vm_id: str, num_cpu: int) -> VmxHandle:
        """Have the VM's vmx start VMM worlds up to num_cpu; the world table learns the new ones."""
        handle = self.handles.get(vm_id)
        if handle is None:
            raise faults.InvalidPowerState("poweredOn", "poweredOff", f"No vmx is running for {vm_id}.")
        async with unix_channel(handle.socket_path) as channel:
            answer = await call(
                vmx_pb2_grpc.VmxStub(channel).AddVcpus, vmx_pb2.AddVcpusRequest(num_cpu=num_cpu)
            )
        for vcpu, pid in enumerate(answer.vmm_pids):
            if vcpu >= len(handle.vmm_pids):
                self.worlds.add(vmkernel_pb2.VMM, pid, f"vmm{vcpu}:{handle.vm_name}", vm_id, vcpu)
                self._reap_when_orphaned(pid)
        handle.vmm_pids = list(answer.vmm_pids)
        self.scheduler.attach_worlds(vm_id, handle.vmm_pids)
        return handle

    def disk_owner(self, path: Path) -> str | None:
        """The powered-on VM a disk path belongs to: one of its open disks, or in its VM folder."""
        try:
            resolved = path.parent.resolve() / path.name
        except (OSError, ValueError):
            return None
        for vm_id, handle in self.handles.items():
            if handle.vmx_path and resolved.parent == Path(handle.vmx_path).parent.resolve():
                return vm_id
        for disk in (d for disks in self.storage.vms.values() for d in disks):
            if disk.top == resolved:
                return disk.vm_id
        return None

    def _reap_when_orphaned(self, vmm_pid: int) -> None:
        """A VMM world outliving its vmx is reparented to us (the subreaper); reap it when it exits."""
        with contextlib.suppress(ProcessLookupError):
            orphan = ForkedChild(vmm_pid)
            task = asyncio.create_task(orphan.wait())
            self._watchers.add(task)
            task.add_done_callback(self._watchers.discard)

    async def _watch(self, handle: VmxHandle) -> None:
        # this task was born inside the StartVmx call: its exit is no part of that request
        structlog.contextvars.unbind_contextvars("request_id")
        request_id_var.set("")
        code = await handle.process.wait()
        handle.exit_code = code
        self.scheduler.release(handle.vm_id)
        await self.storage.detach(handle.vm_id)  # before anyone hears it is off: its disks are free
        self.net.detach_vm(handle.vm_id)
        self.handles.pop(handle.vm_id, None)
        self.credentials.revoke(handle.vm_id)
        self.worlds.remove_vm(handle.vm_id)
        with contextlib.suppress(FileNotFoundError):
            self.layout.vmx_state(handle.vm_id).unlink()
        if handle.vmx_path:  # a vmx that crashed or was killed could not delete its swap file
            with contextlib.suppress(FileNotFoundError):
                swap_path(handle.vmx_path).unlink()
        log = _log.info if handle.stopping else _log.warning
        log(
            "vmx.exited",
            vm_id=handle.vm_id,
            vm=handle.vm_name,
            vmx_pid=handle.process.pid,
            exit_code=code,
            expected=handle.stopping,
        )
        self.events.publish(
            vmkernel_pb2.WorldEvent(
                time=time.time(),
                vmx_exited=vmkernel_pb2.VmxExited(
                    vm_id=handle.vm_id, pid=handle.process.pid, exit_code=code, expected=handle.stopping
                ),
            )
        )
        handle.exited.set()

    async def stop(self, vm_id: str, kill: bool, suspend_to: str = "") -> int:
        """Power the vmx off, suspend it to a .vmss, or kill it; return its exit code once it has exited.

        A suspend whose state cannot be saved raises the vmx's fault and leaves the VM running."""
        handle = self.handles.get(vm_id)
        if handle is None:
            raise faults.InvalidPowerState("poweredOn", "poweredOff", f"No vmx is running for {vm_id}.")
        if suspend_to:
            async with unix_channel(handle.socket_path) as channel:
                handle.stopping = True
                try:
                    request = vmx_pb2.CheckpointRequest(path=suspend_to)
                    await call(vmx_pb2_grpc.VmxStub(channel).Suspend, request, timeout=POWER_OFF_TIMEOUT)
                except faults.VimFault:
                    handle.stopping = handle.exited.is_set()
                    raise
            await handle.exited.wait()
            return handle.exit_code
        handle.stopping = True
        if not kill:
            try:
                async with unix_channel(handle.socket_path) as channel:
                    stub = vmx_pb2_grpc.VmxStub(channel)
                    await call(stub.PowerOff, vmx_pb2.PowerOffRequest(), timeout=POWER_OFF_TIMEOUT)
                await asyncio.wait_for(handle.exited.wait(), POWER_OFF_TIMEOUT)
            except (faults.VimFault, TimeoutError) as exc:
                _log.warning("vmx.power_off_unanswered", vm_id=vm_id, reason=str(exc))
        if not handle.exited.is_set():
            handle.process.kill()
            await handle.exited.wait()
        return handle.exit_code

    async def stop_all(self) -> None:
        await asyncio.gather(*(self.stop(vm_id, kill=False) for vm_id in list(self.handles)))

"""The vmx's internal gRPC servicer: thin, over the VmxRuntime."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeAlias

import grpc

from pyesx import faults, guestsim
from pyesx.api.v1 import vm_pb2
from pyesx.checkpoint import write_checkpoint
from pyesx.exits import VMX_EXIT_GUEST_POWEROFF, VMX_EXIT_OK
from pyesx.logs import get_logger
from pyesx.vmx.v1 import vmx_pb2, vmx_pb2_grpc
from pyesx.vmxfile import VmxConfig
from vmx.worlds import VmmWorlds

Ctx: TypeAlias = grpc.aio.ServicerContext
_log = get_logger("vmx")


@dataclass
class VmxRuntime:
    """What one vmx owns at run time."""

    vm_id: str
    vm_name: str
    vmx_path: Path
    worlds: VmmWorlds
    guest_tools: bool
    started_at: float = field(default_factory=time.time)
    done: asyncio.Event = field(default_factory=asyncio.Event)
    exit_code: int = VMX_EXIT_OK

    def finish(self, exit_code: int = VMX_EXIT_OK) -> None:
        self.exit_code = exit_code
        self.done.set()

    async def checkpoint(self, path: str) -> int:
        target = Path(path)
        if not target.is_absolute() or not target.parent.is_dir():
            raise faults.InvalidArgument("path", f"'{path}' is not an absolute path in an existing folder")
        states = [answer["vcpu_state"] for answer in await self.worlds.request_all("save")]
        size = write_checkpoint(target, self.vm_id, self.vmx_path.read_text(), states)
        _log.info("vmx.checkpointed", path=path, bytes=size)
        return size

    def require_tools(self) -> None:
        if not self.guest_tools:
            raise faults.ToolsUnavailable(self.vm_name)


class VmxServicer(vmx_pb2_grpc.VmxServicer):
    def __init__(self, runtime: VmxRuntime) -> None:
        self.runtime = runtime

    async def PowerOff(self, request: vmx_pb2.PowerOffRequest, context: Ctx) -> vmx_pb2.PowerOffResponse:
        self.runtime.finish()
        return vmx_pb2.PowerOffResponse()

    async def Checkpoint(
        self, request: vmx_pb2.CheckpointRequest, context: Ctx
    ) -> vmx_pb2.CheckpointResponse:
        return vmx_pb2.CheckpointResponse(bytes=await self.runtime.checkpoint(request.path))

    async def Suspend(self, request: vmx_pb2.CheckpointRequest, context: Ctx) -> vmx_pb2.CheckpointResponse:
        size = await self.runtime.checkpoint(request.path)
        self.runtime.finish()
        return vmx_pb2.CheckpointResponse(bytes=size)

    async def Reset(self, request: vmx_pb2.ResetRequest, context: Ctx) -> vmx_pb2.ResetResponse:
        await self.runtime.worlds.request_all("reset")
        _log.info("vmx.reset")
        return vmx_pb2.ResetResponse()

    async def GuestInfo(self, request: vmx_pb2.GuestInfoRequest, context: Ctx) -> vm_pb2.GuestInfo:
        if not self.runtime.guest_tools:
            return vm_pb2.GuestInfo(tools_running_status="guestToolsNotRunning", guest_state="running")
        status = await self.runtime.worlds.worlds[0].request("status")
        return vm_pb2.GuestInfo(
            tools_running_status="guestToolsRunning",
            guest_state="running",
            uptime_seconds=status["uptime"],
            boot_count=status["boot_count"],
            host_name=self.runtime.vm_name,
        )

    async def AddVcpus(self, request: vmx_pb2.AddVcpusRequest, context: Ctx) -> vmx_pb2.AddVcpusResponse:
        if request.num_cpu < len(self.runtime.worlds.worlds):
            raise faults.InvalidArgument("numCPUs", "vCPUs are hot added, never hot removed")
        pids = await self.runtime.worlds.hot_add(request.num_cpu)
        _log.info("vmx.vcpus_hot_added", num_cpu=request.num_cpu, vmm_pids=pids)
        return vmx_pb2.AddVcpusResponse(vmm_pids=pids)

    async def ReloadConfig(
        self, request: vmx_pb2.ReloadConfigRequest, context: Ctx
    ) -> vmx_pb2.ReloadConfigResponse:
        config = VmxConfig.parse(self.runtime.vmx_path.read_text(), str(self.runtime.vmx_path))
        demand = guestsim.cpu_demand(config)
        if demand != self.runtime.worlds.cpu_demand:
            await self.runtime.worlds.set_demand(demand)
            _log.info("vmx.guest_demand", cpu_percent=demand)
        return vmx_pb2.ReloadConfigResponse()

    async def GuestPower(
        self, request: vmx_pb2.GuestPowerRequest, context: Ctx
    ) -> vmx_pb2.GuestPowerResponse:
        self.runtime.require_tools()
        if request.reboot:
            await self.runtime.worlds.request_all("reset")
            _log.info("vmx.guest_rebooted")
        else:
            _log.info("vmx.guest_shut_down")
            self.runtime.finish(VMX_EXIT_GUEST_POWEROFF)
        return vmx_pb2.GuestPowerResponse()

"""The vmx's internal gRPC servicer: thin, over the VmxRuntime."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeAlias

import grpc

from pyesx import faults, guestsim
from pyesx.allocations import from_vmx
from pyesx.api.v1 import vm_pb2
from pyesx.checkpoint import write_checkpoint
from pyesx.exits import VMX_EXIT_GUEST_POWEROFF, VMX_EXIT_OK
from pyesx.logs import get_logger
from pyesx.vmx.v1 import vmx_pb2, vmx_pb2_grpc
from pyesx.vmxfile import VmxConfig
from vmx import console as _console_types
from vmx.backdoor import TOOLS_NOT_INSTALLED, TOOLS_OK, Backdoor
from vmx.cdrom import CdromDrives
from vmx.console import rpc as console_rpc
from vmx.guestmem import MB, PAGE, MemoryState, mb_of, pages_of
from vmx.worlds import VmmWorlds

Ctx: TypeAlias = grpc.aio.ServicerContext
TOOLS_OPS = ("exec", "copy_in", "copy_out", "ps", "info")
APPLIANCE_BOOT_S = 5.0  # the longest a guest request waits for a just-started appliance's tools
TOOLS_POWER_TIMEOUT_S = 10.0
TOOLS_ANSWER_MARGIN_S = 5.0  # the guest ends a program at its timeout; its answer may take a moment more
_log = get_logger("vmx")


@dataclass
class VmxRuntime:
    """What one vmx owns at run time."""

    vm_id: str
    vm_name: str
    vmx_path: Path
    worlds: VmmWorlds
    guest_tools: bool
    backdoor: Backdoor = field(init=False)
    started_at: float = field(default_factory=time.time)
    done: asyncio.Event = field(default_factory=asyncio.Event)
    exit_code: int = VMX_EXIT_OK
    memory_reservation_mb: int = 0
    cdroms: CdromDrives | None = None  # set at power-on from the .vmx

    console: _console_types.GuestConsole | None = None  # vCPU 0's console channel, once the loop runs

    def __post_init__(self) -> None:
        self.backdoor = Backdoor(self.vm_name, self.machine_event)

    def console_hub(self) -> _console_types.ConsoleHub:
        if self.console is None:
            raise faults.InvalidState("no_console", f"{self.vm_name} has no console")
        return self.console.hub

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

    async def require_tools(self) -> None:
        """ToolsUnavailable unless the guest's tools run (the appliance's are given the moment its boot
        takes: they run from the start of its life, as the power-on that ended promised)."""
        if not self.guest_tools:
            raise faults.ToolsUnavailable(self.vm_name)
        await self.appliance_booted()
        self.backdoor.require_tools()

    async def appliance_booted(self) -> None:
        """Wait (briefly) for a just-powered-on appliance's tools to start."""
        if not self.worlds.bios and not self.backdoor.tools_seen:
            await self.backdoor.tools_started(APPLIANCE_BOOT_S)

    @property
    def balloon_driver(self) -> bool:
        """The balloon driver (part of the guest tools) runs in the guest."""
        return self.guest_tools and self.backdoor.tools_status() == TOOLS_OK

    async def machine_event(self, event: dict[str, Any]) -> None:
        """What the guest does to its machine: power off, reset, make its vCPUs busy."""
        op = event.get("op")
        if op == "power_off":
            _log.info("vmx.guest_powered_off")
            self.finish(VMX_EXIT_GUEST_POWEROFF)
        elif op == "reset":
            _log.info("vmx.guest_reset")
            await self.worlds.request_all("reset")
        elif op == "standby":
            _log.info("vmx.guest_standby")
        elif op == "cpu_load":
            vcpus, percent = int(event.get("vcpus", 0)), max(0, min(100, int(event.get("percent", 0))))
            await self.worlds.set_guest_load(vcpus, percent)
            _log.info("vmx.guest_cpu_load", vcpus=vcpus, percent=percent)
        else:
            _log.warning("vmx.backdoor_unknown", op=str(op))

    def read_reservation(self, config: VmxConfig) -> None:
        """Take the memory reservation (sched.mem.min) from the .vmx at power-on: never reclaimed, not
        in the .vswp (later the VMkernel sends it with every memory step)."""
        memory = self.worlds.memory
        if memory is None:
            return
        try:
            reservation = from_vmx(config, 1, int(mb_of(memory.pages))).memory.reservation
        except faults.InvalidArgument:
            reservation = 0
        self.set_reservation(reservation)

    def set_reservation(self, reservation_mb: float) -> None:
        memory = self.worlds.memory
        assert memory is not None
        self.memory_reservation_mb = int(min(mb_of(memory.pages), max(0.0, reservation_mb)))
        memory.resize_swap(int(mb_of(memory.pages)) - self.memory_reservation_mb)

    def _memory_step(self, balloon_mb: float, swap_out_mb: float, reserved: int) -> MemoryState:
        memory = self.worlds.memory
        assert memory is not None
        # swap first: what the VMkernel asked for counts on what this step's balloon had not taken yet
        if swap_out_mb > 0:
            memory.swap_to(memory.state().swapped + pages_of(swap_out_mb), reserved)
        if self.balloon_driver:
            cap = int(memory.pages * guestsim.BALLOON_MAX_FRACTION)
            step = pages_of(guestsim.BALLOON_INFLATE_MB_PER_STEP)
            memory.balloon_to(min(cap, -(-int(balloon_mb * MB) // PAGE), memory.pages - reserved), step)
        return memory.state()

    async def memory_targets(
        self, balloon_mb: float, swap_out_mb: float, reservation_mb: float
    ) -> vmx_pb2.GuestMemoryState:
        """One step of reclamation towards the VMkernel's targets; the guest memory's figures after it."""
        if self.worlds.memory is None:
            raise faults.InvalidState("the VM has no guest memory")
        if not (balloon_mb >= 0 and swap_out_mb >= 0 and reservation_mb >= 0):
            raise faults.InvalidArgument("target", "balloon target, swap-out and reservation must be ≥ 0 MB")
        if int(reservation_mb) != self.memory_reservation_mb:
            self.set_reservation(reservation_mb)
        reserved = pages_of(self.memory_reservation_mb)
        now = self.worlds.memory.state()
        if now.ballooned == 0 and balloon_mb == 0 and pages_of(swap_out_mb) == 0:
            state = now  # nothing to reclaim or give back (an idle VM: no thread, no lock, no page touched)
        else:
            state = await asyncio.to_thread(self._memory_step, balloon_mb, swap_out_mb, reserved)
        return vmx_pb2.GuestMemoryState(
            configured_mb=mb_of(state.pages),
            wanted_active_mb=mb_of(state.wanted),
            active_mb=mb_of(state.working_set),
            granted_mb=mb_of(state.present),
            consumed_mb=state.consumed_bytes / (1 << 20),
            balloon_mb=mb_of(state.ballooned),
            swapped_mb=mb_of(state.swapped),
            swap_file_mb=mb_of(state.swap_file_pages),
            balloon_available=self.balloon_driver,
            reservation_mb=self.memory_reservation_mb,
        )


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
        backdoor = self.runtime.backdoor
        if self.runtime.guest_tools:
            await self.runtime.appliance_booted()
        tools = backdoor.tools_status() if self.runtime.guest_tools else TOOLS_NOT_INSTALLED
        status = await self.runtime.worlds.worlds[0].request("status")
        net, disk = status.get("net", {}), status.get("disk", {})
        counters = {f"net.{k}": float(v) for k, v in net.items() if isinstance(v, int | float)}
        counters |= {f"disk.{k}": float(v) for k, v in disk.items() if isinstance(v, int | float)}
        cdrom = status.get("cdrom", {})
        counters |= {f"cdrom.{k}": float(v) for k, v in cdrom.items() if isinstance(v, int | float)}
        info = backdoor.guest_info if tools == TOOLS_OK else {}
        addresses = [str(a) for a in info.get("ip_addresses", [])]
        return vm_pb2.GuestInfo(
            tools_running_status="guestToolsRunning" if tools == TOOLS_OK else "guestToolsNotRunning",
            guest_state="running",
            uptime_seconds=status["uptime"],
            boot_count=status["boot_count"],
            host_name=str(info.get("hostname", "")),
            ip_address=addresses[0].split("/")[0] if addresses else "",
            guest_counters=counters,
            tools_status=tools,
            tools_version=str(info.get("tools_version", "")),
            guest_full_name=str(info.get("os_full_name", "")),
            ip_addresses=[a.split("/")[0] for a in addresses],
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
        network = guestsim.net_settings(config)
        if self.runtime.worlds.network is not None and network != self.runtime.worlds.network[1]:
            await self.runtime.worlds.set_network(network)
            _log.info("vmx.guest_network", **network.to_dict())
        workload = guestsim.disk_workload(config)
        if workload != self.runtime.worlds.disk_workload:
            await self.runtime.worlds.set_disk_workload(workload)
            _log.info("vmx.guest_disk_workload", **workload.to_dict())
        demand = guestsim.cpu_demand(config)
        if demand != self.runtime.worlds.cpu_demand:
            await self.runtime.worlds.set_demand(demand)
            _log.info("vmx.guest_demand", cpu_percent=demand)
        memory = self.runtime.worlds.memory
        if memory is not None:
            active_mb = guestsim.mem_active_mb(config)
            if memory.state().wanted != min(memory.pages, pages_of(active_mb)):
                memory.set_wanted(active_mb)
                await self.runtime.worlds.wake_memory()
                _log.info("vmx.guest_working_set", active_mb=active_mb)
        return vmx_pb2.ReloadConfigResponse()

    async def SetMemoryTargets(
        self, request: vmx_pb2.MemoryTargets, context: Ctx
    ) -> vmx_pb2.GuestMemoryState:
        return await self.runtime.memory_targets(
            request.balloon_target_mb, request.swap_out_mb, request.reservation_mb
        )

    async def GuestPower(
        self, request: vmx_pb2.GuestPowerRequest, context: Ctx
    ) -> vmx_pb2.GuestPowerResponse:
        await self.runtime.require_tools()
        op = "standby" if request.standby else "reboot" if request.reboot else "shutdown"
        await self.runtime.backdoor.call(op, {}, TOOLS_POWER_TIMEOUT_S)
        _log.info("vmx.guest_power", op=op)
        return vmx_pb2.GuestPowerResponse()

    async def ToolsCall(self, request: vmx_pb2.ToolsCallRequest, context: Ctx) -> vmx_pb2.ToolsCallResponse:
        await self.runtime.require_tools()
        if request.op not in TOOLS_OPS:
            raise faults.InvalidArgument("op", f"'{request.op}' is not a guest operation")
        try:
            fields = json.loads(request.fields_json or "{}")
        except ValueError:
            raise faults.InvalidArgument("fields", "not a JSON object") from None
        if not isinstance(fields, dict):
            raise faults.InvalidArgument("fields", "not a JSON object")
        timeout = request.timeout_seconds or 60.0
        answer = await self.runtime.backdoor.call(request.op, fields, timeout + TOOLS_ANSWER_MARGIN_S)
        answer.pop("id", None)
        _log.info("vmx.guest_operation", op=request.op)
        return vmx_pb2.ToolsCallResponse(answer_json=json.dumps(answer))

    async def SetCdMedia(self, request: vmx_pb2.CdMediaRequest, context: Ctx) -> vmx_pb2.CdMediaResponse:
        if self.runtime.cdroms is None:
            raise faults.InvalidState("the VM's CD-ROM drives are not running")
        seen = await self.runtime.cdroms.set(request.key, request.path, request.connected)
        return vmx_pb2.CdMediaResponse(size_bytes=int(seen["size_bytes"]), volume_id=str(seen["volume_id"]))

    async def AttachConsole(
        self, request_iterator: AsyncIterator[vmx_pb2.ConsoleKeys], context: Ctx
    ) -> AsyncIterator[vmx_pb2.ConsoleScreenData]:
        async for output in console_rpc.attach(self.runtime.console_hub(), request_iterator):
            yield output

    async def Screenshot(
        self, request: vmx_pb2.ScreenshotRequest, context: Ctx
    ) -> vmx_pb2.ScreenshotResponse:
        return await console_rpc.screenshot(self.runtime.console_hub(), request.path)

    async def ConsoleText(
        self, request: vmx_pb2.ConsoleTextRequest, context: Ctx
    ) -> vmx_pb2.ConsoleTextResponse:
        return console_rpc.text(self.runtime.console_hub())

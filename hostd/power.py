"""Power operations with ESXi's state rules: on (and resume), off, kill, suspend, reset, guest power.

Suspend writes ``checkpoint.vmState`` into the .vmx before the vmx saves its
state to ``<vm>.vmss`` and exits, so a hostd crash at any instant leaves the VM
running (its vmx is still there) or suspended (the .vmss it names exists).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

import grpc

from hostd import vmconfig
from hostd.cdrom import starts_connected
from hostd.tasks import Task
from hostd.vms import POWERED_OFF, POWERED_ON, SUSPENDED, VmManager, VmRecord
from pyesx import faults
from pyesx.allocations import disk_io_from_vmx
from pyesx.api.v1 import vm_pb2
from pyesx.logs import get_logger
from pyesx.rpc.channel import call, unix_channel
from pyesx.vmkernel.v1 import vmkernel_pb2, vmkernel_pb2_grpc
from pyesx.vmx.v1 import vmx_pb2, vmx_pb2_grpc

_log = get_logger("power")


class VmxClients:
    """One channel per running vmx, opened on first use, closed when the VM stops."""

    def __init__(self, vms: VmManager) -> None:
        self.vms = vms
        self._channels: dict[str, tuple[int, grpc.aio.Channel]] = {}
        self._closing: set[asyncio.Future[None]] = set()

    def stub(self, vm: VmRecord) -> vmx_pb2_grpc.VmxStub:
        pid, channel = self._channels.get(vm.id, (0, None))
        if channel is None or pid != vm.vmx_pid:
            if channel is not None:
                self.close(vm.id)
            channel = unix_channel(str(self.vms.layout.vmx_socket(vm.id)))
            self._channels[vm.id] = (vm.vmx_pid, channel)
        return vmx_pb2_grpc.VmxStub(channel)

    def close(self, vm_id: str) -> None:
        _, channel = self._channels.pop(vm_id, (0, None))
        if channel is not None:
            task = asyncio.ensure_future(channel.close())
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)


class PowerOps:
    def __init__(self, vms: VmManager, vmkernel: vmkernel_pb2_grpc.VMkernelStub) -> None:
        self.vms, self.vmkernel = vms, vmkernel
        self.vmx = VmxClients(vms)
        # Raises (InvalidState) when no VM may start now: maintenance mode sets it.
        self.power_on_guard: Callable[[str], None] = lambda vm_name: None

    def _prepare(self, vm_id: str, *states: str, requested: str) -> VmRecord:
        vm = self.vms.get(vm_id)
        self.vms.check_idle(vm)
        self.vms.require(vm, *states, requested=requested)
        return vm

    async def start_vmx(self, vm: VmRecord, checkpoint: str = "") -> vmkernel_pb2.VmxWorld:
        """Ask the VMkernel for a vmx (resuming from checkpoint when given); record the failure event."""
        self.power_on_guard(vm.name)
        request = vmkernel_pb2.StartVmxRequest(
            vm_id=vm.id,
            vm_name=vm.name,
            vmx_path=str(vm.vmx_path),
            num_cpu=vmconfig.num_cpu(vm.config),
            memory_mb=vmconfig.memory_mb(vm.config),
            checkpoint_path=checkpoint,
            guest_tools=vmconfig.guest_tools(vm.config),
            resource_pool_id=self.vms.pool_of(vm),
            disks=[_vm_disk(vm, d) for d in vmconfig.disks(vm.config)],
            nics=[
                vmkernel_pb2.VmNic(
                    key=n.key, network_name=n.network_name, mac=n.mac_address, connected=n.start_connected
                )
                for n in vmconfig.nics(vm.config)
            ],
        )
        try:
            world: vmkernel_pb2.VmxWorld = await call(self.vmkernel.StartVmx, request, timeout=60)
        except faults.VimFault as fault:
            self.vms.record("VmFailedToPowerOnEvent", vm, f"Cannot power on {vm.name}: {fault.message}")
            _log.error("vm.power_on_failed", vm_id=vm.id, vm=vm.name, reason=str(fault))
            raise
        vm.nic_connected = {n.key: n.start_connected for n in vmconfig.nics(vm.config)}
        vm.cd_connected = {d.key: starts_connected(vm.folder, d) for d in vmconfig.cd_drives(vm.config)}
        return world

    async def set_cd_media(self, vm: VmRecord, key: str, path: str, connected: bool) -> None:
        """A running VM's CD drive gets its media (host path, "" = none) and connection, at once."""
        request = vmx_pb2.CdMediaRequest(key=key, path=path, connected=connected)
        await call(self.vmx.stub(vm).SetCdMedia, request)
        vm.cd_connected[key] = connected

    async def set_nic_state(self, vm: VmRecord, key: str, network_name: str, connected: bool) -> None:
        """A running VM's NIC moves to another port group or (dis)connects, at once."""
        nic = next(n for n in vmconfig.nics(vm.config) if n.key == key)
        state = vmkernel_pb2.VmNic(
            key=key, network_name=network_name, mac=nic.mac_address, connected=connected
        )
        await call(self.vmkernel.SetNicState, vmkernel_pb2.SetNicStateRequest(vm_id=vm.id, nic=state))
        vm.nic_connected[key] = connected

    async def stop_vmx(self, vm: VmRecord, *, kill: bool = False, suspend_to: str = "") -> None:
        request = vmkernel_pb2.StopVmxRequest(vm_id=vm.id, kill=kill, suspend_to=suspend_to)
        with contextlib.suppress(faults.InvalidPowerState):  # the vmx already exited on its own
            await call(self.vmkernel.StopVmx, request, timeout=60)
        self.vmx.close(vm.id)

    # -- on / resume ----------------------------------------------------------------------------

    def power_on(self, vm_id: str) -> Task:
        vm = self._prepare(vm_id, POWERED_OFF, SUSPENDED, requested=POWERED_OFF)
        self.power_on_guard(vm.name)

        async def work(task: Task) -> str:
            checkpoint = vm.checkpoint_file() if vm.power_state == SUSPENDED else None
            self.vms.record(
                "VmResumingEvent" if checkpoint else "VmStartingEvent",
                vm,
                f"{vm.name} on {self.vms.hostname} is {'resuming' if checkpoint else 'starting'}",
            )
            world = await self.start_vmx(vm, str(checkpoint or ""))
            if checkpoint:
                self.clear_checkpoint(vm, delete=True)
            self.vms.set_power(vm, POWERED_ON, world.pid, list(world.vmm_pids))
            self.vms.record("VmPoweredOnEvent", vm, f"{vm.name} on {self.vms.hostname} is powered on")
            _log.info("vm.powered_on", vm_id=vm.id, vm=vm.name, vmx_pid=world.pid, resumed=bool(checkpoint))
            return vm.id

        return self.vms.submit("VirtualMachine.powerOn", vm, work)

    def clear_checkpoint(self, vm: VmRecord, delete: bool) -> None:
        checkpoint = vm.checkpoint_file()
        if vmconfig.CHECKPOINT_KEY in vm.config:
            del vm.config[vmconfig.CHECKPOINT_KEY]
            self.vms.save_config(vm)
        if delete and checkpoint:
            checkpoint.unlink(missing_ok=True)

    # -- off / kill -----------------------------------------------------------------------------

    def _stop(self, vm_id: str, description_id: str, kill: bool) -> Task:
        states = (POWERED_ON,) if kill else (POWERED_ON, SUSPENDED)
        vm = self._prepare(vm_id, *states, requested=POWERED_ON)

        async def work(task: Task) -> str:
            self.vms.record("VmStoppingEvent", vm, f"{vm.name} on {self.vms.hostname} is stopping")
            if vm.power_state == SUSPENDED:
                self.clear_checkpoint(vm, delete=True)
            else:
                await self.stop_vmx(vm, kill=kill)
            self.vms.set_power(vm, POWERED_OFF)
            self.vms.record("VmPoweredOffEvent", vm, f"{vm.name} on {self.vms.hostname} is powered off")
            _log.info("vm.powered_off", vm_id=vm.id, vm=vm.name, killed=kill)
            return vm.id

        return self.vms.submit(description_id, vm, work)

    def power_off(self, vm_id: str) -> Task:
        return self._stop(vm_id, "VirtualMachine.powerOff", kill=False)

    def kill(self, vm_id: str) -> Task:
        return self._stop(vm_id, "VirtualMachine.terminateVM", kill=True)

    # -- suspend / reset ------------------------------------------------------------------------

    def suspend(self, vm_id: str) -> Task:
        vm = self._prepare(vm_id, POWERED_ON, requested=POWERED_ON)

        async def work(task: Task) -> str:
            self.vms.record("VmSuspendingEvent", vm, f"{vm.name} on {self.vms.hostname} is being suspended")
            vmss = vm.folder / f"{vm.vmx_path.stem}.vmss"
            vm.config[vmconfig.CHECKPOINT_KEY] = vmss.name
            self.vms.save_config(vm)
            try:
                await self.stop_vmx(vm, suspend_to=str(vmss))
            except faults.VimFault:
                self.clear_checkpoint(vm, delete=True)
                raise
            self.vms.set_power(vm, SUSPENDED)
            self.vms.record("VmSuspendedEvent", vm, f"{vm.name} on {self.vms.hostname} is suspended")
            return vm.id

        return self.vms.submit("VirtualMachine.suspend", vm, work)

    def reset(self, vm_id: str) -> Task:
        vm = self._prepare(vm_id, POWERED_ON, requested=POWERED_ON)

        async def work(task: Task) -> str:
            self.vms.record("VmResettingEvent", vm, f"{vm.name} on {self.vms.hostname} is reset")
            await call(self.vmx.stub(vm).Reset, vmx_pb2.ResetRequest())
            self.vms.changed(vm, "guest")
            return vm.id

        return self.vms.submit("VirtualMachine.reset", vm, work)

    async def hot_add_vcpus(self, vm: VmRecord, num_cpu: int) -> None:
        request = vmkernel_pb2.HotAddVcpusRequest(vm_id=vm.id, num_cpu=num_cpu)
        world = await call(self.vmkernel.HotAddVcpus, request, timeout=60)
        self.vms.set_power(vm, POWERED_ON, world.pid, list(world.vmm_pids))

    async def set_allocation(self, vm: VmRecord, sched: dict[str, str]) -> None:
        """A running VM's new allocation: the VMkernel's admission control, then in force."""
        await call(self.vmkernel.SetAllocation, vmkernel_pb2.SetAllocationRequest(vm_id=vm.id, sched=sched))

    async def reload_config(self, vm: VmRecord) -> None:
        """A running VM applies what of its new .vmx it can at once (the guest's demand)."""
        await call(self.vmx.stub(vm).ReloadConfig, vmx_pb2.ReloadConfigRequest())

    # -- the guest, through its tools -----------------------------------------------------------

    async def guest_power(self, vm_id: str, action: str) -> None:
        """Ask the guest's tools to shut down, reboot or go to standby; return at once."""
        vm = self.vms.get(vm_id)
        self.vms.require(vm, POWERED_ON, requested=POWERED_ON)
        if not vmconfig.guest_tools(vm.config):
            raise faults.ToolsUnavailable(vm.name)
        request = vmx_pb2.GuestPowerRequest(reboot=action == "reboot", standby=action == "standby")
        await call(self.vmx.stub(vm).GuestPower, request)
        kind, what = {
            "reboot": ("VmGuestRebootEvent", "reboot"),
            "standby": ("VmGuestStandbyEvent", "standby"),
        }.get(action, ("VmGuestShutdownEvent", "shut down"))
        self.vms.record(kind, vm, f"Guest OS {what} for {vm.name} on {self.vms.hostname}")
        self.vms.changed(vm, "guest")
        if action == "standby":  # the guest has synced and sleeps: the VM is suspended (ESXi's default)
            self.vms.check_idle(vm)
            self.suspend(vm_id)

    async def guest_info(self, vm_id: str) -> vm_pb2.GuestInfo:
        vm = self.vms.get(vm_id)
        not_running = vm_pb2.GuestInfo(
            tools_running_status="guestToolsNotRunning",
            guest_state="notRunning",
            tools_status="toolsNotRunning",
        )
        if vm.power_state != POWERED_ON:
            return not_running
        try:
            return await call(self.vmx.stub(vm).GuestInfo, vmx_pb2.GuestInfoRequest())
        except faults.HostCommunication:  # the guest shut down; its vmx is exiting
            return not_running


def _vm_disk(vm: VmRecord, disk: vmconfig.Disk) -> vmkernel_pb2.VmDisk:
    shares, reservation, limit = disk_io_from_vmx(vm.config, disk.key)
    return vmkernel_pb2.VmDisk(
        key=disk.key,
        path=str(vm.folder / disk.file_name),
        mode=disk.mode,
        shares=shares,
        reservation_iops=reservation,
        limit_iops=limit,
    )

"""Reconfigure with ESXi's power-state rules.

CPU and memory change only while powered off, unless hot add is enabled in the
.vmx (``vcpu.hotadd``, ``mem.hotadd``), and then only upwards: a hot-added vCPU
gets its VMM world in the running vmx before the .vmx says so. Name and notes
change at any time. Adapters are added or removed while powered off. A bad
request changes nothing: everything is checked on a copy of the config first.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from hostd import allocation, vmconfig
from hostd.allocation import AllocationChange
from hostd.tasks import Task
from hostd.vms import POWERED_OFF, POWERED_ON, VmManager, VmRecord
from pyesx import faults, guestsim
from pyesx.logs import get_logger
from pyesx.vmxfile import VmxConfig

_log = get_logger("reconfigure")


@dataclass
class ConfigChange:
    """What a ReconfigureVM asks for (None: unchanged)."""

    num_cpu: int | None = None
    memory_mb: int | None = None
    name: str | None = None
    notes: str | None = None
    cpu_hot_add: bool | None = None
    memory_hot_add: bool | None = None
    add_networks: list[str] = field(default_factory=list)
    remove_device_keys: list[str] = field(default_factory=list)
    add_disk_capacity_bytes: list[int] = field(default_factory=list)
    delete_removed_disk_files: bool = False
    set_extra_config: dict[str, str] = field(default_factory=dict)
    remove_extra_config: list[str] = field(default_factory=list)
    cpu_allocation: AllocationChange | None = None
    memory_allocation: AllocationChange | None = None

    @property
    def allocation(self) -> bool:
        return self.cpu_allocation is not None or self.memory_allocation is not None


def _apply_cpu_memory(
    vm: VmRecord, config: VmxConfig, change: ConfigChange, running: bool, vms: VmManager
) -> None:
    if change.num_cpu is not None and change.num_cpu != vmconfig.num_cpu(config):
        vms.check_num_cpu(change.num_cpu)
        if running and not (vmconfig.cpu_hot_add(vm.config) and change.num_cpu > vmconfig.num_cpu(config)):
            raise faults.InvalidPowerState(
                POWERED_OFF,
                POWERED_ON,
                "vCPUs can change while the VM is powered on only upwards, with CPU hot add enabled.",
            )
        config["numvcpus"] = str(change.num_cpu)
    if change.memory_mb is not None and change.memory_mb != vmconfig.memory_mb(config):
        vms.check_memory_mb(change.memory_mb)
        if running and not (
            vmconfig.memory_hot_add(vm.config) and change.memory_mb > vmconfig.memory_mb(config)
        ):
            raise faults.InvalidPowerState(
                POWERED_OFF,
                POWERED_ON,
                "Memory can change while the VM is powered on only upwards, with memory hot add enabled.",
            )
        config["memSize"] = str(change.memory_mb)


def plan(vms: VmManager, vm: VmRecord, change: ConfigChange) -> tuple[VmxConfig, list[str]]:
    """The new config and the devices whose files go, or the fault; vm.config is untouched."""
    config = VmxConfig.parse(vm.config.render())
    running = vm.power_state != POWERED_OFF
    _apply_cpu_memory(vm, config, change, running, vms)
    if change.name is not None and change.name != vm.name:
        config["displayName"] = vms.check_name_free(change.name, except_vm=vm)
    if change.notes is not None:
        if len(change.notes) > 64 * 1024:
            raise faults.InvalidArgument("annotation", "notes are limited to 64 KiB")
        config["annotation"] = change.notes
    for key, flag in (("vcpu.hotadd", change.cpu_hot_add), ("mem.hotadd", change.memory_hot_add)):
        if flag is not None:
            if running:
                raise faults.InvalidPowerState(
                    POWERED_OFF, vm.power_state, "Hot add is set while powered off."
                )
            config[key] = "TRUE" if flag else "FALSE"
    for key, value in change.set_extra_config.items():
        vmconfig.check_advanced_setting(key, value)
        guestsim.check(key, value)
        config[key] = value
    for key in change.remove_extra_config:
        if key not in config or vmconfig.is_managed(key):
            raise faults.InvalidArgument("extraConfig", f"{vm.name} has no advanced setting '{key}'")
        del config[key]
    if change.allocation:
        allocation.apply(config, change.cpu_allocation, change.memory_allocation)
    devices_change = change.add_networks or change.remove_device_keys or change.add_disk_capacity_bytes
    if devices_change and running:
        raise faults.InvalidPowerState(
            POWERED_OFF, vm.power_state, "Devices are added and removed while powered off."
        )
    removed_files = []
    disks = {d.key: d for d in vmconfig.disks(config)}
    nics = {n.key for n in vmconfig.nics(config)}
    for key in change.remove_device_keys:
        if key in disks:
            removed_files.append(disks.pop(key).file_name)
        elif key in nics:
            nics.discard(key)
        else:
            raise faults.InvalidArgument("deviceKey", f"{vm.name} has no device '{key}'")
        vmconfig.remove_device(config, key)
    for network in change.add_networks:
        vmconfig.add_nic(config, vms.check_network(network))
    for capacity in change.add_disk_capacity_bytes:
        if capacity <= 0 or capacity % 1024 or capacity > 62 * 2**40:
            raise faults.InvalidArgument(
                "capacity", f"{capacity} bytes is not a disk size (whole KB, up to 62 TB)"
            )
        vmconfig.next_disk_key(config)  # raises past the maximum
    return config, removed_files


def reconfigure(
    vms: VmManager,
    vm_id: str,
    change: ConfigChange,
    create_disks: Callable[[Path, list[int]], Awaitable[list[str]]],
    delete_disk: Callable[[Path], Awaitable[None]],
    hot_add_vcpus: Callable[[VmRecord, int], Awaitable[None]],
    reload_running: Callable[[VmRecord], Awaitable[None]],
    set_allocation: Callable[[VmRecord, dict[str, str]], Awaitable[None]],
) -> Task:
    vm = vms.get(vm_id)
    vms.check_idle(vm)
    config, removed_files = plan(vms, vm, change)

    async def work(task: Task) -> str:
        if vm.power_state == POWERED_ON and change.allocation:  # admission first: a refusal changes nothing
            await set_allocation(vm, {k: config[k] for k in config if k.lower().startswith("sched.")})
        if vm.power_state == POWERED_ON and vmconfig.num_cpu(config) > vmconfig.num_cpu(vm.config):
            await hot_add_vcpus(vm, vmconfig.num_cpu(config))
        for file_name in await create_disks(vm.folder, change.add_disk_capacity_bytes):
            vmconfig.add_disk(config, vmconfig.next_disk_key(config), file_name)
        vm.config = config
        vms.save_config(vm)
        if change.delete_removed_disk_files:
            for file_name in removed_files:
                await delete_disk(vm.folder / file_name)
        if vm.power_state == POWERED_ON and (change.set_extra_config or change.remove_extra_config):
            await reload_running(vm)
        vms.changed(vm, "config")
        vms.record("VmReconfiguredEvent", vm, f"Reconfigured {vm.name} on {vms.hostname}", task.user)
        _log.info("vm.reconfigured", vm_id=vm.id, vm=vm.name)
        return vm.id

    return vms.submit("VirtualMachine.reconfigure", vm, work)

"""Reconfigure with ESXi's power-state rules.

CPU and memory change only while powered off, unless hot add is enabled in the
.vmx (``vcpu.hotadd``, ``mem.hotadd``), and then only upwards: a hot-added vCPU
gets its VMM world in the running vmx before the .vmx says so. Name and notes
change at any time. Adapters are added or removed while powered off. A bad
request changes nothing: everything is checked on a copy of the config first.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from hostd import allocation, vmconfig
from hostd.allocation import AllocationChange
from hostd.cdrom import CdDriveChange, NewCdDrive, cd_keys, media_host_path, plan_cd_drives
from hostd.disks import DiskOps
from hostd.tasks import Task
from hostd.vms import POWERED_OFF, POWERED_ON, VmManager, VmRecord
from pyesx import faults, guestsim
from pyesx.allocations import disk_io_from_vmx
from pyesx.logs import get_logger
from pyesx.vmxfile import VmxConfig

_log = get_logger("reconfigure")
_DELTA = re.compile(r"-\d{6}\.vmdk$")
MAX_DISK_BYTES = 62 * 2**40


@dataclass(frozen=True)
class NewDisk:
    """A disk to add: size, allocation (thin | thick | eagerZeroedThick), mode (the API's name)."""

    capacity_bytes: int
    disk_format: str = "thin"
    disk_mode: str = "persistent"


@dataclass(frozen=True)
class DiskChange:
    """A disk to extend (capacity_bytes), whose mode or I/O allocation changes (None: unchanged)."""

    key: str
    capacity_bytes: int | None = None
    disk_mode: str | None = None
    io_shares_level: str | None = None
    io_shares: int | None = None
    io_reservation: int | None = None
    io_limit: int | None = None  # -1: unlimited

    @property
    def structural(self) -> bool:
        """Extending or changing the mode: only while powered off."""
        return self.capacity_bytes is not None or self.disk_mode is not None

    @property
    def io(self) -> bool:
        return any(
            v is not None for v in (self.io_shares_level, self.io_shares, self.io_reservation, self.io_limit)
        )


@dataclass(frozen=True)
class NewNic:
    """A NIC to add: its port group, adapter type, static MAC ("" = generated), start connected."""

    network_name: str
    adapter_type: str = "vmxnet3"
    mac: str = ""
    start_connected: bool = True


@dataclass(frozen=True)
class NicChange:
    """A NIC's new port group, connection now (running VMs) or start-connected (None: unchanged)."""

    key: str
    network_name: str | None = None
    connected: bool | None = None
    start_connected: bool | None = None


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
    add_nics: list[NewNic] = field(default_factory=list)
    change_nics: list[NicChange] = field(default_factory=list)
    remove_device_keys: list[str] = field(default_factory=list)
    add_disks: list[NewDisk] = field(default_factory=list)
    change_disks: list[DiskChange] = field(default_factory=list)
    delete_removed_disk_files: bool = False
    set_extra_config: dict[str, str] = field(default_factory=dict)
    remove_extra_config: list[str] = field(default_factory=list)
    cpu_allocation: AllocationChange | None = None
    memory_allocation: AllocationChange | None = None
    add_cd_drives: list[NewCdDrive] = field(default_factory=list)
    change_cd_drives: list[CdDriveChange] = field(default_factory=list)

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


def _check_capacity(capacity: int) -> None:
    if capacity <= 0 or capacity % 1024 or capacity > MAX_DISK_BYTES:
        raise faults.InvalidArgument(
            "capacity", f"{capacity} bytes is not a disk size (whole KB, up to 62 TB)"
        )


def _plan_disk_change(
    vm: VmRecord, config: VmxConfig, change: DiskChange, disks: dict[str, vmconfig.Disk]
) -> None:
    disk = disks.get(change.key)
    if disk is None:
        raise faults.InvalidArgument("deviceKey", f"{vm.name} has no disk '{change.key}'")
    if change.capacity_bytes is not None:
        _check_capacity(change.capacity_bytes)
        if _DELTA.search(disk.file_name):
            raise faults.InvalidState(
                f"Disk {change.key} of {vm.name} has snapshots ('{disk.file_name}'): it cannot be extended."
            )
        current = vm.disk_capacity(disk.file_name)
        if change.capacity_bytes < current:
            raise faults.InvalidArgument(
                "capacity",
                f"{change.capacity_bytes} bytes is smaller than the disk's {current}; disks cannot shrink",
            )
    if change.disk_mode is not None:
        config[f"{change.key}.mode"] = vmconfig.check_disk_mode(change.disk_mode)
    if change.io:
        _apply_disk_io(config, change)


def _plan_nic_change(
    vm: VmRecord, config: VmxConfig, change: NicChange, vms: VmManager, running: bool
) -> None:
    if change.key not in {n.key for n in vmconfig.nics(config)}:
        raise faults.InvalidArgument("deviceKey", f"{vm.name} has no network adapter '{change.key}'")
    if change.network_name is not None:
        config[f"{change.key}.networkName"] = vms.check_network(change.network_name)
    if change.start_connected is not None:
        config[f"{change.key}.startConnected"] = "TRUE" if change.start_connected else "FALSE"
    if change.connected is not None and not running:
        raise faults.InvalidPowerState(
            POWERED_ON,
            vm.power_state,
            "Only a powered-on VM's network adapter can be connected or disconnected.",
        )


def _apply_disk_io(config: VmxConfig, change: DiskChange) -> None:
    """Write the disk's I/O allocation as ESXi's .vmx keys, then check it reads back."""
    prefix = f"sched.{change.key}"
    level = (change.io_shares_level or "").lower()
    if level and level not in ("low", "normal", "high", "custom"):
        raise faults.InvalidArgument(
            "ioSharesLevel", f"'{change.io_shares_level}' is not low, normal, high or custom"
        )
    if level == "custom" or (change.io_shares is not None and not level):
        if change.io_shares is None:
            raise faults.InvalidArgument("ioShares", "custom shares need a number")
        config[f"{prefix}.shares"] = str(change.io_shares)
    elif level:
        config[f"{prefix}.shares"] = level
    if change.io_reservation is not None:
        config[f"{prefix}.reservation"] = str(change.io_reservation)
    if change.io_limit is not None:
        config[f"{prefix}.throughputCap"] = "off" if change.io_limit == -1 else str(change.io_limit)
    disk_io_from_vmx(config, change.key)  # InvalidArgument for negative, absurd or reservation > limit


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
    devices_change = (
        change.add_networks
        or change.add_nics
        or change.remove_device_keys
        or change.add_disks
        or change.add_cd_drives
        or any(c.structural for c in change.change_disks)
    )
    if devices_change and running:
        raise faults.InvalidPowerState(
            POWERED_OFF, vm.power_state, "Devices are added and removed while powered off."
        )
    removed_files = []
    disks = {d.key: d for d in vmconfig.disks(config)}
    nics = {n.key for n in vmconfig.nics(config)}
    cds = cd_keys(config)
    for key in change.remove_device_keys:
        if key in disks:
            removed_files.append(disks.pop(key).file_name)
        elif key in nics:
            nics.discard(key)
        elif key in cds:
            cds.discard(key)
        else:
            raise faults.InvalidArgument("deviceKey", f"{vm.name} has no device '{key}'")
        vmconfig.remove_device(config, key)
    for network in change.add_networks:
        vmconfig.add_nic(config, vms.check_network(network))
    for nic in change.add_nics:
        vmconfig.add_nic(
            config, vms.check_network(nic.network_name), nic.adapter_type, nic.mac, nic.start_connected
        )
    for nic_change in change.change_nics:
        _plan_nic_change(vm, config, nic_change, vms, running)
    plan_cd_drives(
        vms.layout, config, vm.name, change.add_cd_drives, change.change_cd_drives, running, vm.power_state
    )
    for new in change.add_disks:
        _check_capacity(new.capacity_bytes)
        if new.disk_format not in vmconfig.DISK_FORMATS:
            raise faults.InvalidArgument(
                "diskFormat", f"'{new.disk_format}' is not one of {', '.join(vmconfig.DISK_FORMATS)}"
            )
        vmconfig.check_disk_mode(new.disk_mode)
    if len(vmconfig.disks(config)) + len(change.add_disks) > vmconfig.MAX_DISKS:
        raise faults.InvalidArgument("disk", f"a VM has at most {vmconfig.MAX_DISKS} disks")
    for disk_change in change.change_disks:
        _plan_disk_change(vm, config, disk_change, disks)
    return config, removed_files


def reconfigure(
    vms: VmManager,
    vm_id: str,
    change: ConfigChange,
    disk_ops: DiskOps,
    hot_add_vcpus: Callable[[VmRecord, int], Awaitable[None]],
    reload_running: Callable[[VmRecord], Awaitable[None]],
    set_allocation: Callable[[VmRecord, dict[str, str]], Awaitable[None]],
    set_nic_state: Callable[[VmRecord, str, str, bool], Awaitable[None]],
    set_cd_media: Callable[[VmRecord, str, str, bool], Awaitable[None]] | None = None,
) -> Task:
    vm = vms.get(vm_id)
    vms.check_idle(vm)
    config, removed_files = plan(vms, vm, change)

    async def work(task: Task) -> str:
        disk_io = any(c.io for c in change.change_disks)
        if vm.power_state == POWERED_ON and (
            change.allocation or disk_io
        ):  # admission first: a refusal changes nothing
            await set_allocation(vm, {k: config[k] for k in config if k.lower().startswith("sched.")})
        if vm.power_state == POWERED_ON:  # NICs move and (dis)connect first: a refusal changes nothing
            for nic_change in change.change_nics:
                if nic_change.network_name is not None or nic_change.connected is not None:
                    network = config[f"{nic_change.key}.networkName"]
                    connected = vm.nic_connected.get(nic_change.key, True)
                    await set_nic_state(
                        vm,
                        nic_change.key,
                        network,
                        connected if nic_change.connected is None else nic_change.connected,
                    )
        if vm.power_state == POWERED_ON and set_cd_media is not None:  # the vmx opens the ISO: a
            for cd_change in change.change_cd_drives:  # missing one is refused before anything is saved
                if cd_change.live:
                    connected = vm.cd_connected.get(cd_change.key, False)
                    await set_cd_media(
                        vm,
                        cd_change.key,
                        media_host_path(config, vm.folder, cd_change.key),
                        connected if cd_change.connected is None else cd_change.connected,
                    )
        if vm.power_state == POWERED_ON and vmconfig.num_cpu(config) > vmconfig.num_cpu(vm.config):
            await hot_add_vcpus(vm, vmconfig.num_cpu(config))
        made: list[str] = []
        try:
            for new in change.add_disks:
                [file_name] = await disk_ops.create_for_vm(vm.folder, [new.capacity_bytes], new.disk_format)
                made.append(file_name)
                key = vmconfig.next_disk_key(config)
                vmconfig.add_disk(config, key, file_name, vmconfig.check_disk_mode(new.disk_mode))
            disks = {d.key: d for d in vmconfig.disks(config)}
            for grow in (c for c in change.change_disks if c.capacity_bytes is not None):
                assert grow.capacity_bytes is not None
                await disk_ops.grow(vm.folder / disks[grow.key].file_name, grow.capacity_bytes)
        except BaseException:
            for file_name in made:
                await disk_ops.delete(vm.folder / file_name)
            raise
        vm.config = config
        vms.save_config(vm)
        if change.delete_removed_disk_files:
            for file_name in removed_files:
                await disk_ops.delete(vm.folder / file_name)
        if vm.power_state == POWERED_ON and (change.set_extra_config or change.remove_extra_config):
            await reload_running(vm)
        vms.changed(vm, "config")
        vms.record("VmReconfiguredEvent", vm, f"Reconfigured {vm.name} on {vms.hostname}", task.user)
        _log.info("vm.reconfigured", vm_id=vm.id, vm=vm.name)
        return vm.id

    return vms.submit("VirtualMachine.reconfigure", vm, work)

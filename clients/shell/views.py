"""Client objects as PowerCLI shows them: PSObjects with PowerCLI's property names, and table views.

Each ``*_object`` function makes the PSObject a cmdlet outputs; ``TABLE_VIEWS``
holds the columns the default output shows for each type, as PowerCLI's format
files do.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from clients.model import (
    VM,
    CdDrive,
    Event,
    GuestInfo,
    HardDisk,
    Host,
    NetworkAdapter,
    PerfSample,
    ResourceAllocation,
    ResourcePool,
    Snapshot,
    Task,
)
from clients.shell.psobject import PSObject

VM_TYPE = "VirtualMachine"
HOST_TYPE = "VMHost"
TASK_TYPE = "Task"
SERVER_TYPE = "VIServer"
SNAPSHOT_TYPE = "Snapshot"
EVENT_TYPE = "VIEvent"
GUEST_TYPE = "VMGuest"
HARD_DISK_TYPE = "HardDisk"
CD_DRIVE_TYPE = "CDDrive"
NETWORK_ADAPTER_TYPE = "NetworkAdapter"
POOL_TYPE = "ResourcePool"
STAT_TYPE = "FloatSample"
COMMAND_TYPE = "CmdletInfo"
HELP_LIST_TYPE = "HelpInfoShort"
MEMBER_TYPE = "MemberDefinition"
_IMPL = "VMware.VimAutomation.ViCore.Impl.V1."
#: types made in the cmdlet modules (the test checks they still match)
DATASTORE_TYPE = _IMPL + "DatastoreManagement.DatastoreImpl"
VSWITCH_TYPE = _IMPL + "Host.Networking.VirtualSwitchImpl"
HOST_NIC_TYPE = _IMPL + "Host.Networking.Nic.HostNicImpl"
RESOURCE_CONFIG_TYPE = "VMResourceConfiguration"
ADVANCED_SETTING_TYPE = "AdvancedSetting"
GROUP_TYPE = "GroupInfo"
GROUP_NO_ELEMENT_TYPE = "GroupInfoNoElement"
GIB = 2**30
VM_ID_PREFIX = "VirtualMachine-"
SNAPSHOT_ID_PREFIX = "VirtualMachineSnapshot-"
TASK_ID_PREFIX = "Task-"
POOL_ID_PREFIX = "ResourcePool-"
HOST_ID_PREFIX = "HostSystem-"


def pascal(state: str) -> str:
    """``poweredOn`` -> ``PoweredOn``."""
    return state[:1].upper() + state[1:]


def vm_object(vm: VM) -> PSObject:
    """A VM: Name, PowerState, NumCpu, MemoryMB, MemoryGB, GuestId, Notes, ProvisionedSpaceGB,
    UsedSpaceGB, Id, Uuid, VmxPath, ResourcePool (its name), ResourcePoolId."""
    return PSObject(
        VM_TYPE,
        [
            ("Name", vm.name),
            ("PowerState", pascal(vm.power_state)),
            ("NumCpu", vm.num_cpu),
            ("MemoryMB", vm.memory_mb),
            ("MemoryGB", vm.memory_mb / 1024),
            ("GuestId", vm.guest_id),
            ("Notes", vm.notes),
            ("ProvisionedSpaceGB", vm.provisioned_bytes / GIB),
            ("UsedSpaceGB", vm.used_bytes / GIB),
            ("Id", f"{VM_ID_PREFIX}{vm.id}"),
            ("Uuid", vm.uuid),
            ("VmxPath", vm.vmx_path),
            ("ResourcePool", vm.resource_pool_name),
            ("ResourcePoolId", f"{POOL_ID_PREFIX}{vm.resource_pool_id}"),
        ],
        base=vm,
        label=vm.name,
    )


def _pascal_level(allocation: ResourceAllocation) -> str:
    return pascal(allocation.shares_level)


def _gb_or_unlimited(mb: int) -> float:
    return -1 if mb == -1 else mb / 1024


def pool_object(pool: ResourcePool, parent: ResourcePool | None) -> PSObject:
    """A resource pool as Get-ResourcePool shows it (-1: unlimited); ``parent`` None for the root."""
    cpu, mem = pool.cpu_allocation, pool.memory_allocation
    return PSObject(
        POOL_TYPE,
        [
            ("Name", pool.name),
            ("Id", f"{POOL_ID_PREFIX}{pool.id}"),
            ("Parent", parent.name if parent is not None else None),
            ("ParentId", f"{POOL_ID_PREFIX}{parent.id}" if parent is not None else None),
            ("CpuSharesLevel", _pascal_level(cpu)),
            ("NumCpuShares", cpu.shares),
            ("CpuReservationMHz", cpu.reservation),
            ("CpuLimitMHz", cpu.limit),
            ("CpuExpandableReservation", cpu.expandable_reservation),
            ("MemSharesLevel", _pascal_level(mem)),
            ("NumMemShares", mem.shares),
            ("MemReservationMB", mem.reservation),
            ("MemReservationGB", mem.reservation / 1024),
            ("MemLimitMB", mem.limit),
            ("MemLimitGB", _gb_or_unlimited(mem.limit)),
            ("MemExpandableReservation", mem.expandable_reservation),
        ],
        base=pool,
        label=pool.name,
    )


def host_object(host: Host) -> PSObject:
    """The host as Get-VMHost shows it (ConnectionState and State: Connected or Maintenance)."""
    state = "Maintenance" if host.in_maintenance_mode else pascal(host.connection_state)
    return PSObject(
        HOST_TYPE,
        [
            ("Name", host.name),
            ("ConnectionState", state),
            ("State", state),
            ("PowerState", pascal(host.power_state)),
            ("NumCpu", host.num_cpu),
            ("CpuTotalMhz", host.cpu_total_mhz),
            ("CpuUsageMhz", host.cpu_usage_mhz),
            ("MemoryTotalGB", host.memory_total_mb / 1024),
            ("MemoryUsageGB", host.memory_usage_mb / 1024),
            ("Version", host.version),
            ("Build", host.build),
            ("Uptime", host.uptime_seconds),
        ],
        base=host,
        label=host.name,
    )


def task_object(task: Task) -> PSObject:
    """A task as -RunAsync and Get-Task return it; Result is the id of what it made or changed."""
    return PSObject(
        TASK_TYPE,
        [
            ("Name", task.description_id),
            ("State", pascal(task.state)),
            ("PercentComplete", task.progress),
            ("Id", f"{TASK_ID_PREFIX}{task.id}"),
            ("StartTime", task.start_time),
            ("FinishTime", task.complete_time),
            ("Entity", task.entity_name),
            ("Description", task.description),
            ("IsCancelable", task.cancelable),
            ("ObjectId", task.entity_id),
            ("Result", task.result_entity_id or None),
            ("Error", str(task.error) if task.error is not None else None),
        ],
        base=task,
        label=f"{TASK_ID_PREFIX}{task.id}",
    )


def snapshot_object(snapshot: Snapshot, vm_name: str, parent: Snapshot | None) -> PSObject:
    """A snapshot as Get-Snapshot shows it (``parent`` is the snapshot it was taken on, if any)."""
    return PSObject(
        SNAPSHOT_TYPE,
        [
            ("Name", snapshot.name),
            ("Description", snapshot.description),
            ("PowerState", pascal(snapshot.power_state)),
            ("Created", snapshot.created),
            ("IsCurrent", snapshot.is_current),
            ("Memory", snapshot.memory),
            ("VM", vm_name),
            ("VMId", f"{VM_ID_PREFIX}{snapshot.vm_id}"),
            ("ParentSnapshot", parent.name if parent is not None else None),
            ("ParentSnapshotId", f"{SNAPSHOT_ID_PREFIX}{parent.id}" if parent is not None else None),
            ("Children", [child.name for child in snapshot.children]),
            ("Id", f"{SNAPSHOT_ID_PREFIX}{snapshot.id}"),
        ],
        base=snapshot,
        label=snapshot.name,
    )


def event_object(event: Event) -> PSObject:
    """An event as Get-VIEvent returns it (EventTypeId is the vSphere event type's name)."""
    return PSObject(
        EVENT_TYPE,
        [
            ("Key", event.key),
            ("CreatedTime", event.created),
            ("UserName", event.user),
            ("Vm", event.vm_name or None),
            ("EventTypeId", event.type),
            ("FullFormattedMessage", event.message),
        ],
        base=event,
        label=event.type,
    )


def stat_object(sample: PerfSample, entity: VM | Host) -> PSObject:
    """A realtime sample as Get-Stat returns it (PowerCLI's FloatSample): Instance "" is the aggregate."""
    entity_id = (
        f"{VM_ID_PREFIX}{entity.id}" if isinstance(entity, VM) else f"{HOST_ID_PREFIX}{sample.entity_id}"
    )
    return PSObject(
        STAT_TYPE,
        [
            ("MetricId", sample.counter),
            ("Timestamp", sample.timestamp),
            ("Value", sample.value),
            ("Unit", sample.unit),
            ("Instance", sample.instance),
            ("Entity", entity.name),
            ("EntityId", entity_id),
            ("IntervalSecs", sample.interval_secs),
        ],
        base=sample,
        label=f"{sample.counter} {sample.value:g}",
    )


def guest_object(vm: VM, guest: GuestInfo) -> PSObject:
    """The guest of a VM as Get-VMGuest / Stop-VMGuest show it."""
    return PSObject(
        GUEST_TYPE,
        [
            ("VM", vm.name),
            ("VmName", vm.name),
            ("VmId", f"{VM_ID_PREFIX}{vm.id}"),
            ("State", pascal(guest.guest_state)),
            ("OSFullName", guest.os_full_name),
            ("IPAddress", list(guest.ip_addresses) or ([guest.ip_address] if guest.ip_address else [])),
            ("HostName", guest.host_name),
            ("ToolsVersion", guest.tools_version),
            ("ToolsStatus", guest.tools_status),
            ("ToolsRunningStatus", guest.tools_running_status),
            ("Uptime", guest.uptime_seconds),
            ("BootCount", guest.boot_count),
            (
                "Counters",
                PSObject(
                    "GuestCounters", [(k, v) for k, v in sorted(guest.counters.items())], label="counters"
                ),
            ),
        ],
        base=guest,
        label=f"{vm.name}:{guest.guest_state}",
    )


def _words(value: str) -> str:
    """``independent_nonpersistent`` -> ``IndependentNonPersistent`` (PowerCLI's enum names)."""
    words = value.replace("-", "_").replace("nonpersistent", "non_persistent").split("_")
    return "".join(pascal(part) for part in words)


def hard_disk_object(vm: VM, disk: HardDisk, number: int) -> PSObject:
    """The VM's ``number``-th disk (from 1) as Get-HardDisk shows it."""
    return PSObject(
        HARD_DISK_TYPE,
        [
            ("Name", f"Hard disk {number}"),
            ("CapacityGB", disk.capacity_bytes / GIB),
            ("CapacityKB", disk.capacity_bytes // 1024),
            ("Persistence", _words(disk.disk_mode)),
            ("StorageFormat", "Thin" if disk.thin else "Thick"),
            ("Filename", disk.file_name),
            ("Parent", vm.name),
            ("Id", f"{VM_ID_PREFIX}{vm.id}/{disk.key}"),
        ],
        base=disk,
        label=f"Hard disk {number}",
    )


def network_adapter_object(vm: VM, adapter: NetworkAdapter, number: int) -> PSObject:
    """The VM's ``number``-th network adapter (from 1) as Get-NetworkAdapter shows it."""
    return PSObject(
        NETWORK_ADAPTER_TYPE,
        [
            ("Name", f"Network adapter {number}"),
            ("Type", _words(adapter.adapter_type)),
            ("NetworkName", adapter.network_name),
            ("MacAddress", adapter.mac_address),
            (
                "ConnectionState",
                PSObject(
                    "ConnectInfo",
                    [("Connected", adapter.connected), ("StartConnected", adapter.start_connected)],
                    label=f"{'Connected' if adapter.connected else 'NotConnected'}",
                ),
            ),
            ("Parent", vm.name),
            ("Id", f"{VM_ID_PREFIX}{vm.id}/{adapter.key}"),
        ],
        base=adapter,
        label=f"Network adapter {number}",
    )


def cd_drive_object(vm: VM, drive: CdDrive, number: int) -> PSObject:
    """The VM's ``number``-th CD/DVD drive (from 1) as Get-CDDrive shows it."""
    connected = "Connected" if drive.connected else "NotConnected"
    return PSObject(
        CD_DRIVE_TYPE,
        [
            ("IsoPath", drive.iso_path or None),
            ("HostDevice", None),
            ("RemoteDevice", None),
            (
                "ConnectionState",
                PSObject(
                    "ConnectInfo",
                    [
                        ("Connected", drive.connected),
                        ("StartConnected", drive.start_connected),
                        ("AllowGuestControl", False),
                    ],
                    label=f"{connected}, {'' if drive.start_connected else 'No'}StartConnected",
                ),
            ),
            ("Parent", vm.name),
            ("Name", f"CD/DVD drive {number}"),
            ("Id", f"{VM_ID_PREFIX}{vm.id}/{drive.key}"),
        ],
        base=drive,
        label=f"CD/DVD drive {number}",
    )


@dataclass(frozen=True)
class Server:
    """The connection Connect-VIServer makes."""

    name: str
    port: int
    user: str
    connected: bool


def server_object(server: Server) -> PSObject:
    """A server as Connect-VIServer returns it: Name, Port, User, IsConnected."""
    return PSObject(
        SERVER_TYPE,
        [
            ("Name", server.name),
            ("Port", server.port),
            ("User", server.user),
            ("IsConnected", server.connected),
        ],
        base=server,
        label=server.name,
    )


def _gb(value: object) -> str:
    return f"{value:.3f}" if isinstance(value, int | float) else ""


def _clock(value: object) -> str:
    if not isinstance(value, dt.datetime):
        return ""
    local = value.astimezone() if value.tzinfo else value
    return local.strftime("%I:%M:%S %p")


@dataclass(frozen=True)
class Column:
    """One column of a table view: a heading, the property it shows, alignment and format.

    ``right`` None aligns numbers right and the rest left, as PowerShell does without a view."""

    label: str
    property: str
    right: bool | None = False
    format: Callable[[object], str] | None = None


#: types whose tables are split by a property, each part under a ``   Label: value`` heading
GROUP_HEADINGS: dict[str, tuple[str, str]] = {MEMBER_TYPE: ("TypeName", "TypeName")}

TABLE_VIEWS: dict[str, tuple[Column, ...]] = {
    COMMAND_TYPE: (
        Column("CommandType", "CommandType"),
        Column("Name", "Name"),
        Column("Version", "Version"),
        Column("Source", "Source"),
    ),
    HELP_LIST_TYPE: (
        Column("Name", "Name"),
        Column("Category", "Category"),
        Column("Module", "Module"),
        Column("Synopsis", "Synopsis"),
    ),
    MEMBER_TYPE: (
        Column("Name", "Name"),
        Column("MemberType", "MemberType"),
        Column("Definition", "Definition"),
    ),
    DATASTORE_TYPE: (
        Column("Name", "Name"),
        Column("FreeSpaceGB", "FreeSpaceGB", right=True, format=_gb),
        Column("CapacityGB", "CapacityGB", right=True, format=_gb),
    ),
    VSWITCH_TYPE: (
        Column("Name", "Name"),
        Column("NumPorts", "NumPorts", right=True),
        Column("Mtu", "Mtu", right=True),
        Column("Nic", "Nic"),
    ),
    HOST_NIC_TYPE: (
        Column("Name", "Name"),
        Column("Mac", "Mac"),
        Column("DhcpEnabled", "DhcpEnabled"),
        Column("IP", "IP"),
        Column("SubnetMask", "SubnetMask"),
    ),
    RESOURCE_CONFIG_TYPE: (
        Column("VM", "VM"),
        Column("NumCpuShares", "NumCpuShares", right=True),
        Column("CpuReservationMhz", "CpuReservationMhz", right=True),
        Column("NumMemShares", "NumMemShares", right=True),
        Column("MemReservationMB", "MemReservationMB", right=True),
    ),
    ADVANCED_SETTING_TYPE: (Column("Name", "Name"), Column("Value", "Value"), Column("Type", "Type")),
    GROUP_TYPE: (Column("Count", "Count", right=True), Column("Name", "Name"), Column("Group", "Group")),
    GROUP_NO_ELEMENT_TYPE: (Column("Count", "Count", right=True), Column("Name", "Name")),
    VM_TYPE: (
        Column("Name", "Name"),
        Column("PowerState", "PowerState"),
        Column("Num CPUs", "NumCpu"),
        Column("MemoryGB", "MemoryGB", format=_gb),
    ),
    HOST_TYPE: (
        Column("Name", "Name"),
        Column("ConnectionState", "ConnectionState"),
        Column("PowerState", "PowerState"),
        Column("NumCpu", "NumCpu", right=True),
        Column("CpuUsageMhz", "CpuUsageMhz", right=True),
        Column("CpuTotalMhz", "CpuTotalMhz", right=True),
        Column("MemoryUsageGB", "MemoryUsageGB", right=True, format=_gb),
        Column("MemoryTotalGB", "MemoryTotalGB", right=True, format=_gb),
        Column("Version", "Version"),
    ),
    TASK_TYPE: (
        Column("Name", "Name"),
        Column("State", "State"),
        Column("% Complete", "PercentComplete", right=True),
        Column("Start Time", "StartTime", format=_clock),
        Column("Finish Time", "FinishTime", format=_clock),
    ),
    SERVER_TYPE: (Column("Name", "Name"), Column("Port", "Port"), Column("User", "User")),
    SNAPSHOT_TYPE: (
        Column("Name", "Name"),
        Column("Description", "Description"),
        Column("PowerState", "PowerState"),
    ),
    GUEST_TYPE: (
        Column("VM", "VM"),
        Column("State", "State"),
        Column("ToolsRunningStatus", "ToolsRunningStatus"),
    ),
    HARD_DISK_TYPE: (
        Column("CapacityGB", "CapacityGB", right=True, format=_gb),
        Column("Persistence", "Persistence"),
        Column("Filename", "Filename"),
    ),
    POOL_TYPE: (
        Column("Name", "Name"),
        Column("CpuSharesLevel", "CpuSharesLevel"),
        Column("CpuReservationMHz", "CpuReservationMHz", right=True),
        Column("CpuLimitMHz", "CpuLimitMHz", right=True),
        Column("MemSharesLevel", "MemSharesLevel"),
        Column("MemReservationGB", "MemReservationGB", right=True, format=_gb),
        Column("MemLimitGB", "MemLimitGB", right=True, format=_gb),
    ),
    STAT_TYPE: (
        Column("MetricId", "MetricId"),
        Column("Timestamp", "Timestamp"),
        Column("Value", "Value", right=True),
        Column("Unit", "Unit"),
        Column("Instance", "Instance"),
    ),
    CD_DRIVE_TYPE: (
        Column("IsoPath", "IsoPath"),
        Column("HostDevice", "HostDevice"),
        Column("RemoteDevice", "RemoteDevice"),
    ),
    NETWORK_ADAPTER_TYPE: (
        Column("Name", "Name"),
        Column("Type", "Type"),
        Column("NetworkName", "NetworkName"),
        Column("MacAddress", "MacAddress"),
    ),
}

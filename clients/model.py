"""Plain objects the client hands to users: what a PowerCLI user sees, in Python.

The SDK builds them from the public API's messages so that the SDK, the shell
and tests share one shape. Field names are snake_case here; the shell shows
them under PowerCLI's names (``PowerState``, ``NumCpu`` …).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

POWER_STATES = {0: "poweredOff", 1: "poweredOn", 2: "suspended"}
TASK_STATES = {0: "queued", 1: "running", 2: "success", 3: "error"}


@dataclass(frozen=True)
class Host:
    """The host as Get-VMHost shows it."""

    name: str
    version: str
    build: str
    connection_state: str  # "connected"
    power_state: str  # "poweredOn"
    num_cpu: int  # PCPUs
    cpu_mhz: int  # per PCPU
    cpu_total_mhz: int
    cpu_usage_mhz: int
    memory_total_mb: int
    memory_usage_mb: int
    uptime_seconds: int
    vm_count: int
    in_maintenance_mode: bool = False


@dataclass(frozen=True)
class About:
    """What a host is, as it tells clients that have not logged in (vSphere's ServiceContent.about)."""

    product_name: str  # "pyesx"
    full_name: str  # "pyesx 1.0.0 build-1"
    version: str
    build: str
    host_name: str
    api_version: str  # "v1"


@dataclass(frozen=True)
class HardDisk:
    key: str  # "scsi0:0"
    file_name: str  # "[datastore1] web01/web01.vmdk"
    capacity_bytes: int
    disk_mode: str  # persistent | independent_persistent | independent_nonpersistent
    thin: bool = True
    io_shares: int = 1000  # mClock shares of its I/O
    io_reservation: int = 0  # IOPS
    io_limit: int = -1  # IOPS; -1: unlimited


@dataclass(frozen=True)
class VmQuestion:
    """What a stunned VM waits to be told (PowerCLI's Get-VMQuestion)."""

    id: str
    text: str
    choices: tuple[str, ...]


@dataclass(frozen=True)
class NetworkAdapter:
    key: str  # "ethernet0"
    network_name: str
    adapter_type: str
    mac_address: str
    start_connected: bool = True
    connected: bool = False  # on its port now (a powered-on VM's)
    address_type: str = "generated"  # generated | static


@dataclass(frozen=True)
class CdDrive:
    """A CD/DVD drive (PowerCLI's CDDrive)."""

    key: str  # "ide1:0"
    iso_path: str  # "[datastore1] iso/x.iso"; "" = no media
    start_connected: bool = False
    connected: bool = False  # has its media in now (a powered-on VM's)
    no_media: bool = True


@dataclass(frozen=True)
class ResourceAllocation:
    """Shares, reservation and limit of one resource (CPU in MHz, memory in MB)."""

    reservation: int
    limit: int  # -1: unlimited
    shares_level: str  # low | normal | high | custom
    shares: int
    expandable_reservation: bool = False  # resource pools only


@dataclass(frozen=True)
class VM:
    """A virtual machine as Get-VM shows it."""

    id: str  # "vm-1"
    name: str
    power_state: str  # "poweredOff" | "poweredOn" | "suspended"
    num_cpu: int
    memory_mb: int
    guest_id: str
    notes: str
    uuid: str
    vmx_path: str  # "[datastore1] web01/web01.vmx"
    vmx_pid: int = 0  # 0 when powered off
    vmm_pids: tuple[int, ...] = ()
    provisioned_bytes: int = 0
    used_bytes: int = 0
    current_snapshot_id: str = ""
    disks: tuple[HardDisk, ...] = ()
    network_adapters: tuple[NetworkAdapter, ...] = ()
    cd_drives: tuple[str, ...] = ()  # device keys
    cdroms: tuple[CdDrive, ...] = ()  # the same drives in full
    cpu_hot_add: bool = False
    memory_hot_add: bool = False
    cpu_allocation: ResourceAllocation | None = None
    memory_allocation: ResourceAllocation | None = None
    resource_pool_id: str = "ha-root-pool"
    resource_pool_name: str = "Resources"
    question: VmQuestion | None = None  # what the VM waits to be told (a stunned VM)


@dataclass(frozen=True)
class ResourcePoolUsage:
    """Of one resource (MHz or MB): what the pool's children hold, and what more it can grant."""

    reservation_used: int
    unreserved: int


@dataclass(frozen=True)
class ResourcePool:
    """A resource pool as Get-ResourcePool shows it; the host's root pool is ``ha-root-pool``."""

    id: str  # "ha-root-pool", "pool1", …
    name: str
    parent_id: str  # "" for the root pool
    cpu_allocation: ResourceAllocation  # MHz
    memory_allocation: ResourceAllocation  # MB
    cpu_usage: ResourcePoolUsage
    memory_usage: ResourcePoolUsage
    child_pool_ids: tuple[str, ...] = ()
    vm_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class Task:
    """A long operation's progress and outcome."""

    id: str  # "task-7"
    description_id: str  # "VirtualMachine.powerOn"
    entity_id: str
    entity_name: str
    state: str  # queued | running | success | error
    progress: int
    user: str
    queue_time: dt.datetime | None = None
    start_time: dt.datetime | None = None
    complete_time: dt.datetime | None = None
    error: Exception | None = field(default=None, compare=False)
    result_vm: VM | None = None
    result_entity_id: str = ""
    cancelable: bool = False
    description: str = ""
    result: str = ""  # a value the operation returns (CreateScreenshot: the PNG's datastore path)


@dataclass(frozen=True)
class Snapshot:
    id: str  # "vm-1-snapshot-2"
    vm_id: str
    name: str
    description: str
    created: dt.datetime | None
    memory: bool
    power_state: str
    parent_id: str
    is_current: bool
    children: tuple[Snapshot, ...] = ()


@dataclass(frozen=True)
class Event:
    key: int
    type: str  # "VmPoweredOnEvent"
    created: dt.datetime | None
    message: str
    user: str
    vm_id: str
    vm_name: str


@dataclass(frozen=True)
class GuestInfo:
    tools_running_status: str  # guestToolsRunning | guestToolsNotRunning
    guest_state: str
    uptime_seconds: float
    boot_count: int
    host_name: str
    ip_address: str = ""
    #: the simulated guest's own counters: net.pings_sent, net.pings_received, net.last_rtt_ms,
    #: net.frames_in/out, net.others_seen, disk.writes, disk.reads, disk.errors, disk.verify_errors …
    counters: dict[str, float] = field(default_factory=dict)
    tools_status: str = ""  # toolsOk | toolsNotRunning | toolsNotInstalled
    tools_version: str = ""
    os_full_name: str = ""  # as the guest's tools report it
    ip_addresses: tuple[str, ...] = ()


#: the host's entity id in performance queries (ESXi's HostSystem "ha-host")
HOST_ENTITY_ID = "ha-host"


@dataclass(frozen=True)
class PerfCounter:
    """A performance counter of the catalogue (vSphere's perfCounter)."""

    name: str  # "cpu.usage.average"
    unit: str  # "%" | "MHz" | "ms" | "KB"
    rollup: str  # "average" | "summation"
    description: str
    stats_type: str  # "rate" | "delta" | "absolute"
    per_instance: bool
    entity_types: tuple[str, ...]  # "HostSystem", "VirtualMachine"
    collected: bool  # this host samples it


@dataclass(frozen=True)
class PerfCatalogue:
    """The counters and the realtime interval (vSphere's refreshRate) of a host."""

    counters: tuple[PerfCounter, ...]
    interval_secs: int
    samples_kept: int


@dataclass(frozen=True)
class PerfSample:
    """One realtime sample of one counter (Get-Stat's FloatSample)."""

    entity_id: str  # "ha-host" or "vm-1"
    counter: str  # "cpu.usage.average"
    instance: str  # "" the aggregate, "0" vCPU 0
    timestamp: dt.datetime
    value: float
    unit: str
    interval_secs: int

"""What the sync (``clients.objects``) and asyncio (``clients.aio``) objects share: their typed,
read-only properties, read from the record (``clients.model``) the object was last refreshed with.

Each class here is generic in the session type; a flavour subclasses it and adds the methods (plain
or ``async``) that build a plan in ``clients.ops`` and run it on its transport.
"""

from __future__ import annotations

import datetime as dt
from typing import Generic, TypeVar

from clients import model
from clients.datastores import Datastore
from clients.network import PortGroup, SecurityPolicy, VirtualSwitch

S = TypeVar("S")
R = TypeVar("R")


def datastore_path(datastore: str, path: str) -> str:
    """``path`` on ``datastore`` as "[datastore] path"; a path already in brackets is kept."""
    return path if path.startswith("[") else f"[{datastore}] {path}".rstrip()


class Bound(Generic[S, R]):
    """An object of one session, holding the record it was last read as (``record``)."""

    def __init__(self, session: S, record: R) -> None:
        self._session = session
        self._record = record

    @property
    def record(self) -> R:
        """The plain record (a frozen dataclass) behind the properties, as last read."""
        return self._record

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._label()}>"

    def _label(self) -> str:
        return str(getattr(self._record, "name", "") or getattr(self._record, "id", ""))

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and isinstance(other, Bound) and other._key() == self._key()

    def __hash__(self) -> int:
        return hash((type(self).__name__, self._key()))

    def _key(self) -> str:
        return str(getattr(self._record, "id", "") or getattr(self._record, "name", ""))


class HostData(Bound[S, model.Host]):
    """The host's properties (Get-VMHost)."""

    @property
    def in_maintenance_mode(self) -> bool:
        """Whether the host is in maintenance mode (no VM may power on)."""
        return self._record.in_maintenance_mode

    @property
    def name(self) -> str:
        """The host's name."""
        return self._record.name

    @property
    def version(self) -> str:
        """The product version."""
        return self._record.version

    @property
    def build(self) -> str:
        """The build number."""
        return self._record.build

    @property
    def num_cpu(self) -> int:
        """Physical CPUs."""
        return self._record.num_cpu

    @property
    def cpu_total_mhz(self) -> int:
        """All PCPUs' MHz together."""
        return self._record.cpu_total_mhz

    @property
    def cpu_usage_mhz(self) -> int:
        """CPU in use now (MHz)."""
        return self._record.cpu_usage_mhz

    @property
    def memory_total_mb(self) -> int:
        """The host's memory (MB)."""
        return self._record.memory_total_mb

    @property
    def memory_usage_mb(self) -> int:
        """Memory in use (MB)."""
        return self._record.memory_usage_mb

    @property
    def uptime_seconds(self) -> int:
        """Seconds since boot."""
        return self._record.uptime_seconds

    @property
    def vm_count(self) -> int:
        """Registered VMs."""
        return self._record.vm_count


class VMData(Bound[S, model.VM]):
    """A VM's properties (Get-VM), as of the last read or ``refresh()``."""

    def _label(self) -> str:
        return f"{self._record.name} ({self._record.id})"

    @property
    def id(self) -> str:
        """ "vm-1"."""
        return self._record.id

    @property
    def name(self) -> str:
        """The VM's display name."""
        return self._record.name

    @property
    def power_state(self) -> str:
        """ "poweredOff" | "poweredOn" | "suspended"."""
        return self._record.power_state

    @property
    def num_cpu(self) -> int:
        """Virtual CPUs."""
        return self._record.num_cpu

    @property
    def memory_mb(self) -> int:
        """Memory (MB)."""
        return self._record.memory_mb

    @property
    def guest_id(self) -> str:
        """The guest OS id (guestOS)."""
        return self._record.guest_id

    @property
    def notes(self) -> str:
        """The annotation."""
        return self._record.notes

    @property
    def uuid(self) -> str:
        """The BIOS uuid (``uuid.bios``)."""
        return self._record.uuid

    @property
    def vmx_path(self) -> str:
        """ "[datastore1] web01/web01.vmx"."""
        return self._record.vmx_path

    @property
    def folder(self) -> str:
        """The datastore folder of its .vmx: "[datastore1] web01"."""
        return self._record.vmx_path.rsplit("/", 1)[0]

    @property
    def datastore_name(self) -> str:
        """The datastore of its .vmx."""
        return self._record.vmx_path[1:].split("]", 1)[0]

    @property
    def provisioned_bytes(self) -> int:
        """What its files may grow to."""
        return self._record.provisioned_bytes

    @property
    def used_bytes(self) -> int:
        """What its files occupy now."""
        return self._record.used_bytes

    @property
    def current_snapshot_id(self) -> str:
        """ "" when the VM has no current snapshot."""
        return self._record.current_snapshot_id

    @property
    def resource_pool_id(self) -> str:
        """Its resource pool's id."""
        return self._record.resource_pool_id

    @property
    def question(self) -> model.VmQuestion | None:
        """What a stunned VM waits to be told (answer with ``answer()``)."""
        return self._record.question

    @property
    def cpu_allocation(self) -> model.ResourceAllocation | None:
        """CPU shares, reservation and limit (MHz)."""
        return self._record.cpu_allocation

    @property
    def memory_allocation(self) -> model.ResourceAllocation | None:
        """Memory shares, reservation and limit (MB)."""
        return self._record.memory_allocation


class SnapshotData(Bound[S, model.Snapshot]):
    """A snapshot's properties."""

    @property
    def id(self) -> str:
        """ "vm-1-snapshot-2"."""
        return self._record.id

    @property
    def vm_id(self) -> str:
        """Its VM's id."""
        return self._record.vm_id

    @property
    def name(self) -> str:
        """The snapshot's name."""
        return self._record.name

    @property
    def description(self) -> str:
        """Its description."""
        return self._record.description

    @property
    def created(self) -> dt.datetime | None:
        """When it was taken."""
        return self._record.created

    @property
    def memory(self) -> bool:
        """It holds the VM's memory (a powered-on snapshot)."""
        return self._record.memory

    @property
    def power_state(self) -> str:
        """The VM's power state when it was taken."""
        return self._record.power_state

    @property
    def parent_id(self) -> str:
        """The snapshot it was taken from ("": a root)."""
        return self._record.parent_id

    @property
    def is_current(self) -> bool:
        """The VM runs from this snapshot."""
        return self._record.is_current


class TaskData(Bound[S, model.Task]):
    """A task's properties, as of the last read, ``refresh()`` or ``wait()``."""

    @property
    def id(self) -> str:
        """ "task-7"."""
        return self._record.id

    @property
    def description_id(self) -> str:
        """ "VirtualMachine.powerOn"."""
        return self._record.description_id

    @property
    def entity_id(self) -> str:
        """What the task acts on ("vm-1")."""
        return self._record.entity_id

    @property
    def entity_name(self) -> str:
        """Its name."""
        return self._record.entity_name

    @property
    def state(self) -> str:
        """queued | running | success | error."""
        return self._record.state

    @property
    def progress(self) -> int:
        """0-100."""
        return self._record.progress

    @property
    def done(self) -> bool:
        """It succeeded or failed."""
        return self._record.state in ("success", "error")

    @property
    def error(self) -> Exception | None:
        """The fault (a ``pyesx.faults`` instance) of a failed task."""
        return self._record.error

    @property
    def result_entity_id(self) -> str:
        """What the operation made or acted on ("vm-3" for CreateVM)."""
        return self._record.result_entity_id

    @property
    def result(self) -> str:
        """A value the operation returns (CreateScreenshot: the PNG's path)."""
        return self._record.result

    @property
    def user(self) -> str:
        """Who started it."""
        return self._record.user

    @property
    def queue_time(self) -> dt.datetime | None:
        """When it was queued."""
        return self._record.queue_time

    @property
    def complete_time(self) -> dt.datetime | None:
        """When it finished."""
        return self._record.complete_time


class EventData(Bound[S, model.Event]):
    """An event's properties (Get-VIEvent)."""

    def _key(self) -> str:
        return str(self._record.key)

    def _label(self) -> str:
        return f"{self._record.key} {self._record.type}"

    @property
    def key(self) -> int:
        """The event's number, rising."""
        return self._record.key

    @property
    def type(self) -> str:
        """ "VmPoweredOnEvent"."""
        return self._record.type

    @property
    def created(self) -> dt.datetime | None:
        """When it happened."""
        return self._record.created

    @property
    def message(self) -> str:
        """The event's text."""
        return self._record.message

    @property
    def user(self) -> str:
        """Who caused it."""
        return self._record.user

    @property
    def vm_id(self) -> str:
        """Its VM's id ("": none)."""
        return self._record.vm_id

    @property
    def vm_name(self) -> str:
        """Its VM's name."""
        return self._record.vm_name


class DatastoreData(Bound[S, Datastore]):
    """A datastore's properties (Get-Datastore)."""

    @property
    def name(self) -> str:
        """ "datastore1"."""
        return self._record.name

    @property
    def capacity_bytes(self) -> int:
        """Its capacity."""
        return self._record.capacity_bytes

    @property
    def free_bytes(self) -> int:
        """Free space."""
        return self._record.free_bytes

    @property
    def capacity_gb(self) -> float:
        """Its capacity (GiB)."""
        return self._record.capacity_gb

    @property
    def free_space_gb(self) -> float:
        """Free space (GiB)."""
        return self._record.free_space_gb

    @property
    def accessible(self) -> bool:
        """It is mounted and usable."""
        return self._record.accessible

    def path(self, relative: str = "") -> str:
        """A path on this datastore: ``path("web01")`` is "[datastore1] web01"."""
        return datastore_path(self._record.name, relative)


class DeviceData(Bound[S, R]):
    """A device of a VM: knows its VM's id."""

    def __init__(self, session: S, record: R, vm_id: str) -> None:
        super().__init__(session, record)
        self.vm_id = vm_id

    def _key(self) -> str:
        return f"{self.vm_id}/{getattr(self._record, 'key', '')}"

    def _label(self) -> str:
        return self._key()


class HardDiskData(DeviceData[S, model.HardDisk]):
    """A virtual disk's properties (Get-HardDisk)."""

    @property
    def key(self) -> str:
        """ "scsi0:0"."""
        return self._record.key

    @property
    def file_name(self) -> str:
        """ "[datastore1] web01/web01.vmdk"."""
        return self._record.file_name

    @property
    def capacity_bytes(self) -> int:
        """The disk's size."""
        return self._record.capacity_bytes

    @property
    def capacity_gb(self) -> float:
        """The disk's size (GiB)."""
        return self._record.capacity_bytes / 2**30

    @property
    def disk_mode(self) -> str:
        """persistent | independent_persistent | independent_nonpersistent."""
        return self._record.disk_mode

    @property
    def thin(self) -> bool:
        """Thin provisioned."""
        return self._record.thin


class NetworkAdapterData(DeviceData[S, model.NetworkAdapter]):
    """A virtual NIC's properties (Get-NetworkAdapter)."""

    @property
    def key(self) -> str:
        """ "ethernet0"."""
        return self._record.key

    @property
    def network_name(self) -> str:
        """Its port group."""
        return self._record.network_name

    @property
    def adapter_type(self) -> str:
        """vmxnet3 | e1000 | e1000e."""
        return self._record.adapter_type

    @property
    def mac_address(self) -> str:
        """Its MAC address."""
        return self._record.mac_address

    @property
    def connected(self) -> bool:
        """On its port now (a powered-on VM's)."""
        return self._record.connected

    @property
    def start_connected(self) -> bool:
        """Connected at power-on."""
        return self._record.start_connected


class VirtualSwitchData(Bound[S, VirtualSwitch]):
    """A standard vSwitch's properties (Get-VirtualSwitch)."""

    @property
    def name(self) -> str:
        """ "vSwitch0"."""
        return self._record.name

    @property
    def num_ports(self) -> int:
        """Its ports."""
        return self._record.num_ports

    @property
    def mtu(self) -> int:
        """Its MTU."""
        return self._record.mtu

    @property
    def uplinks(self) -> tuple[str, ...]:
        """Its physical NICs."""
        return self._record.uplinks

    @property
    def security(self) -> SecurityPolicy:
        """Its security policy."""
        return self._record.security


class PortGroupData(Bound[S, PortGroup]):
    """A port group's properties (Get-VirtualPortGroup)."""

    @property
    def name(self) -> str:
        """ "VM Network"."""
        return self._record.name

    @property
    def vlan_id(self) -> int:
        """Its VLAN (0: none)."""
        return self._record.vlan_id

    @property
    def virtual_switch_name(self) -> str:
        """The vSwitch it is on."""
        return self._record.virtual_switch

    @property
    def effective_security(self) -> SecurityPolicy:
        """Its security policy, with the switch's where it inherits."""
        return self._record.effective_security


class ResourcePoolData(Bound[S, model.ResourcePool]):
    """A resource pool's properties (Get-ResourcePool); the root pool is ``ha-root-pool``."""

    @property
    def id(self) -> str:
        """ "ha-root-pool", "pool1" …."""
        return self._record.id

    @property
    def name(self) -> str:
        """ "Resources" for the root pool."""
        return self._record.name

    @property
    def parent_id(self) -> str:
        """ "" for the root pool."""
        return self._record.parent_id

    @property
    def cpu_allocation(self) -> model.ResourceAllocation:
        """MHz."""
        return self._record.cpu_allocation

    @property
    def memory_allocation(self) -> model.ResourceAllocation:
        """MB."""
        return self._record.memory_allocation

    @property
    def cpu_usage(self) -> model.ResourcePoolUsage:
        """CPU its children reserve, and what more it can grant (MHz)."""
        return self._record.cpu_usage

    @property
    def memory_usage(self) -> model.ResourcePoolUsage:
        """Memory its children reserve, and what more it can grant (MB)."""
        return self._record.memory_usage

    @property
    def vm_ids(self) -> tuple[str, ...]:
        """The VMs directly in it."""
        return self._record.vm_ids

    @property
    def child_pool_ids(self) -> tuple[str, ...]:
        """The pools directly under it."""
        return self._record.child_pool_ids

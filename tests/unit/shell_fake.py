"""An in-memory host behind the client contract the shell uses (see ``clients.shell.session.Client``).

It follows hostd's rules (shared/ESXI-SEMANTICS.md, "Power states and
operations"): a request that breaks one is refused at once, before any task
starts (InvalidPowerState{requested_state, existing_state}, DuplicateName,
NotFound, InvalidArgument, ToolsUnavailable, FileAlreadyExists). An accepted
operation takes effect at once and returns a *running* task snapshot;
``wait_for_task`` returns the finished task (with ``result_vm`` for a task
whose result is a VM, as the SDK does) or raises its fault. Set ``task_fault``
to make the next task end in error without effect, as one failing inside hostd
would. Every state change records an event, as hostd does.

``run(capsys, text, connector)`` runs ``pyesx shell -c TEXT`` against a fake
and returns the exit code and what was printed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import uuid
from collections.abc import Callable
from typing import Any
from unittest import mock

import pytest

from clients.certificates import HostCertificate
from clients.guestops import GuestProcess, ScriptResult
from clients.model import (
    HOST_ENTITY_ID,
    VM,
    CdDrive,
    Event,
    GuestInfo,
    HardDisk,
    Host,
    NetworkAdapter,
    PerfCatalogue,
    PerfCounter,
    PerfSample,
    ResourceAllocation,
    ResourcePool,
    ResourcePoolUsage,
    Snapshot,
    Task,
)
from clients.shell import main
from hostd.cdrom import iso_host_path
from hostd.perfcounters import CATALOGUE
from hostd.perfsources import CpuSource, Reading
from hostd.perfstats import ALL_INSTANCES, PerfCollector, PerfQuery
from pyesx.cdconfig import SLOTS as CD_SLOTS
from pyesx.faults import (
    DuplicateName,
    FileAlreadyExists,
    FileNotFound,
    InvalidArgument,
    InvalidGuestLogin,
    InvalidPowerState,
    InvalidState,
    NotAuthenticated,
    NotFound,
    ToolsUnavailable,
    VimFault,
)
from tests.unit.shell_fake_console import FakeConsole
from tests.unit.shell_fake_datastores import FakeDatastores
from tests.unit.shell_fake_hostconfig import FakeHostConfig
from tests.unit.shell_fake_hostops import FakeHostOps
from tests.unit.shell_fake_network import FakeNetwork

T0 = dt.datetime(2024, 11, 27, 7, 26, 0, tzinfo=dt.UTC)
MIB = 2**20
OFF, ON, SUSPENDED = "poweredOff", "poweredOn", "suspended"
NETWORKS = ("VM Network",)
MAX_SNAPSHOT_NAME = 80
ROOT_POOL = "ha-root-pool"
_POOL_SHARES = {"cpu": 4000, "memory": 163840}
_LEVELS = {"low": 0.5, "normal": 1.0, "high": 2.0}


def _pool_allocation(
    resource: str, old: ResourceAllocation, change: dict[str, Any] | None
) -> ResourceAllocation:
    """``old`` changed as hostd would (InvalidArgument for what it refuses)."""
    if not change:
        return old
    level = str(change.get("shares_level", "custom" if "shares" in change else old.shares_level))
    if level not in (*_LEVELS, "custom"):
        raise InvalidArgument(f"{resource}Allocation.shares.level", f"unknown shares level '{level}'")
    if level == "custom":
        if "shares" not in change and old.shares_level != "custom":
            raise InvalidArgument(f"{resource}Allocation.shares.shares", "custom shares need a number")
        shares = int(change.get("shares", old.shares))
    else:
        shares = int(_POOL_SHARES[resource] * _LEVELS[level])
    new = ResourceAllocation(
        int(change.get("reservation", old.reservation)),
        int(change.get("limit", old.limit)),
        level,
        shares,
        bool(change.get("expandable_reservation", old.expandable_reservation)),
    )
    if new.shares <= 0 or new.reservation < 0 or new.limit < -1:
        raise InvalidArgument(f"{resource}Allocation", "shares, reservation and limit must be positive")
    if new.limit != -1 and new.reservation > new.limit:
        raise InvalidArgument(f"{resource}Allocation.reservation", "the reservation is over the limit")
    return new


@dataclasses.dataclass
class SnapshotNode:
    """One snapshot as the fake keeps it: flat, with its parent's id, and the VM as it was."""

    id: str
    name: str
    description: str
    created: dt.datetime
    memory: bool
    power_state: str
    parent_id: str
    vm: VM


def _sized(vm: VM) -> VM:
    """The VM with its space recomputed as hostd does: disks plus memory provisioned, an eighth used."""
    disks = sum(d.capacity_bytes for d in vm.disks)
    return dataclasses.replace(vm, provisioned_bytes=disks + vm.memory_mb * MIB, used_bytes=disks // 8)


class _CpuCounters:
    """Stands for hostd's CPU source: the fake's statistics are recorded by tests (``record_stats``)."""

    counters = CpuSource.counters

    async def collect(self) -> Reading | None:
        return None


class FakeClient(FakeDatastores, FakeNetwork, FakeConsole, FakeHostOps, FakeHostConfig):
    """A logged-in client to a fake host; ``calls`` records every method called, in order."""

    def __init__(self, server: str = "fake:8443", user: str = "root") -> None:
        FakeDatastores.__init__(self)
        FakeNetwork.__init__(self, self.datastore_root)
        FakeHostOps.__init__(self)
        FakeHostConfig.__init__(self, self.datastore_root)
        self.server = server
        self.user = user
        self.vms: dict[str, VM] = {}
        self.tasks: dict[str, Task] = {}  # finished states, oldest first
        self.calls: list[tuple[object, ...]] = []
        self.event_log: list[Event] = []  # oldest first
        self.snapshot_nodes: dict[str, dict[str, SnapshotNode]] = {}  # vm id -> id -> node
        self.files: dict[str, VM] = {}  # vmx paths of unregistered VMs (their files stayed)
        self.no_tools: set[str] = set()  # ids of VMs whose guest runs no tools
        self.guest_files: dict[tuple[str, str], bytes] = {}  # (vm id, guest path) -> content
        self.boot_counts: dict[str, int] = {}
        self.logged_out = 0
        self.closed = 0
        self.settings: dict[str, dict[str, str]] = {}  # vm id -> advanced settings
        root_cpu = ResourceAllocation(19200, 19200, "normal", 4000)
        root_mem = ResourceAllocation(65536, 65536, "normal", 163840)
        self.pools: dict[str, ResourcePool] = {  # parents before children
            ROOT_POOL: ResourcePool(
                ROOT_POOL,
                "Resources",
                "",
                root_cpu,
                root_mem,
                ResourcePoolUsage(0, 19200),
                ResourcePoolUsage(0, 65536),
            )
        }
        self._next_pool = 1
        self._next_vm = 1
        self._next_task = 1
        self._next_snapshot = 1
        self._ticks = 0
        #: raised by unregister_vm when set (hostd may refuse it)
        self.unregister_fault: VimFault | None = None
        #: when set, the next task ends in error with it and changes nothing
        self.task_fault: VimFault | None = None
        #: realtime statistics, kept and queried by hostd's own collector
        self.perf = PerfCollector([_CpuCounters()])

    # -- helpers ------------------------------------------------------------------------------

    def now(self) -> dt.datetime:
        """The fake clock: T0, then one second later at every call."""
        self._ticks += 1
        return T0 + dt.timedelta(seconds=self._ticks - 1)

    def add_vm(
        self,
        name: str,
        power_state: str = OFF,
        num_cpu: int = 1,
        memory_mb: int = 256,
        *,
        disk_capacity_bytes: list[int] | None = None,
        network_names: list[str] | None = None,
    ) -> VM:
        """Put a VM in the inventory directly (no task, no event)."""
        vm = self._make_vm(name, num_cpu, memory_mb, disk_capacity_bytes or [], network_names or [])
        vm = self.vms[vm.id] = dataclasses.replace(vm, power_state=power_state)
        return vm

    def _make_vm(
        self,
        name: str,
        num_cpu: int,
        memory_mb: int,
        disk_capacity_bytes: list[int],
        network_names: list[str],
        datastore: str = "datastore1",
    ) -> VM:
        number = self._next_vm
        self._next_vm += 1
        folder = f"[{datastore}] {name}/"
        disks = tuple(
            HardDisk(f"scsi0:{i}", f"{folder}{name}{f'_{i}' if i else ''}.vmdk", capacity, "persistent")
            for i, capacity in enumerate(disk_capacity_bytes)
        )
        adapters = tuple(
            NetworkAdapter(f"ethernet{i}", network, "vmxnet3", f"00:0c:29:00:{number:02x}:{i:02x}")
            for i, network in enumerate(network_names)
        )
        vm = VM(
            id=f"vm-{number}",
            name=name,
            power_state=OFF,
            num_cpu=num_cpu,
            memory_mb=memory_mb,
            guest_id="otherGuest64",
            notes="",
            uuid=str(uuid.UUID(int=number)),
            vmx_path=f"{folder}{name}.vmx",
            disks=disks,
            network_adapters=adapters,
        )
        return _sized(vm)

    def _task(
        self,
        description: str,
        vm: VM | None,
        error: VimFault | None = None,
        result: str = "",
        *,
        entity: tuple[str, str] | None = None,
    ) -> Task:
        """A task that already ended (kept in ``tasks``); returns it as it was while running."""
        task_id = f"task-{self._next_task}"
        self._next_task += 1
        entity_id, entity_name = entity or ((vm.id, vm.name) if vm else ("", ""))
        started = self.now()
        running = Task(
            id=task_id,
            description_id=description,
            entity_id=entity_id,
            entity_name=entity_name,
            state="running",
            progress=0,
            user=self.user,
            queue_time=started,
            start_time=started,
            description=description.rpartition(".")[2],
        )
        self.tasks[task_id] = dataclasses.replace(
            running,
            state="error" if error else "success",
            progress=100,
            complete_time=started + dt.timedelta(seconds=1),
            error=error,
            result_entity_id="" if error else result,
        )
        return running

    def _run(
        self, description: str, vm: VM | None, work: Callable[[], str], entity: tuple[str, str] | None = None
    ) -> Task:
        """Run work (returning the result's id) as a task, unless ``task_fault`` fails it first."""
        fault, self.task_fault = self.task_fault, None
        if fault is not None:
            return self._task(description, vm, fault, entity=entity)
        return self._task(description, vm, result=work(), entity=entity)

    def _vm(self, vm_id: str) -> VM:
        vm = self.vms.get(vm_id)
        if vm is None:
            raise NotFound("VirtualMachine", vm_id)
        return vm

    @staticmethod
    def _require(vm: VM, *states: str, requested: str) -> None:
        if vm.power_state not in states:
            raise InvalidPowerState(requested, vm.power_state)

    def _update(self, vm: VM, **changes: Any) -> VM:
        updated = self.vms[vm.id] = _sized(dataclasses.replace(self.vms[vm.id], **changes))
        return updated

    def record(self, kind: str, vm: VM | None, message: str) -> None:
        """Log an event, as hostd does for every state change."""
        key = len(self.event_log) + 1
        self.event_log.append(
            Event(key, kind, self.now(), message, self.user, vm.id if vm else "", vm.name if vm else "")
        )

    def _check_name_free(self, name: str, except_id: str = "") -> None:
        if any(vm.name == name and vm.id != except_id for vm in self.vms.values()):
            raise DuplicateName(name)

    @staticmethod
    def _check_num_cpu(num_cpu: int) -> None:
        if not 1 <= num_cpu <= 8:
            raise InvalidArgument("numCPUs", f"{num_cpu} is outside 1..8 (the host's PCPUs)")

    @staticmethod
    def _check_memory_mb(memory_mb: int) -> None:
        if memory_mb % 4 or not 4 <= memory_mb <= 65536:
            raise InvalidArgument(
                "memoryMB", f"{memory_mb} must be a multiple of 4 between 4 and the host's memory"
            )

    # -- the contract: host and VMs -----------------------------------------------------------

    def certificate(self) -> HostCertificate:
        self.calls.append(("certificate",))
        return self._certificate

    def regenerate_certificate(self) -> HostCertificate:
        self.calls.append(("regenerate_certificate",))
        self._certificate = dataclasses.replace(self._certificate, thumbprint=":".join(["CD"] * 32))
        return self._certificate

    _certificate = HostCertificate(
        ":".join(["AB"] * 32),
        "CN=esx01",
        "CN=pyesx host CA esx01,O=pyesx",
        dt.datetime(2031, 1, 1, tzinfo=dt.UTC),
        "-----BEGIN CERTIFICATE-----",
        "-----BEGIN CERTIFICATE-----",
    )

    def host(self) -> Host:
        self.calls.append(("host",))
        return Host(
            name="esx01",
            version="8.0.2",
            build="22380479",
            connection_state="connected",
            power_state="poweredOn",
            num_cpu=8,
            cpu_mhz=2400,
            cpu_total_mhz=19200,
            cpu_usage_mhz=1200,
            memory_total_mb=65536,
            memory_usage_mb=8192,
            uptime_seconds=3600,
            vm_count=len(self.vms),
            in_maintenance_mode=self.in_maintenance,
        )

    def list_vms(self, names: list[str] | None = None) -> list[VM]:
        self.calls.append(("list_vms", names))
        vms = list(self.vms.values())
        return [vm for vm in vms if vm.name in names] if names else vms

    def get_vm(self, vm_id: str) -> VM:
        self.calls.append(("get_vm", vm_id))
        return self._vm(vm_id)

    def create_vm(
        self,
        name: str,
        num_cpus: int = 1,
        memory_mb: int = 256,
        guest_id: str = "",
        notes: str = "",
        *,
        disk_capacity_bytes: list[int] | None = None,
        network_names: list[str] | None = None,
        no_network: bool = False,
        cd_drive: bool = False,
        datastore: str = "",
        resource_pool_id: str = "",
    ) -> Task:
        pool = self._pool(resource_pool_id or ROOT_POOL)
        options = {
            "disk_capacity_bytes": disk_capacity_bytes,
            "network_names": network_names,
            "no_network": no_network,
            "cd_drive": cd_drive,
            "datastore": datastore,
        }
        self.calls.append(("create_vm", name, num_cpus, memory_mb, guest_id, notes, options))
        self._check_name_free(name)
        self._check_num_cpu(num_cpus)
        self._check_memory_mb(memory_mb)
        networks = [] if no_network else list(network_names or NETWORKS)
        for network in networks:
            if network not in NETWORKS:
                raise InvalidArgument("networkName", f"there is no port group named '{network}'")
        for capacity in disk_capacity_bytes or []:
            if capacity <= 0 or capacity % 1024:
                raise InvalidArgument(
                    "capacity", f"{capacity} bytes is not a disk size (whole KB, up to 62 TB)"
                )
        store = datastore or "datastore1"
        if f"[{store}] {name}/{name}.vmx" in self.files:
            raise FileAlreadyExists(f"[{store}] {name}")

        def work() -> str:
            vm = self._make_vm(name, num_cpus, memory_mb, list(disk_capacity_bytes or []), networks, store)
            vm = dataclasses.replace(
                vm,
                guest_id=guest_id or "otherGuest64",
                notes=notes,
                cd_drives=("ide1:0",) if cd_drive else (),
                cdroms=(CdDrive("ide1:0", ""),) if cd_drive else (),
                resource_pool_id=pool.id,
                resource_pool_name=pool.name,
            )
            self.vms[vm.id] = vm
            self.record("VmCreatedEvent", vm, f"Created virtual machine {name} on esx01")
            return vm.id

        return self._run("Folder.createVm", None, work, entity=(f"name:{name}", name))

    def register_vm(self, vmx_path: str, name: str = "", resource_pool_id: str = "") -> Task:
        self.calls.append(("register_vm", vmx_path, name))
        pool = self._pool(resource_pool_id or ROOT_POOL)
        if not vmx_path.lower().endswith(".vmx"):
            raise InvalidArgument("path", f"'{vmx_path}' is not a .vmx file")
        if any(vm.vmx_path == vmx_path for vm in self.vms.values()):
            raise FileAlreadyExists(vmx_path, f"'{vmx_path}' is already registered.")
        kept = self.files.get(vmx_path)
        if kept is None:
            raise NotFound("File", vmx_path)
        name = name or kept.name
        self._check_name_free(name)

        def work() -> str:
            del self.files[vmx_path]
            vm = dataclasses.replace(
                kept,
                id=f"vm-{self._next_vm}",
                name=name,
                resource_pool_id=pool.id,
                resource_pool_name=pool.name,
            )
            self._next_vm += 1
            self.vms[vm.id] = vm
            self.record("VmRegisteredEvent", vm, f"Registered {name} on esx01")
            return vm.id

        return self._run("Folder.registerVm", None, work, entity=(f"name:{name}", name))

    def advanced_settings(self, vm_id: str) -> dict[str, str]:
        self._vm(vm_id)
        return dict(self.settings.get(vm_id, {}))

    def reconfigure_vm(
        self,
        vm_id: str,
        *,
        num_cpu: int | None = None,
        memory_mb: int | None = None,
        name: str | None = None,
        notes: str | None = None,
        set_extra_config: dict[str, str] | None = None,
        remove_extra_config: list[str] | None = None,
        cpu_allocation: dict[str, int | str] | None = None,
        memory_allocation: dict[str, int | str] | None = None,
        add_disks: list[dict[str, int | str]] | None = None,
        change_disks: list[dict[str, int | str]] | None = None,
        remove_disk_keys: list[str] | None = None,
        delete_removed_disk_files: bool = False,
        add_nics: list[dict[str, str | bool]] | None = None,
        change_nics: list[dict[str, str | bool]] | None = None,
        remove_network_keys: list[str] | None = None,
        add_cd_drives: list[dict[str, str | bool]] | None = None,
        change_cd_drives: list[dict[str, str | bool]] | None = None,
        remove_cd_drive_keys: list[str] | None = None,
    ) -> Task:
        self.calls.append(("reconfigure_vm", vm_id, num_cpu, memory_mb, name, notes))
        vm = self._vm(vm_id)
        settings = self.settings.setdefault(vm_id, {})
        for key in remove_extra_config or []:
            if key not in settings:
                raise InvalidArgument("extraConfig", f"{vm.name} has no advanced setting '{key}'")
        for key, value in (set_extra_config or {}).items():
            if key == "sim.cpu.demand" and not (value.isdigit() and int(value) <= 100):
                raise InvalidArgument(key, f"'{value}' is not a percentage from 0 to 100")
        running = vm.power_state != OFF
        if num_cpu is not None and num_cpu != vm.num_cpu:
            self._check_num_cpu(num_cpu)
            if running:
                raise InvalidPowerState(OFF, vm.power_state)
        if memory_mb is not None and memory_mb != vm.memory_mb:
            self._check_memory_mb(memory_mb)
            if running and not (vm.memory_hot_add and memory_mb > vm.memory_mb):
                raise InvalidPowerState(OFF, vm.power_state)
        if name is not None:
            self._check_name_free(name, except_id=vm.id)
        changes: dict[str, Any] = {"num_cpu": num_cpu, "memory_mb": memory_mb, "name": name, "notes": notes}
        if add_nics or change_nics or remove_network_keys:
            changes["network_adapters"] = self._changed_nics(
                vm, add_nics or [], change_nics or [], remove_network_keys or []
            )
        if add_cd_drives or change_cd_drives or remove_cd_drive_keys:
            cdroms = self._changed_cds(
                vm, add_cd_drives or [], change_cd_drives or [], remove_cd_drive_keys or []
            )
            changes["cdroms"], changes["cd_drives"] = cdroms, tuple(d.key for d in cdroms)
        structural = any(("capacity_bytes" in c or "disk_mode" in c) for c in change_disks or [])
        if add_disks or change_disks or remove_disk_keys:
            if running and (add_disks or remove_disk_keys or structural):
                raise InvalidPowerState(OFF, vm.power_state)
            changes["disks"] = self._changed_disks(
                vm, add_disks or [], change_disks or [], remove_disk_keys or []
            )

        allocations = {}
        for field, change, shares_per in (
            ("cpu_allocation", cpu_allocation, 1000 * vm.num_cpu),
            ("memory_allocation", memory_allocation, 10 * vm.memory_mb),
        ):
            if change is not None:
                old = getattr(vm, field) or ResourceAllocation(0, -1, "normal", shares_per)
                level = str(change.get("shares_level", old.shares_level))
                number = int(change.get("shares", old.shares if level == old.shares_level else shares_per))
                new = ResourceAllocation(
                    int(change.get("reservation", old.reservation)),
                    int(change.get("limit", old.limit)),
                    level,
                    number,
                )
                if new.reservation < 0 or (new.limit != -1 and new.reservation > new.limit):
                    raise InvalidArgument(field, "the reservation must lie between 0 and the limit")
                allocations[field] = new

        def work() -> str:
            updated = self._update(vm, **{k: v for k, v in changes.items() if v is not None}, **allocations)
            settings.update(set_extra_config or {})
            for key in remove_extra_config or []:
                settings.pop(key, None)
            self.record("VmReconfiguredEvent", updated, f"Reconfigured {updated.name} on esx01")
            return vm.id

        return self._run("VirtualMachine.reconfigure", vm, work)

    @staticmethod
    def _changed_nics(
        vm: VM, add: list[dict[str, str | bool]], change: list[dict[str, str | bool]], remove: list[str]
    ) -> tuple[NetworkAdapter, ...]:
        """The VM's adapters after a reconfigure, as hostd checks it."""
        nics = {n.key: n for n in vm.network_adapters}
        running = vm.power_state == ON
        if (add or remove) and running:
            raise InvalidPowerState(OFF, vm.power_state)
        for key in remove:
            if nics.pop(key, None) is None:
                raise InvalidArgument("deviceKey", f"{vm.name} has no device '{key}'")
        for item in change:
            old = nics.get(str(item["key"]))
            if old is None:
                raise InvalidArgument("deviceKey", f"{vm.name} has no network adapter '{item['key']}'")
            if "connected" in item and not running:
                raise InvalidPowerState(ON, vm.power_state)
            network = str(item.get("network_name", old.network_name))
            if network not in NETWORKS:
                raise NotFound("Network", network)
            nics[old.key] = dataclasses.replace(
                old,
                network_name=network,
                connected=bool(item.get("connected", old.connected)),
                start_connected=bool(item.get("start_connected", old.start_connected)),
            )
        for item in add:
            index = next(i for i in range(10) if f"ethernet{i}" not in nics)
            mac = str(item.get("mac_address", "")) or f"00:0c:29:00:00:{index:02x}"
            network = str(item["network_name"])
            if network not in NETWORKS:
                raise NotFound("Network", network)
            nics[f"ethernet{index}"] = NetworkAdapter(
                f"ethernet{index}",
                network,
                str(item.get("adapter_type", "vmxnet3")),
                mac,
                bool(item.get("start_connected", True)),
                address_type="static" if item.get("mac_address") else "generated",
            )
        return tuple(sorted(nics.values(), key=lambda n: int(n.key[8:])))

    def _changed_cds(
        self, vm: VM, add: list[dict[str, str | bool]], change: list[dict[str, str | bool]], remove: list[str]
    ) -> tuple[CdDrive, ...]:
        """The VM's CD/DVD drives after a reconfigure, with hostd's own ISO path checks."""
        drives = {d.key: d for d in vm.cdroms}
        running = vm.power_state == ON
        if (add or remove) and running:
            raise InvalidPowerState(OFF, vm.power_state)
        for key in remove:
            if drives.pop(key, None) is None:
                raise InvalidArgument("deviceKey", f"{vm.name} has no device '{key}'")
        for item in change:
            old = drives.get(str(item["key"]))
            if old is None:
                raise InvalidArgument("deviceKey", f"{vm.name} has no CD/DVD drive '{item['key']}'")
            iso, no_media = old.iso_path, old.no_media
            if "iso_path" in item:
                iso_host_path(self.layout, str(item["iso_path"]))
                iso, no_media = str(item["iso_path"]), False
            if item.get("no_media"):
                iso, no_media = "", True
            if "connected" in item and not running:
                raise InvalidPowerState(ON, vm.power_state)
            drives[old.key] = dataclasses.replace(
                old,
                iso_path=iso,
                no_media=no_media,
                connected=bool(item.get("connected", old.connected)),
                start_connected=bool(item.get("start_connected", old.start_connected)),
            )
        for item in add:
            slot = next((slot for slot in CD_SLOTS if slot not in drives), None)
            if slot is None:
                raise InvalidArgument("cdDrive", "a VM has at most 4 IDE CD/DVD drives")
            iso = str(item.get("iso_path", ""))
            if iso:
                iso_host_path(self.layout, iso)
            drives[slot] = CdDrive(slot, iso, bool(item.get("start_connected", False)), False, not iso)
        return tuple(sorted(drives.values(), key=lambda d: d.key))

    @staticmethod
    def _changed_disks(
        vm: VM, add: list[dict[str, int | str]], change: list[dict[str, int | str]], remove: list[str]
    ) -> tuple[HardDisk, ...]:
        """The VM's disks after a reconfigure, as hostd checks it (no shrinking, known keys)."""
        disks = {d.key: d for d in vm.disks}
        for key in remove:
            if disks.pop(key, None) is None:
                raise InvalidArgument("deviceKey", f"{vm.name} has no device '{key}'")
        for item in change:
            old = disks.get(str(item["key"]))
            if old is None:
                raise InvalidArgument("deviceKey", f"{vm.name} has no disk '{item['key']}'")
            capacity = int(item.get("capacity_bytes", old.capacity_bytes))
            if capacity < old.capacity_bytes:
                raise InvalidArgument("capacity", "disks cannot shrink")
            mode = str(item.get("disk_mode", old.disk_mode))
            presets = {"low": 500, "normal": 1000, "high": 2000}
            level = str(item.get("io_shares_level", ""))
            shares = int(item["io_shares"]) if "io_shares" in item else presets.get(level, old.io_shares)
            limit = int(item.get("io_limit", old.io_limit))
            if limit < -1 or shares <= 0:
                raise InvalidArgument("ioLimit", "a limit is -1 (unlimited) or a number of IOPS")
            disks[old.key] = dataclasses.replace(
                old, capacity_bytes=capacity, disk_mode=mode, io_shares=shares, io_limit=limit
            )
        for item in add:
            unit = next(u for u in range(16) if u != 7 and f"scsi0:{u}" not in disks)
            key = f"scsi0:{unit}"
            disks[key] = HardDisk(
                key,
                f"[datastore1] {vm.name}/{vm.name}_{unit}.vmdk",
                int(item["capacity_bytes"]),
                str(item.get("disk_mode", "persistent")),
                item.get("disk_format", "thin") == "thin",
            )
        return tuple(sorted(disks.values(), key=lambda d: int(d.key.split(":")[1])))

    # -- resource pools -----------------------------------------------------------------------

    def _pool(self, pool_id: str) -> ResourcePool:
        pool = self.pools.get(pool_id)
        if pool is None:
            raise NotFound("ResourcePool", pool_id)
        return pool

    def _check_pool_name(self, name: str, parent_id: str, except_id: str = "") -> None:
        if not name.strip():
            raise InvalidArgument("name", "a pool needs a non-empty name")
        if any(
            p.name == name and p.parent_id == parent_id and p.id != except_id for p in self.pools.values()
        ):
            raise DuplicateName(name)

    def list_resource_pools(self) -> list[ResourcePool]:
        self.calls.append(("list_resource_pools",))
        ordered: list[ResourcePool] = []
        frontier = [ROOT_POOL]
        while frontier:
            pool = self.pools[frontier.pop(0)]
            children = tuple(p.id for p in self.pools.values() if p.parent_id == pool.id)
            vm_ids = tuple(vm.id for vm in self.vms.values() if vm.resource_pool_id == pool.id)
            ordered.append(dataclasses.replace(pool, child_pool_ids=children, vm_ids=vm_ids))
            frontier.extend(children)
        return ordered

    def create_resource_pool(
        self,
        name: str,
        parent_id: str = "",
        *,
        cpu_allocation: dict[str, Any] | None = None,
        memory_allocation: dict[str, Any] | None = None,
    ) -> ResourcePool:
        self.calls.append(("create_resource_pool", name, parent_id, cpu_allocation, memory_allocation))
        parent = self._pool(parent_id or ROOT_POOL)
        self._check_pool_name(name, parent.id)
        cpu = _pool_allocation("cpu", ResourceAllocation(0, -1, "normal", 4000, True), cpu_allocation)
        memory = _pool_allocation(
            "memory", ResourceAllocation(0, -1, "normal", 163840, True), memory_allocation
        )
        pool = ResourcePool(
            f"pool{self._next_pool}",
            name,
            parent.id,
            cpu,
            memory,
            ResourcePoolUsage(0, cpu.reservation),
            ResourcePoolUsage(0, memory.reservation),
        )
        self._next_pool += 1
        self.pools[pool.id] = pool
        return pool

    def update_resource_pool(
        self,
        pool_id: str,
        *,
        name: str | None = None,
        cpu_allocation: dict[str, Any] | None = None,
        memory_allocation: dict[str, Any] | None = None,
    ) -> ResourcePool:
        self.calls.append(("update_resource_pool", pool_id, name, cpu_allocation, memory_allocation))
        pool = self._pool(pool_id)
        if pool.id == ROOT_POOL:
            raise InvalidArgument("pool", "the host's root pool cannot be renamed or reconfigured")
        if name is not None:
            self._check_pool_name(name, pool.parent_id, except_id=pool.id)
        cpu = _pool_allocation("cpu", pool.cpu_allocation, cpu_allocation)
        memory = _pool_allocation("memory", pool.memory_allocation, memory_allocation)
        pool = self.pools[pool.id] = dataclasses.replace(
            pool, name=pool.name if name is None else name, cpu_allocation=cpu, memory_allocation=memory
        )
        for vm in list(self.vms.values()):
            if vm.resource_pool_id == pool.id:
                self._update(vm, resource_pool_name=pool.name)
        return pool

    def delete_resource_pool(self, pool_id: str) -> None:
        self.calls.append(("delete_resource_pool", pool_id))
        pool = self._pool(pool_id)
        if pool.id == ROOT_POOL:
            raise InvalidArgument("pool", "the host's root pool cannot be deleted")
        if any(p.parent_id == pool.id for p in self.pools.values()) or any(
            vm.resource_pool_id == pool.id for vm in self.vms.values()
        ):
            raise InvalidState(f"Resource pool '{pool.name}' is in use: move or remove what it holds first.")
        del self.pools[pool.id]

    def move_into_resource_pool(self, pool_id: str, entity_ids: list[str]) -> ResourcePool:
        self.calls.append(("move_into_resource_pool", pool_id, list(entity_ids)))
        target = self._pool(pool_id)
        for entity_id in entity_ids:
            if entity_id.startswith("vm-"):
                self._vm(entity_id)
                continue
            self._pool(entity_id)
            ancestor: str = target.id
            while ancestor:
                if ancestor == entity_id:
                    raise InvalidArgument("parent", "a pool cannot move into itself or a descendant")
                ancestor = self.pools[ancestor].parent_id
        for entity_id in entity_ids:
            if entity_id.startswith("vm-"):
                self._update(self.vms[entity_id], resource_pool_id=target.id, resource_pool_name=target.name)
            else:
                self.pools[entity_id] = dataclasses.replace(self.pools[entity_id], parent_id=target.id)
        return target

    # -- power --------------------------------------------------------------------------------

    def _power(self, vm: VM, state: str, *events: tuple[str, str]) -> str:
        updated = self._update(vm, power_state=state)
        if state == ON and vm.power_state == OFF:
            self.boot_counts[vm.id] = self.boot_counts.get(vm.id, 0) + 1
        for kind, doing in events:
            self.record(kind, updated, f"{vm.name} on esx01 is {doing}")
        return vm.id

    def power_on(self, vm_id: str) -> Task:
        self.calls.append(("power_on", vm_id))
        vm = self._vm(vm_id)
        self._require(vm, OFF, SUSPENDED, requested=OFF)
        self.check_maintenance(vm)
        first = (
            ("VmResumingEvent", "resuming")
            if vm.power_state == SUSPENDED
            else ("VmStartingEvent", "starting")
        )
        return self._run(
            "VirtualMachine.powerOn",
            vm,
            lambda: self._power(vm, ON, first, ("VmPoweredOnEvent", "powered on")),
        )

    def power_off(self, vm_id: str) -> Task:
        self.calls.append(("power_off", vm_id))
        vm = self._vm(vm_id)
        self._require(vm, ON, SUSPENDED, requested=ON)
        return self._run("VirtualMachine.powerOff", vm, lambda: self._off(vm))

    def kill(self, vm_id: str) -> Task:
        self.calls.append(("kill", vm_id))
        vm = self._vm(vm_id)
        self._require(vm, ON, requested=ON)
        return self._run("VirtualMachine.terminateVM", vm, lambda: self._off(vm))

    def _off(self, vm: VM) -> str:
        return self._power(vm, OFF, ("VmStoppingEvent", "stopping"), ("VmPoweredOffEvent", "powered off"))

    def suspend(self, vm_id: str) -> Task:
        self.calls.append(("suspend", vm_id))
        vm = self._vm(vm_id)
        self._require(vm, ON, requested=ON)
        events = (("VmSuspendingEvent", "being suspended"), ("VmSuspendedEvent", "suspended"))
        return self._run("VirtualMachine.suspend", vm, lambda: self._power(vm, SUSPENDED, *events))

    def reset(self, vm_id: str) -> Task:
        self.calls.append(("reset", vm_id))
        vm = self._vm(vm_id)
        self._require(vm, ON, requested=ON)

        def work() -> str:
            self.boot_counts[vm.id] = self.boot_counts.get(vm.id, 1) + 1
            self.record("VmResettingEvent", vm, f"{vm.name} on esx01 is reset")
            return vm.id

        return self._run("VirtualMachine.reset", vm, work)

    def _guest(self, vm_id: str) -> VM:
        vm = self._vm(vm_id)
        self._require(vm, ON, requested=ON)
        if vm.id in self.no_tools:
            raise ToolsUnavailable(vm.name)
        return vm

    def shutdown_guest(self, vm_id: str) -> None:
        """The guest shuts down (at once here: the fake has no guest to wait for)."""
        self.calls.append(("shutdown_guest", vm_id))
        vm = self._guest(vm_id)
        self.record("VmGuestShutdownEvent", vm, f"Guest OS shut down for {vm.name} on esx01")
        self._power(vm, OFF, ("VmPoweredOffEvent", "powered off"))

    def reboot_guest(self, vm_id: str) -> None:
        self.calls.append(("reboot_guest", vm_id))
        vm = self._guest(vm_id)
        self.boot_counts[vm.id] = self.boot_counts.get(vm.id, 1) + 1
        self.record("VmGuestRebootEvent", vm, f"Guest OS reboot for {vm.name} on esx01")

    def guest_info(self, vm_id: str) -> GuestInfo:
        self.calls.append(("guest_info", vm_id))
        vm = self._vm(vm_id)
        if vm.power_state != ON:
            return GuestInfo("guestToolsNotRunning", "notRunning", 0.0, 0, "")
        if vm.id in self.no_tools:
            return GuestInfo("guestToolsNotRunning", "running", 0.0, 0, "")
        boots = self.boot_counts.get(vm.id, 1)
        os_name = "PyESX Linux 1.0 (64-bit)"
        return GuestInfo(
            "guestToolsRunning", "running", 42.0, boots, vm.name, "", {}, "toolsOk", "12.3.0", os_name
        )

    # -- guest operations (the fake guest: root / vmware, files in a dict, `echo` scripts) ------

    def _guest_login(self, vm_id: str, user: str, password: str) -> VM:
        vm = self._guest(vm_id)
        if (user, password) != ("root", "vmware"):
            raise InvalidGuestLogin(vm.name)
        return vm

    def standby_guest(self, vm_id: str) -> None:
        self.calls.append(("standby_guest", vm_id))
        self._guest(vm_id)

    def run_script(
        self, vm_id: str, user: str, password: str, script: str, timeout: float = 0.0
    ) -> ScriptResult:
        self.calls.append(("run_script", script))
        self._guest_login(vm_id, user, password)
        if script.startswith("echo "):
            return ScriptResult(0, script[5:] + "\n")
        return ScriptResult(127, f"sh: {script.split()[0]}: command not found\n")

    def guest_processes(self, vm_id: str, user: str, password: str) -> list[GuestProcess]:
        self._guest_login(vm_id, user, password)
        return [
            GuestProcess(1, "init", "/sbin/init", "root", 0.0),
            GuestProcess(7, "vmtoolsd", "", "root", 0.0),
        ]

    def copy_to_guest(
        self, vm_id: str, user: str, password: str, data: bytes, guest_path: str, overwrite: bool = False
    ) -> int:
        self._guest_login(vm_id, user, password)
        if (vm_id, guest_path) in self.guest_files and not overwrite:
            raise FileAlreadyExists(guest_path)
        self.guest_files[(vm_id, guest_path)] = data
        return len(data)

    def copy_from_guest(self, vm_id: str, user: str, password: str, guest_path: str) -> bytes:
        self._guest_login(vm_id, user, password)
        if (vm_id, guest_path) not in self.guest_files:
            raise FileNotFound(guest_path)
        return self.guest_files[(vm_id, guest_path)]

    # -- removal ------------------------------------------------------------------------------

    def destroy_vm(self, vm_id: str) -> Task:
        self.calls.append(("destroy_vm", vm_id))
        vm = self._vm(vm_id)
        self._require(vm, OFF, requested=OFF)
        return self._run("VirtualMachine.destroy", vm, lambda: self._remove(vm, keep_files=False))

    def unregister_vm(self, vm_id: str) -> Task:
        self.calls.append(("unregister_vm", vm_id))
        if self.unregister_fault is not None:
            raise self.unregister_fault
        vm = self._vm(vm_id)
        self._require(vm, OFF, SUSPENDED, requested=OFF)
        return self._run("VirtualMachine.unregister", vm, lambda: self._remove(vm, keep_files=True))

    def _remove(self, vm: VM, keep_files: bool) -> str:
        del self.vms[vm.id]
        self.snapshot_nodes.pop(vm.id, None)
        if keep_files:
            self.files[vm.vmx_path] = dataclasses.replace(vm, current_snapshot_id="")
        self.record("VmRemovedEvent", vm, f"Removed {vm.name} on esx01")
        return vm.id

    # -- snapshots ----------------------------------------------------------------------------

    def _nodes(self, vm_id: str) -> dict[str, SnapshotNode]:
        self._vm(vm_id)
        return self.snapshot_nodes.setdefault(vm_id, {})

    def _node(self, snapshot_id: str) -> tuple[VM, SnapshotNode]:
        vm_id = snapshot_id.partition("-snapshot-")[0]
        node = self.snapshot_nodes.get(vm_id, {}).get(snapshot_id)
        if vm_id not in self.vms or node is None:
            raise NotFound("Snapshot", snapshot_id)
        return self.vms[vm_id], node

    def create_snapshot(self, vm_id: str, name: str, description: str = "", memory: bool = False) -> Task:
        self.calls.append(("create_snapshot", vm_id, name, description, memory))
        nodes = self._nodes(vm_id)
        vm = self.vms[vm_id]
        if not name.strip() or len(name) > MAX_SNAPSHOT_NAME:
            raise InvalidArgument("name", f"a snapshot name has 1 to {MAX_SNAPSHOT_NAME} characters")

        def work() -> str:
            ident = f"{vm.id}-snapshot-{self._next_snapshot}"
            self._next_snapshot += 1
            nodes[ident] = SnapshotNode(
                ident,
                name,
                description,
                self.now(),
                memory and vm.power_state == ON,
                vm.power_state,
                vm.current_snapshot_id,
                vm,
            )
            self._update(vm, current_snapshot_id=ident)
            self.record("VmSnapshotCreatedEvent", vm, f"Created snapshot '{name}' of {vm.name}")
            return ident

        return self._run("VirtualMachine.createSnapshot", vm, work)

    def snapshots(self, vm_id: str) -> list[Snapshot]:
        self.calls.append(("snapshots", vm_id))
        nodes = self._nodes(vm_id)
        current = self.vms[vm_id].current_snapshot_id

        def tree(parent: str) -> tuple[Snapshot, ...]:
            return tuple(
                Snapshot(
                    n.id,
                    vm_id,
                    n.name,
                    n.description,
                    n.created,
                    n.memory,
                    n.power_state,
                    n.parent_id,
                    n.id == current,
                    tree(n.id),
                )
                for n in nodes.values()
                if n.parent_id == parent
            )

        return list(tree(""))

    def revert_to_snapshot(self, snapshot_id: str, suppress_power_on: bool = False) -> Task:
        self.calls.append(("revert_to_snapshot", snapshot_id, suppress_power_on))
        vm, node = self._node(snapshot_id)

        def work() -> str:
            state = (SUSPENDED if suppress_power_on else ON) if node.memory else OFF
            was = node.vm
            self._update(
                vm,
                num_cpu=was.num_cpu,
                memory_mb=was.memory_mb,
                guest_id=was.guest_id,
                disks=was.disks,
                network_adapters=was.network_adapters,
                cd_drives=was.cd_drives,
                power_state=state,
                current_snapshot_id=node.id,
            )
            self.record("VmSnapshotRevertedEvent", vm, f"Reverted {vm.name} to snapshot '{node.name}'")
            return vm.id

        return self._run("VirtualMachine.revertToSnapshot", vm, work)

    def remove_snapshot(self, snapshot_id: str, remove_children: bool = False) -> Task:
        self.calls.append(("remove_snapshot", snapshot_id, remove_children))
        vm, node = self._node(snapshot_id)
        nodes = self.snapshot_nodes[vm.id]

        def subtree(ident: str) -> list[str]:
            return [ident, *(i for n in nodes.values() if n.parent_id == ident for i in subtree(n.id))]

        def work() -> str:
            for ident in subtree(node.id) if remove_children else [node.id]:
                self._drop(vm.id, nodes.pop(ident))
            return vm.id

        return self._run("VirtualMachine.removeSnapshot", vm, work)

    def _drop(self, vm_id: str, node: SnapshotNode) -> None:
        for child in self.snapshot_nodes[vm_id].values():
            if child.parent_id == node.id:
                child.parent_id = node.parent_id
        vm = self.vms[vm_id]
        if vm.current_snapshot_id == node.id:
            vm = self._update(vm, current_snapshot_id=node.parent_id)
        self.record("VmSnapshotRemovedEvent", vm, f"Removed snapshot '{node.name}' of {vm.name}")

    def remove_all_snapshots(self, vm_id: str) -> Task:
        self.calls.append(("remove_all_snapshots", vm_id))
        nodes = self._nodes(vm_id)
        vm = self.vms[vm_id]

        def work() -> str:
            nodes.clear()
            self._update(vm, current_snapshot_id="")
            self.record("VmSnapshotRemovedEvent", vm, f"Removed all snapshots of {vm.name}")
            return vm.id

        return self._run("VirtualMachine.removeAllSnapshots", vm, work)

    # -- tasks and events ---------------------------------------------------------------------

    def get_task(self, task_id: str) -> Task:
        self.calls.append(("get_task", task_id))
        task = self.tasks.get(task_id)
        if task is None:
            raise NotFound("Task", task_id)
        return task

    def recent_tasks(self, entity_id: str = "") -> list[Task]:
        self.calls.append(("recent_tasks", entity_id))
        return [t for t in self.tasks.values() if not entity_id or t.entity_id == entity_id]

    def cancel_task(self, task_id: str) -> Task:
        self.calls.append(("cancel_task", task_id))
        self.get_task(task_id)
        raise InvalidState("finished", f"The task {task_id} has already finished.")

    def wait_for_task(self, task_id: str, timeout: float | None = None) -> Task:
        self.calls.append(("wait_for_task", task_id))
        task = self.tasks.get(task_id)
        if task is None:
            raise NotFound("Task", task_id)
        if task.error is not None:
            raise task.error
        result = task.result_entity_id
        if result in self.vms and "-snapshot-" not in result:
            return dataclasses.replace(task, result_vm=self.vms[result])
        return task

    def events(
        self,
        vm_id: str = "",
        types: list[str] | None = None,
        max_count: int = 0,
        begin: dt.datetime | None = None,
        end: dt.datetime | None = None,
    ) -> list[Event]:
        self.calls.append(("events", vm_id, types, max_count, begin, end))
        if max_count < 0:
            raise InvalidArgument("max_count", "must not be negative")
        found = [
            e
            for e in reversed(self.event_log)
            if (not vm_id or e.vm_id == vm_id)
            and (not types or e.type in types)
            and (begin is None or (e.created is not None and e.created >= begin))
            and (end is None or (e.created is not None and e.created <= end))
        ]
        return found[:max_count] if max_count else found

    # -- the contract: performance statistics ------------------------------------------------

    def record_stats(self, when: dt.datetime, reading: Reading) -> None:
        """One interval's samples (entity id -> {(counter, instance): value}), as hostd collects them."""
        self.perf.record(when.timestamp(), reading)

    def perf_counters(self) -> PerfCatalogue:
        self.calls.append(("perf_counters",))
        counters = tuple(
            PerfCounter(
                c.name,
                c.unit,
                c.rollup,
                c.description,
                c.stats_type,
                c.per_instance,
                c.entity_types,
                c.name in self.perf.collected,
            )
            for c in CATALOGUE
        )
        return PerfCatalogue(counters, self.perf.interval_s, self.perf.samples_kept)

    def query_perf(
        self,
        entity_id: str,
        counters: list[str] | None = None,
        max_samples: int = 0,
        begin: dt.datetime | None = None,
        end: dt.datetime | None = None,
        interval_secs: int = 0,
        instance: str | None = None,
    ) -> list[PerfSample]:
        self.calls.append(("query_perf", entity_id, counters, max_samples, begin, end))
        if entity_id != HOST_ENTITY_ID and entity_id not in self.vms and not self.perf.has_entity(entity_id):
            raise NotFound("VirtualMachine", entity_id)
        query = PerfQuery(
            entity_id,
            counters or [],
            max_samples,
            begin.timestamp() if begin else None,
            end.timestamp() if end else None,
            interval_secs,
            ALL_INSTANCES if instance is None else instance,
        )
        return [
            PerfSample(
                v.entity_id,
                v.counter.name,
                v.instance,
                dt.datetime.fromtimestamp(v.timestamp, dt.UTC),
                v.value,
                v.counter.unit,
                self.perf.interval_s,
            )
            for v in self.perf.query(query)
        ]

    def answer_vm(self, vm_id: str, question_id: str, choice: str) -> None:
        self.calls.append(("answer_vm", vm_id, question_id, choice))
        vm = self._vm(vm_id)
        if vm.question is None or vm.question.id != question_id:
            raise InvalidArgument("questionId", f"{vm.name} has no question '{question_id}' pending")
        self._update(vm, question=None)

    def logout(self) -> None:
        self.calls.append(("logout",))
        self.logged_out += 1

    def close(self) -> None:
        self.calls.append(("close",))
        self.closed += 1


class FakeConnector:
    """A ``connect(server, user, password)`` factory over one FakeClient (the host keeps its state)."""

    def __init__(self, password: str = "secret", client: FakeClient | None = None) -> None:
        self.password = password
        self.client = client or FakeClient()
        self.connects: list[tuple[str, str, str]] = []
        self.certificate_options: list[dict[str, object]] = []

    def __call__(self, server: str, user: str, password: str, **certificate: object) -> FakeClient:
        self.connects.append((server, user, password))
        self.certificate_options.append(certificate)
        if password != self.password:
            raise NotAuthenticated("Cannot complete login due to an incorrect user name or password.")
        self.client.server = server
        self.client.user = user
        return self.client


#: command-line credentials that FakeConnector accepts
LOGIN = ["--server", "fake:8443", "--user", "root", "--password", "secret"]


@dataclasses.dataclass
class Run:
    """What one shell run did."""

    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)

    @property
    def err_lines(self) -> list[str]:
        return self.err.splitlines()


def run(
    capsys: pytest.CaptureFixture[str],
    text: str,
    connector: FakeConnector | None = None,
    *,
    login: bool = True,
    env: dict[str, str] | None = None,
) -> Run:
    """``pyesx shell [LOGIN] -c TEXT`` against ``connector``, with PYESX_* taken only from ``env``."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("PYESX_")} | (env or {})
    capsys.readouterr()
    with mock.patch.dict(os.environ, environ, clear=True):
        code = main([*(LOGIN if login else []), "-c", text], connect=connector or FakeConnector())
    out, err = capsys.readouterr()
    return Run(code, out, err)

"""The SDK's coroutine-free core: every operation as a plan (``Call`` or ``Watch``) that a transport runs.

A ``Call`` names a service, an RPC, the request message and how to turn the reply into the SDK's
records (``clients.model``). ``clients.transport.SyncTransport`` runs plans over grpc's blocking
stubs, ``clients.transport.AsyncTransport`` over ``grpc.aio``; the objects of ``clients.objects``
(sync) and ``clients.aio`` (asyncio) only build plans here and hand them to their transport. The
waiters (``TaskWaiter``, ``VMWaiter``) are the change-feed logic both flavours share.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypedDict, TypeVar

from clients import model
from clients.datastores import Datastore, DatastoreFile, datastore_from_proto, file_from_proto
from clients.guestops import GuestProcess, ScriptResult
from clients.hostconfig import (
    HostNetwork,
    HostService,
    NtpConfig,
    NtpStatus,
    Resolution,
    host_network_from_proto,
    host_network_request,
    host_service_from_proto,
    ntp_config_from_proto,
    ntp_status_from_proto,
    resolution_from_proto,
)
from clients.hostops import (
    AutoPowerInfo,
    AutoStartConfig,
    AutoStartDefaults,
    HostSetting,
    LogLines,
    LogType,
    autostart_from_proto,
    autostart_request,
    log_lines_from_proto,
    log_types_from_proto,
    settings_from_proto,
)
from clients.network import PortGroup, VirtualSwitch, port_group_from_proto, switch_from_proto
from clients.sdk import (
    DEFAULT_TIMEOUT,
    AllocationChange,
    _set_allocation_changes,
    _snapshot_from_proto,
    _timestamp,
    event_from_proto,
    pool_from_proto,
    task_from_proto,
    vm_from_proto,
)
from pyesx import faults
from pyesx.api.v1 import (
    changes_pb2,
    datastore_pb2,
    event_pb2,
    guest_pb2,
    host_pb2,
    hostconfig_pb2,
    network_pb2,
    performance_pb2,
    resourcepool_pb2,
    session_pb2,
    task_pb2,
    vm_pb2,
)

T = TypeVar("T")
FINISHED = ("success", "error")
CHANGE_KINDS = {changes_pb2.ENTER: "enter", changes_pb2.MODIFY: "modify", changes_pb2.LEAVE: "leave"}


@dataclass(frozen=True)
class Call(Generic[T]):
    """One unary RPC: ``service`` (a key of ``clients.transport.SERVICES``), ``method``, the request,
    and ``convert`` from the reply to what the SDK returns."""

    service: str
    method: str
    request: Any
    convert: Callable[[Any], T]
    timeout: float | None = DEFAULT_TIMEOUT


@dataclass(frozen=True)
class Watch(Generic[T]):
    """One server-streaming RPC, each message converted by ``convert``. Past ``timeout`` the stream
    ends quietly when ``ends_at_deadline`` (a watch for N seconds), else raises HostCommunication."""

    service: str
    method: str
    request: Any
    convert: Callable[[Any], T]
    timeout: float | None = None
    ends_at_deadline: bool = True


@dataclass(frozen=True)
class Change:
    """One entry of the host's change feed: an object entered, changed or left."""

    version: int
    kind: str  # enter | modify | leave
    object_type: str  # "VirtualMachine" | "Task"
    object_id: str
    changed_properties: tuple[str, ...]
    vm: model.VM | None  # the VM as it is now (VirtualMachine changes)
    task: model.Task | None  # the task as it is now (Task changes)
    initial_done: bool  # marks the end of the initial replay


def _nothing(_: Any) -> None:
    return None


def change_from_proto(m: changes_pb2.Change) -> Change:
    """A change-feed message as a ``Change``."""
    return Change(
        version=m.version,
        kind=CHANGE_KINDS.get(m.kind, "modify"),
        object_type=m.object_type,
        object_id=m.object_id,
        changed_properties=tuple(m.changed_properties),
        vm=vm_from_proto(m.vm) if m.HasField("vm") else None,
        task=task_from_proto(m.task) if m.HasField("task") else None,
        initial_done=m.initial_done,
    )


def host_from_proto(m: host_pb2.Host) -> model.Host:
    """A Host message as the ``model.Host`` record."""
    return model.Host(
        name=m.name,
        version=m.version,
        build=m.build,
        connection_state=m.connection_state,
        power_state=m.power_state,
        num_cpu=m.num_cpu,
        cpu_mhz=m.cpu_mhz,
        cpu_total_mhz=m.num_cpu * m.cpu_mhz,
        cpu_usage_mhz=m.cpu_usage_mhz,
        memory_total_mb=m.memory_bytes >> 20,
        memory_usage_mb=m.memory_usage_bytes >> 20,
        uptime_seconds=m.uptime_seconds,
        vm_count=m.vm_count,
        in_maintenance_mode=m.in_maintenance_mode,
    )


def guest_info_from_proto(m: vm_pb2.GuestInfo) -> model.GuestInfo:
    """A GuestInfo message as the ``model.GuestInfo`` record."""
    return model.GuestInfo(
        m.tools_running_status,
        m.guest_state,
        m.uptime_seconds,
        m.boot_count,
        m.host_name,
        m.ip_address,
        dict(m.guest_counters),
        m.tools_status,
        m.tools_version,
        m.guest_full_name,
        tuple(m.ip_addresses),
    )


def sample_from_proto(s: performance_pb2.PerfSample) -> model.PerfSample:
    """A PerfSample message as the ``model.PerfSample`` record."""
    return model.PerfSample(
        s.entity_id,
        s.counter,
        s.instance,
        s.timestamp.ToDatetime(tzinfo=dt.UTC),
        s.value,
        s.unit,
        s.interval_secs,
    )


def counter_from_proto(c: performance_pb2.PerfCounter) -> model.PerfCounter:
    """A PerfCounter message as the ``model.PerfCounter`` record."""
    return model.PerfCounter(
        c.name,
        c.unit,
        c.rollup,
        c.description,
        c.stats_type,
        c.per_instance,
        tuple(c.entity_types),
        c.collected,
    )


# -- session, host ------------------------------------------------------------------------------


def login(user: str, password: str) -> Call[tuple[str, str]]:
    """Log in; the reply is (user, session key)."""
    request = session_pb2.LoginRequest(user=user, password=password)
    return Call("session", "Login", request, lambda m: (m.user, m.key))


def logout() -> Call[None]:
    """End the session."""
    return Call("session", "Logout", session_pb2.LogoutRequest(), _nothing)


def get_host() -> Call[model.Host]:
    """The host's figures."""
    return Call("host", "GetHost", host_pb2.GetHostRequest(), host_from_proto)


def host_settings(keys: list[str] | None = None) -> Call[list[HostSetting]]:
    """The host's advanced settings (all, or these exact keys)."""
    request = host_pb2.QueryHostOptionsRequest(keys=keys or [])
    return Call("host", "QueryHostOptions", request, settings_from_proto)


def update_host_settings(values: Mapping[str, str]) -> Call[list[HostSetting]]:
    """Set host advanced settings; one bad value (InvalidArgument) changes nothing."""
    request = host_pb2.UpdateHostOptionsRequest(values=dict(values))
    return Call("host", "UpdateHostOptions", request, settings_from_proto)


def enter_maintenance_mode() -> Call[model.Task]:
    """EnterMaintenanceMode_Task: InvalidState while VMs are powered on."""
    return Call("host", "EnterMaintenanceMode", host_pb2.EnterMaintenanceModeRequest(), task_from_proto)


def exit_maintenance_mode() -> Call[model.Task]:
    """ExitMaintenanceMode_Task."""
    return Call("host", "ExitMaintenanceMode", host_pb2.ExitMaintenanceModeRequest(), task_from_proto)


def get_autostart() -> Call[AutoStartConfig]:
    """The autostart defaults and the VMs' entries, in start order."""
    return Call("host", "GetAutoStartConfig", host_pb2.GetAutoStartConfigRequest(), autostart_from_proto)


def reconfigure_autostart(
    defaults: AutoStartDefaults | None = None, power_info: list[AutoPowerInfo] | None = None
) -> Call[AutoStartConfig]:
    """Replace the autostart defaults (when given) and these VMs' entries."""
    request = autostart_request(defaults, power_info or [])
    return Call("host", "ReconfigureAutoStart", request, autostart_from_proto)


def reboot_host(force: bool = False) -> Call[model.Task]:
    """RebootHost_Task; without force the host must be in maintenance mode."""
    return Call("host", "RebootHost", host_pb2.HostPowerRequest(force=force), task_from_proto)


def shutdown_host(force: bool = False) -> Call[model.Task]:
    """ShutdownHost_Task; without force the host must be in maintenance mode."""
    return Call("host", "ShutdownHost", host_pb2.HostPowerRequest(force=force), task_from_proto)


def log_types() -> Call[list[LogType]]:
    """The host's log keys (hostd, vmkernel)."""
    return Call("host", "ListLogTypes", host_pb2.ListLogTypesRequest(), log_types_from_proto)


def browse_log(key: str, start_line_num: int = 0, num_lines: int = 0) -> Call[LogLines]:
    """Lines of one host log: from start_line_num (1-based), or the last num_lines."""
    request = host_pb2.BrowseLogRequest(key=key, start_line_num=start_line_num, num_lines=num_lines)
    return Call("host", "BrowseLog", request, log_lines_from_proto)


# -- VMs ----------------------------------------------------------------------------------------


def list_vms() -> Call[list[model.VM]]:
    """Every VM."""
    return Call("vms", "ListVMs", vm_pb2.ListVMsRequest(), lambda m: [vm_from_proto(v) for v in m.vms])


def get_vm(vm_id: str) -> Call[model.VM]:
    """One VM by id."""
    return Call("vms", "GetVM", vm_pb2.GetVMRequest(id=vm_id), vm_from_proto)


def create_vm(
    name: str,
    num_cpu: int = 1,
    memory_mb: int = 256,
    *,
    guest_id: str = "",
    notes: str = "",
    disk_capacity_bytes: list[int] | None = None,
    network_names: list[str] | None = None,
    no_network: bool = False,
    cd_drive: bool = False,
    datastore: str = "",
    resource_pool_id: str = "",
) -> Call[model.Task]:
    """CreateVM (a task whose result is the new VM's id)."""
    request = vm_pb2.CreateVMRequest(
        resource_pool_id=resource_pool_id,
        name=name,
        num_cpu=num_cpu,
        memory_mb=memory_mb,
        guest_id=guest_id,
        notes=notes,
        datastore=datastore,
        disk_capacity_bytes=disk_capacity_bytes or [],
        network_names=network_names or [],
        no_network=no_network,
        cd_drive=cd_drive,
    )
    return Call("vms", "CreateVM", request, task_from_proto)


def register_vm(vmx_path: str, name: str = "", resource_pool_id: str = "") -> Call[model.Task]:
    """RegisterVM of an existing .vmx (a task)."""
    request = vm_pb2.RegisterVMRequest(vmx_path=vmx_path, name=name, resource_pool_id=resource_pool_id)
    return Call("vms", "RegisterVM", request, task_from_proto)


def vm_task(method: str, vm_id: str) -> Call[model.Task]:
    """An operation that takes only the VM's id and returns a task: PowerOnVM, PowerOffVM, KillVM,
    SuspendVM, ResetVM, UnregisterVM, DestroyVM, RemoveAllSnapshots."""
    return Call("vms", method, vm_pb2.VMRequest(id=vm_id), task_from_proto)


def vm_request(method: str, vm_id: str) -> Call[None]:
    """A guest request that returns nothing: ShutdownGuest, RebootGuest, StandbyGuest."""
    return Call("vms", method, vm_pb2.VMRequest(id=vm_id), _nothing)


def guest_info(vm_id: str) -> Call[model.GuestInfo]:
    """The guest's state as its tools report it."""
    return Call("vms", "GetGuestInfo", vm_pb2.VMRequest(id=vm_id), guest_info_from_proto)


def advanced_settings(vm_id: str) -> Call[dict[str, str]]:
    """The VM's .vmx keys no other property covers."""
    return Call("vms", "GetAdvancedSettings", vm_pb2.VMRequest(id=vm_id), lambda m: dict(m.settings))


def answer_vm(vm_id: str, question_id: str, choice: str) -> Call[None]:
    """Answer the question a stunned VM waits on."""
    request = vm_pb2.AnswerVMRequest(id=vm_id, question_id=question_id, choice=choice)
    return Call("vms", "AnswerVM", request, _nothing)


class VMChanges(TypedDict, total=False):
    """What ``vm.reconfigure(**changes)`` takes (ReconfigureVM; unset keys stay as they are).

    ``add_disks`` items: capacity_bytes, disk_format (thin | thick | eagerZeroedThick), disk_mode;
    ``change_disks``: key and capacity_bytes (extend), disk_mode or io_* allocations; ``add_nics``:
    network_name, adapter_type, mac_address (static), start_connected; ``change_nics``: key and
    network_name, connected, start_connected; ``add_cd_drives``: iso_path, start_connected;
    ``change_cd_drives``: key and iso_path, no_media, connected, start_connected. Allocations:
    reservation, limit (-1: unlimited), shares_level (low | normal | high | custom), shares."""

    num_cpu: int
    memory_mb: int
    name: str
    notes: str
    cpu_hot_add: bool
    memory_hot_add: bool
    add_disks: list[dict[str, int | str]]
    change_disks: list[dict[str, int | str]]
    remove_disk_keys: list[str]
    delete_removed_disk_files: bool
    add_disk_capacity_bytes: list[int]
    add_nics: list[dict[str, str | bool]]
    change_nics: list[dict[str, str | bool]]
    remove_network_keys: list[str]
    add_network_names: list[str]
    add_cd_drives: list[dict[str, str | bool]]
    change_cd_drives: list[dict[str, str | bool]]
    remove_cd_drive_keys: list[str]
    set_extra_config: dict[str, str]
    remove_extra_config: list[str]
    cpu_allocation: AllocationChange
    memory_allocation: AllocationChange


#: ReconfigureVM's scalar fields (set when given)
_SCALARS = ("num_cpu", "memory_mb", "name", "notes", "cpu_hot_add", "memory_hot_add")
#: its repeated or map fields, with the message each item becomes (None: plain values)
_LISTS: Mapping[str, Any] = {
    "add_disks": vm_pb2.DiskSpec,
    "change_disks": vm_pb2.DiskChange,
    "add_nics": vm_pb2.NicSpec,
    "change_nics": vm_pb2.NicChange,
    "add_cd_drives": vm_pb2.CdDriveSpec,
    "change_cd_drives": vm_pb2.CdDriveChange,
    "remove_cd_drive_keys": None,
    "add_disk_capacity_bytes": None,
    "remove_disk_keys": None,
    "add_network_names": None,
    "remove_network_keys": None,
    "remove_extra_config": None,
}


def reconfigure_vm(vm_id: str, changes: VMChanges | Mapping[str, Any]) -> Call[model.Task]:
    """ReconfigureVM with ``changes`` (``VMChanges``); TypeError for an unknown key."""
    request = vm_pb2.ReconfigureVMRequest(id=vm_id)
    given: dict[str, Any] = dict(changes)
    for key, value in given.items():
        if value is None:
            continue
        if key in _SCALARS:
            setattr(request, key, value)
        elif key in _LISTS:
            item = _LISTS[key]
            if key == "add_nics":
                value = [{"start_connected": True, **n} for n in value]
            getattr(request, key).extend([item(**v) for v in value] if item else value)
        elif key == "set_extra_config":
            request.set_extra_config.update(value)
        elif key == "delete_removed_disk_files":
            request.delete_removed_disk_files = bool(value)
        elif key in ("cpu_allocation", "memory_allocation"):
            _set_allocation_changes(request, *((value, None) if key == "cpu_allocation" else (None, value)))
        else:
            raise TypeError(f"reconfigure got an unknown change '{key}'")
    return Call("vms", "ReconfigureVM", request, task_from_proto)


# -- snapshots ----------------------------------------------------------------------------------


def list_snapshots(vm_id: str) -> Call[list[model.Snapshot]]:
    """The VM's snapshot trees (roots, each with its children)."""

    def convert(m: vm_pb2.ListSnapshotsResponse) -> list[model.Snapshot]:
        return [_snapshot_from_proto(vm_id, root, m.current_snapshot_id) for root in m.root_snapshots]

    return Call("vms", "ListSnapshots", vm_pb2.VMRequest(id=vm_id), convert)


def create_snapshot(vm_id: str, name: str, description: str = "", memory: bool = False) -> Call[model.Task]:
    """CreateSnapshot (a task)."""
    request = vm_pb2.CreateSnapshotRequest(vm_id=vm_id, name=name, description=description, memory=memory)
    return Call("vms", "CreateSnapshot", request, task_from_proto)


def revert_to_snapshot(snapshot_id: str, suppress_power_on: bool = False) -> Call[model.Task]:
    """RevertToSnapshot (a task)."""
    request = vm_pb2.RevertToSnapshotRequest(snapshot_id=snapshot_id, suppress_power_on=suppress_power_on)
    return Call("vms", "RevertToSnapshot", request, task_from_proto)


def remove_snapshot(snapshot_id: str, remove_children: bool = False) -> Call[model.Task]:
    """RemoveSnapshot (a task)."""
    request = vm_pb2.RemoveSnapshotRequest(snapshot_id=snapshot_id, remove_children=remove_children)
    return Call("vms", "RemoveSnapshot", request, task_from_proto)


def flatten(trees: list[model.Snapshot]) -> list[model.Snapshot]:
    """Every snapshot of the trees, parents before children, oldest first."""
    out: list[model.Snapshot] = []
    for root in trees:
        out.append(root)
        out.extend(flatten(list(root.children)))
    return sorted(out, key=lambda s: s.created or dt.datetime.min.replace(tzinfo=dt.UTC))


# -- tasks, events, changes, statistics ---------------------------------------------------------


def get_task(task_id: str) -> Call[model.Task]:
    """One task by id."""
    return Call("tasks", "GetTask", task_pb2.GetTaskRequest(id=task_id), task_from_proto)


def list_tasks(entity_id: str = "") -> Call[list[model.Task]]:
    """Recent tasks (of one entity)."""
    request = task_pb2.ListTasksRequest(entity_id=entity_id)
    return Call("tasks", "ListTasks", request, lambda m: [task_from_proto(t) for t in m.tasks])


def cancel_task(task_id: str) -> Call[model.Task]:
    """Ask to cancel a task."""
    return Call("tasks", "CancelTask", task_pb2.CancelTaskRequest(id=task_id), task_from_proto)


def watch_changes(
    object_types: list[str] | None = None,
    object_ids: list[str] | None = None,
    since_version: int = 0,
    timeout: float | None = None,
) -> Watch[Change]:
    """The change feed: the current state (or the changes after since_version), then live ones."""
    request = changes_pb2.WatchChangesRequest(
        since_version=since_version, object_types=object_types or [], object_ids=object_ids or []
    )
    return Watch("changes", "WatchChanges", request, change_from_proto, timeout)


def query_events(
    vm_id: str = "",
    types: list[str] | None = None,
    max_count: int = 0,
    begin: dt.datetime | None = None,
    end: dt.datetime | None = None,
) -> Call[list[model.Event]]:
    """Recorded events, newest first."""
    request = event_pb2.QueryEventsRequest(vm_id=vm_id, types=types or [], max_count=max_count)
    if begin:
        request.begin_time.CopyFrom(_timestamp(begin))
    if end:
        request.end_time.CopyFrom(_timestamp(end))
    return Call("events", "QueryEvents", request, lambda m: [event_from_proto(e) for e in m.events])


def watch_events(
    vm_id: str = "", types: list[str] | None = None, after_key: int = 0, timeout: float | None = None
) -> Watch[model.Event]:
    """New events as they are recorded (after_key: replay those after that key first)."""
    request = event_pb2.WatchEventsRequest(vm_id=vm_id, types=types or [], after_key=after_key)
    return Watch("events", "WatchEvents", request, event_from_proto, timeout)


def perf_counters() -> Call[model.PerfCatalogue]:
    """The performance counter catalogue."""

    def convert(m: performance_pb2.ListPerfCountersResponse) -> model.PerfCatalogue:
        return model.PerfCatalogue(
            tuple(counter_from_proto(c) for c in m.counters), m.interval_secs, m.samples_kept
        )

    return Call("performance", "ListPerfCounters", performance_pb2.ListPerfCountersRequest(), convert)


def query_perf(
    entity_id: str,
    counters: list[str] | None = None,
    max_samples: int = 0,
    begin: dt.datetime | None = None,
    end: dt.datetime | None = None,
    instance: str | None = None,
) -> Call[list[model.PerfSample]]:
    """Realtime samples of one entity ("ha-host" or a VM's id), oldest first; instance None: all."""
    request = performance_pb2.QueryPerfRequest(
        entity_id=entity_id, counters=counters or [], max_samples=max_samples
    )
    if begin:
        request.start_time.CopyFrom(_timestamp(begin))
    if end:
        request.end_time.CopyFrom(_timestamp(end))
    if instance is not None:
        request.instance = instance
    return Call("performance", "QueryPerf", request, lambda m: [sample_from_proto(s) for s in m.samples])


# -- datastores ---------------------------------------------------------------------------------


def list_datastores() -> Call[list[Datastore]]:
    """Every datastore."""
    request = datastore_pb2.ListDatastoresRequest()
    return Call(
        "datastores", "ListDatastores", request, lambda m: [datastore_from_proto(d) for d in m.datastores]
    )


def get_datastore(name: str) -> Call[Datastore]:
    """One datastore by name."""
    request = datastore_pb2.GetDatastoreRequest(name=name)
    return Call("datastores", "GetDatastore", request, datastore_from_proto)


def browse(path: str, recursive: bool = False, pattern: str = "") -> Call[list[DatastoreFile]]:
    """A datastore folder's entries (``pattern``: a glob on names)."""
    request = datastore_pb2.BrowseDatastoreRequest(path=path, recursive=recursive, match_pattern=pattern)
    return Call("datastores", "BrowseDatastore", request, lambda m: [file_from_proto(f) for f in m.files])


def make_directory(path: str, create_parents: bool = False) -> Call[DatastoreFile]:
    """A new datastore folder."""
    request = datastore_pb2.MakeDirectoryRequest(path=path, create_parents=create_parents)
    return Call("datastores", "MakeDirectory", request, lambda m: file_from_proto(m.file))


def delete_file(path: str) -> Call[None]:
    """Delete a datastore file or folder."""
    return Call("datastores", "DeleteFile", datastore_pb2.DatastoreFileRequest(path=path), _nothing)


def copy_file(source: str, destination: str, force: bool = False, move: bool = False) -> Call[DatastoreFile]:
    """Copy (or move) a datastore file or folder; no deadline, as a big disk takes its time."""
    request = datastore_pb2.CopyMoveFileRequest(source=source, destination=destination, force=force)
    method = "MoveFile" if move else "CopyFile"
    return Call("datastores", method, request, lambda m: file_from_proto(m.file), None)


def _chunk_data(m: datastore_pb2.FileChunk) -> bytes:
    return bytes(m.data)


def download(path: str) -> Watch[bytes]:
    """A datastore file's content, chunk by chunk."""
    request = datastore_pb2.DownloadFileRequest(path=path)
    return Watch("datastores", "DownloadFile", request, _chunk_data, DEFAULT_TIMEOUT, False)


def upload(path: str, data: bytes, overwrite: bool = False) -> Call[DatastoreFile]:
    """Write ``data`` to a datastore path (whole or not at all); the request is the chunk list."""
    chunks = [datastore_pb2.UploadChunk(path=path, overwrite=overwrite, total_bytes=len(data))]
    chunks += [datastore_pb2.UploadChunk(data=data[i : i + (1 << 20)]) for i in range(0, len(data), 1 << 20)]
    return Call("datastores", "UploadFile", chunks, lambda m: file_from_proto(m.file), None)


# -- network, resource pools, guest operations ------------------------------------------------


def list_switches() -> Call[list[VirtualSwitch]]:
    """Every standard vSwitch with its port groups."""
    request = network_pb2.ListVirtualSwitchesRequest()
    return Call(
        "network",
        "ListVirtualSwitches",
        request,
        lambda m: [switch_from_proto(s) for s in m.virtual_switches],
    )


def create_port_group(virtual_switch: str, name: str, vlan_id: int = 0) -> Call[PortGroup]:
    """A new port group on a vSwitch."""
    spec = network_pb2.PortGroupSpec(name=name, virtual_switch=virtual_switch, vlan_id=vlan_id)
    return Call("network", "CreatePortGroup", spec, port_group_from_proto)


def update_port_group(name: str, new_name: str | None = None, vlan_id: int | None = None) -> Call[PortGroup]:
    """Rename a port group or change its VLAN (None: unchanged)."""
    spec = network_pb2.PortGroupSpec(name=name, new_name=new_name, vlan_id=vlan_id)
    return Call("network", "UpdatePortGroup", spec, port_group_from_proto)


def remove_port_group(name: str) -> Call[None]:
    """Remove a port group."""
    return Call("network", "RemovePortGroup", network_pb2.RemovePortGroupRequest(name=name), _nothing)


def create_switch(name: str, num_ports: int | None = None, mtu: int | None = None) -> Call[VirtualSwitch]:
    """A new standard vSwitch."""
    spec = network_pb2.VirtualSwitchSpec(name=name, num_ports=num_ports, mtu=mtu, set_uplinks=False)
    return Call("network", "CreateVirtualSwitch", spec, switch_from_proto)


def remove_switch(name: str) -> Call[None]:
    """Remove a standard vSwitch."""
    request = network_pb2.RemoveVirtualSwitchRequest(name=name)
    return Call("network", "RemoveVirtualSwitch", request, _nothing)


def list_pools() -> Call[list[model.ResourcePool]]:
    """Every resource pool, the root first."""
    request = resourcepool_pb2.ListResourcePoolsRequest()
    return Call("pools", "ListResourcePools", request, lambda m: [pool_from_proto(p) for p in m.pools])


def get_pool(pool_id: str) -> Call[model.ResourcePool]:
    """One resource pool by id."""
    request = resourcepool_pb2.GetResourcePoolRequest(id=pool_id)
    return Call("pools", "GetResourcePool", request, pool_from_proto)


def create_pool(
    name: str,
    parent_id: str = "",
    cpu_allocation: AllocationChange | None = None,
    memory_allocation: AllocationChange | None = None,
) -> Call[model.ResourcePool]:
    """A new resource pool under ``parent_id``."""
    request = resourcepool_pb2.CreateResourcePoolRequest(name=name, parent_id=parent_id)
    _set_allocation_changes(request, cpu_allocation, memory_allocation)
    return Call("pools", "CreateResourcePool", request, pool_from_proto)


def update_pool(
    pool_id: str,
    name: str | None = None,
    cpu_allocation: AllocationChange | None = None,
    memory_allocation: AllocationChange | None = None,
) -> Call[model.ResourcePool]:
    """Rename a pool or change its allocations."""
    request = resourcepool_pb2.UpdateResourcePoolRequest(id=pool_id)
    if name is not None:
        request.name = name
    _set_allocation_changes(request, cpu_allocation, memory_allocation)
    return Call("pools", "UpdateResourcePool", request, pool_from_proto)


def delete_pool(pool_id: str) -> Call[None]:
    """Delete an empty pool."""
    request = resourcepool_pb2.DeleteResourcePoolRequest(id=pool_id)
    return Call("pools", "DeleteResourcePool", request, _nothing)


def move_into_pool(pool_id: str, entity_ids: list[str]) -> Call[model.ResourcePool]:
    """Move VMs and pools into a pool, all or none."""
    request = resourcepool_pb2.MoveIntoResourcePoolRequest(pool_id=pool_id, entity_ids=entity_ids)
    return Call("pools", "MoveIntoResourcePool", request, pool_from_proto)


def _auth(user: str, password: str) -> guest_pb2.GuestAuth:
    return guest_pb2.GuestAuth(username=user, password=password)


def run_script(vm_id: str, user: str, password: str, script: str, timeout: float = 0.0) -> Call[ScriptResult]:
    """Run a script in the guest's shell (timeout 0: the guest's 300 s); no RPC deadline."""
    request = guest_pb2.RunScriptInGuestRequest(
        vm_id=vm_id, auth=_auth(user, password), script_text=script, timeout_seconds=timeout
    )
    return Call(
        "guest", "RunScriptInGuest", request, lambda m: ScriptResult(m.exit_code, m.script_output), None
    )


def guest_processes(vm_id: str, user: str, password: str) -> Call[list[GuestProcess]]:
    """The guest's processes, through its tools."""
    request = guest_pb2.GuestAuthRequest(vm_id=vm_id, auth=_auth(user, password))

    def convert(m: guest_pb2.ListProcessesInGuestResponse) -> list[GuestProcess]:
        return [GuestProcess(p.pid, p.name, p.cmd_line, p.owner, p.start_time) for p in m.processes]

    return Call("guest", "ListProcessesInGuest", request, convert)


# -- waiting on the change feed -----------------------------------------------------------------


# -- host configuration: services, NTP, name resolution ----------------------------------------


def list_host_services() -> Call[list[HostService]]:
    """Every host service (ntpd, TSM-SSH, TSM)."""
    request = hostconfig_pb2.ListHostServicesRequest()
    return Call(
        "host_services",
        "ListHostServices",
        request,
        lambda m: [host_service_from_proto(s) for s in m.services],
    )


def host_service_action(method: str, key: str) -> Call[HostService]:
    """StartHostService, StopHostService or RestartHostService on the service ``key``."""
    return Call("host_services", method, hostconfig_pb2.HostServiceRequest(key=key), host_service_from_proto)


def set_host_service_policy(key: str, policy: str) -> Call[HostService]:
    """A service's policy: on, off or automatic."""
    request = hostconfig_pb2.UpdateHostServicePolicyRequest(key=key, policy=policy)
    return Call("host_services", "UpdateHostServicePolicy", request, host_service_from_proto)


def get_ntp_config() -> Call[NtpConfig]:
    """The NTP servers and poll interval."""
    return Call("datetime", "GetNtpConfig", hostconfig_pb2.GetNtpConfigRequest(), ntp_config_from_proto)


def change_ntp_servers(servers: list[str], remove: bool = False) -> Call[NtpConfig]:
    """Add (or remove) NTP servers, ``host[:port]``."""
    request = hostconfig_pb2.NtpServersRequest(servers=servers)
    return Call("datetime", "RemoveNtpServers" if remove else "AddNtpServers", request, ntp_config_from_proto)


def set_ntp_poll_interval(seconds: float) -> Call[NtpConfig]:
    """How often ntpd polls each server."""
    request = hostconfig_pb2.UpdateNtpConfigRequest(poll_interval_seconds=seconds)
    return Call("datetime", "UpdateNtpConfig", request, ntp_config_from_proto)


def get_ntp_status() -> Call[NtpStatus]:
    """The host's sync state and what ntpd knows of each server."""
    return Call("datetime", "GetNtpStatus", hostconfig_pb2.GetNtpStatusRequest(), ntp_status_from_proto)


def get_host_network() -> Call[HostNetwork]:
    """The host's name, domain, DNS servers and search domains."""
    request = hostconfig_pb2.GetHostNetworkRequest()
    return Call("host_network", "GetHostNetwork", request, host_network_from_proto)


def update_host_network(
    host_name: str | None = None,
    domain_name: str | None = None,
    dns_servers: list[str] | None = None,
    search_domains: list[str] | None = None,
) -> Call[HostNetwork]:
    """Change what is given (None: unchanged; [] clears a list)."""
    request = host_network_request(host_name, domain_name, dns_servers, search_domains)
    return Call("host_network", "UpdateHostNetwork", request, host_network_from_proto)


def resolve_name(name: str) -> Call[Resolution]:
    """Resolve a name through the host's DNS servers."""
    request = hostconfig_pb2.ResolveNameRequest(name=name)
    return Call("host_network", "ResolveName", request, resolution_from_proto)


class TaskWaiter:
    """Follows one task on the change feed until it finishes (shared by both flavours)."""

    def __init__(self, task_id: str, timeout: float | None) -> None:
        self.task_id = task_id
        self.timeout = timeout
        self._seen = False

    def watch(self) -> Watch[Change]:
        """The change-feed watch of this task."""
        return watch_changes(object_types=["Task"], object_ids=[self.task_id], timeout=self.timeout)

    def feed(self, change: Change) -> model.Task | None:
        """The finished task, or None to read on; NotFound when the initial replay lacked it."""
        if change.task is not None:
            self._seen = True
            if change.task.state in FINISHED:
                return change.task
        elif change.initial_done and not self._seen:
            raise faults.NotFound("Task", self.task_id)
        return None

    def stream_ended(self) -> faults.VimFault:
        """The fault for a feed that ended before the task finished."""
        return faults.Timedout(f"{self.task_id} did not finish within {self.timeout}s")


class VMWaiter:
    """Follows one VM on the change feed until its record matches every expected field."""

    def __init__(self, vm_id: str, expected: Mapping[str, object], timeout: float | None) -> None:
        unknown = set(expected) - set(model.VM.__dataclass_fields__)
        if unknown:
            raise TypeError(f"wait_for got unknown VM properties {sorted(unknown)}")
        self.vm_id, self.expected, self.timeout = vm_id, dict(expected), timeout

    def watch(self) -> Watch[Change]:
        """The change-feed watch of this VM."""
        return watch_changes(object_types=["VirtualMachine"], object_ids=[self.vm_id], timeout=self.timeout)

    def feed(self, change: Change) -> model.VM | None:
        """The VM once it matches, or None to read on; NotFound once it is gone."""
        if change.vm is not None and all(getattr(change.vm, k) == v for k, v in self.expected.items()):
            return change.vm
        if change.kind == "leave":
            raise faults.NotFound("VirtualMachine", self.vm_id)
        return None

    def stream_ended(self) -> faults.VimFault:
        """The fault for a feed that ended before the VM matched."""
        wanted = ", ".join(f"{k}={v!r}" for k, v in self.expected.items())
        return faults.Timedout(f"{self.vm_id} did not reach {wanted} within {self.timeout}s")

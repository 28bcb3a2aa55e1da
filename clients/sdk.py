"""The synchronous Python SDK over the public gRPC API.

Every call carries the session token and a fresh request id (the id every
process logs for that call). A fault from the host is raised as its class from
``pyesx.faults``; an unreachable host is ``HostCommunication``. Waiting
(``wait_for_task``, ``wait_for``) follows the host's change feed: no polling.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Any, TypeVar

import grpc

from clients.auth import AuthCalls
from clients.certificates import CertificateCalls
from clients.console import ConsoleCalls
from clients.datastores import DatastoreCalls
from clients.guestops import GuestOperationCalls
from clients.hostconfig import HostConfigCalls
from clients.hostops import HostOperationCalls
from clients.model import (
    POWER_STATES,
    TASK_STATES,
    VM,
    About,
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
    VmQuestion,
)
from clients.network import NetworkCalls
from clients.tls import Trust, open_channel
from pyesx import faults
from pyesx.api.v1 import (
    account_pb2_grpc,
    authorization_pb2_grpc,
    changes_pb2,
    changes_pb2_grpc,
    console_pb2_grpc,
    datastore_pb2_grpc,
    event_pb2,
    event_pb2_grpc,
    guest_pb2_grpc,
    host_pb2,
    host_pb2_grpc,
    hostaccess_pb2_grpc,
    hostconfig_pb2_grpc,
    network_pb2_grpc,
    performance_pb2,
    performance_pb2_grpc,
    resourcepool_pb2,
    resourcepool_pb2_grpc,
    session_pb2,
    session_pb2_grpc,
    task_pb2,
    task_pb2_grpc,
    vm_pb2,
    vm_pb2_grpc,
)
from pyesx.rpc.faultwire import fault_from_proto, fault_from_rpc_error
from pyesx.rpc.metadata import REQUEST_ID_KEY, SESSION_KEY, new_request_id

R = TypeVar("R")
DEFAULT_TIMEOUT = 60.0
FINISHED = ("success", "error")


def _time(ts: Any) -> dt.datetime | None:
    return ts.ToDatetime(tzinfo=dt.UTC) if ts.seconds or ts.nanos else None


def _timestamp(when: dt.datetime) -> Any:
    from google.protobuf import timestamp_pb2

    ts = timestamp_pb2.Timestamp()
    ts.FromDatetime(when.astimezone(dt.UTC))
    return ts


def vm_from_proto(m: vm_pb2.VirtualMachine) -> VM:
    return VM(
        id=m.id,
        name=m.name,
        power_state=POWER_STATES[m.power_state],
        num_cpu=m.num_cpu,
        memory_mb=m.memory_mb,
        guest_id=m.guest_id,
        notes=m.notes,
        uuid=m.uuid,
        vmx_path=m.vmx_path,
        vmx_pid=m.vmx_pid,
        vmm_pids=tuple(m.vmm_pids),
        provisioned_bytes=m.provisioned_bytes,
        used_bytes=m.used_bytes,
        current_snapshot_id=m.current_snapshot_id,
        disks=tuple(
            HardDisk(
                d.key,
                d.file_name,
                d.capacity_bytes,
                d.disk_mode,
                d.thin,
                d.io_shares,
                d.io_reservation,
                d.io_limit,
            )
            for d in m.disks
        ),
        network_adapters=tuple(
            NetworkAdapter(
                n.key,
                n.network_name,
                n.adapter_type,
                n.mac_address,
                n.start_connected,
                n.connected,
                n.address_type,
            )
            for n in m.network_adapters
        ),
        cd_drives=tuple(c.key for c in m.cd_drives),
        cdroms=tuple(
            CdDrive(c.key, c.iso_path, c.start_connected, c.connected, c.no_media) for c in m.cd_drives
        ),
        cpu_hot_add=m.cpu_hot_add,
        memory_hot_add=m.memory_hot_add,
        cpu_allocation=_allocation(m, "cpu_allocation"),
        memory_allocation=_allocation(m, "memory_allocation"),
        resource_pool_id=m.resource_pool_id,
        question=VmQuestion(m.question.id, m.question.text, tuple(m.question.choices))
        if m.HasField("question")
        else None,
        resource_pool_name=m.resource_pool_name,
    )


def _allocation_value(a: vm_pb2.ResourceAllocation) -> ResourceAllocation:
    return ResourceAllocation(a.reservation, a.limit, a.shares_level, a.shares, a.expandable_reservation)


def _allocation(m: vm_pb2.VirtualMachine, field: str) -> ResourceAllocation | None:
    if not m.HasField(field):  # type: ignore[arg-type]
        return None
    return _allocation_value(getattr(m, field))


def pool_from_proto(m: resourcepool_pb2.ResourcePool) -> ResourcePool:
    return ResourcePool(
        id=m.id,
        name=m.name,
        parent_id=m.parent_id,
        cpu_allocation=_allocation_value(m.cpu_allocation),
        memory_allocation=_allocation_value(m.memory_allocation),
        cpu_usage=ResourcePoolUsage(m.cpu_usage.reservation_used, m.cpu_usage.unreserved),
        memory_usage=ResourcePoolUsage(m.memory_usage.reservation_used, m.memory_usage.unreserved),
        child_pool_ids=tuple(m.child_pool_ids),
        vm_ids=tuple(m.vm_ids),
    )


#: an allocation change: keys reservation, limit (-1: unlimited), shares_level (low/normal/high/custom),
#: shares (a number: custom), expandable_reservation (pools only)
AllocationChange = dict[str, int | str | bool]


def _set_allocation_changes(
    request: Any, cpu: AllocationChange | None, memory: AllocationChange | None
) -> None:
    for field, change in (("cpu_allocation", cpu), ("memory_allocation", memory)):
        if change is not None:
            getattr(request, field).SetInParent()
            for key, value in change.items():
                setattr(getattr(request, field), key, value)


def task_from_proto(m: task_pb2.Task) -> Task:
    return Task(
        id=m.id,
        description_id=m.description_id,
        entity_id=m.entity_id,
        entity_name=m.entity_name,
        state=TASK_STATES[m.state],
        progress=m.progress,
        user=m.user,
        queue_time=_time(m.queue_time),
        start_time=_time(m.start_time),
        complete_time=_time(m.complete_time),
        error=fault_from_proto(m.error) if m.HasField("error") else None,
        result_entity_id=m.result_entity_id,
        cancelable=m.cancelable,
        description=m.description,
        result=m.result,
    )


def _snapshot_from_proto(vm_id: str, m: vm_pb2.Snapshot, current: str) -> Snapshot:
    return Snapshot(
        id=m.id,
        vm_id=vm_id,
        name=m.name,
        description=m.description,
        created=_time(m.create_time),
        memory=m.memory,
        power_state=m.power_state,
        parent_id=m.parent_id,
        is_current=m.id == current,
        children=tuple(_snapshot_from_proto(vm_id, c, current) for c in m.children),
    )


def event_from_proto(m: event_pb2.Event) -> Event:
    return Event(m.key, m.type, _time(m.created_time), m.message, m.user, m.vm_id, m.vm_name)


class Client(
    DatastoreCalls,
    NetworkCalls,
    GuestOperationCalls,
    ConsoleCalls,
    HostOperationCalls,
    HostConfigCalls,
    CertificateCalls,
    AuthCalls,
):
    """A logged-in connection to one host. Use ``connect()`` to make one."""

    _task = staticmethod(task_from_proto)

    def __init__(self, server: str, channel: grpc.Channel) -> None:
        self.server = server
        self.user = ""
        self.session_key = ""
        self._channel = channel
        self._sessions = session_pb2_grpc.SessionServiceStub(channel)
        self._host = host_pb2_grpc.HostServiceStub(channel)
        self._vms = vm_pb2_grpc.VirtualMachineServiceStub(channel)
        self._tasks = task_pb2_grpc.TaskServiceStub(channel)
        self._events = event_pb2_grpc.EventServiceStub(channel)
        self._changes = changes_pb2_grpc.ChangeFeedServiceStub(channel)
        self._performance = performance_pb2_grpc.PerformanceServiceStub(channel)
        self._datastores = datastore_pb2_grpc.DatastoreServiceStub(channel)
        self._network = network_pb2_grpc.NetworkServiceStub(channel)
        self._pools = resourcepool_pb2_grpc.ResourcePoolServiceStub(channel)
        self._guest = guest_pb2_grpc.GuestOperationsServiceStub(channel)
        self._console = console_pb2_grpc.ConsoleServiceStub(channel)
        self._accounts = account_pb2_grpc.HostAccountServiceStub(channel)
        self._authorization = authorization_pb2_grpc.AuthorizationServiceStub(channel)
        self._access = hostaccess_pb2_grpc.HostAccessServiceStub(channel)
        self._host_services = hostconfig_pb2_grpc.HostServiceServiceStub(channel)
        self._datetime = hostconfig_pb2_grpc.DateTimeServiceStub(channel)
        self._host_network = hostconfig_pb2_grpc.HostNetworkServiceStub(channel)

    def _metadata(self) -> list[tuple[str, str]]:
        metadata = [(REQUEST_ID_KEY, new_request_id())]
        if self.session_key:
            metadata.append((SESSION_KEY, self.session_key))
        return metadata

    def _call(self, rpc: Callable[..., R], request: Any, timeout: float | None = DEFAULT_TIMEOUT) -> R:
        try:
            return rpc(request, metadata=self._metadata(), timeout=timeout)
        except grpc.RpcError as error:
            raise fault_from_rpc_error(error) from None

    # -- session --------------------------------------------------------------------------------

    def login(self, user: str, password: str, local_console: bool = False) -> None:
        """Log in; ``local_console``: as the host's own console (the DCUI), from loopback only."""
        request = session_pb2.LoginRequest(user=user, password=password, local_console=local_console)
        session = self._call(self._sessions.Login, request)
        self.user, self.session_key = session.user, session.key

    def logout(self) -> None:
        if self.session_key:
            self._call(self._sessions.Logout, session_pb2.LogoutRequest())
            self.session_key = ""

    def close(self) -> None:
        self._channel.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        with contextlib.suppress(faults.VimFault):
            self.logout()
        self.close()

    # -- host -----------------------------------------------------------------------------------

    def host(self) -> Host:
        m = self._call(self._host.GetHost, host_pb2.GetHostRequest())
        return Host(
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

    def about(self) -> About:
        """What the host is; needs no login."""
        m = self._call(self._host.GetAbout, host_pb2.GetAboutRequest())
        return About(m.product_name, m.full_name, m.version, m.build, m.host_name, m.api_version)

    def restart_management_agents(self) -> None:
        """Restart hostd: every session ends (this one too: log in again), running VMs go on."""
        self._call(self._host.RestartManagementAgents, host_pb2.RestartManagementAgentsRequest())
        self.session_key = ""

    # -- VMs ------------------------------------------------------------------------------------

    def list_vms(self, names: list[str] | None = None) -> list[VM]:
        """All VMs, or those whose name is in names (exact names; the shell does wildcards)."""
        vms = [vm_from_proto(m) for m in self._call(self._vms.ListVMs, vm_pb2.ListVMsRequest()).vms]
        return [vm for vm in vms if vm.name in names] if names else vms

    def get_vm(self, vm_id: str) -> VM:
        return vm_from_proto(self._call(self._vms.GetVM, vm_pb2.GetVMRequest(id=vm_id)))

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
        """Create a VM (in the resource pool ``resource_pool_id``; "" = the root pool)."""
        request = vm_pb2.CreateVMRequest(
            resource_pool_id=resource_pool_id,
            name=name,
            num_cpu=num_cpus,
            memory_mb=memory_mb,
            guest_id=guest_id,
            notes=notes,
            datastore=datastore,
            disk_capacity_bytes=disk_capacity_bytes or [],
            network_names=network_names or [],
            no_network=no_network,
            cd_drive=cd_drive,
        )
        return task_from_proto(self._call(self._vms.CreateVM, request))

    def register_vm(self, vmx_path: str, name: str = "", resource_pool_id: str = "") -> Task:
        request = vm_pb2.RegisterVMRequest(vmx_path=vmx_path, name=name, resource_pool_id=resource_pool_id)
        return task_from_proto(self._call(self._vms.RegisterVM, request))

    def reconfigure_vm(
        self,
        vm_id: str,
        *,
        num_cpu: int | None = None,
        memory_mb: int | None = None,
        name: str | None = None,
        notes: str | None = None,
        cpu_hot_add: bool | None = None,
        memory_hot_add: bool | None = None,
        add_disk_capacity_bytes: list[int] | None = None,
        remove_disk_keys: list[str] | None = None,
        delete_removed_disk_files: bool = False,
        add_network_names: list[str] | None = None,
        remove_network_keys: list[str] | None = None,
        set_extra_config: dict[str, str] | None = None,
        remove_extra_config: list[str] | None = None,
        cpu_allocation: dict[str, int | str] | None = None,
        memory_allocation: dict[str, int | str] | None = None,
        add_disks: list[dict[str, int | str]] | None = None,
        change_disks: list[dict[str, int | str]] | None = None,
        add_nics: list[dict[str, str | bool]] | None = None,
        change_nics: list[dict[str, str | bool]] | None = None,
        add_cd_drives: list[dict[str, str | bool]] | None = None,
        change_cd_drives: list[dict[str, str | bool]] | None = None,
        remove_cd_drive_keys: list[str] | None = None,
    ) -> Task:
        """Change a VM. Allocations take keys reservation, limit (-1: unlimited), shares_level
        (low/normal/high/custom) and shares; on a powered-on VM a reservation passes admission control.
        ``add_disks`` items take capacity_bytes, disk_format (thin/thick/eagerZeroedThick) and disk_mode
        (persistent/independent_persistent/independent_nonpersistent); ``change_disks`` items take key
        and capacity_bytes (extend) or disk_mode. ``add_nics`` items take network_name, adapter_type,
        mac_address (static) and start_connected; ``change_nics`` items take key and network_name,
        connected (a running VM's, at once) or start_connected. ``add_cd_drives`` items take iso_path
        ("[datastore1] iso/x.iso") and start_connected; ``change_cd_drives`` items take key and iso_path
        or no_media, connected (a running VM's, at once) and start_connected."""
        request = vm_pb2.ReconfigureVMRequest(
            id=vm_id,
            add_disks=[vm_pb2.DiskSpec(**d) for d in add_disks or []],  # type: ignore[arg-type]
            change_disks=[vm_pb2.DiskChange(**c) for c in change_disks or []],  # type: ignore[arg-type]
            add_nics=[vm_pb2.NicSpec(**{"start_connected": True, **n}) for n in add_nics or []],  # type: ignore[arg-type]
            change_nics=[vm_pb2.NicChange(**c) for c in change_nics or []],  # type: ignore[arg-type]
            add_cd_drives=[vm_pb2.CdDriveSpec(**c) for c in add_cd_drives or []],  # type: ignore[arg-type]
            change_cd_drives=[vm_pb2.CdDriveChange(**c) for c in change_cd_drives or []],  # type: ignore[arg-type]
            remove_cd_drive_keys=remove_cd_drive_keys or [],
            add_disk_capacity_bytes=add_disk_capacity_bytes or [],
            remove_disk_keys=remove_disk_keys or [],
            delete_removed_disk_files=delete_removed_disk_files,
            add_network_names=add_network_names or [],
            remove_network_keys=remove_network_keys or [],
            set_extra_config=set_extra_config or {},
            remove_extra_config=remove_extra_config or [],
        )
        if num_cpu is not None:
            request.num_cpu = num_cpu
        if memory_mb is not None:
            request.memory_mb = memory_mb
        if name is not None:
            request.name = name
        if notes is not None:
            request.notes = notes
        if cpu_hot_add is not None:
            request.cpu_hot_add = cpu_hot_add
        if memory_hot_add is not None:
            request.memory_hot_add = memory_hot_add
        for field, change in (("cpu_allocation", cpu_allocation), ("memory_allocation", memory_allocation)):
            if change is not None:
                getattr(request, field).SetInParent()
                for key, value in change.items():
                    setattr(getattr(request, field), key, value)
        return task_from_proto(self._call(self._vms.ReconfigureVM, request))

    def advanced_settings(self, vm_id: str) -> dict[str, str]:
        """The VM's advanced settings: the .vmx keys no other property covers (Get-AdvancedSetting)."""
        return dict(self._call(self._vms.GetAdvancedSettings, vm_pb2.VMRequest(id=vm_id)).settings)

    def _vm_task(self, rpc: Callable[..., task_pb2.Task], vm_id: str) -> Task:
        return task_from_proto(self._call(rpc, vm_pb2.VMRequest(id=vm_id)))

    def power_on(self, vm_id: str) -> Task:
        return self._vm_task(self._vms.PowerOnVM, vm_id)

    def power_off(self, vm_id: str) -> Task:
        return self._vm_task(self._vms.PowerOffVM, vm_id)

    def kill(self, vm_id: str) -> Task:
        return self._vm_task(self._vms.KillVM, vm_id)

    def suspend(self, vm_id: str) -> Task:
        return self._vm_task(self._vms.SuspendVM, vm_id)

    def reset(self, vm_id: str) -> Task:
        return self._vm_task(self._vms.ResetVM, vm_id)

    def unregister_vm(self, vm_id: str) -> Task:
        return self._vm_task(self._vms.UnregisterVM, vm_id)

    def destroy_vm(self, vm_id: str) -> Task:
        return self._vm_task(self._vms.DestroyVM, vm_id)

    def shutdown_guest(self, vm_id: str) -> None:
        self._call(self._vms.ShutdownGuest, vm_pb2.VMRequest(id=vm_id))

    def reboot_guest(self, vm_id: str) -> None:
        self._call(self._vms.RebootGuest, vm_pb2.VMRequest(id=vm_id))

    def answer_vm(self, vm_id: str, question_id: str, choice: str) -> None:
        """Answer the question a stunned VM waits on (``VM.question``): "Retry" or "Cancel"."""
        request = vm_pb2.AnswerVMRequest(id=vm_id, question_id=question_id, choice=choice)
        self._call(self._vms.AnswerVM, request)

    def guest_info(self, vm_id: str) -> GuestInfo:
        m = self._call(self._vms.GetGuestInfo, vm_pb2.VMRequest(id=vm_id))
        return GuestInfo(
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

    # -- resource pools -------------------------------------------------------------------------

    def list_resource_pools(self) -> list[ResourcePool]:
        """Every pool, the root pool ("Resources", ``ha-root-pool``) first, parents before children."""
        response = self._call(self._pools.ListResourcePools, resourcepool_pb2.ListResourcePoolsRequest())
        return [pool_from_proto(m) for m in response.pools]

    def get_resource_pool(self, pool_id: str) -> ResourcePool:
        request = resourcepool_pb2.GetResourcePoolRequest(id=pool_id)
        return pool_from_proto(self._call(self._pools.GetResourcePool, request))

    def create_resource_pool(
        self,
        name: str,
        parent_id: str = "",
        *,
        cpu_allocation: AllocationChange | None = None,
        memory_allocation: AllocationChange | None = None,
    ) -> ResourcePool:
        """A new pool under ``parent_id`` ("" = the root pool); unset allocation keys take the defaults
        (normal shares, no reservation, no limit, expandable reservation)."""
        request = resourcepool_pb2.CreateResourcePoolRequest(name=name, parent_id=parent_id)
        _set_allocation_changes(request, cpu_allocation, memory_allocation)
        return pool_from_proto(self._call(self._pools.CreateResourcePool, request))

    def update_resource_pool(
        self,
        pool_id: str,
        *,
        name: str | None = None,
        cpu_allocation: AllocationChange | None = None,
        memory_allocation: AllocationChange | None = None,
    ) -> ResourcePool:
        """Rename a pool and/or change its allocations (a reservation passes admission control)."""
        request = resourcepool_pb2.UpdateResourcePoolRequest(id=pool_id)
        if name is not None:
            request.name = name
        _set_allocation_changes(request, cpu_allocation, memory_allocation)
        return pool_from_proto(self._call(self._pools.UpdateResourcePool, request))

    def delete_resource_pool(self, pool_id: str) -> None:
        """Delete an empty pool (InvalidState while it holds pools or VMs)."""
        self._call(self._pools.DeleteResourcePool, resourcepool_pb2.DeleteResourcePoolRequest(id=pool_id))

    def move_into_resource_pool(self, pool_id: str, entity_ids: list[str]) -> ResourcePool:
        """Move VMs ("vm-N") and pools into ``pool_id``, all or none; returns the destination."""
        request = resourcepool_pb2.MoveIntoResourcePoolRequest(pool_id=pool_id, entity_ids=entity_ids)
        return pool_from_proto(self._call(self._pools.MoveIntoResourcePool, request))

    # -- snapshots ------------------------------------------------------------------------------

    def create_snapshot(self, vm_id: str, name: str, description: str = "", memory: bool = False) -> Task:
        request = vm_pb2.CreateSnapshotRequest(vm_id=vm_id, name=name, description=description, memory=memory)
        return task_from_proto(self._call(self._vms.CreateSnapshot, request))

    def snapshots(self, vm_id: str) -> list[Snapshot]:
        """The VM's snapshot trees (roots, each with its children)."""
        m = self._call(self._vms.ListSnapshots, vm_pb2.VMRequest(id=vm_id))
        return [_snapshot_from_proto(vm_id, root, m.current_snapshot_id) for root in m.root_snapshots]

    def revert_to_snapshot(self, snapshot_id: str, suppress_power_on: bool = False) -> Task:
        request = vm_pb2.RevertToSnapshotRequest(snapshot_id=snapshot_id, suppress_power_on=suppress_power_on)
        return task_from_proto(self._call(self._vms.RevertToSnapshot, request))

    def remove_snapshot(self, snapshot_id: str, remove_children: bool = False) -> Task:
        request = vm_pb2.RemoveSnapshotRequest(snapshot_id=snapshot_id, remove_children=remove_children)
        return task_from_proto(self._call(self._vms.RemoveSnapshot, request))

    def create_screenshot(self, vm_id: str) -> Task:
        """vSphere's CreateScreenshot_Task: its result is the PNG's datastore path."""
        return task_from_proto(self.create_screenshot_task(vm_id))

    def remove_all_snapshots(self, vm_id: str) -> Task:
        return self._vm_task(self._vms.RemoveAllSnapshots, vm_id)

    # -- tasks, events, changes -----------------------------------------------------------------

    def get_task(self, task_id: str) -> Task:
        return task_from_proto(self._call(self._tasks.GetTask, task_pb2.GetTaskRequest(id=task_id)))

    def recent_tasks(self, entity_id: str = "") -> list[Task]:
        response = self._call(self._tasks.ListTasks, task_pb2.ListTasksRequest(entity_id=entity_id))
        return [task_from_proto(m) for m in response.tasks]

    def cancel_task(self, task_id: str) -> Task:
        return task_from_proto(self._call(self._tasks.CancelTask, task_pb2.CancelTaskRequest(id=task_id)))

    def watch_changes(
        self,
        since_version: int = 0,
        object_types: list[str] | None = None,
        object_ids: list[str] | None = None,
        timeout: float | None = None,
    ) -> Iterator[changes_pb2.Change]:
        """The host's change feed: the current state (or the changes after since_version), then live ones."""
        request = changes_pb2.WatchChangesRequest(
            since_version=since_version, object_types=object_types or [], object_ids=object_ids or []
        )
        stream = self._changes.WatchChanges(request, metadata=self._metadata(), timeout=timeout)
        try:
            yield from stream
        except grpc.RpcError as error:
            if error.code() != grpc.StatusCode.CANCELLED:
                raise fault_from_rpc_error(error) from None
        finally:
            stream.cancel()

    def wait_for_task(self, task_id: str, timeout: float | None = None) -> Task:
        """The finished task, waited for on the change feed; raises the task's fault when it failed,
        NotFound for an unknown task, and HostCommunication when timeout passes first."""
        finished: Task | None = None
        seen = False
        for change in self.watch_changes(object_types=["Task"], object_ids=[task_id], timeout=timeout):
            if change.HasField("task"):
                seen = True
                if TASK_STATES[change.task.state] in FINISHED:
                    finished = task_from_proto(change.task)
                    break
            elif change.initial_done and not seen:
                self.get_task(task_id)  # raises NotFound; a task that exists was in the initial state
        if finished is None:
            raise faults.HostCommunication(f"{task_id} did not finish within {timeout}s")
        if finished.error is not None:
            raise finished.error
        if finished.result_entity_id.startswith("vm-") and "-snapshot-" not in finished.result_entity_id:
            with contextlib.suppress(faults.NotFound):
                return dataclasses.replace(finished, result_vm=self.get_vm(finished.result_entity_id))
        return finished

    def wait_for(self, vm_id: str, power_state: str, timeout: float | None = None) -> VM:
        """The VM once it is in power_state, waited for on the change feed."""
        for change in self.watch_changes(
            object_types=["VirtualMachine"], object_ids=[vm_id], timeout=timeout
        ):
            if change.HasField("vm") and POWER_STATES[change.vm.power_state] == power_state:
                return vm_from_proto(change.vm)
            if change.kind == changes_pb2.LEAVE:
                raise faults.NotFound("VirtualMachine", vm_id)
        raise faults.HostCommunication(f"{vm_id} did not reach {power_state}")

    def events(
        self,
        vm_id: str = "",
        types: list[str] | None = None,
        max_count: int = 0,
        begin: dt.datetime | None = None,
        end: dt.datetime | None = None,
    ) -> list[Event]:
        """Recorded events, newest first (Get-VIEvent)."""
        request = event_pb2.QueryEventsRequest(vm_id=vm_id, types=types or [], max_count=max_count)
        if begin:
            request.begin_time.CopyFrom(_timestamp(begin))
        if end:
            request.end_time.CopyFrom(_timestamp(end))
        return [event_from_proto(e) for e in self._call(self._events.QueryEvents, request).events]

    def world_stats(self) -> performance_pb2.WorldStats:
        """The VMkernel's cumulative per-world CPU counters (esxtop computes rates from two of these)."""
        stats: performance_pb2.WorldStats = self._call(
            self._performance.GetWorldStats, performance_pb2.GetWorldStatsRequest()
        )
        return stats

    def perf_counters(self) -> PerfCatalogue:
        """The performance counter catalogue and the realtime interval (Get-StatType)."""
        m = self._call(self._performance.ListPerfCounters, performance_pb2.ListPerfCountersRequest())
        counters = tuple(
            PerfCounter(
                c.name,
                c.unit,
                c.rollup,
                c.description,
                c.stats_type,
                c.per_instance,
                tuple(c.entity_types),
                c.collected,
            )
            for c in m.counters
        )
        return PerfCatalogue(counters, m.interval_secs, m.samples_kept)

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
        """Realtime samples of one entity ("ha-host" or a VM's id), by counter and instance, oldest
        first (Get-StatType lists the counters); max_samples keeps the newest N of each; instance
        None means all, "" the aggregate."""
        request = performance_pb2.QueryPerfRequest(
            entity_id=entity_id, counters=counters or [], max_samples=max_samples, interval_secs=interval_secs
        )
        if begin:
            request.start_time.CopyFrom(_timestamp(begin))
        if end:
            request.end_time.CopyFrom(_timestamp(end))
        if instance is not None:
            request.instance = instance
        m = self._call(self._performance.QueryPerf, request)
        return [
            PerfSample(
                s.entity_id,
                s.counter,
                s.instance,
                s.timestamp.ToDatetime(tzinfo=dt.UTC),
                s.value,
                s.unit,
                s.interval_secs,
            )
            for s in m.samples
        ]

    def net_stats(self) -> performance_pb2.NetStats:
        """The virtual switches' per-port counters of every powered-on VM's connected NICs."""
        stats: performance_pb2.NetStats = self._call(
            self._performance.GetNetStats, performance_pb2.GetNetStatsRequest()
        )
        return stats

    def disk_stats(self) -> performance_pb2.DiskStats:
        """The storage stack's counters of every powered-on VM's disks, since each powered on."""
        stats: performance_pb2.DiskStats = self._call(
            self._performance.GetDiskStats, performance_pb2.GetDiskStatsRequest()
        )
        return stats

    def memory_stats(self) -> performance_pb2.MemoryStats:
        """The memory scheduler's host and per-VM memory figures (MB), as of its last period (~1 s)."""
        stats: performance_pb2.MemoryStats = self._call(
            self._performance.GetMemoryStats, performance_pb2.GetMemoryStatsRequest()
        )
        return stats

    def watch_events(
        self,
        vm_id: str = "",
        types: list[str] | None = None,
        after_key: int = 0,
        timeout: float | None = None,
    ) -> Iterator[Event]:
        request = event_pb2.WatchEventsRequest(vm_id=vm_id, types=types or [], after_key=after_key)
        stream = self._events.WatchEvents(request, metadata=self._metadata(), timeout=timeout)
        try:
            for m in stream:
                yield event_from_proto(m)
        except grpc.RpcError as error:
            if error.code() != grpc.StatusCode.CANCELLED:
                raise fault_from_rpc_error(error) from None
        finally:
            stream.cancel()


def connect(
    server: str,
    user: str,
    password: str,
    timeout: float = 10.0,
    *,
    thumbprint: str | None = None,
    invalid_certificate_action: str = "pin",
    ca_file: str | None = None,
    trust: Trust | None = None,
) -> Client:
    """Open a TLS channel to HOST:PORT, wait until it is up, and log in.

    The host's certificate is trusted as ``clients.tls`` says: pinned on first use
    (``invalid_certificate_action="pin"``), or ``thumbprint="AB:CD:…"``, or a CA file;
    a changed certificate raises ``faults.SSLVerifyFault``."""
    trust = trust or Trust(thumbprint, invalid_certificate_action, ca_file)
    channel = open_channel(server, timeout, trust)
    client = Client(server, channel)
    try:
        client.login(user, password)
    except BaseException:
        channel.close()
        raise
    return client

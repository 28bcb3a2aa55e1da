"""hostd's public servicers: thin, converting messages and calling the domain managers."""

from __future__ import annotations

import functools
import ipaddress
import math
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import TypeAlias

import grpc

from hostd import vmconfig
from hostd.allocation import AllocationChange
from hostd.cdrom import CdDriveChange, NewCdDrive
from hostd.changes import ChangeFeed
from hostd.convert import (
    event_to_proto,
    seconds,
    snapshot_tree_to_proto,
    task_to_proto,
    timestamp,
    vm_to_proto,
)
from hostd.disks import DiskOps
from hostd.entities import HOST
from hostd.events import EventFilter, EventLog
from hostd.names.config import HostNetworkStore
from hostd.power import PowerOps
from hostd.reconfigure import ConfigChange, DiskChange, NewDisk, NewNic, NicChange, reconfigure
from hostd.sessions import SessionManager, UserSession, current_session, current_user
from hostd.snapshots import SnapshotOps
from hostd.tasks import TaskManager
from hostd.vms import POWERED_ON, VmManager
from pyesx import faults
from pyesx.api.v1 import (
    changes_pb2,
    changes_pb2_grpc,
    event_pb2,
    event_pb2_grpc,
    host_pb2,
    host_pb2_grpc,
    session_pb2,
    session_pb2_grpc,
    task_pb2,
    task_pb2_grpc,
    vm_pb2,
    vm_pb2_grpc,
)
from pyesx.rpc.channel import call
from pyesx.vmkernel.v1 import vmkernel_pb2, vmkernel_pb2_grpc

Ctx: TypeAlias = grpc.aio.ServicerContext
MAX_WAIT_SECONDS = 3600.0


@dataclass
class Hostd:
    """The domain objects the servicers call."""

    sessions: SessionManager
    events: EventLog
    tasks: TaskManager
    vms: VmManager
    power: PowerOps
    snapshots: SnapshotOps
    disks: DiskOps
    feed: ChangeFeed
    vmkernel: vmkernel_pb2_grpc.VMkernelStub
    host_network: HostNetworkStore | None = None  # the host's name, when hostd holds it
    #: whether a user holds a privilege on an entity (lists, events and changes show only what the
    #: caller may see); None: everything is shown
    allowed: Callable[[str, str, str], bool] | None = None

    def visible(self, entity_id: str) -> bool:
        """Whether the caller may see the entity ("" — the host's own — is seen by every caller)."""
        return self.allowed is None or not entity_id or self.allowed(current_user(), "System.View", entity_id)

    def event_visible(self, vm_id: str) -> bool:
        """A VM's events go to those who see the VM; the host's to those who may read the host."""
        if vm_id or self.allowed is None:
            return self.visible(vm_id)
        return self.allowed(current_user(), "System.Read", HOST)


def _peer_address(context: Ctx) -> str:
    """The client's IP address from grpc's peer string ("ipv4:127.0.0.1:5555", "ipv6:[::1]:5555")."""
    peer = context.peer() or ""
    kind, _, rest = peer.partition(":")
    if kind in ("ipv4", "ipv6"):
        return rest.rsplit(":", 1)[0].strip("[]")
    return ""


def _is_loopback(address: str) -> bool:
    """Whether the client is on this host (a remote client cannot have a loopback address)."""
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def session_to_proto(session: UserSession, sessions: SessionManager, with_key: bool) -> session_pb2.Session:
    """A session's message; the key only for its own holder."""
    return session_pb2.Session(
        key=session.key if with_key else "",
        user=session.user,
        login_time=timestamp(session.login_time),
        id=session.id,
        last_active_time=timestamp(session.last_active),
        expires_time=timestamp(sessions.expires_at(session)),
        ip_address=session.ip_address,
        idle_timeout_seconds=sessions.idle_timeout(),
    )


class SessionServicer(session_pb2_grpc.SessionServiceServicer):
    def __init__(self, hostd: Hostd) -> None:
        self.sessions, self.events = hostd.sessions, hostd.events

    async def Login(self, request: session_pb2.LoginRequest, context: Ctx) -> session_pb2.Session:
        address = _peer_address(context)
        console = request.local_console and _is_loopback(address)
        session = await self.sessions.login(request.user, request.password, address, local_console=console)
        return session_to_proto(session, self.sessions, with_key=True)

    async def Logout(self, request: session_pb2.LogoutRequest, context: Ctx) -> session_pb2.LogoutResponse:
        session = current_session.get()
        if session and self.sessions.logout(session.key):
            self.events.record("UserLogoutSessionEvent", f"User {session.user} logged out", user=session.user)
        return session_pb2.LogoutResponse()

    async def GetCurrentSession(
        self, request: session_pb2.GetCurrentSessionRequest, context: Ctx
    ) -> session_pb2.Session:
        session = current_session.get()
        assert session is not None  # the interceptor refused the call otherwise
        return session_to_proto(session, self.sessions, with_key=True)

    async def ListSessions(
        self, request: session_pb2.ListSessionsRequest, context: Ctx
    ) -> session_pb2.ListSessionsResponse:
        return session_pb2.ListSessionsResponse(
            sessions=[
                session_to_proto(s, self.sessions, with_key=False) for s in self.sessions.live_sessions()
            ]
        )

    async def TerminateSession(
        self, request: session_pb2.TerminateSessionRequest, context: Ctx
    ) -> session_pb2.TerminateSessionResponse:
        own = current_session.get()
        for ended in self.sessions.terminate(list(request.ids), own.key if own else ""):
            self.events.record(
                "SessionTerminatedEvent",
                f"A session for user '{ended.user}' has been terminated",
                user=current_user(),
            )
        return session_pb2.TerminateSessionResponse()


class HostServicer(host_pb2_grpc.HostServiceServicer):
    def __init__(self, hostd: Hostd) -> None:
        self.vmkernel, self.vms, self.host_network = hostd.vmkernel, hostd.vms, hostd.host_network

    async def GetAbout(self, request: host_pb2.GetAboutRequest, context: Ctx) -> host_pb2.About:
        info = await call(self.vmkernel.GetHostInfo, vmkernel_pb2.GetHostInfoRequest())
        return host_pb2.About(
            product_name="pyesx",
            full_name=f"pyesx {info.version} build-{info.build}",
            version=info.version,
            build=info.build,
            host_name=info.hostname,
            api_version="v1",
        )

    async def RestartManagementAgents(
        self, request: host_pb2.RestartManagementAgentsRequest, context: Ctx
    ) -> host_pb2.RestartManagementAgentsResponse:
        user = current_user()
        self.vms.events.record(
            "HostdRestartRequestedEvent", f"User {user} restarted the management agents", user=user
        )
        await call(self.vmkernel.RestartHostd, vmkernel_pb2.RestartHostdRequest(requested_by=user))
        return host_pb2.RestartManagementAgentsResponse()

    async def GetHost(self, request: host_pb2.GetHostRequest, context: Ctx) -> host_pb2.Host:
        info = await call(self.vmkernel.GetHostInfo, vmkernel_pb2.GetHostInfoRequest())
        return host_pb2.Host(
            name=self.host_network.current.host_name if self.host_network else info.hostname,
            version=info.version,
            build=info.build,
            connection_state="connected",
            power_state=POWERED_ON,
            num_cpu=info.num_pcpus,
            cpu_mhz=info.cpu_mhz,
            memory_bytes=info.memory_bytes,
            uptime_seconds=int(time.time() - info.boot_time),
            vm_count=len(self.vms.vms),
            cpu_usage_mhz=info.cpu_usage_mhz,
            memory_usage_bytes=info.memory_usage_bytes,
            datastores=info.datastores,
            virtual_switches=info.virtual_switches,
        )


class VirtualMachineServicer(vm_pb2_grpc.VirtualMachineServiceServicer):
    def __init__(self, hostd: Hostd) -> None:
        self.hostd = hostd
        self.vms, self.power, self.snapshots, self.disks = (
            hostd.vms,
            hostd.power,
            hostd.snapshots,
            hostd.disks,
        )

    def _vm(self, vm_id: str) -> vm_pb2.VirtualMachine:
        return vm_to_proto(self.vms.get(vm_id), self.vms, self.hostd.feed.version)

    async def CreateVM(self, request: vm_pb2.CreateVMRequest, context: Ctx) -> task_pb2.Task:
        networks = [] if request.no_network else list(request.network_names) or ["VM Network"]
        task = self.vms.create(
            request.name,
            request.num_cpu,
            request.memory_mb,
            request.guest_id,
            request.notes,
            request.datastore,
            networks,
            list(request.disk_capacity_bytes),
            request.cd_drive,
            self.disks.create_for_vm,
            request.resource_pool_id,
        )
        return task_to_proto(task)

    async def RegisterVM(self, request: vm_pb2.RegisterVMRequest, context: Ctx) -> task_pb2.Task:
        return task_to_proto(self.vms.register(request.vmx_path, request.name, request.resource_pool_id))

    async def GetVM(self, request: vm_pb2.GetVMRequest, context: Ctx) -> vm_pb2.VirtualMachine:
        return self._vm(request.id)

    async def ListVMs(self, request: vm_pb2.ListVMsRequest, context: Ctx) -> vm_pb2.ListVMsResponse:
        version = self.hostd.feed.version
        return vm_pb2.ListVMsResponse(
            vms=[vm_to_proto(vm, self.vms, version) for vm in self.vms.all() if self.hostd.visible(vm.id)]
        )

    async def PowerOnVM(self, request: vm_pb2.VMRequest, context: Ctx) -> task_pb2.Task:
        return task_to_proto(self.power.power_on(request.id))

    async def PowerOffVM(self, request: vm_pb2.VMRequest, context: Ctx) -> task_pb2.Task:
        return task_to_proto(self.power.power_off(request.id))

    async def KillVM(self, request: vm_pb2.VMRequest, context: Ctx) -> task_pb2.Task:
        return task_to_proto(self.power.kill(request.id))

    async def SuspendVM(self, request: vm_pb2.VMRequest, context: Ctx) -> task_pb2.Task:
        return task_to_proto(self.power.suspend(request.id))

    async def ResetVM(self, request: vm_pb2.VMRequest, context: Ctx) -> task_pb2.Task:
        return task_to_proto(self.power.reset(request.id))

    async def ShutdownGuest(self, request: vm_pb2.VMRequest, context: Ctx) -> vm_pb2.GuestRequestResponse:
        await self.power.guest_power(request.id, "shutdown")
        return vm_pb2.GuestRequestResponse()

    async def RebootGuest(self, request: vm_pb2.VMRequest, context: Ctx) -> vm_pb2.GuestRequestResponse:
        await self.power.guest_power(request.id, "reboot")
        return vm_pb2.GuestRequestResponse()

    async def StandbyGuest(self, request: vm_pb2.VMRequest, context: Ctx) -> vm_pb2.GuestRequestResponse:
        await self.power.guest_power(request.id, "standby")
        return vm_pb2.GuestRequestResponse()

    async def GetGuestInfo(self, request: vm_pb2.VMRequest, context: Ctx) -> vm_pb2.GuestInfo:
        return await self.power.guest_info(request.id)

    async def AnswerVM(self, request: vm_pb2.AnswerVMRequest, context: Ctx) -> vm_pb2.AnswerVMResponse:
        vm = self.vms.get(request.id)
        question = vm.question
        if question is None or question.id != request.question_id:
            raise faults.InvalidArgument(
                "questionId", f"{vm.name} has no question '{request.question_id}' pending"
            )
        if request.choice not in question.choices:
            raise faults.InvalidArgument(
                "answerChoice", f"'{request.choice}' is not one of {', '.join(question.choices)}"
            )
        answer = vmkernel_pb2.AnswerVmQuestionRequest(
            vm_id=vm.id, question_id=question.id, choice=request.choice
        )
        await call(self.hostd.vmkernel.AnswerVmQuestion, answer)
        vm.question = None
        self.vms.changed(vm, "question")
        self.vms.record("VmMessageEvent", vm, f"{vm.name}: the question was answered {request.choice}")
        return vm_pb2.AnswerVMResponse()

    async def UnregisterVM(self, request: vm_pb2.VMRequest, context: Ctx) -> task_pb2.Task:
        return task_to_proto(self.vms.unregister(request.id))

    async def DestroyVM(self, request: vm_pb2.VMRequest, context: Ctx) -> task_pb2.Task:
        return task_to_proto(self.vms.destroy(request.id))

    async def ReconfigureVM(self, request: vm_pb2.ReconfigureVMRequest, context: Ctx) -> task_pb2.Task:
        change = ConfigChange(
            num_cpu=request.num_cpu if request.HasField("num_cpu") else None,
            memory_mb=request.memory_mb if request.HasField("memory_mb") else None,
            name=request.name if request.HasField("name") else None,
            notes=request.notes if request.HasField("notes") else None,
            cpu_hot_add=request.cpu_hot_add if request.HasField("cpu_hot_add") else None,
            memory_hot_add=request.memory_hot_add if request.HasField("memory_hot_add") else None,
            add_networks=list(request.add_network_names),
            add_nics=[
                NewNic(n.network_name, n.adapter_type or "vmxnet3", n.mac_address, n.start_connected)
                for n in request.add_nics
            ],
            change_nics=[
                NicChange(
                    c.key,
                    c.network_name if c.HasField("network_name") else None,
                    c.connected if c.HasField("connected") else None,
                    c.start_connected if c.HasField("start_connected") else None,
                )
                for c in request.change_nics
            ],
            remove_device_keys=[
                *request.remove_disk_keys,
                *request.remove_network_keys,
                *request.remove_cd_drive_keys,
            ],
            add_disks=[
                *(NewDisk(capacity) for capacity in request.add_disk_capacity_bytes),
                *(
                    NewDisk(d.capacity_bytes, d.disk_format or "thin", d.disk_mode or "persistent")
                    for d in request.add_disks
                ),
            ],
            change_disks=[
                DiskChange(
                    c.key,
                    c.capacity_bytes if c.HasField("capacity_bytes") else None,
                    c.disk_mode if c.HasField("disk_mode") else None,
                    c.io_shares_level if c.HasField("io_shares_level") else None,
                    c.io_shares if c.HasField("io_shares") else None,
                    c.io_reservation if c.HasField("io_reservation") else None,
                    c.io_limit if c.HasField("io_limit") else None,
                )
                for c in request.change_disks
            ],
            delete_removed_disk_files=request.delete_removed_disk_files,
            set_extra_config=dict(request.set_extra_config),
            remove_extra_config=list(request.remove_extra_config),
            cpu_allocation=_allocation_change(request, "cpu_allocation"),
            memory_allocation=_allocation_change(request, "memory_allocation"),
            add_cd_drives=[NewCdDrive(c.iso_path, c.start_connected) for c in request.add_cd_drives],
            change_cd_drives=[
                CdDriveChange(
                    c.key,
                    c.iso_path if c.HasField("iso_path") else None,
                    c.no_media if c.HasField("no_media") else None,
                    c.connected if c.HasField("connected") else None,
                    c.start_connected if c.HasField("start_connected") else None,
                )
                for c in request.change_cd_drives
            ],
        )
        task = reconfigure(
            self.vms,
            request.id,
            change,
            self.disks,
            self.power.hot_add_vcpus,
            self.power.reload_config,
            self.power.set_allocation,
            self.power.set_nic_state,
            self.power.set_cd_media,
        )
        return task_to_proto(task)

    async def CreateSnapshot(self, request: vm_pb2.CreateSnapshotRequest, context: Ctx) -> task_pb2.Task:
        return task_to_proto(
            self.snapshots.create(request.vm_id, request.name, request.description, request.memory)
        )

    async def ListSnapshots(self, request: vm_pb2.VMRequest, context: Ctx) -> vm_pb2.ListSnapshotsResponse:
        vm = self.vms.get(request.id)
        return snapshot_tree_to_proto(vm, self.snapshots.tree(vm))

    async def RevertToSnapshot(self, request: vm_pb2.RevertToSnapshotRequest, context: Ctx) -> task_pb2.Task:
        return task_to_proto(self.snapshots.revert(request.snapshot_id, request.suppress_power_on))

    async def RemoveSnapshot(self, request: vm_pb2.RemoveSnapshotRequest, context: Ctx) -> task_pb2.Task:
        return task_to_proto(self.snapshots.remove(request.snapshot_id, request.remove_children))

    async def RemoveAllSnapshots(self, request: vm_pb2.VMRequest, context: Ctx) -> task_pb2.Task:
        return task_to_proto(self.snapshots.remove_all(request.id))

    async def GetAdvancedSettings(self, request: vm_pb2.VMRequest, context: Ctx) -> vm_pb2.AdvancedSettings:
        return vm_pb2.AdvancedSettings(settings=vmconfig.advanced_settings(self.vms.get(request.id).config))


def _allocation_change(request: vm_pb2.ReconfigureVMRequest, field: str) -> AllocationChange | None:
    if not request.HasField(field):  # type: ignore[arg-type]
        return None
    m = getattr(request, field)
    return AllocationChange(
        reservation=m.reservation if m.HasField("reservation") else None,
        limit=m.limit if m.HasField("limit") else None,
        shares_level=m.shares_level if m.HasField("shares_level") else None,
        shares=m.shares if m.HasField("shares") else None,
    )


class TaskServicer(task_pb2_grpc.TaskServiceServicer):
    def __init__(self, hostd: Hostd) -> None:
        self.tasks, self.hostd = hostd.tasks, hostd

    async def GetTask(self, request: task_pb2.GetTaskRequest, context: Ctx) -> task_pb2.Task:
        return task_to_proto(self.tasks.get(request.id))

    async def WaitForTask(self, request: task_pb2.WaitForTaskRequest, context: Ctx) -> task_pb2.Task:
        if not 0 <= request.timeout_seconds < math.inf:  # NaN too: it compares false with everything
            raise faults.InvalidArgument(
                "timeout_seconds", f"{request.timeout_seconds} is not a number of seconds ≥ 0"
            )
        timeout = min(request.timeout_seconds or MAX_WAIT_SECONDS, MAX_WAIT_SECONDS)
        return task_to_proto(await self.tasks.wait(request.id, timeout))

    async def ListTasks(self, request: task_pb2.ListTasksRequest, context: Ctx) -> task_pb2.ListTasksResponse:
        return task_pb2.ListTasksResponse(
            tasks=[
                task_to_proto(t)
                for t in self.tasks.recent(request.entity_id)
                if self.hostd.visible(t.entity_id)
            ]
        )

    async def CancelTask(self, request: task_pb2.CancelTaskRequest, context: Ctx) -> task_pb2.Task:
        return task_to_proto(self.tasks.cancel(request.id))


def _event_filter(vm_id: str, types: list[str], begin: float = 0.0, end: float = 0.0) -> EventFilter:
    return EventFilter(vm_id, frozenset(types), begin, end)


class EventServicer(event_pb2_grpc.EventServiceServicer):
    def __init__(self, hostd: Hostd) -> None:
        self.events, self.hostd = hostd.events, hostd

    async def QueryEvents(
        self, request: event_pb2.QueryEventsRequest, context: Ctx
    ) -> event_pb2.QueryEventsResponse:
        if request.max_count < 0:
            raise faults.InvalidArgument("max_count", "must not be negative")
        begin = seconds(request.begin_time) if request.HasField("begin_time") else 0.0
        end = seconds(request.end_time) if request.HasField("end_time") else 0.0
        found = self.events.query(_event_filter(request.vm_id, list(request.types), begin, end))
        visible = [e for e in found if self.hostd.event_visible(e.vm_id)]
        return event_pb2.QueryEventsResponse(
            events=[event_to_proto(e) for e in visible[: request.max_count or None]]
        )

    async def WatchEvents(
        self, request: event_pb2.WatchEventsRequest, context: Ctx
    ) -> AsyncIterator[event_pb2.Event]:
        async for event in self.events.watch(
            _event_filter(request.vm_id, list(request.types)), request.after_key
        ):
            if self.hostd.event_visible(event.vm_id):
                yield event_to_proto(event)


class ChangeFeedServicer(changes_pb2_grpc.ChangeFeedServiceServicer):
    def __init__(self, hostd: Hostd) -> None:
        self.hostd = hostd

    def _snapshot(self, types: set[str], ids: set[str]) -> list[changes_pb2.Change]:
        """ENTER for every current object the watcher wants (only those: a wait on one task is cheap)."""
        vms, version = self.hostd.vms, self.hostd.feed.version
        current = []
        if not types or "VirtualMachine" in types:
            chosen = [vms.vms[i] for i in ids if i in vms.vms] if ids else vms.all()
            current += [
                changes_pb2.Change(
                    kind=changes_pb2.ENTER,
                    object_type="VirtualMachine",
                    object_id=vm.id,
                    vm=vm_to_proto(vm, vms, version),
                )
                for vm in chosen
            ]
        if not types or "Task" in types:
            tasks = self.hostd.tasks
            chosen_tasks = [tasks.find(i) for i in ids] if ids else tasks.recent()
            current += [
                changes_pb2.Change(
                    kind=changes_pb2.ENTER, object_type="Task", object_id=t.id, task=task_to_proto(t)
                )
                for t in chosen_tasks
                if t is not None
            ]
        return current

    async def WatchChanges(
        self, request: changes_pb2.WatchChangesRequest, context: Ctx
    ) -> AsyncIterator[changes_pb2.Change]:
        types, ids = set(request.object_types), set(request.object_ids)

        def wanted(change: changes_pb2.Change) -> bool:
            entity = change.task.entity_id if change.object_type == "Task" else change.object_id
            return (
                (not types or change.object_type in types)
                and (not ids or change.object_id in ids)
                and self.hostd.visible(entity)
            )

        snapshot = functools.partial(self._snapshot, types, ids)
        async for change in self.hostd.feed.watch(request.since_version, snapshot, wanted):
            yield change

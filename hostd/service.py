"""hostd's public servicers: thin, converting messages and calling the domain managers."""

from __future__ import annotations

import time
from typing import TypeAlias

import grpc

from hostd.convert import event_to_proto, task_to_proto, timestamp, vm_to_proto
from hostd.events import EventLog
from hostd.sessions import SessionManager, current_session
from hostd.tasks import TaskManager
from hostd.vms import POWERED_ON, VmManager
from pyesx import faults
from pyesx.api.v1 import (
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


class SessionServicer(session_pb2_grpc.SessionServiceServicer):
    def __init__(self, sessions: SessionManager, events: EventLog) -> None:
        self.sessions, self.events = sessions, events

    async def Login(self, request: session_pb2.LoginRequest, context: Ctx) -> session_pb2.Session:
        session = await self.sessions.login(request.user, request.password)
        self.events.record("UserLoginSessionEvent", f"User {session.user} logged in", user=session.user)
        return session_pb2.Session(
            key=session.key, user=session.user, login_time=timestamp(session.login_time)
        )

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
        return session_pb2.Session(
            key=session.key, user=session.user, login_time=timestamp(session.login_time)
        )


class HostServicer(host_pb2_grpc.HostServiceServicer):
    def __init__(self, vmkernel: vmkernel_pb2_grpc.VMkernelStub, vms: VmManager) -> None:
        self.vmkernel, self.vms = vmkernel, vms

    async def GetHost(self, request: host_pb2.GetHostRequest, context: Ctx) -> host_pb2.Host:
        info = await call(self.vmkernel.GetHostInfo, vmkernel_pb2.GetHostInfoRequest())
        return host_pb2.Host(
            name=info.hostname,
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
    def __init__(self, vms: VmManager) -> None:
        self.vms = vms

    async def CreateVM(self, request: vm_pb2.CreateVMRequest, context: Ctx) -> task_pb2.Task:
        return task_to_proto(
            self.vms.create(
                request.name,
                request.num_cpu,
                request.memory_mb,
                request.guest_id,
                request.notes,
                request.datastore,
            )
        )

    async def GetVM(self, request: vm_pb2.GetVMRequest, context: Ctx) -> vm_pb2.VirtualMachine:
        return vm_to_proto(self.vms.get(request.id), self.vms)

    async def ListVMs(self, request: vm_pb2.ListVMsRequest, context: Ctx) -> vm_pb2.ListVMsResponse:
        return vm_pb2.ListVMsResponse(vms=[vm_to_proto(vm, self.vms) for vm in self.vms.list()])

    async def PowerOnVM(self, request: vm_pb2.VMRequest, context: Ctx) -> task_pb2.Task:
        return task_to_proto(self.vms.power_on(request.id))

    async def PowerOffVM(self, request: vm_pb2.VMRequest, context: Ctx) -> task_pb2.Task:
        return task_to_proto(self.vms.power_off(request.id))

    async def KillVM(self, request: vm_pb2.VMRequest, context: Ctx) -> task_pb2.Task:
        return task_to_proto(self.vms.kill(request.id))

    async def UnregisterVM(self, request: vm_pb2.VMRequest, context: Ctx) -> task_pb2.Task:
        return task_to_proto(self.vms.unregister(request.id))

    async def DestroyVM(self, request: vm_pb2.VMRequest, context: Ctx) -> task_pb2.Task:
        return task_to_proto(self.vms.destroy(request.id))


class TaskServicer(task_pb2_grpc.TaskServiceServicer):
    def __init__(self, tasks: TaskManager) -> None:
        self.tasks = tasks

    async def GetTask(self, request: task_pb2.GetTaskRequest, context: Ctx) -> task_pb2.Task:
        return task_to_proto(self.tasks.get(request.id))

    async def WaitForTask(self, request: task_pb2.WaitForTaskRequest, context: Ctx) -> task_pb2.Task:
        if request.timeout_seconds < 0:
            raise faults.InvalidArgument("timeout_seconds", "must not be negative")
        timeout = min(request.timeout_seconds or MAX_WAIT_SECONDS, MAX_WAIT_SECONDS)
        return task_to_proto(await self.tasks.wait(request.id, timeout))

    async def ListTasks(self, request: task_pb2.ListTasksRequest, context: Ctx) -> task_pb2.ListTasksResponse:
        return task_pb2.ListTasksResponse(tasks=[task_to_proto(t) for t in self.tasks.recent()])


class EventServicer(event_pb2_grpc.EventServiceServicer):
    def __init__(self, events: EventLog) -> None:
        self.events = events

    async def QueryEvents(
        self, request: event_pb2.QueryEventsRequest, context: Ctx
    ) -> event_pb2.QueryEventsResponse:
        if request.max_count < 0:
            raise faults.InvalidArgument("max_count", "must not be negative")
        found = self.events.query(request.vm_id, list(request.types), request.max_count)
        return event_pb2.QueryEventsResponse(events=[event_to_proto(e) for e in found])

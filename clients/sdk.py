"""The synchronous Python SDK over the public gRPC API.

Every call carries the session token and a fresh request id (the id every
process logs for that call). A fault from the host is raised as its class from
``pyesx.faults``; an unreachable host is ``HostCommunication``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
from collections.abc import Callable
from types import TracebackType
from typing import Any, TypeVar

import grpc

from clients.model import POWER_STATES, TASK_STATES, VM, Host, Task
from pyesx import faults
from pyesx.api.v1 import (
    host_pb2,
    host_pb2_grpc,
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


def _time(ts: Any) -> dt.datetime | None:
    return ts.ToDatetime(tzinfo=dt.UTC) if ts.seconds or ts.nanos else None


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
    )


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
    )


class Client:
    """A logged-in connection to one host. Use ``connect()`` to make one."""

    def __init__(self, server: str, channel: grpc.Channel) -> None:
        self.server = server
        self.user = ""
        self.session_key = ""
        self._channel = channel
        self._sessions = session_pb2_grpc.SessionServiceStub(channel)
        self._host = host_pb2_grpc.HostServiceStub(channel)
        self._vms = vm_pb2_grpc.VirtualMachineServiceStub(channel)
        self._tasks = task_pb2_grpc.TaskServiceStub(channel)

    def _call(self, rpc: Callable[..., R], request: Any, timeout: float | None = DEFAULT_TIMEOUT) -> R:
        metadata = [(REQUEST_ID_KEY, new_request_id())]
        if self.session_key:
            metadata.append((SESSION_KEY, self.session_key))
        try:
            return rpc(request, metadata=metadata, timeout=timeout)
        except grpc.RpcError as error:
            raise fault_from_rpc_error(error) from None

    # -- session --------------------------------------------------------------------------------

    def login(self, user: str, password: str) -> None:
        session = self._call(self._sessions.Login, session_pb2.LoginRequest(user=user, password=password))
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
        )

    # -- VMs ------------------------------------------------------------------------------------

    def list_vms(self, names: list[str] | None = None) -> list[VM]:
        """All VMs, or those whose name is in names (exact names; the shell does wildcards)."""
        vms = [vm_from_proto(m) for m in self._call(self._vms.ListVMs, vm_pb2.ListVMsRequest()).vms]
        return [vm for vm in vms if vm.name in names] if names else vms

    def get_vm(self, vm_id: str) -> VM:
        return vm_from_proto(self._call(self._vms.GetVM, vm_pb2.GetVMRequest(id=vm_id)))

    def create_vm(
        self, name: str, num_cpus: int = 1, memory_mb: int = 256, guest_id: str = "", notes: str = ""
    ) -> Task:
        request = vm_pb2.CreateVMRequest(
            name=name, num_cpu=num_cpus, memory_mb=memory_mb, guest_id=guest_id, notes=notes
        )
        return task_from_proto(self._call(self._vms.CreateVM, request))

    def power_on(self, vm_id: str) -> Task:
        return task_from_proto(self._call(self._vms.PowerOnVM, vm_pb2.VMRequest(id=vm_id)))

    def power_off(self, vm_id: str) -> Task:
        return task_from_proto(self._call(self._vms.PowerOffVM, vm_pb2.VMRequest(id=vm_id)))

    def kill(self, vm_id: str) -> Task:
        return task_from_proto(self._call(self._vms.KillVM, vm_pb2.VMRequest(id=vm_id)))

    def unregister_vm(self, vm_id: str) -> Task:
        return task_from_proto(self._call(self._vms.UnregisterVM, vm_pb2.VMRequest(id=vm_id)))

    def destroy_vm(self, vm_id: str) -> Task:
        return task_from_proto(self._call(self._vms.DestroyVM, vm_pb2.VMRequest(id=vm_id)))

    # -- tasks ----------------------------------------------------------------------------------

    def get_task(self, task_id: str) -> Task:
        return task_from_proto(self._call(self._tasks.GetTask, task_pb2.GetTaskRequest(id=task_id)))

    def wait_for_task(self, task_id: str, timeout: float | None = None) -> Task:
        """The finished task; raises the task's fault when it ended in error."""
        request = task_pb2.WaitForTaskRequest(id=task_id, timeout_seconds=timeout or 0)
        m = self._call(self._tasks.WaitForTask, request, timeout=None if timeout is None else timeout + 10)
        task = task_from_proto(m)
        if task.error is not None:
            raise task.error
        if task.state in ("success",) and m.result_entity_id.startswith("vm-"):
            try:
                return dataclasses.replace(task, result_vm=self.get_vm(m.result_entity_id))
            except faults.NotFound:
                return task
        return task


def connect(server: str, user: str, password: str, timeout: float = 10.0) -> Client:
    """Open a channel to HOST:PORT, wait until it is up, and log in."""
    channel = grpc.insecure_channel(server)
    try:
        grpc.channel_ready_future(channel).result(timeout=timeout)
    except grpc.FutureTimeoutError:
        channel.close()
        raise faults.HostCommunication(f"no answer from {server} within {timeout:.0f}s") from None
    client = Client(server, channel)
    try:
        client.login(user, password)
    except BaseException:
        channel.close()
        raise
    return client

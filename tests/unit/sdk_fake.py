"""A fake host for the SDK's object layer: it answers the core's plans (``clients.ops``) from memory.

Long operations return a running task and queue the changes that finish them; a change-feed watch
replays the current state, marks the end of the replay, then hands out the queued changes (as the
real feed does when the work completes). Every request is recorded in ``requests``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any, TypeVar

from clients import aio, objects, ops
from pyesx import faults
from pyesx.api.v1 import changes_pb2, datastore_pb2, host_pb2, task_pb2, vm_pb2
from pyesx.rpc.faultwire import fault_to_proto

T = TypeVar("T")
POWER = {"poweredOff": vm_pb2.POWERED_OFF, "poweredOn": vm_pb2.POWERED_ON, "suspended": vm_pb2.SUSPENDED}


class FakeHost:
    """VMs, tasks and a change feed in memory."""

    def __init__(self) -> None:
        self.vms: dict[str, vm_pb2.VirtualMachine] = {}
        self.tasks: dict[str, task_pb2.Task] = {}
        self.pending: list[changes_pb2.Change] = []
        self.requests: list[tuple[str, Any]] = []
        self.snapshots: dict[str, vm_pb2.ListSnapshotsResponse] = {}
        self.files: dict[str, list[datastore_pb2.DatastoreFile]] = {}
        self._version = 0
        self.maintenance = False
        self.host_options = {"Security.AccountLockFailures": "5"}
        self.autostart = host_pb2.AutoStartConfig(defaults=host_pb2.AutoStartDefaults(start_delay=120))

    def add_vm(self, name: str, power_state: str = "poweredOff") -> vm_pb2.VirtualMachine:
        vm_id = f"vm-{len(self.vms) + 1}"
        vm = vm_pb2.VirtualMachine(
            id=vm_id,
            name=name,
            power_state=POWER[power_state],
            num_cpu=1,
            memory_mb=256,
            vmx_path=f"[datastore1] {name}/{name}.vmx",
            resource_pool_id="ha-root-pool",
            disks=[vm_pb2.VirtualDisk(key="scsi0:0", file_name=f"[datastore1] {name}/{name}.vmdk")],
            network_adapters=[vm_pb2.NetworkAdapter(key="ethernet0", network_name="VM Network")],
        )
        self.vms[vm_id] = vm
        return vm

    # -- the feed ------------------------------------------------------------------------------

    def _change(self, kind: changes_pb2.ChangeKind.ValueType, **obj: Any) -> changes_pb2.Change:
        self._version += 1
        key, message = next(iter(obj.items()))
        kind_name = "VirtualMachine" if key == "vm" else "Task"
        return changes_pb2.Change(
            version=self._version, kind=kind, object_type=kind_name, object_id=message.id, **obj
        )

    def _task(self, entity: vm_pb2.VirtualMachine | None, description_id: str) -> task_pb2.Task:
        task = task_pb2.Task(
            id=f"task-{len(self.tasks) + 1}",
            description_id=description_id,
            entity_id=entity.id if entity else "",
            entity_name=entity.name if entity else "",
            state=task_pb2.RUNNING,
        )
        self.tasks[task.id] = task
        return task

    def _finish(self, task: task_pb2.Task, error: faults.VimFault | None = None, result: str = "") -> None:
        done = task_pb2.Task()
        done.CopyFrom(task)
        done.state = task_pb2.ERROR if error else task_pb2.SUCCESS
        done.result_entity_id = result
        if error:
            done.error.CopyFrom(fault_to_proto(error))
        self.pending.append(self._change(changes_pb2.MODIFY, task=done))

    def _vm_becomes(self, vm: vm_pb2.VirtualMachine, **fields: Any) -> None:
        after = vm_pb2.VirtualMachine()
        after.CopyFrom(vm)
        for key, value in fields.items():
            setattr(after, key, value)
        self.pending.append(self._change(changes_pb2.MODIFY, vm=after))

    def watch(self, request: changes_pb2.WatchChangesRequest) -> Iterator[changes_pb2.Change]:
        def wanted(change: changes_pb2.Change) -> bool:
            return (not request.object_types or change.object_type in request.object_types) and (
                not request.object_ids or change.object_id in request.object_ids
            )

        current = [self._change(changes_pb2.ENTER, vm=vm) for vm in self.vms.values()]
        current += [self._change(changes_pb2.ENTER, task=task) for task in self.tasks.values()]
        yield from (c for c in current if wanted(c))
        yield changes_pb2.Change(version=self._version, initial_done=True)
        while self.pending:
            change = self.pending.pop(0)
            if change.HasField("vm"):
                if change.kind == changes_pb2.LEAVE:
                    self.vms.pop(change.vm.id, None)
                else:
                    self.vms[change.vm.id] = change.vm
            else:
                self.tasks[change.task.id] = change.task
            if wanted(change):
                yield change

    # -- RPCs ----------------------------------------------------------------------------------

    def _vm(self, vm_id: str) -> vm_pb2.VirtualMachine:
        if vm_id not in self.vms:
            raise faults.NotFound("VirtualMachine", vm_id)
        return self.vms[vm_id]

    def answer(self, method: str, request: Any) -> Any:
        """The reply to one unary RPC (a fault is raised as its class, as the transport does)."""
        self.requests.append((method, request))
        if method == "Logout":
            return None
        if method == "ListVMs":
            return vm_pb2.ListVMsResponse(vms=list(self.vms.values()))
        if method == "GetVM":
            return self._vm(request.id)
        if method == "GetTask":
            if request.id not in self.tasks:
                raise faults.NotFound("Task", request.id)
            return self.tasks[request.id]
        if method == "PowerOnVM":
            vm = self._vm(request.id)
            if vm.power_state == vm_pb2.POWERED_ON:
                raise faults.InvalidPowerState("poweredOff", "poweredOn")
            task = self._task(vm, "VirtualMachine.powerOn")
            self._vm_becomes(vm, power_state=vm_pb2.POWERED_ON)
            self._finish(task, result=vm.id)
            return task
        if method == "CreateVM":
            task = self._task(None, "Folder.createVm")
            if any(vm.name == request.name for vm in self.vms.values()):
                self._finish(task, faults.DuplicateName(request.name))
            else:
                vm = self.add_vm(request.name)
                self._finish(task, result=vm.id)
            return task
        if method == "DestroyVM":
            vm = self._vm(request.id)
            task = self._task(vm, "VirtualMachine.destroy")
            self.pending.append(self._change(changes_pb2.LEAVE, vm=vm))
            self._finish(task, result=vm.id)
            return task
        if method in ("ReconfigureVM", "RevertToSnapshot", "CreateSnapshot", "RemoveSnapshot"):
            vm = self._vm(getattr(request, "id", "") or getattr(request, "vm_id", "") or "vm-1")
            task = self._task(vm, f"VirtualMachine.{method}")
            self._finish(task, result=vm.id)
            return task
        if method == "ListSnapshots":
            return self.snapshots.get(request.id, vm_pb2.ListSnapshotsResponse())
        if method == "BrowseDatastore":
            return datastore_pb2.BrowseDatastoreResponse(files=self.files.get(request.path, []))
        return self._host_answer(method, request)

    def _host_answer(self, method: str, request: Any) -> Any:
        """HostService: the host, its settings, maintenance mode, autostart, power, logs."""
        if method == "GetHost":
            return host_pb2.Host(name="esx01", in_maintenance_mode=self.maintenance)
        if method in ("QueryHostOptions", "UpdateHostOptions"):
            self.host_options.update(getattr(request, "values", {}))
            keys = (
                list(getattr(request, "keys", []))
                or list(getattr(request, "values", {}))
                or self.host_options
            )
            return host_pb2.HostOptions(
                options=[host_pb2.HostOption(key=k, value=self.host_options[k], type="int") for k in keys]
            )
        if method in ("EnterMaintenanceMode", "ExitMaintenanceMode", "RebootHost", "ShutdownHost"):
            task = self._task(None, f"HostSystem.{method}")
            self.maintenance = {"EnterMaintenanceMode": True, "ExitMaintenanceMode": False}.get(
                method, self.maintenance
            )
            self._finish(task, result="ha-host")
            return task
        if method == "GetAutoStartConfig":
            return self.autostart
        if method == "ReconfigureAutoStart":
            if request.HasField("defaults"):
                self.autostart.defaults.CopyFrom(request.defaults)
            self.autostart.power_info.extend(request.power_info)
            return self.autostart
        if method == "BrowseLog":
            return host_pb2.LogLines(
                key=request.key, start_line_num=1, end_line_num=1, total_lines=1, lines=["x"]
            )
        raise NotImplementedError(method)


class SyncFake:
    """A ``clients.transport.SyncTransport`` stand-in over a ``FakeHost``."""

    def __init__(self, host: FakeHost) -> None:
        self.host = host

    def call(self, plan: ops.Call[T]) -> T:
        return plan.convert(self.host.answer(plan.method, plan.request))

    def stream(self, plan: ops.Watch[T]) -> Iterator[T]:
        assert plan.method == "WatchChanges", plan.method
        for message in self.host.watch(plan.request):
            yield plan.convert(message)

    def close(self) -> None:
        pass


class AsyncFake:
    """A ``clients.transport.AsyncTransport`` stand-in over a ``FakeHost``."""

    def __init__(self, host: FakeHost) -> None:
        self.host = host

    async def call(self, plan: ops.Call[T]) -> T:
        return plan.convert(self.host.answer(plan.method, plan.request))

    async def stream(self, plan: ops.Watch[T]) -> AsyncIterator[T]:
        for message in self.host.watch(plan.request):
            yield plan.convert(message)

    async def close(self) -> None:
        pass


def sync_session(host: FakeHost) -> objects.Session:
    return objects.Session(SyncFake(host), "fake", "root")  # type: ignore[arg-type]


def async_session(host: FakeHost) -> aio.AsyncSession:
    return aio.AsyncSession(AsyncFake(host), "fake", "root")  # type: ignore[arg-type]

"""Domain objects → public API messages (one place, so every servicer shows the same thing)."""

from __future__ import annotations

from google.protobuf import timestamp_pb2

from hostd import vmconfig
from hostd.events import Event
from hostd.tasks import Task
from hostd.vms import POWERED_ON, SUSPENDED, VmManager, VmRecord
from pyesx.api.v1 import event_pb2, task_pb2, vm_pb2
from pyesx.rpc.faultwire import fault_to_proto

_POWER = {POWERED_ON: vm_pb2.POWERED_ON, SUSPENDED: vm_pb2.SUSPENDED}
_TASK_STATE = {
    "queued": task_pb2.QUEUED,
    "running": task_pb2.RUNNING,
    "success": task_pb2.SUCCESS,
    "error": task_pb2.ERROR,
}


def timestamp(seconds: float) -> timestamp_pb2.Timestamp | None:
    if not seconds:
        return None
    ts = timestamp_pb2.Timestamp()
    ts.FromNanoseconds(int(seconds * 1e9))
    return ts


def vm_to_proto(vm: VmRecord, manager: VmManager) -> vm_pb2.VirtualMachine:
    return vm_pb2.VirtualMachine(
        id=vm.id,
        name=vm.name,
        power_state=_POWER.get(vm.power_state, vm_pb2.POWERED_OFF),
        num_cpu=vmconfig.num_cpu(vm.config),
        memory_mb=vmconfig.memory_mb(vm.config),
        guest_id=vm.config.get("guestOS", ""),
        notes=vm.config.get("annotation", ""),
        uuid=vm.config.get("uuid.bios", ""),
        vmx_path=manager.datastore_path(vm),
        vmx_pid=vm.vmx_pid,
        vmm_pids=vm.vmm_pids,
    )


def task_to_proto(task: Task) -> task_pb2.Task:
    return task_pb2.Task(
        id=task.id,
        description_id=task.description_id,
        entity_id=task.entity_id,
        entity_name=task.entity_name,
        state=_TASK_STATE[task.state],
        progress=task.progress,
        user=task.user,
        queue_time=timestamp(task.queue_time),
        start_time=timestamp(task.start_time),
        complete_time=timestamp(task.complete_time),
        error=fault_to_proto(task.error) if task.error else None,
        result_entity_id=task.result_entity_id,
    )


def event_to_proto(event: Event) -> event_pb2.Event:
    return event_pb2.Event(
        key=event.key,
        type=event.type,
        created_time=timestamp(event.created_time),
        message=event.message,
        user=event.user,
        vm_id=event.vm_id,
        vm_name=event.vm_name,
    )

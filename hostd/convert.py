"""Domain objects → public API messages (one place, so every servicer shows the same thing)."""

from __future__ import annotations

import time

from google.protobuf import timestamp_pb2

from hostd import allocation, vmconfig
from hostd.cdrom import api_iso_path, starts_connected
from hostd.events import Event
from hostd.snapshot_tree import SnapshotNode, SnapshotTree
from hostd.tasks import Task
from hostd.vms import POWERED_ON, SPACE_TTL, SUSPENDED, VmManager, VmRecord
from pyesx import faults
from pyesx.allocations import Resource, disk_io_from_vmx
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


def seconds(ts: timestamp_pb2.Timestamp) -> float:
    return ts.seconds + ts.nanos / 1e9


def vm_to_proto(vm: VmRecord, manager: VmManager, change_version: int = 0) -> vm_pb2.VirtualMachine:
    """The VM's API message, rebuilt when the VM changed (or its space figures are older than SPACE_TTL)."""
    when, message = vm.shown
    if message is None or time.monotonic() - when > SPACE_TTL:
        message = _build_vm(vm, manager)
        message.change_version = change_version
        vm.shown = (time.monotonic(), message)
    if change_version == message.change_version:
        return message
    copy = vm_pb2.VirtualMachine()
    copy.CopyFrom(message)
    copy.change_version = change_version
    return copy


def _disk_io(vm: VmRecord, key: str) -> dict[str, int]:
    try:
        shares, reservation, limit = disk_io_from_vmx(vm.config, key)
    except faults.InvalidArgument:  # a hand-edited .vmx: shown as the defaults, refused at power-on
        shares, reservation, limit = 1000, 0, 0
    return {"io_shares": shares, "io_reservation": reservation, "io_limit": limit or -1}


def _build_vm(vm: VmRecord, manager: VmManager) -> vm_pb2.VirtualMachine:
    disks = [
        vm_pb2.VirtualDisk(
            key=d.key,
            file_name=manager.datastore_path(vm.folder / d.file_name),
            capacity_bytes=vm.disk_capacity(d.file_name),
            disk_mode=vmconfig.api_disk_mode(d.mode),
            thin=vm.disk_thin(d.file_name),
            **_disk_io(vm, d.key),
        )
        for d in vmconfig.disks(vm.config)
    ]
    provisioned = sum(d.capacity_bytes for d in disks) + vmconfig.memory_mb(vm.config) * 2**20
    return vm_pb2.VirtualMachine(
        id=vm.id,
        name=vm.name,
        power_state=_POWER.get(vm.power_state, vm_pb2.POWERED_OFF),
        num_cpu=vmconfig.num_cpu(vm.config),
        memory_mb=vmconfig.memory_mb(vm.config),
        guest_id=vm.config.get("guestOS", ""),
        notes=vm.config.get("annotation", ""),
        uuid=vm.config.get("uuid.bios", ""),
        vmx_path=manager.datastore_path(vm.vmx_path),
        vmx_pid=vm.vmx_pid,
        vmm_pids=vm.vmm_pids,
        provisioned_bytes=max(provisioned, vm.used_bytes()),
        used_bytes=vm.used_bytes(),
        current_snapshot_id=f"{vm.id}-snapshot-{vm.current_snapshot}" if vm.current_snapshot else "",
        question=vm.question,
        disks=disks,
        network_adapters=[
            vm_pb2.NetworkAdapter(
                key=n.key,
                network_name=n.network_name,
                adapter_type=n.adapter_type,
                mac_address=n.mac_address,
                start_connected=n.start_connected,
                connected=vm.power_state == POWERED_ON and vm.nic_connected.get(n.key, n.start_connected),
                address_type=n.address_type,
            )
            for n in vmconfig.nics(vm.config)
        ],
        cd_drives=[
            vm_pb2.CdDrive(
                key=c.key,
                iso_path=api_iso_path(manager.layout, vm.folder, c),
                start_connected=c.start_connected,
                connected=vm.power_state == POWERED_ON
                and vm.cd_connected.get(c.key, starts_connected(vm.folder, c)),
                no_media=c.no_media,
            )
            for c in vmconfig.cd_drives(vm.config)
        ],
        cpu_hot_add=vmconfig.cpu_hot_add(vm.config),
        memory_hot_add=vmconfig.memory_hot_add(vm.config),
        cpu_allocation=_allocation(vm, "cpu"),
        memory_allocation=_allocation(vm, "memory"),
        resource_pool_id=manager.pool_of(vm),
        resource_pool_name=manager.pool_names.get(manager.pool_of(vm), ""),
    )


def _allocation(vm: VmRecord, resource: Resource) -> vm_pb2.ResourceAllocation | None:
    try:
        a = allocation.current(vm.config).of(resource)
    except faults.InvalidArgument:  # hand-edited sched.* keys it cannot read: show nothing rather than fail
        return None
    return vm_pb2.ResourceAllocation(
        reservation=a.reservation, limit=a.limit, shares_level=str(a.shares.level), shares=a.shares.number
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
        cancelable=task.cancelable,
        cancel_requested=task.cancel_requested,
        description=task.description,
        result=task.result,
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


def snapshot_tree_to_proto(vm: VmRecord, tree: SnapshotTree) -> vm_pb2.ListSnapshotsResponse:
    def node(n: SnapshotNode) -> vm_pb2.Snapshot:
        return vm_pb2.Snapshot(
            id=f"{vm.id}-snapshot-{n.uid}",
            name=n.name,
            description=n.description,
            create_time=timestamp(n.create_time),
            memory=n.memory,
            power_state=n.power_state,
            children=[node(c) for c in sorted(tree.children(n.uid), key=lambda c: c.uid)],
            parent_id=f"{vm.id}-snapshot-{n.parent}" if n.parent else "",
        )

    roots = sorted((n for n in tree.nodes.values() if n.parent == 0), key=lambda n: n.uid)
    current = f"{vm.id}-snapshot-{tree.current}" if tree.current else ""
    return vm_pb2.ListSnapshotsResponse(root_snapshots=[node(r) for r in roots], current_snapshot_id=current)

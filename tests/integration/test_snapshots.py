"""Snapshots on a real host: a tree with real copy-on-write deltas, so a revert restores disk
contents; memory snapshots restore the running guest; removal consolidates."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

from clients import Client
from clients.model import Snapshot
from pyesx import faults
from tests.harness import BootedHost
from vmkernel.storage.chain import open_disk

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]
MiB = 2**20


def _folder(host: BootedHost) -> Path:
    return host.root / "vmfs/volumes/datastore1/web01"


def _top(host: BootedHost, client: Client, vm_id: str) -> Path:
    return _folder(host) / client.get_vm(vm_id).disks[0].file_name.split("/")[-1]


def _write(host: BootedHost, client: Client, vm_id: str, offset: int, data: bytes) -> None:
    """Write to the VM's disk as its guest would (the VM is powered off, so the disk is free)."""
    with open_disk(_top(host, client, vm_id)) as disk:
        disk.write(offset, data)


def _read(host: BootedHost, client: Client, vm_id: str, offset: int, length: int) -> bytes:
    with open_disk(_top(host, client, vm_id), read_only=True) as disk:
        return disk.read(offset, length)


def _flat(snapshots: list[Snapshot]) -> list[Snapshot]:
    return [s for root in snapshots for s in [root, *_flat(list(root.children))]]


@pytest.fixture
def vm_id(client: Client) -> str:
    task = client.wait_for_task(client.create_vm("web01", disk_capacity_bytes=[16 * MiB]).id)
    return task.result_entity_id


def test_snapshots_make_real_deltas_and_revert_restores_disk_contents(
    host: BootedHost, client: Client, vm_id: str
) -> None:
    _write(host, client, vm_id, 0, b"A" * 8192)
    s1 = client.wait_for_task(client.create_snapshot(vm_id, "s1", "first").id).result_entity_id
    assert client.get_vm(vm_id).disks[0].file_name == "[datastore1] web01/web01-000001.vmdk"
    assert (_folder(host) / "web01-Snapshot1.vmsn").exists() and (_folder(host) / "web01.vmsd").exists()
    _write(host, client, vm_id, 4096, b"B" * 4096)
    s2 = client.wait_for_task(client.create_snapshot(vm_id, "s2").id).result_entity_id
    _write(host, client, vm_id, 0, b"C" * 100)
    assert _read(host, client, vm_id, 0, 8192) == b"C" * 100 + b"A" * 3996 + b"B" * 4096

    client.wait_for_task(client.revert_to_snapshot(s1).id)
    assert _read(host, client, vm_id, 0, 8192) == b"A" * 8192
    assert client.get_vm(vm_id).current_snapshot_id == s1
    client.wait_for_task(client.revert_to_snapshot(s2).id)
    assert _read(host, client, vm_id, 0, 8192) == b"A" * 4096 + b"B" * 4096

    tree = client.snapshots(vm_id)
    assert [s.name for s in _flat(tree)] == ["s1", "s2"] and tree[0].children[0].is_current
    types = [
        e.type
        for e in client.events(vm_id=vm_id, types=["VmSnapshotCreatedEvent", "VmSnapshotRevertedEvent"])
    ]
    assert types == [
        "VmSnapshotRevertedEvent",
        "VmSnapshotRevertedEvent",
        "VmSnapshotCreatedEvent",
        "VmSnapshotCreatedEvent",
    ]


def test_remove_one_consolidates_and_remove_all_returns_to_the_base_disk(
    host: BootedHost, client: Client, vm_id: str
) -> None:
    _write(host, client, vm_id, 0, b"1" * 4096)
    s1 = client.wait_for_task(client.create_snapshot(vm_id, "s1").id).result_entity_id
    _write(host, client, vm_id, 4096, b"2" * 4096)
    client.wait_for_task(client.create_snapshot(vm_id, "s2").id)
    _write(host, client, vm_id, 8192, b"3" * 4096)
    expected = b"1" * 4096 + b"2" * 4096 + b"3" * 4096

    client.wait_for_task(client.remove_snapshot(s1).id)  # s1's only child is s2: merged into s1's file
    assert [s.name for s in _flat(client.snapshots(vm_id))] == ["s2"]
    assert _read(host, client, vm_id, 0, 3 * 4096) == expected
    assert not (_folder(host) / "web01-Snapshot1.vmsn").exists()

    client.wait_for_task(client.remove_all_snapshots(vm_id).id)
    vm = client.get_vm(vm_id)
    assert vm.disks[0].file_name == "[datastore1] web01/web01.vmdk" and vm.current_snapshot_id == ""
    assert _read(host, client, vm_id, 0, 3 * 4096) == expected
    assert sorted(p.name for p in _folder(host).glob("*.vmdk")) == ["web01-flat.vmdk", "web01.vmdk"]
    assert client.snapshots(vm_id) == []


def test_a_snapshot_tree_with_branches(host: BootedHost, client: Client, vm_id: str) -> None:
    base = client.wait_for_task(client.create_snapshot(vm_id, "base").id).result_entity_id
    _write(host, client, vm_id, 0, b"L" * 512)
    client.wait_for_task(client.create_snapshot(vm_id, "left").id)
    client.wait_for_task(client.revert_to_snapshot(base).id)
    _write(host, client, vm_id, 0, b"R" * 512)
    right = client.wait_for_task(client.create_snapshot(vm_id, "right").id).result_entity_id
    [root] = client.snapshots(vm_id)
    assert root.name == "base" and [c.name for c in root.children] == ["left", "right"]
    client.wait_for_task(client.remove_snapshot(base).id)  # two children: its file stays as their parent
    assert sorted(s.name for s in client.snapshots(vm_id)) == ["left", "right"]
    left = next(s for s in client.snapshots(vm_id) if s.name == "left")
    client.wait_for_task(client.revert_to_snapshot(left.id).id)
    assert _read(host, client, vm_id, 0, 512) == b"L" * 512
    client.wait_for_task(client.revert_to_snapshot(right).id)
    assert _read(host, client, vm_id, 0, 512) == b"R" * 512
    client.wait_for_task(client.remove_snapshot(left.id, remove_children=True).id)
    assert [s.name for s in client.snapshots(vm_id)] == ["right"]
    assert _read(host, client, vm_id, 0, 512) == b"R" * 512


def test_a_memory_snapshot_restores_the_running_guest(host: BootedHost, client: Client, vm_id: str) -> None:
    client.wait_for_task(client.power_on(vm_id).id)
    client.wait_for_task(client.reset(vm_id).id)
    with_memory = client.wait_for_task(
        client.create_snapshot(vm_id, "running", memory=True).id
    ).result_entity_id
    assert client.snapshots(vm_id)[0].memory and client.snapshots(vm_id)[0].power_state == "poweredOn"
    client.wait_for_task(client.reset(vm_id).id)
    assert client.guest_info(vm_id).boot_count == 2
    client.wait_for_task(client.power_off(vm_id).id)

    client.wait_for_task(client.revert_to_snapshot(with_memory).id)
    assert client.get_vm(vm_id).power_state == "poweredOn"
    assert client.guest_info(vm_id).boot_count == 1  # the guest as it ran when the snapshot was taken

    client.wait_for_task(client.revert_to_snapshot(with_memory, suppress_power_on=True).id)
    assert client.get_vm(vm_id).power_state == "suspended"
    client.wait_for_task(client.power_on(vm_id).id)
    assert client.guest_info(vm_id).boot_count == 1


def test_a_snapshot_without_memory_of_a_running_vm_reverts_powered_off(client: Client, vm_id: str) -> None:
    client.wait_for_task(client.power_on(vm_id).id)
    plain = client.wait_for_task(client.create_snapshot(vm_id, "disk only").id).result_entity_id
    client.wait_for_task(client.revert_to_snapshot(plain).id)
    assert client.get_vm(vm_id).power_state == "poweredOff"


def test_revert_restores_the_configuration_of_its_moment(client: Client, vm_id: str) -> None:
    snap = client.wait_for_task(client.create_snapshot(vm_id, "small").id).result_entity_id
    client.wait_for_task(client.reconfigure_vm(vm_id, num_cpu=2, memory_mb=1024).id)
    client.wait_for_task(client.revert_to_snapshot(snap).id)
    vm = client.get_vm(vm_id)
    assert (vm.num_cpu, vm.memory_mb) == (1, 256)


def test_snapshot_faults(client: Client, vm_id: str) -> None:
    with pytest.raises(faults.NotFound):
        client.revert_to_snapshot(f"{vm_id}-snapshot-42")
    with pytest.raises(faults.NotFound):
        client.remove_snapshot("vm-9-snapshot-1")
    with pytest.raises(faults.InvalidArgument):
        client.create_snapshot(vm_id, "")
    with pytest.raises(faults.InvalidArgument):
        client.create_snapshot(vm_id, "x" * 81)
    first = client.create_snapshot(vm_id, "one")
    with pytest.raises(faults.TaskInProgress):
        client.create_snapshot(vm_id, "two")
    client.wait_for_task(first.id)


def test_canceling_remove_all_leaves_a_consistent_tree(host: BootedHost, client: Client, vm_id: str) -> None:
    for i in range(12):
        _write(host, client, vm_id, i * 4096, bytes([65 + i]) * 4096)
        client.wait_for_task(client.create_snapshot(vm_id, f"s{i}").id)
    expected = b"".join(bytes([65 + i]) * 4096 for i in range(12))
    task = client.remove_all_snapshots(vm_id)
    assert task.cancelable
    with contextlib.suppress(faults.InvalidState):  # it may have finished before the cancel arrived
        client.cancel_task(task.id)
    try:
        client.wait_for_task(task.id)
        remaining = 0
    except faults.RequestCanceled as canceled:
        assert canceled.task_id == task.id
        remaining = len(_flat(client.snapshots(vm_id)))
        assert 1 <= remaining <= 12  # stopped between two whole removals
    assert len(_flat(client.snapshots(vm_id))) == remaining
    assert _read(host, client, vm_id, 0, len(expected)) == expected  # the disk as it was, either way

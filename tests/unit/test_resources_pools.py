"""The resource pool tree: structure, faults, reservation accounting, overhead, persistence."""

from __future__ import annotations

import json

import pytest

from pyesx.faults import DuplicateName, InvalidArgument, InvalidState, NotFound
from vmkernel.resources import (
    ROOT_POOL_ID,
    Allocation,
    HostCapacity,
    ResourceTree,
    VmAllocations,
    admit,
    memory_overhead_mb,
    pool_shares,
    tree_from_dict,
    tree_to_dict,
    vm_shares,
)

pytestmark = pytest.mark.timeout(30)

HOST = HostCapacity(num_pcpus=2, pcpu_mhz=2600, memory_mb=16384)


def pool_alloc(reservation: int, expandable: bool = False, limit: int = -1) -> Allocation:
    return Allocation(pool_shares("cpu", "normal"), reservation, limit, expandable)


def vm_alloc(cpu: int = 0, mem: int = 0) -> VmAllocations:
    return VmAllocations(
        Allocation(vm_shares("cpu", "normal", 1, 1024), cpu),
        Allocation(vm_shares("memory", "normal", 1, 1024), mem),
    )


@pytest.fixture
def tree() -> ResourceTree:
    return ResourceTree(HOST)


def test_root_reserves_the_host(tree: ResourceTree) -> None:
    assert tree.root.id == ROOT_POOL_ID
    assert tree.root.cpu.reservation == tree.root.cpu.limit == 5200
    assert tree.unreserved(ROOT_POOL_ID, "memory") == 16384
    tree.set_capacity(HostCapacity(4, 2000, 8192))
    assert tree.unreserved(ROOT_POOL_ID, "cpu") == 8000


def test_create_rename_move_delete(tree: ResourceTree) -> None:
    a = tree.create_pool("A")
    b = tree.create_pool("B", a.id)
    c = tree.create_pool("C")
    assert a.cpu.expandable_reservation and a.cpu.shares.number == 4000
    assert [p.name for p in tree.pools()] == ["Resources", "A", "C", "B"]
    tree.rename_pool(b.id, "B2")
    assert tree.find_pool("B2").id == b.id
    tree.move_pool(b.id, c.id)
    assert [p.id for p in tree.ancestors(b.id)] == [c.id, ROOT_POOL_ID]
    tree.delete_pool(b.id)
    with pytest.raises(NotFound):
        tree.pool(b.id)
    assert c.children == []


def test_duplicate_names_among_siblings_only(tree: ResourceTree) -> None:
    a = tree.create_pool("A")
    with pytest.raises(DuplicateName):
        tree.create_pool("A")
    b = tree.create_pool("B")
    tree.create_pool("A", b.id)  # a cousin may share it
    with pytest.raises(DuplicateName):
        tree.rename_pool(b.id, "A")
    with pytest.raises(DuplicateName):
        tree.move_pool(tree.find_pool("A", b.id).id, ROOT_POOL_ID)
    tree.rename_pool(a.id, "A")  # its own name is fine


@pytest.mark.parametrize("name", ["", "   ", "x" * 81])
def test_bad_pool_name(tree: ResourceTree, name: str) -> None:
    with pytest.raises(InvalidArgument) as info:
        tree.create_pool(name)
    assert info.value.argument == "name"


def test_cycles_are_invalid(tree: ResourceTree) -> None:
    a = tree.create_pool("A")
    b = tree.create_pool("B", a.id)
    c = tree.create_pool("C", b.id)
    for target in (a.id, b.id, c.id):
        with pytest.raises(InvalidArgument) as info:
            tree.move_pool(a.id, target)
        assert info.value.argument == "parent"
    assert [p.id for p in tree.ancestors(c.id)] == [b.id, a.id, ROOT_POOL_ID]


def test_root_is_fixed(tree: ResourceTree) -> None:
    a = tree.create_pool("A")
    with pytest.raises(InvalidArgument):
        tree.move_pool(ROOT_POOL_ID, a.id)
    with pytest.raises(InvalidArgument):
        tree.delete_pool(ROOT_POOL_ID)
    with pytest.raises(InvalidArgument):
        tree.rename_pool(ROOT_POOL_ID, "X")
    with pytest.raises(InvalidArgument):
        tree.set_allocation(ROOT_POOL_ID, "cpu", pool_alloc(1))


def test_deleting_a_non_empty_pool(tree: ResourceTree) -> None:
    a = tree.create_pool("Prod")
    tree.add_vm("vm-1", 1, 1024, pool_id=a.id)
    with pytest.raises(InvalidState, match="'Prod' is not empty"):
        tree.delete_pool(a.id)
    tree.create_pool("sub", a.id)
    tree.move_vm("vm-1", ROOT_POOL_ID)
    with pytest.raises(InvalidState):
        tree.delete_pool(a.id)
    assert tree.vm("vm-1").parent == ROOT_POOL_ID


def test_vms(tree: ResourceTree) -> None:
    tree.add_vm("vm-1", 1, 1024)
    with pytest.raises(DuplicateName):
        tree.add_vm("vm-1", 1, 1024)
    with pytest.raises(NotFound):
        tree.add_vm("vm-2", 1, 1024, pool_id="pool99")
    with pytest.raises(InvalidArgument):
        tree.add_vm("vm-3", 0, 1024)
    with pytest.raises(InvalidArgument):
        tree.add_vm("vm-3", 1, 0)
    with pytest.raises(InvalidArgument) as info:
        tree.add_vm("vm-3", 1, 1024, vm_alloc(mem=2048))
    assert info.value.argument == "memoryAllocation.reservation"
    with pytest.raises(InvalidArgument):
        tree.set_allocation("vm-1", "cpu", pool_alloc(0, expandable=True))
    admit(tree, "vm-1")
    with pytest.raises(InvalidState):
        tree.remove_vm("vm-1")
    tree.set_powered_on("vm-1", False)
    tree.remove_vm("vm-1")
    with pytest.raises(NotFound):
        tree.vm("vm-1")


def test_overhead_model() -> None:
    assert abs(memory_overhead_mb(1024, 1) - 26) <= 1
    assert abs(memory_overhead_mb(4096, 4) - 61) <= 1
    assert memory_overhead_mb(16384, 1) > memory_overhead_mb(4096, 1) > memory_overhead_mb(1024, 1)
    assert memory_overhead_mb(1024, 8) > memory_overhead_mb(1024, 1)
    with pytest.raises(InvalidArgument):
        memory_overhead_mb(-1, 1)


def test_reservation_used_counts_powered_on_vms_and_pool_reservations(tree: ResourceTree) -> None:
    mom = tree.create_pool("MOM", cpu=pool_alloc(3000))
    kid = tree.create_pool("KID", mom.id, cpu=pool_alloc(500, expandable=True))
    tree.add_vm("a", 1, 1024, vm_alloc(cpu=1000, mem=100), mom.id, powered_on=True)
    tree.add_vm("b", 1, 1024, vm_alloc(cpu=800), kid.id, powered_on=True)
    tree.add_vm("off", 1, 1024, vm_alloc(cpu=900), kid.id)
    assert tree.reservation_used(kid.id, "cpu") == 800
    assert tree.requirement(kid.id, "cpu") == 800  # max(500, 800)
    assert tree.reservation_used(mom.id, "cpu") == 1800
    assert tree.unreserved(mom.id, "cpu") == 1200
    assert tree.unreserved(kid.id, "cpu") == 1200  # nothing left of its own: borrows MOM's
    assert tree.reservation_used(ROOT_POOL_ID, "cpu") == 3000
    overhead = memory_overhead_mb(1024, 1)
    assert tree.reservation_used(mom.id, "memory") == 100 + overhead + overhead


def test_limit_caps_unreserved(tree: ResourceTree) -> None:
    p = tree.create_pool("P", cpu=pool_alloc(100, expandable=True, limit=1000))
    assert tree.unreserved(p.id, "cpu") == 1000


def test_persistence_round_trip(tree: ResourceTree) -> None:
    a = tree.create_pool("A", cpu=pool_alloc(1000))
    b = tree.create_pool("B", a.id)
    tree.add_vm("vm-1", 2, 2048, vm_alloc(cpu=300), b.id, powered_on=True)
    data = json.loads(json.dumps(tree_to_dict(tree)))
    again = tree_from_dict(data)
    assert tree_to_dict(again) == data
    assert again.pool(b.id).parent == a.id
    assert not again.vm("vm-1").powered_on
    assert again.create_pool("C").id not in (a.id, b.id)
    with pytest.raises(InvalidArgument):
        tree_from_dict({"capacity": {}})

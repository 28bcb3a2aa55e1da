"""Admission control: power-on, reservation changes and moves fit the unreserved, or change nothing."""

from __future__ import annotations

import pytest

from pyesx.faults import InsufficientResourcesFault, InvalidArgument
from vmkernel.resources import (
    ROOT_POOL_ID,
    Allocation,
    HostCapacity,
    ResourceTree,
    VmAllocations,
    admit,
    check_power_on,
    check_reservation_change,
    memory_overhead_mb,
    move,
    pool_shares,
    reconfigure,
    release,
    vm_shares,
)

pytestmark = pytest.mark.timeout(30)


def pool_alloc(reservation: int, expandable: bool = False, limit: int = -1) -> Allocation:
    return Allocation(pool_shares("cpu", "normal"), reservation, limit, expandable)


def vm_alloc(cpu: int = 0, mem: int = 0, cpu_limit: int = -1) -> VmAllocations:
    return VmAllocations(
        Allocation(vm_shares("cpu", "normal", 1, 4096), cpu, cpu_limit),
        Allocation(vm_shares("memory", "normal", 1, 4096), mem),
    )


def mom_kid(mom_expandable: bool = False) -> ResourceTree:
    """The documented example on a 10 GHz host: MOM reserves 6 GHz and runs VMs using 1 + 2 GHz."""
    tree = ResourceTree(HostCapacity(4, 2500, 65536))
    mom = tree.create_pool("MOM", cpu=pool_alloc(6000, expandable=mom_expandable))
    for vm_id, mhz in (("m1", 1000), ("m2", 2000)):
        tree.add_vm(vm_id, 1, 4096, vm_alloc(cpu=mhz), mom.id)
        admit(tree, vm_id)
    kid = tree.create_pool("KID", mom.id, cpu=pool_alloc(2000, expandable=True))
    tree.add_vm("k1", 1, 4096, vm_alloc(cpu=2000), kid.id)
    tree.add_vm("k2", 1, 4096, vm_alloc(cpu=2000), kid.id)
    return tree


def test_mom_kid_documented_example() -> None:
    tree = mom_kid()
    mom, kid = tree.find_pool("MOM"), tree.find_pool("KID")
    assert tree.unreserved(mom.id, "cpu") == 1000  # 6 − 1 − 2 − 2 (KID's reservation)
    assert tree.unreserved(kid.id, "cpu") == 3000  # its own 2 GHz + 1 GHz MOM can lend
    admit(tree, "k1")
    assert tree.unreserved(kid.id, "cpu") == 1000
    with pytest.raises(InsufficientResourcesFault) as info:
        admit(tree, "k2")
    fault = info.value
    assert (fault.resource, fault.requested, fault.unreserved) == ("cpu", 2000, 1000)
    assert "2000 MHz" in fault.message and "1000 MHz" in fault.message and "'KID'" in fault.message
    assert not tree.vm("k2").powered_on
    assert tree.reservation_used(mom.id, "cpu") == 5000


def test_mom_kid_with_expandable_mom_borrows_from_root() -> None:
    tree = mom_kid(mom_expandable=True)
    admit(tree, "k1")
    admit(tree, "k2")  # MOM borrows 1 GHz from the host's root pool
    assert tree.requirement(tree.find_pool("MOM").id, "cpu") == 7000


def test_release_returns_the_reservation() -> None:
    tree = mom_kid()
    admit(tree, "k1")
    release(tree, "k1")
    admit(tree, "k2")
    with pytest.raises(InsufficientResourcesFault):
        check_power_on(tree, "k1")
    check_power_on(tree, "k2")  # already on: nothing to check


def test_memory_admission_counts_overhead() -> None:
    overhead = memory_overhead_mb(4096, 1)
    tree = ResourceTree(HostCapacity(1, 2000, 4096 + overhead - 1))
    tree.add_vm("big", 1, 4096, vm_alloc(mem=4096))
    with pytest.raises(InsufficientResourcesFault) as info:
        admit(tree, "big")
    assert (info.value.resource, info.value.requested) == ("memory", 4096 + overhead)
    assert info.value.unreserved == 4096 + overhead - 1
    assert "MB" in info.value.message
    tree.set_capacity(HostCapacity(1, 2000, 4096 + overhead))
    admit(tree, "big")


def test_vm_reservation_change() -> None:
    tree = ResourceTree(HostCapacity(2, 2600, 16384))
    tree.add_vm("a", 1, 4096, vm_alloc(cpu=3000))
    tree.add_vm("b", 1, 4096, vm_alloc(cpu=1000))
    check_reservation_change(tree, "b", 5000, None)  # powered off: no admission
    admit(tree, "a")
    admit(tree, "b")
    check_reservation_change(tree, "b", 2200, 1024)
    with pytest.raises(InsufficientResourcesFault) as info:
        check_reservation_change(tree, "b", 2201, None)
    assert (info.value.requested, info.value.unreserved) == (1201, 1200)
    with pytest.raises(InvalidArgument) as bad:
        check_reservation_change(tree, "b", None, 5000)
    assert bad.value.argument == "memoryAllocation.reservation"
    with pytest.raises(InvalidArgument) as bad:
        check_reservation_change(tree, "b", -1, None)
    assert bad.value.argument == "cpuAllocation.reservation"


def test_vm_reservation_over_its_limit() -> None:
    tree = ResourceTree(HostCapacity(2, 2600, 16384))
    tree.add_vm("a", 1, 4096, vm_alloc(cpu=100, cpu_limit=500))
    with pytest.raises(InvalidArgument) as info:
        check_reservation_change(tree, "a", 600, None)
    assert info.value.argument == "cpuAllocation.reservation"


def test_pool_reservation_change() -> None:
    tree = mom_kid()
    mom, kid = tree.find_pool("MOM"), tree.find_pool("KID")
    admit(tree, "k1")
    check_reservation_change(tree, kid.id, 3000, None)  # MOM still has 1 GHz
    with pytest.raises(InsufficientResourcesFault) as info:
        check_reservation_change(tree, kid.id, 3001, None)
    assert "'MOM'" in info.value.message
    with pytest.raises(InsufficientResourcesFault):  # below what its children hold
        check_reservation_change(tree, mom.id, 4999, None)
    check_reservation_change(tree, mom.id, 5000, None)
    check_reservation_change(tree, mom.id, 10000, None)  # the host has 10 GHz, nothing else reserved
    with pytest.raises(InsufficientResourcesFault):
        check_reservation_change(tree, mom.id, 10001, None)


def test_reconfigure_changes_nothing_on_a_fault() -> None:
    tree = mom_kid()
    kid = tree.find_pool("KID")
    admit(tree, "k1")
    before = (kid.cpu, kid.memory)
    mem = Allocation(pool_shares("memory", "high"), 100, -1, True)
    with pytest.raises(InsufficientResourcesFault):
        reconfigure(tree, kid.id, cpu=pool_alloc(3500, expandable=True), memory=mem)
    assert (kid.cpu, kid.memory) == before
    with pytest.raises(InsufficientResourcesFault):  # turning off expandable with 2 GHz used, 1 reserved
        reconfigure(tree, kid.id, cpu=pool_alloc(1000))
    with pytest.raises(InvalidArgument) as info:
        reconfigure(tree, kid.id, cpu=pool_alloc(1000, expandable=True, limit=1500))
    assert info.value.argument == "cpuAllocation.limit"
    reconfigure(tree, kid.id, cpu=pool_alloc(2500, expandable=True), memory=mem)
    assert kid.cpu.reservation == 2500 and kid.memory == mem
    with pytest.raises(InvalidArgument):
        reconfigure(tree, ROOT_POOL_ID, cpu=pool_alloc(1))


def test_move_checks_the_destination() -> None:
    tree = mom_kid()
    mom, kid = tree.find_pool("MOM"), tree.find_pool("KID")
    other = tree.create_pool("OTHER", cpu=pool_alloc(500))
    with pytest.raises(InsufficientResourcesFault) as info:
        move(tree, "m2", other.id)
    assert (info.value.requested, info.value.unreserved) == (2000, 500)
    assert tree.vm("m2").parent == mom.id and mom.children == ["m1", "m2", kid.id]
    move(tree, "k1", other.id)  # powered off: holds nothing
    move(tree, "m2", ROOT_POOL_ID)  # the root has 10 − 6 − 0.5 = 3.5 GHz
    assert tree.vm("m2").parent == ROOT_POOL_ID
    with pytest.raises(InsufficientResourcesFault):
        move(tree, kid.id, other.id)  # KID holds 2 GHz
    assert tree.pool(kid.id).parent == mom.id
    with pytest.raises(InvalidArgument):
        move(tree, mom.id, kid.id)

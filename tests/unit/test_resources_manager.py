"""Pool operations on a live tree (PoolManager) and their file: checked, applied, saved, or nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pyesx.faults import DuplicateName, InsufficientResourcesFault, InvalidArgument, InvalidState, NotFound
from vmkernel.cpusched.scheduler import CpuScheduler
from vmkernel.hostinfo import PhysicalHost
from vmkernel.resources import (
    ROOT_POOL_ID,
    Allocation,
    HostCapacity,
    ResourceTree,
    VmAllocations,
    admit,
    cpu_entitlements,
    vm_shares,
)
from vmkernel.resources.manager import AllocationSpec, PoolManager

pytestmark = pytest.mark.timeout(30)


def manager(tmp_path: Path) -> PoolManager:
    return PoolManager(ResourceTree(HostCapacity(2, 2000, 8192)), tmp_path / "etc" / "pools.json")


def busy_vm(tree: ResourceTree, vm_id: str, pool_id: str, cpu: int) -> None:
    alloc = VmAllocations(
        Allocation(vm_shares("cpu", "normal", 1, 64), cpu), Allocation(vm_shares("memory", "normal", 1, 64))
    )
    tree.add_vm(vm_id, 1, 64, alloc, pool_id)
    admit(tree, vm_id)


def test_create_nest_rename_reconfigure_and_reload(tmp_path: Path) -> None:
    pools = manager(tmp_path)
    prod = pools.create("Prod", cpu=AllocationSpec(reservation=1000, shares_level="high"))
    web = pools.create(
        "Web", prod.id, memory=AllocationSpec(reservation=512, limit=1024, expandable_reservation=False)
    )
    assert (prod.cpu.shares.number, prod.cpu.reservation, prod.cpu.expandable_reservation) == (
        8000,
        1000,
        True,
    )
    assert (web.memory.reservation, web.memory.limit, web.memory.expandable_reservation) == (512, 1024, False)
    pools.update(web.id, name="Frontend", cpu=AllocationSpec(shares=1234))
    assert (web.name, web.cpu.shares.level, web.cpu.shares.number) == ("Frontend", "custom", 1234)
    assert pools.usage(prod.id, "memory").reservation_used == 512

    again = PoolManager(ResourceTree(HostCapacity(2, 2000, 8192)), pools.path)
    again.load()
    assert [(p.id, p.name, p.parent) for p in again.pools()] == [
        (ROOT_POOL_ID, "Resources", None),
        (prod.id, "Prod", ROOT_POOL_ID),
        (web.id, "Frontend", prod.id),
    ]
    assert again.pool(web.id).cpu == web.cpu and again.pool(web.id).memory == web.memory
    pools.delete(web.id)
    assert again.create("New").id not in (prod.id, web.id)  # ids are not reused after a restart


@pytest.mark.parametrize(
    "spec",
    [
        AllocationSpec(reservation=-1),
        AllocationSpec(reservation=500, limit=100),
        AllocationSpec(limit=-5),
        AllocationSpec(shares_level="bogus"),
        AllocationSpec(shares_level="custom"),
        AllocationSpec(shares=0),
        AllocationSpec(reservation=2**40),
    ],
)
def test_bad_values_are_invalid_argument_and_change_nothing(tmp_path: Path, spec: AllocationSpec) -> None:
    pools = manager(tmp_path)
    pool = pools.create("A")
    before = pool.cpu
    with pytest.raises(InvalidArgument) as info:
        pools.create("B", cpu=spec)
    assert info.value.argument.startswith("cpuAllocation.")
    with pytest.raises(InvalidArgument):
        pools.update(pool.id, name="Renamed", cpu=spec)
    assert (pool.name, pool.cpu) == ("A", before)
    assert [p.name for p in pools.pools()] == ["Resources", "A"]


def test_structure_faults_change_nothing(tmp_path: Path) -> None:
    pools = manager(tmp_path)
    a = pools.create("A")
    b = pools.create("B", a.id)
    pools.create("C")
    with pytest.raises(DuplicateName):
        pools.create("A")
    with pytest.raises(DuplicateName):
        pools.update(pools.tree.find_pool("C").id, name="A")
    with pytest.raises(InvalidArgument):
        pools.move(b.id, [a.id])  # into its own descendant
    with pytest.raises(InvalidArgument):
        pools.update(ROOT_POOL_ID, name="Mine")
    with pytest.raises(InvalidState):
        pools.delete(a.id)
    with pytest.raises(NotFound):
        pools.create("X", "pool99")
    with pytest.raises(InvalidArgument):
        pools.delete(ROOT_POOL_ID)
    assert [(p.name, p.parent) for p in pools.pools()] == [
        ("Resources", None),
        ("A", ROOT_POOL_ID),
        ("C", ROOT_POOL_ID),
        ("B", a.id),
    ]
    saved = json.loads(pools.path.read_text())
    assert [p["name"] for p in saved["pools"]] == ["A", "C", "B"]


def test_reservations_pass_admission(tmp_path: Path) -> None:
    pools = manager(tmp_path)  # 4000 MHz
    fixed = pools.create("Fixed", cpu=AllocationSpec(reservation=1500, expandable_reservation=False))
    busy_vm(pools.tree, "vm-1", fixed.id, 1000)
    with pytest.raises(InsufficientResourcesFault):
        pools.update(fixed.id, cpu=AllocationSpec(reservation=900))  # below what its VM holds
    with pytest.raises(InsufficientResourcesFault):
        pools.create("Big", cpu=AllocationSpec(reservation=2501))  # 4000 − 1500 left
    other = pools.create("Other", cpu=AllocationSpec(reservation=800, expandable_reservation=False))
    with pytest.raises(InsufficientResourcesFault):
        pools.move(other.id, ["vm-1"])  # holds 1000, the pool 800
    assert pools.tree.vm("vm-1").parent == fixed.id
    small = pools.create("Small")
    with pytest.raises(InsufficientResourcesFault):  # Fixed holds 1500: all or nothing
        pools.move(other.id, [small.id, "vm-9", fixed.id])
    assert (small.parent, fixed.parent) == (ROOT_POOL_ID, ROOT_POOL_ID)
    pools.move(other.id, [small.id, "vm-9"])  # a VM the scheduler does not hold (powered off) is skipped
    assert small.parent == other.id
    pools.update(other.id, cpu=AllocationSpec(expandable_reservation=True))
    pools.move(other.id, [fixed.id])  # now Other borrows from the root
    assert pools.usage(other.id, "cpu").reservation_used == 1500


def test_entitlements_follow_the_pools(tmp_path: Path) -> None:
    pools = manager(tmp_path)  # 2 PCPUs of 2000 MHz
    high = pools.create("High", cpu=AllocationSpec(shares_level="high"))
    normal = pools.create("Normal")
    for vm_id, pool in (("h1", high), ("h2", high), ("n1", normal), ("n2", normal)):
        busy_vm(pools.tree, vm_id, pool.id, 0)
    got = cpu_entitlements(pools.tree, {}).vms  # all four busy
    assert got["h1"] == pytest.approx(4000 * 2 / 3 / 2) and got["n1"] == pytest.approx(4000 / 3 / 2)
    pools.update(normal.id, cpu=AllocationSpec(limit=500))
    got = cpu_entitlements(pools.tree, {}).vms
    assert got["n1"] + got["n2"] == pytest.approx(500) and got["h1"] == pytest.approx(1750)


def test_power_on_admits_in_the_vms_pool_or_the_root_if_it_vanished(tmp_path: Path) -> None:
    scheduler = CpuScheduler(PhysicalHost("esx", 2, 2000, 8 << 30))
    pools = PoolManager(scheduler.tree, tmp_path / "pools.json", scheduler.rebalance)
    small = pools.create("Small", cpu=AllocationSpec(reservation=500, expandable_reservation=False))
    with pytest.raises(InsufficientResourcesFault):
        scheduler.admit("vm-1", 1, 64, {"sched.cpu.min": "600"}, small.id)
    with pytest.raises(NotFound):
        scheduler.tree.vm("vm-1")  # nothing changed
    scheduler.admit("vm-1", 1, 64, {"sched.cpu.min": "400"}, small.id)
    scheduler.admit("vm-2", 1, 64, {"sched.cpu.min": "600"}, "pool404")
    assert (scheduler.tree.vm("vm-1").parent, scheduler.tree.vm("vm-2").parent) == (small.id, ROOT_POOL_ID)
    scheduler.release("vm-1")
    pools.delete(small.id)  # empty again once its VM powered off

"""Entitlements by hierarchical water-filling: the issue's 2-PCPU scenarios and invariants on random trees."""

from __future__ import annotations

import contextlib
import random

import pytest

from pyesx.faults import InsufficientResourcesFault, InvalidArgument, NotFound
from vmkernel.resources import (
    ROOT_POOL_ID,
    Allocation,
    Claim,
    Entitlements,
    HostCapacity,
    ResourceTree,
    Shares,
    SharesLevel,
    VmAllocations,
    admit,
    cpu_entitlements,
    memory_entitlements,
    memory_overhead_mb,
    pool_shares,
    reconfigure,
    vm_shares,
    waterfill,
)

pytestmark = pytest.mark.timeout(30)

PCPU = 2600
HOST = HostCapacity(num_pcpus=2, pcpu_mhz=PCPU, memory_mb=16384)
EPS = 1e-6


def vm(
    tree: ResourceTree,
    vm_id: str,
    shares: int = 1000,
    reservation: int = 0,
    limit: int = -1,
    num_cpu: int = 1,
    pool: str = ROOT_POOL_ID,
) -> None:
    cpu = Allocation(Shares(SharesLevel.CUSTOM, shares), reservation, limit)
    mem = Allocation(vm_shares("memory", "normal", num_cpu, 1024))
    tree.add_vm(vm_id, num_cpu, 1024, VmAllocations(cpu, mem), pool)
    admit(tree, vm_id)


def busy(tree: ResourceTree) -> Entitlements:
    """Every VM demands 100 % of each vCPU."""
    return cpu_entitlements(tree, {})


def test_shares_2_1_1_1() -> None:
    tree = ResourceTree(HOST)
    for vm_id, shares in (("a", 2000), ("b", 1000), ("c", 1000), ("d", 1000)):
        vm(tree, vm_id, shares)
    e = busy(tree).vms
    assert e == pytest.approx({"a": 2080, "b": 1040, "c": 1040, "d": 1040})
    assert sum(e.values()) == pytest.approx(2 * PCPU)


def test_one_pcpu_cap_is_redistributed() -> None:
    tree = ResourceTree(HOST)
    for vm_id, shares in (("a", 4000), ("b", 1000), ("c", 1000)):
        vm(tree, vm_id, shares)
    # 4:1:1 would give a 3467 MHz, more than its one vCPU can use: the excess goes to b and c
    assert busy(tree).vms == pytest.approx({"a": 2600, "b": 1300, "c": 1300})


def test_limit_caps_even_an_idle_host() -> None:
    tree = ResourceTree(HOST)
    vm(tree, "limited", limit=PCPU // 4)
    assert busy(tree).vms == pytest.approx({"limited": 650})
    vm(tree, "other", shares=500)
    assert busy(tree).vms == pytest.approx({"limited": 650, "other": 2600})


def test_reservation_holds_against_five_competitors() -> None:
    tree = ResourceTree(HOST)
    vm(tree, "reserved", reservation=PCPU * 70 // 100)
    for i in range(5):
        vm(tree, f"vm{i}")
    e = busy(tree).vms
    assert e["reserved"] == pytest.approx(1820)  # its fair share would be 867
    assert all(e[f"vm{i}"] == pytest.approx((5200 - 1820) / 5) for i in range(5))


def test_idle_vm_unused_reservation_goes_to_the_others() -> None:
    tree = ResourceTree(HOST)
    vm(tree, "idle", reservation=PCPU)
    vm(tree, "b")
    vm(tree, "c")
    assert cpu_entitlements(tree, {"idle": 0}).vms == pytest.approx({"idle": 0, "b": 2600, "c": 2600})
    e = cpu_entitlements(tree, {"idle": 500}).vms
    assert e == pytest.approx({"idle": 500, "b": 2350, "c": 2350})


def test_lone_smp_vm_gets_both_pcpus() -> None:
    tree = ResourceTree(HOST)
    vm(tree, "smp", shares=2000, num_cpu=2)
    assert busy(tree).vms == pytest.approx({"smp": 5200})
    assert cpu_entitlements(tree, {"smp": 9999}).vms == pytest.approx({"smp": 5200})
    vm(tree, "uni", shares=1000)
    assert busy(tree).vms == pytest.approx({"smp": 5200 * 2 / 3, "uni": 5200 / 3})


def test_pools_divide_top_down() -> None:
    tree = ResourceTree(HOST)
    gold = tree.create_pool("gold", cpu=Allocation(pool_shares("cpu", "high")))
    bronze = tree.create_pool("bronze", cpu=Allocation(pool_shares("cpu", "normal")))
    for i in range(2):
        vm(tree, f"g{i}", pool=gold.id)
        vm(tree, f"b{i}", pool=bronze.id)
    ent = busy(tree)
    assert ent.pools[gold.id] == pytest.approx(5200 * 2 / 3)
    assert ent.vms == pytest.approx({"g0": 5200 / 3, "g1": 5200 / 3, "b0": 5200 / 6, "b1": 5200 / 6})
    # gold limited to 1 GHz: bronze gets the rest (up to its VMs' one PCPU each)
    reconfigure(tree, gold.id, cpu=Allocation(pool_shares("cpu", "high"), 0, 1000, True))
    assert busy(tree).vms == pytest.approx({"g0": 500, "g1": 500, "b0": 2100, "b1": 2100})
    # a pool's reservation holds for it as a whole; within it, shares decide
    reconfigure(tree, gold.id, cpu=Allocation(pool_shares("cpu", "low"), 4000, -1, True))
    ent = busy(tree)
    assert ent.pools[gold.id] == pytest.approx(4000)
    assert ent.vms == pytest.approx({"g0": 2000, "g1": 2000, "b0": 600, "b1": 600})
    # an idle pool's reservation goes to the other pool
    ent = cpu_entitlements(tree, {"g0": 0, "g1": 100})
    assert ent.vms == pytest.approx({"g0": 0, "g1": 100, "b0": 2550, "b1": 2550})


def test_powered_off_vms_get_nothing() -> None:
    tree = ResourceTree(HOST)
    vm(tree, "on")
    tree.add_vm("off", 1, 1024)
    assert busy(tree).vms == pytest.approx({"on": 2600})
    assert cpu_entitlements(tree, {"off": 500}).vms == pytest.approx({"on": 2600})


def test_bad_demand() -> None:
    tree = ResourceTree(HOST)
    vm(tree, "a")
    for value in (-1.0, float("nan"), float("inf")):
        with pytest.raises(InvalidArgument):
            cpu_entitlements(tree, {"a": value})
    with pytest.raises(NotFound):
        cpu_entitlements(tree, {"ghost": 10})


def test_memory_entitlements() -> None:
    tree = ResourceTree(HostCapacity(2, PCPU, 8192))
    for vm_id, mb, reservation in (("a", 4096, 0), ("b", 4096, 3500), ("c", 2048, 0)):
        mem = Allocation(vm_shares("memory", "normal", 1, mb), reservation)
        cpu = Allocation(vm_shares("cpu", "normal", 1, mb))
        tree.add_vm(vm_id, 1, mb, VmAllocations(cpu, mem))
        admit(tree, vm_id)
    capacity = 8192 - memory_overhead_mb(4096, 1) * 2 - memory_overhead_mb(2048, 1)
    ent = memory_entitlements(tree, {"a": 4096, "b": 500, "c": 100})
    assert ent.capacity == capacity
    assert ent.vms["c"] == pytest.approx(100)
    assert ent.vms["b"] == pytest.approx(500)  # its reservation is unused: others get it
    assert ent.vms["a"] == pytest.approx(4096)
    # all active: b keeps its 3500 (its fair share would be 2/5), a and c share the rest 2:1
    ent = memory_entitlements(tree, {})
    assert ent.vms["b"] == pytest.approx(3500)
    assert ent.vms["a"] == pytest.approx((capacity - 3500) * 2 / 3)
    assert ent.vms["c"] == pytest.approx((capacity - 3500) / 3)
    assert ent.total == pytest.approx(capacity)


def test_waterfill_edges() -> None:
    assert waterfill(10, []) == []
    assert waterfill(10, [Claim(0, 3, 1), Claim(0, 4, 1)]) == [3, 4]
    assert waterfill(5, [Claim(4, 9, 1), Claim(6, 9, 1)]) == pytest.approx([2, 3])  # over-committed
    assert waterfill(0, [Claim(0, 9, 1)]) == [0]
    assert waterfill(12, [Claim(0, 9, 1), Claim(0, 9, 2), Claim(5, 5, 1)]) == pytest.approx(
        [7 / 3, 14 / 3, 5]
    )


# --- invariants over random trees -----------------------------------------------------------------------


def random_tree(rng: random.Random) -> tuple[ResourceTree, dict[str, float], dict[str, float]]:
    """Random pools (built through admission) and VMs (powered on where admitted), random demands."""
    tree = ResourceTree(
        HostCapacity(rng.randint(1, 8), rng.choice([1000, 2000, 2600]), rng.randint(2048, 16384))
    )
    pools = [ROOT_POOL_ID]
    for i in range(rng.randint(0, 6)):
        pool = tree.create_pool(f"p{i}", rng.choice(pools))
        pools.append(pool.id)
        limit = rng.choice([-1, -1, rng.randint(500, 20000)])
        reservation = rng.randint(0, limit if limit >= 0 else 8000)
        cpu = Allocation(pool_shares("cpu", rng.choice(["low", "normal", "high"])), reservation, limit)
        cpu = Allocation(cpu.shares, cpu.reservation, cpu.limit, rng.random() < 0.6)
        mem = Allocation(pool_shares("memory", "normal"), rng.choice([0, rng.randint(0, 8000)]), -1, True)
        with contextlib.suppress(InsufficientResourcesFault, InvalidArgument):
            reconfigure(tree, pool.id, cpu=cpu, memory=mem)
    demands: dict[str, float] = {}
    active: dict[str, float] = {}
    for i in range(rng.randint(1, 14)):
        num_cpu = rng.randint(1, 4)
        limit = rng.choice([-1, -1, rng.randint(100, 10000)])
        reservation = rng.choice([0, rng.randint(0, limit if limit >= 0 else 5000)])
        shares = (
            Shares(SharesLevel.CUSTOM, rng.randint(1, 10000))
            if rng.random() < 0.3
            else vm_shares("cpu", rng.choice(["low", "normal", "high"]), num_cpu, 1024)
        )
        memory = Allocation(vm_shares("memory", "normal", 1, 1024), rng.choice([0, rng.randint(0, 1024)]))
        alloc = VmAllocations(Allocation(shares, reservation, limit), memory)
        vm_id = f"vm{i}"
        tree.add_vm(vm_id, num_cpu, 1024, alloc, rng.choice(pools))
        try:
            admit(tree, vm_id)
        except InsufficientResourcesFault:
            continue
        top = num_cpu * tree.capacity.pcpu_mhz
        demands[vm_id] = rng.choice([0.0, float(top), rng.uniform(0, top * 1.2)])
        active[vm_id] = rng.choice([0.0, 1024.0, rng.uniform(0, 1024)])
    return tree, demands, active


@pytest.mark.parametrize("seed", range(300))
def test_invariants_on_random_trees(seed: int) -> None:
    rng = random.Random(seed)
    tree, demands, _ = random_tree(rng)
    ent = cpu_entitlements(tree, demands)
    capacity = tree.capacity.cpu_mhz
    assert set(ent.vms) == {v.id for v in tree.vms() if v.powered_on}
    assert ent.total <= capacity + EPS
    at_cap: dict[str, bool] = {}
    for node in tree.vms():
        if not node.powered_on:
            continue
        alloc = node.allocations.cpu
        e = ent.vms[node.id]
        demand = min(demands[node.id], node.num_cpu * tree.capacity.pcpu_mhz)
        assert min(alloc.reservation, demand) - EPS <= e <= alloc.cap(demand) + EPS
        at_cap[node.id] = e >= alloc.cap(demand) - EPS
    for pool in tree.pools():
        children = tree.children(pool.id)
        inside = sum(ent.vms.get(c.id, ent.pools.get(c.id, 0.0)) for c in children)
        assert inside <= ent.pools[pool.id] + EPS
        assert ent.pools[pool.id] <= pool.cpu.cap(capacity) + EPS
        # proportional: VM siblings strictly between their bounds get the same entitlement per share
        ratios = [
            ent.vms[c.id] / c.of("cpu").shares.number
            for c in children
            if c.id in ent.vms and not at_cap[c.id] and ent.vms[c.id] > max(c.of("cpu").reservation, 0) + EPS
        ]
        assert all(r == pytest.approx(ratios[0]) for r in ratios)
    # work conserving: spare capacity only if every VM is capped by itself or by a limited ancestor pool
    if ent.total < capacity - 1e-3:
        for vm_id, capped in at_cap.items():
            limited = any(ent.pools[p.id] >= p.cpu.cap(float("inf")) - 1e-3 for p in tree.ancestors(vm_id))
            assert capped or limited, vm_id


@pytest.mark.parametrize("seed", range(100))
def test_memory_invariants_on_random_trees(seed: int) -> None:
    tree, _, active = random_tree(random.Random(seed))
    ent = memory_entitlements(tree, active)
    assert ent.total <= ent.capacity + EPS
    for node in tree.vms():
        if node.powered_on:
            alloc = node.allocations.memory
            e = ent.vms[node.id]
            assert min(alloc.reservation, active[node.id]) - EPS <= e <= alloc.cap(active[node.id]) + EPS

"""The memory scheduler's model: minFree and the host states, the idle memory tax, allocation targets
and the balloon / swap plan."""

from __future__ import annotations

import pytest

from vmkernel.memsched import (
    MemState,
    Plan,
    VmMemory,
    allocation_targets,
    host_state,
    idle_tax_rho,
    min_free_mb,
    plan,
)

GB = 1024


@pytest.mark.parametrize(
    ("host_mb", "expected"),
    [
        (0, 0.0),
        (256, 15.36),
        (4 * GB, 245.76),  # 6 % of the first 4 GB
        (12 * GB, 245.76 + 327.68),  # + 4 % of the next 8 GB
        (28 * GB, 245.76 + 327.68 + 327.68),  # + 2 % of the next 16 GB
        (128 * GB, 245.76 + 327.68 + 327.68 + 1024),  # + 1 % of the rest
    ],
)
def test_min_free_follows_the_sliding_scale(host_mb: int, expected: float) -> None:
    assert min_free_mb(host_mb) == pytest.approx(expected)


def test_min_free_refuses_negative_memory() -> None:
    with pytest.raises(ValueError):
        min_free_mb(-1)


@pytest.mark.parametrize(
    ("free", "state"),
    [
        (100.0, MemState.HIGH),
        (99.99, MemState.CLEAR),
        (64.0, MemState.CLEAR),
        (63.99, MemState.SOFT),
        (32.0, MemState.SOFT),
        (31.99, MemState.HARD),
        (16.0, MemState.HARD),
        (15.99, MemState.LOW),
        (-50.0, MemState.LOW),
    ],
)
def test_host_states_at_their_thresholds(free: float, state: MemState) -> None:
    assert host_state(free, 100.0) is state


def test_the_idle_tax_makes_idle_pages_four_times_cheaper() -> None:
    active = idle_tax_rho(1000, 100, 100)
    idle = idle_tax_rho(1000, 100, 0)
    assert active == pytest.approx(10.0)
    assert idle == pytest.approx(active / 4)  # k = 1 / (1 - 0.75)
    assert idle_tax_rho(1000, 100, 50) == pytest.approx(1000 / (100 * (0.5 + 4 * 0.5)))
    assert idle_tax_rho(1000, 100, 0, tax_rate=0) == pytest.approx(active)  # no tax: plain shares per page
    assert idle_tax_rho(1000, 0, 0) == float("inf")
    with pytest.raises(ValueError):
        idle_tax_rho(1000, 100, 0, tax_rate=1.0)


def vm(vm_id: str, **fields: float | int | bool) -> VmMemory:
    base: dict[str, float | int | bool] = {"configured_mb": 256, "shares": 2560}
    return VmMemory(vm_id, **{**base, **fields})  # type: ignore[arg-type]


def test_targets_are_demands_while_they_fit() -> None:
    vms = [vm("a", wanted_mb=100, granted_mb=80), vm("b", granted_mb=60, limit_mb=50)]
    assert allocation_targets(vms, 1000) == {"a": 100, "b": 50}  # demand = max(wanted, granted) ≤ limit


def test_an_idle_vm_gives_memory_back_first() -> None:
    idle = vm("idle", wanted_mb=50, active_mb=50, granted_mb=200)
    busy = vm("busy", configured_mb=128, shares=1280, wanted_mb=100, active_mb=100, granted_mb=100)
    targets = allocation_targets([idle, busy], 200)
    assert sum(targets.values()) == pytest.approx(200)
    assert targets["busy"] == pytest.approx(100)  # half the shares, but all of it active
    assert targets["idle"] == pytest.approx(100)


def test_equal_active_vms_give_back_in_proportion_to_shares() -> None:
    high = vm("high", shares=5120, wanted_mb=200, active_mb=200, granted_mb=200)
    normal = vm("normal", wanted_mb=200, active_mb=200, granted_mb=200)
    targets = allocation_targets([high, normal], 300)
    assert sum(targets.values()) == pytest.approx(300)
    assert targets["high"] / targets["normal"] == pytest.approx(2.0, rel=0.02)


def test_a_reservation_is_never_reclaimed() -> None:
    reserved = vm("reserved", reservation_mb=150, wanted_mb=150, active_mb=0, granted_mb=150)
    other = vm("other", wanted_mb=150, active_mb=150, granted_mb=150)
    targets = allocation_targets([reserved, other], 100)
    assert targets["reserved"] == pytest.approx(150)  # even idle: its reservation holds
    assert targets["other"] == pytest.approx(0.0, abs=1e-6)  # reservations over-committed: the rest gives all


def test_soft_state_balloons_towards_the_target() -> None:
    v = vm("v", wanted_mb=228, active_mb=228, granted_mb=228, consumed_mb=228)
    assert plan(v, 220, MemState.SOFT) == Plan(36, 0, 0)
    assert plan(v, 220, MemState.CLEAR) == Plan(0, 0, 0)  # not yet: page sharing only (not done here)
    # back in high state the balloon keeps what it holds (it only deflates towards the target)
    assert plan(v, 220, MemState.HIGH, Plan(36)) == Plan(36, 0, 0)
    assert plan(v, 250, MemState.HIGH, Plan(36)) == Plan(6, 0, 0)


def test_the_balloon_takes_at_most_65_percent_and_nothing_without_tools() -> None:
    v = vm("v", granted_mb=200, consumed_mb=200)
    assert plan(v, 10, MemState.SOFT).balloon_target_mb == pytest.approx(0.65 * 256)
    no_tools = vm("v", granted_mb=200, consumed_mb=200, balloon_available=False)
    assert plan(no_tools, 10, MemState.SOFT) == Plan(0, 0, 0)


def test_hard_state_swaps_what_the_balloon_cannot_take_in_time() -> None:
    v = vm("v", granted_mb=200, consumed_mb=200, swapped_mb=10)
    chosen = plan(v, 100, MemState.HARD)
    assert chosen.balloon_target_mb == pytest.approx(156)
    assert chosen.swap_out_mb == pytest.approx(200 - 100 - 32)  # less this step's balloon inflation
    assert chosen.swap_target_mb == pytest.approx(10 + chosen.swap_out_mb)
    # no more swap once the pressure is gone; what is swapped stays until the guest touches it
    assert plan(v, 100, MemState.HIGH, chosen).swap_target_mb == pytest.approx(10)
    no_tools = vm("v", granted_mb=200, consumed_mb=200, balloon_available=False)
    assert plan(no_tools, 100, MemState.LOW) == Plan(0, 100, 100)


def test_swap_never_exceeds_the_swap_file() -> None:
    v = vm("v", reservation_mb=200, granted_mb=256, consumed_mb=256, balloon_available=False)
    assert plan(v, 0, MemState.LOW).swap_target_mb == pytest.approx(56)  # .vswp = configured − reservation


def test_a_limit_is_enforced_on_a_free_host() -> None:
    v = vm("v", limit_mb=100, wanted_mb=200, active_mb=200, granted_mb=200, consumed_mb=200)
    [target] = allocation_targets([v], 10_000).values()
    assert target == 100
    chosen = plan(v, target, MemState.HIGH)
    assert chosen.balloon_target_mb == pytest.approx(156)  # the guest keeps its limit
    assert chosen.swap_target_mb == pytest.approx(200 - 100 - 32)
    under = vm("v", limit_mb=100, wanted_mb=50, granted_mb=50, consumed_mb=50)
    assert plan(under, 50, MemState.HIGH) == Plan(156, 0, 0)  # the guest cannot grow past its limit

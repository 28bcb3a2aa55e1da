"""mClock's dispatch order on a simulated datastore of fixed throughput (pure, exact time)."""

from __future__ import annotations

import pytest

from vmkernel.storage.mclock import IoAllocation, MClock

CAPACITY = 1000.0  # IOPS


def simulate(
    allocations: dict[str, IoAllocation],
    seconds: float = 10.0,
    depth: int = 8,
    active: dict[str, tuple[float, float]] | None = None,
) -> dict[str, int]:
    """Backlogged clients (``depth`` requests queued each) on a datastore that completes one request
    every 1/CAPACITY s; ``active`` limits a client to [start, end). Returns requests served each."""
    mclock: MClock[int] = MClock(CAPACITY)
    for name, allocation in allocations.items():
        mclock.set_client(name, allocation)
    served = dict.fromkeys(allocations, 0)
    steps = int(seconds * CAPACITY)
    for step in range(steps):
        now = step / CAPACITY
        for name in allocations:
            start, end = (active or {}).get(name, (0.0, seconds))
            while start <= now < end and mclock.backlog(name) < depth:
                mclock.submit(name, step, now)
        picked = mclock.dispatch(now)
        if picked is not None:
            served[str(picked[0])] += 1
    return served


def test_shares_divide_a_full_datastore() -> None:
    served = simulate({"a": IoAllocation(shares=2000), "b": IoAllocation(shares=1000)})
    assert served["a"] / served["b"] == pytest.approx(2.0, rel=0.05)
    assert sum(served.values()) >= 0.99 * 10 * CAPACITY  # work conserving


def test_a_limit_is_exact_even_on_an_idle_datastore() -> None:
    served = simulate({"capped": IoAllocation(limit_iops=100)})
    assert served["capped"] == pytest.approx(1000, abs=2)  # 100 IOPS for 10 s


def test_a_reservation_holds_against_heavier_shares() -> None:
    served = simulate(
        {
            "reserved": IoAllocation(reservation_iops=300, shares=500),
            "big1": IoAllocation(shares=2000),
            "big2": IoAllocation(shares=2000),
        }
    )
    assert served["reserved"] >= 300 * 10 * 0.99  # by shares alone it would get 1/9 ≈ 111 IOPS
    assert served["big1"] == pytest.approx(served["big2"], rel=0.02)


def test_reservation_limit_and_shares_together() -> None:
    served = simulate(
        {
            "floor": IoAllocation(reservation_iops=250, shares=500, limit_iops=400),
            "normal": IoAllocation(shares=1000),
            "capped": IoAllocation(shares=2000, limit_iops=150),
        }
    )
    assert 2500 * 0.99 <= served["floor"] <= 4000 * 1.01
    assert served["capped"] <= 1500 + 2
    assert sum(served.values()) >= 0.99 * 10 * CAPACITY


def test_a_client_back_from_idle_gets_no_credit_for_the_idle_time() -> None:
    served = simulate(
        {"steady": IoAllocation(), "late": IoAllocation()},
        active={"late": (5.0, 10.0)},
    )
    # 5 s alone, then 5 s at an even split: late gets its half of the last 5 s and no more
    assert served["late"] == pytest.approx(2500, rel=0.05)
    assert served["steady"] == pytest.approx(7500, rel=0.05)


@pytest.mark.parametrize(
    "bad",
    [
        {"reservation_iops": -1},
        {"shares": 0},
        {"limit_iops": 0},
        {"reservation_iops": 200, "limit_iops": 100},
        {"reservation_iops": 10**9},
    ],
)
def test_bad_allocations_are_refused(bad: dict[str, int]) -> None:
    with pytest.raises(ValueError):
        IoAllocation(**bad)

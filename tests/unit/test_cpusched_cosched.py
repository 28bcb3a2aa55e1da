"""Relaxed co-scheduling: skew tracked per vCPU, the leader co-stopped and started again (pure)."""

from __future__ import annotations

import pytest

from vmkernel.cpusched.budget import WorldAccount
from vmkernel.cpusched.cosched import COSTART_SKEW_S, COSTOP_SKEW_S, SkewTracker

TICK = 0.010


def test_vcpus_that_progress_together_are_never_costopped() -> None:
    tracker = SkewTracker()
    for _ in range(1000):
        assert tracker.update({1: TICK, 2: TICK}) == set()
    assert tracker.lead == {1: 0.0, 2: 0.0}


def test_a_vcpu_too_far_ahead_is_costopped_until_its_sibling_catches_up() -> None:
    tracker = SkewTracker()
    ticks_until_stop = 0
    while not tracker.update({1: TICK, 2: 0.0}):  # vCPU 2 ready but not running: vCPU 1 pulls ahead
        ticks_until_stop += 1
    assert ticks_until_stop == round(COSTOP_SKEW_S / TICK)
    assert tracker.costopped == {1} and tracker.lead[1] > COSTOP_SKEW_S
    assert tracker.update({1: 0.0, 2: TICK}) == {1}  # co-stopped: the laggard closes the gap
    assert tracker.update({1: 0.0, 2: TICK}) == {1}
    assert tracker.update({1: 0.0, 2: TICK}) == set()  # back under the co-start skew
    assert tracker.lead[1] < COSTART_SKEW_S


def test_only_the_leaders_are_costopped() -> None:
    tracker = SkewTracker()
    for _ in range(5):
        stopped = tracker.update({1: TICK, 2: TICK, 3: 0.0, 4: TICK / 2})
    assert stopped == {1, 2}


def test_an_idle_vcpu_progresses_so_its_busy_sibling_runs_on() -> None:
    tracker = SkewTracker()
    account = WorldAccount(pid=2, vm_id="vm-1", vcpu=1, entitled_fraction=1.0)
    idle_progress = account.charge(run_ns=0, wait_ns=0, elapsed_s=TICK)  # halted: neither ran nor waited
    assert idle_progress == pytest.approx(TICK)
    for _ in range(100):
        assert tracker.update({1: TICK, 2: idle_progress}) == set()


def test_a_single_vcpu_is_never_costopped_and_a_new_vcpu_starts_level() -> None:
    tracker = SkewTracker()
    assert tracker.update({1: TICK}) == set()
    for _ in range(3):
        tracker.update({1: TICK, 2: TICK / 2})
    assert tracker.update({1: TICK, 2: TICK, 3: 0.0}) == set()  # hot-added vCPU 3 begins with the leader
    assert tracker.lead[3] == pytest.approx(tracker.lead[1] - TICK)
    assert tracker.update({1: TICK}) == set() and set(tracker.lead) == {1}  # the others are gone


def test_held_time_is_charged_to_its_reason_and_is_no_progress() -> None:
    account = WorldAccount(pid=1, vm_id="vm-1", vcpu=0, entitled_fraction=1.0)
    assert account.charge(run_ns=6_000_000, wait_ns=4_000_000, elapsed_s=TICK) == pytest.approx(0.006)
    account.held_by = "costop"
    assert account.charge_held(TICK) == 0.0
    account.held_by = "limited"
    assert account.charge_held(TICK) == 0.0
    account.held_by = None
    account.charge(run_ns=7_000_000, wait_ns=4_000_000, elapsed_s=TICK)  # ran 1 ms before the signal
    totals = account.totals
    assert totals["run"] == pytest.approx(0.007) and totals["ready"] == pytest.approx(0.004)
    assert totals["costop"] == pytest.approx(TICK) and totals["limited"] == pytest.approx(TICK)


def test_a_held_world_is_charged_without_reading_its_counters() -> None:
    account = WorldAccount(pid=1, vm_id="vm-1", vcpu=0, entitled_fraction=0.5, tokens_s=-0.004)
    account.held_by = "limited"
    assert account.charge_held(TICK) == 0.0  # no progress while held
    assert account.tokens_s == pytest.approx(0.001) and account.totals["limited"] == pytest.approx(TICK)
    # what it ran before the signal landed is spent at its next read
    account.held_by = None
    account.charge(run_ns=2_000_000, wait_ns=0, elapsed_s=TICK)
    assert account.totals["run"] == pytest.approx(0.002)
    assert account.tokens_s == pytest.approx(0.001 + 0.005 - 0.002)


def test_how_long_a_world_can_go_unread() -> None:
    running = WorldAccount(pid=1, vm_id="vm-1", vcpu=0, entitled_fraction=0.25, tokens_s=0.015)
    assert running.quiet_for() == pytest.approx(0.015 / 0.75)  # flat out, it spends 0.75 s per second
    assert WorldAccount(pid=2, vm_id="vm-1", vcpu=0, entitled_fraction=1.0).quiet_for() == float("inf")
    limited = WorldAccount(pid=3, vm_id="vm-1", vcpu=0, entitled_fraction=0.25, tokens_s=-0.005)
    limited.held_by = "limited"
    assert limited.quiet_for() == pytest.approx(0.020)  # earning 0.25 s per second
    limited.held_by = "costop"
    assert limited.quiet_for() == 0.0
    tracker = SkewTracker()
    tracker.update({1: TICK, 2: 0.0})
    assert tracker.quiet_for() == pytest.approx(COSTOP_SKEW_S - TICK)  # the lead can grow by the time
    while not tracker.update({1: TICK, 2: 0.0}):
        pass
    assert tracker.quiet_for() == 0.0  # co-stopped: looked at every tick

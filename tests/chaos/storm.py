"""Scenario 1, the kill storm: VMs under random operations, guest writes, and kill -9 of hostd, a
random vmx or the VMkernel at random moments (a seeded schedule); then every invariant is checked.

Workers take operation numbers from one counter; the schedule marks some numbers as kills, which the
worker that draws one performs at once while the others are mid-operation. A VMkernel kill boots
the host again on the same root; the other workers' calls wait for it and reconnect.
"""

from __future__ import annotations

import os
import random
import signal
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from clients import Client
from pyesx import faults
from tests.chaos.guestdata import WORKLOAD, AckTracker
from tests.chaos.hostlink import HostLink
from tests.chaos.invariants import check_host, check_stopped_host
from tests.chaos.report import ScenarioResult
from tests.chaos.sizes import Size

MIB = 1 << 20
DISK_BYTES = 2 * MIB
TASK_TIMEOUT_S = 120.0
OPS = {  # operation -> weight
    "power_on": 24,
    "power_off": 10,
    "suspend": 8,
    "reset": 8,
    "snapshot": 12,
    "reconfigure": 12,
    "guest_io": 8,
    "create": 8,
    "destroy": 5,
}
KILLS = {"hostd": 45, "vmx": 40, "vmkernel": 15}
#: faults a racing or ill-timed operation may meet: the user sees them, nothing is broken
EXPECTED_FAULTS = (
    faults.InvalidPowerState,
    faults.TaskInProgress,
    faults.NotFound,
    faults.InvalidState,
    faults.InsufficientResourcesFault,
)


def kill_schedule(rng: random.Random, ops: int) -> dict[int, str]:
    """Which operation numbers are kills, and of what: every kind at least once."""
    count = max(len(KILLS), ops // 15)
    slots = rng.sample(range(1, ops), count)
    kinds = list(KILLS) + rng.choices(list(KILLS), weights=list(KILLS.values()), k=count - len(KILLS))
    return dict(zip(slots, kinds, strict=True))


@dataclass
class StormState:
    """What the workers share."""

    link: HostLink
    rng_seed: int
    schedule: dict[int, str]
    ops: int
    result: ScenarioResult
    tracker: AckTracker
    vms: dict[str, str] = field(default_factory=dict)  # id -> name
    in_flight: dict[int, tuple[str, str]] = field(default_factory=dict)  # op number -> (op, vm name)
    excused_folders: set[str] = field(default_factory=set)  # created/destroyed while a kill struck
    outcomes: Counter[str] = field(default_factory=Counter)
    unexpected: list[str] = field(default_factory=list)
    next_op: int = 0
    next_name: int = 0
    done: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self) -> int | None:
        with self.lock:
            if self.next_op >= self.ops:
                return None
            self.next_op += 1
            return self.next_op - 1


def _wait(link: HostLink, task_id: str) -> None:
    """The task's end (its fault raised), through hostd restarts and reboots."""
    link.call(lambda c: c.wait_for_task(task_id, timeout=TASK_TIMEOUT_S), TASK_TIMEOUT_S * 2)


def _create(state: StormState, name: str) -> str:
    link = state.link
    task = link.call(lambda c: c.create_vm(name, memory_mb=32, disk_capacity_bytes=[DISK_BYTES]))
    task_done = link.call(lambda c: c.wait_for_task(task.id, timeout=TASK_TIMEOUT_S), TASK_TIMEOUT_S * 2)
    vm_id = task_done.result_entity_id
    _wait(link, link.call(lambda c: c.reconfigure_vm(vm_id, set_extra_config=WORKLOAD)).id)
    with state.lock:  # its guest writes sequentially now: its data can be checked
        state.vms[vm_id] = name
    return vm_id


def _operate(state: StormState, op: str, vm_id: str, rng: random.Random) -> None:
    link = state.link

    def task(start: str, **kwargs: object) -> None:
        _wait(link, link.call(lambda c: getattr(c, start)(vm_id, **kwargs)).id)

    if op in ("power_on", "power_off", "suspend", "reset"):
        task(op)
    elif op == "snapshot":
        if len(link.call(lambda c: c.snapshots(vm_id))) >= 2:
            task("remove_all_snapshots")
        else:
            task("create_snapshot", name=f"s{rng.randrange(1000)}")
    elif op == "reconfigure":
        choice = rng.randrange(3)
        if choice == 0:
            task("reconfigure_vm", notes=f"chaos {rng.randrange(10**6)}")
        elif choice == 1:
            task("reconfigure_vm", memory_mb=rng.choice((32, 36, 40)))
        else:
            task("reconfigure_vm", set_extra_config={"chaos.mark": str(rng.randrange(10**6))})
    elif op == "guest_io":
        task("reconfigure_vm", set_extra_config={"sim.disk.iops": rng.choice(("10", "20", "40"))})
    elif op == "destroy":
        task("destroy_vm")
        state.tracker.forget(vm_id)
        with state.lock:
            state.vms.pop(vm_id, None)


def _kill(state: StormState, kind: str, rng: random.Random) -> None:
    link, result = state.link, state.result
    with state.lock:
        state.excused_folders |= {
            name for op, name in state.in_flight.values() if op in ("create", "destroy")
        }
    if kind == "vmx":
        running = [vm for vm in link.call(lambda c: c.list_vms()) if vm.vmx_pid]
        if not running:
            result.count("kills skipped (no VM running)")
            return
        try:
            os.kill(rng.choice(running).vmx_pid, signal.SIGKILL)
        except ProcessLookupError:
            result.count("kills skipped (vmx already gone)")
            return
    elif kind == "hostd":
        link.kill_hostd()
    else:
        link.kill_vmkernel_and_boot()
    result.count(f"kill -9 {kind}")


def _worker(state: StormState) -> None:
    while (number := state.take()) is not None:
        rng = random.Random(state.rng_seed * 1_000_003 + number)
        if number in state.schedule:
            try:
                _kill(state, state.schedule[number], rng)
            except Exception as exc:  # the harness could not inject it: say so, go on
                state.unexpected.append(
                    f"kill {state.schedule[number]} at op {number}: {type(exc).__name__}: {exc}"
                )
            continue
        op = rng.choices(list(OPS), weights=list(OPS.values()))[0]
        with state.lock:
            ids = sorted(state.vms)
            if not ids:
                op = "create"
            name = ""
            if op == "create":
                state.next_name += 1
                name = f"storm{state.next_name:03d}"
        vm_id = "" if op == "create" else rng.choice(ids)
        label = name if op == "create" else state.vms.get(vm_id, "")
        with state.lock:
            state.in_flight[number] = (op, label)
        try:
            if op == "create":
                _create(state, name)
            else:
                _operate(state, op, vm_id, rng)
            state.outcomes[f"{op}: ok"] += 1
        except EXPECTED_FAULTS as fault:
            state.outcomes[f"{op}: {type(fault).__name__}"] += 1
        except faults.VimFault as fault:
            if isinstance(fault, faults.HostCommunication) or any(
                sign in str(fault) for sign in ("hostd restarted", "HostCommunication")
            ):
                state.outcomes[f"{op}: interrupted by a kill"] += 1
                if op == "destroy":  # it may be gone or not: either is the user's to see; no data check
                    state.tracker.forget(vm_id)
                    with state.lock:
                        state.vms.pop(vm_id, None)
            else:
                state.outcomes[f"{op}: {type(fault).__name__}"] += 1
                state.unexpected.append(f"op {number} {op} {vm_id or name}: {type(fault).__name__}: {fault}")
        except Exception as exc:
            state.outcomes[f"{op}: {type(exc).__name__}"] += 1
            state.unexpected.append(f"op {number} {op} {vm_id or name}: {type(exc).__name__}: {exc}")
        finally:
            with state.lock:
                state.in_flight.pop(number, None)


def _track(state: StormState) -> None:
    """Poll every running guest's acknowledged writes until the storm ends."""
    while not state.done.is_set():
        try:
            vms = state.link.call(lambda c: c.list_vms(), 30.0)
            for vm in vms:
                if vm.power_state == "poweredOn" and vm.name.startswith("storm"):
                    try:
                        info = state.link.call(lambda c, i=vm.id: c.guest_info(i), 5.0)  # type: ignore[misc]
                    except faults.VimFault:
                        continue
                    state.tracker.observe(vm.id, info.counters)
        except Exception:
            pass
        state.done.wait(0.3)


def run_storm(workdir: Path, size: Size, seed: int) -> ScenarioResult:
    """Boot a host, create ``size.storm_vms`` VMs writing to their disks, storm, check."""
    result = ScenarioResult("Kill storm", size.label, seed)
    started = time.monotonic()
    rng = random.Random(seed)
    link = HostLink(workdir / "storm")
    state = StormState(
        link, seed, kill_schedule(rng, size.storm_ops), size.storm_ops, result, AckTracker(DISK_BYTES // 4096)
    )
    print(f"kill storm: seed {seed}, {size.storm_vms} VMs, {size.storm_ops} operations", flush=True)
    try:
        for _ in range(size.storm_vms):
            with state.lock:
                state.next_name += 1
                name = f"storm{state.next_name:03d}"
            vm_id = _create(state, name)
            if rng.random() < 0.75:
                _wait(link, link.call(lambda c, i=vm_id: c.power_on(i)).id)  # type: ignore[misc]
        tracker = threading.Thread(target=_track, args=(state,), daemon=True)
        tracker.start()
        workers = [threading.Thread(target=_worker, args=(state,)) for _ in range(size.storm_workers)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        state.done.set()
        tracker.join()
        _settle_and_check(state)
    finally:
        state.done.set()
        link.stop()
    check_stopped_host(link, result, state.tracker, set(state.vms))
    leftover = link.processes()
    if leftover:
        result.lose(f"processes left after the host stopped: {leftover}")
    result.figures.update(
        {
            "VMs at start": size.storm_vms,
            "VMs at end": len(state.vms),
            "operations run": size.storm_ops - len(state.schedule),
            "faults injected": len(state.schedule),
        }
    )
    for outcome, n in sorted(state.outcomes.items()):
        result.figures[f"op {outcome}"] = n
    for item in state.unexpected:
        result.lose(f"unexpected fault: {item}")
    excused = sorted(state.excused_folders) or "none"
    result.notes.append(
        "An orphan VM folder is excused only when a create or destroy of that VM was in flight when a kill "
        f"struck (the user's operation did not finish); in flight at a kill here: {excused}."
    )
    result.seconds = time.monotonic() - started
    return result


def _settle_and_check(state: StormState) -> None:
    """Wait for the tasks the storm left to end, take a last sample of every guest, check the host."""
    link = state.link
    client: Client = link.client()
    for vm in link.call(lambda c: c.list_vms()):
        if vm.power_state == "poweredOn" and vm.id in state.vms:
            try:
                state.tracker.observe(vm.id, link.call(lambda c, i=vm.id: c.guest_info(i)).counters)  # type: ignore[misc]
            except faults.VimFault:
                continue
    check_host(link, client, state.result, state.excused_folders)

"""Scenario 4, load: concurrent clients, each its own connection and session, mixing reads
(GetVM, ListVMs), power operations and console streams for a fixed time. Figures: operations,
p50/p99 latency per kind, expected faults (a power operation racing another: InvalidPowerState,
TaskInProgress) apart from unexpected ones (which must be none), and hostd's memory (RSS, PSS)
sampled through the run, its last third against its first (after a warm-up)."""

from __future__ import annotations

import random
import statistics
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from clients import Client
from pyesx import faults
from tests.chaos.hostlink import HostLink
from tests.chaos.report import ScenarioResult
from tests.chaos.sizes import Size

STEADY_VMS = 4  # always on: console streams
FLIP_VMS = 8  # powered on and off by the clients
MIX = {"get_vm": 35, "list_vms": 25, "power": 25, "console": 15}
EXPECTED = (faults.InvalidPowerState, faults.TaskInProgress)
WARM_UP_FRACTION = 0.2  # memory samples of the first part are not compared (caches fill)
SAMPLE_INTERVAL_S = 0.25
LEAK_FRACTION, LEAK_MIB = 0.25, 16.0  # growth beyond both, last third over first, is a leak


@dataclass
class LoadState:
    deadline: float
    steady: list[str]
    flip: list[str]
    latencies: dict[str, list[float]] = field(default_factory=dict)
    expected: Counter[str] = field(default_factory=Counter)
    unexpected: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, kind: str, seconds: float) -> None:
        with self.lock:
            self.latencies.setdefault(kind, []).append(seconds)


def _one(client: Client, state: LoadState, kind: str, rng: random.Random) -> None:
    if kind == "get_vm":
        client.get_vm(rng.choice(state.steady + state.flip))
    elif kind == "list_vms":
        client.list_vms()
    elif kind == "power":
        vm = rng.choice(state.flip)
        start = client.power_on if client.get_vm(vm).power_state == "poweredOff" else client.power_off
        client.wait_for_task(start(vm).id, timeout=120)
    else:
        with client.console(rng.choice(state.steady)) as console:  # attached: the repaint came
            console.send("\r")


def _client(link: HostLink, state: LoadState, seed: int) -> None:
    rng = random.Random(seed)
    client = link.host.client()
    try:
        while time.monotonic() < state.deadline:
            kind = rng.choices(list(MIX), weights=list(MIX.values()))[0]
            start = time.perf_counter()
            try:
                _one(client, state, kind, rng)
                state.record(kind, time.perf_counter() - start)
            except EXPECTED as fault:
                state.record(kind, time.perf_counter() - start)
                with state.lock:
                    state.expected[type(fault).__name__] += 1
            except Exception as exc:
                with state.lock:
                    state.unexpected.append(f"{kind}: {type(exc).__name__}: {exc}")
    finally:
        client.close()


def memory_kb(pid: int) -> tuple[int, int]:
    """(RSS, PSS) of a process in KiB, from /proc."""
    rss = next(
        int(line.split()[1])
        for line in Path(f"/proc/{pid}/status").read_text().splitlines()
        if line.startswith("VmRSS:")
    )
    rollup = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()
    pss = next(int(line.split()[1]) for line in rollup if line.startswith("Pss:"))
    return rss, pss


def _sample(pid: int, stop: threading.Event, samples: list[tuple[float, int, int]]) -> None:
    while not stop.is_set():
        rss, pss = memory_kb(pid)
        samples.append((time.monotonic(), rss, pss))
        stop.wait(SAMPLE_INTERVAL_S)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run_load(workdir: Path, size: Size, seed: int) -> ScenarioResult:
    result = ScenarioResult("Load", size.label, seed)
    started = time.monotonic()
    link = HostLink(workdir / "load")
    try:
        client = link.client()
        ids = []
        for n in range(STEADY_VMS + FLIP_VMS):
            task = client.create_vm(f"load{n:02d}", memory_mb=64, no_network=True)
            ids.append(client.wait_for_task(task.id).result_entity_id)
        steady, flip = ids[:STEADY_VMS], ids[STEADY_VMS:]
        for vm in steady:
            client.wait_for_task(client.power_on(vm).id)
        hostd = link.host.hostd_pid()
        samples: list[tuple[float, int, int]] = []
        stop = threading.Event()
        sampler = threading.Thread(target=_sample, args=(hostd, stop, samples), daemon=True)
        state = LoadState(time.monotonic() + size.load_seconds, steady, flip)
        measure_from = time.monotonic() + size.load_seconds * WARM_UP_FRACTION
        sampler.start()
        clients = [
            threading.Thread(target=_client, args=(link, state, seed * 1000 + i))
            for i in range(size.load_clients)
        ]
        for thread in clients:
            thread.start()
        for thread in clients:
            thread.join()
        stop.set()
        sampler.join()
        _figures(result, state, size, [s for s in samples if s[0] >= measure_from])
        if link.host.hostd_pid() != hostd:
            result.lose("hostd restarted during the load")
        if link.orphans():
            result.lose(f"orphaned processes: {link.orphans()}")
    finally:
        link.stop()
    if link.processes():
        result.lose(f"processes left after the host stopped: {link.processes()}")
    result.seconds = time.monotonic() - started
    return result


def _figures(
    result: ScenarioResult, state: LoadState, size: Size, samples: list[tuple[float, int, int]]
) -> None:
    everything = [t for values in state.latencies.values() for t in values]
    result.figures["clients"] = size.load_clients
    result.figures["seconds of load"] = size.load_seconds
    result.figures["operations"] = len(everything) + len(state.unexpected)
    result.figures["operations per second"] = round(len(everything) / size.load_seconds, 1)
    if everything:
        result.figures["latency p50 (ms), all"] = round(statistics.median(everything) * 1000, 1)
        result.figures["latency p99 (ms), all"] = round(_percentile(everything, 0.99) * 1000, 1)
    for kind, values in sorted(state.latencies.items()):
        result.figures[f"{kind}: count"] = len(values)
        result.figures[f"{kind}: p50 / p99 (ms)"] = (
            f"{statistics.median(values) * 1000:.1f} / {_percentile(values, 0.99) * 1000:.1f}"
        )
    for name, n in sorted(state.expected.items()):
        result.figures[f"expected faults: {name}"] = n
    result.figures["unexpected errors"] = len(state.unexpected)
    for item in sorted(set(state.unexpected))[:20]:
        result.lose(f"unexpected error: {item}")
    third = max(1, len(samples) // 3)
    if len(samples) >= 3:
        first, last = samples[:third], samples[-third:]
        for index, label in ((1, "RSS"), (2, "PSS")):
            a = statistics.mean(s[index] for s in first) / 1024
            b = statistics.mean(s[index] for s in last) / 1024
            result.figures[f"hostd {label} MiB, first third -> last third"] = (
                f"{a:.1f} -> {b:.1f} ({(b - a) / a * 100:+.1f} %)"
            )
        result.figures["hostd memory samples"] = len(samples)
        result.notes.append(
            "hostd keeps bounded histories that fill during a run (the change feed's last 10,000 changes, "
            "each with the whole object; the last 10,000 events; the last 1,000 tasks): growth while they "
            "fill is not a leak; a leak shows as growth beyond them (a run long enough to fill them)."
        )

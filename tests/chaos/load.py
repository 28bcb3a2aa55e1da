"""Scenario 4, load: concurrent clients, each its own connection and session, mixing reads
(GetVM, ListVMs), power operations and console streams. Figures: operations, p50/p99 latency per
kind, expected faults (a power operation racing another: InvalidPowerState, TaskInProgress) apart
from unexpected ones (which must be none), and whether hostd's memory stays flat.

hostd keeps bounded histories (``hostd.changes.HISTORY`` changes, each with the whole object;
``hostd.events.HISTORY`` events; ``hostd.tasks.HISTORY`` tasks) and grows legitimately until they
are full. So the run has two parts:

- a warm-up under the same load until the histories are full (the event history is pre-filled
  before the host boots, as a restarted hostd finds it in ``log/events.jsonl``: at this load's
  rate it would take minutes; the change feed and the task history fill from the load itself,
  watched through the API), at most ``Size.load_warmup_s``;
- a steady part of ``Size.load_seconds`` over which hostd's RSS and PSS (from /proc) are sampled
  and judged: the least-squares slope in MiB per minute, and the last third against the first.
  hostd leaks when both exceed their tolerance (``SLOPE_TOLERANCE``, ``GROWTH_TOLERANCE``).

The samples go to ``<workdir>/load/hostd-memory.csv`` (kept with ``--workdir``).
"""

from __future__ import annotations

import json
import random
import statistics
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from clients import Client
from hostd import changes, events, tasks
from pyesx import faults
from pyesx.layout import HostLayout
from tests.chaos.hostlink import HostLink
from tests.chaos.report import ScenarioResult
from tests.chaos.sizes import Size

STEADY_VMS = 4  # always on: console streams
FLIP_VMS = 8  # powered on and off by the clients
MIX = {"get_vm": 35, "list_vms": 25, "power": 25, "console": 15}
EXPECTED = (faults.InvalidPowerState, faults.TaskInProgress)
SAMPLE_INTERVAL_S = 0.25
FILL_POLL_S = 2.0  # how often the warm-up asks hostd how full its histories are
# The memory verdict (steady part only). On a busy 2-CPU machine hostd's flat runs measured slopes
# of +0.03 to +0.45 MiB/min (its hour-long ring of performance samples grows ~0.1 MiB/min), with
# steps of up to ~1.5 MiB (glibc and pymalloc arenas); a step of h MiB in the middle of the window
# reads as a slope of 1.5 h / minutes, so a slope alone is not enough: the thirds must agree. The
# leak these catch: grpc's, once per cancelled console stream, was +1.5 MiB/min in this mix.
SLOPE_TOLERANCE = 1.0  # MiB per minute, PSS and RSS
GROWTH_TOLERANCE = 2.0  # MiB, the last third's mean over the first third's


@dataclass
class LoadState:
    deadline: float
    steady: list[str]
    flip: list[str]
    latencies: dict[str, list[float]] = field(default_factory=dict)
    expected: Counter[str] = field(default_factory=Counter)
    unexpected: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)

    def record(self, kind: str, seconds: float) -> None:
        with self.lock:
            self.latencies.setdefault(kind, []).append(seconds)


@dataclass
class Sample:
    at: float  # monotonic seconds
    rss_kb: int
    pss_kb: int


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
        while not state.stop.is_set() and time.monotonic() < state.deadline:
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


def _sample(pid: int, stop: threading.Event, samples: list[Sample]) -> None:
    while not stop.is_set():
        samples.append(Sample(time.monotonic(), *memory_kb(pid)))
        stop.wait(SAMPLE_INTERVAL_S)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def slope_per_minute(points: list[tuple[float, float]]) -> float:
    """The least-squares slope of (seconds, MiB) points, in MiB per minute."""
    mean_t = statistics.fmean(t for t, _ in points)
    mean_v = statistics.fmean(v for _, v in points)
    spread = sum((t - mean_t) ** 2 for t, _ in points)
    if spread == 0:
        return 0.0
    return sum((t - mean_t) * (v - mean_v) for t, v in points) / spread * 60


def prefill_events(root: Path, count: int = events.HISTORY) -> None:
    """Write the events a long-running host would have recorded (this load's kinds, their sizes)
    into the host's event log before it boots: hostd loads the newest ``events.HISTORY``."""
    kinds = (
        ("VmStartingEvent", "is starting"),
        ("VmPoweredOnEvent", "is powered on"),
        ("VmStoppingEvent", "is stopping"),
        ("VmPoweredOffEvent", "is powered off"),
    )
    path = HostLayout(root).log / "events.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    now = time.time() - count * 0.01
    with path.open("w") as out:
        for key in range(1, count + 1):
            kind, what = kinds[key % len(kinds)]
            name = f"load{key % (STEADY_VMS + FLIP_VMS):02d}"
            record = {
                "key": key,
                "type": kind,
                "created_time": now + key * 0.01,
                "message": f"{name} on localhost.localdomain {what}",
                "user": "root",
                "vm_id": f"vm-{1000 + key % (STEADY_VMS + FLIP_VMS)}",
                "vm_name": name,
            }
            out.write(json.dumps(record) + "\n")


def _fill_levels(client: Client) -> tuple[int, int]:
    """(the change feed's version, the tasks hostd holds): its history of changes is full from
    version changes.HISTORY on."""
    version = -1
    for change in client.watch_changes(object_ids=["none"], timeout=30):  # no object: just the marker
        if change.initial_done:
            version = change.version
            break  # the stream is cancelled as the generator goes
    return version, len(client.recent_tasks())


def run_load(workdir: Path, size: Size, seed: int) -> ScenarioResult:
    result = ScenarioResult("Load", size.label, seed)
    started = time.monotonic()
    root = workdir / "load"
    prefill_events(root)
    link = HostLink(root)
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
        samples: list[Sample] = []
        stop = threading.Event()
        sampler = threading.Thread(target=_sample, args=(hostd, stop, samples), daemon=True)
        load_started = time.monotonic()
        # the clients' deadline is set once the warm-up ends; until then, the cap bounds them
        state = LoadState(load_started + size.load_warmup_s + size.load_seconds, steady, flip)
        sampler.start()
        clients = [
            threading.Thread(target=_client, args=(link, state, seed * 1000 + i))
            for i in range(size.load_clients)
        ]
        for thread in clients:
            thread.start()
        full = _warm_up(client, state, size, result)
        measure_from = time.monotonic()
        state.deadline = measure_from + size.load_seconds
        for thread in clients:
            thread.join()
        stop.set()
        sampler.join()
        load_seconds = time.monotonic() - load_started
        steady_samples = [s for s in samples if s.at >= measure_from]
        _write_samples(root / "hostd-memory.csv", samples, load_started, measure_from)
        _figures(result, state, size, load_seconds)
        _memory_figures(result, steady_samples, judged=full)
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


def _warm_up(client: Client, state: LoadState, size: Size, result: ScenarioResult) -> bool:
    """Load until hostd's histories are full (or the warm-up's cap passes); whether they are."""
    started = time.monotonic()
    cap = started + size.load_warmup_s
    while True:
        version, held = _fill_levels(client)
        full = version >= changes.HISTORY and held >= tasks.HISTORY
        if full or time.monotonic() >= cap:
            break
        state.stop.wait(FILL_POLL_S)  # a poll period under load: the fill is watched, not guessed
    result.figures["warm-up seconds (until hostd's histories are full)"] = round(
        time.monotonic() - started, 1
    )
    result.figures["change feed version / tasks held after the warm-up"] = (
        f"{version} (keeps {changes.HISTORY}) / {held} (keeps {tasks.HISTORY})"
    )
    return full


def _write_samples(path: Path, samples: list[Sample], load_started: float, measure_from: float) -> None:
    lines = ["seconds,part,rss_kib,pss_kib"]
    for s in samples:
        part = "steady" if s.at >= measure_from else "warm-up"
        lines.append(f"{s.at - load_started:.2f},{part},{s.rss_kb},{s.pss_kb}")
    path.write_text("\n".join(lines) + "\n")


def _figures(result: ScenarioResult, state: LoadState, size: Size, seconds: float) -> None:
    everything = [t for values in state.latencies.values() for t in values]
    result.figures["clients"] = size.load_clients
    result.figures["seconds of load (warm-up and steady part)"] = round(seconds, 1)
    result.figures["operations"] = len(everything) + len(state.unexpected)
    result.figures["operations per second"] = round(len(everything) / seconds, 1)
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


def _memory_figures(result: ScenarioResult, samples: list[Sample], judged: bool) -> None:
    """hostd's memory over the steady part: thirds, slopes, and the verdict when ``judged``."""
    if len(samples) < 6:
        result.notes.append("too few memory samples in the steady part to say anything of hostd's memory")
        return
    third = len(samples) // 3
    leaking: list[str] = []
    for label, kib in (("RSS", [s.rss_kb for s in samples]), ("PSS", [s.pss_kb for s in samples])):
        mib = [(s.at, k / 1024) for s, k in zip(samples, kib, strict=True)]
        first, middle, last = (statistics.fmean(v for _, v in part) for part in _thirds(mib, third))
        slope = slope_per_minute(mib)
        result.figures[f"hostd {label} MiB, steady part: first / middle / last third"] = (
            f"{first:.1f} / {middle:.1f} / {last:.1f} ({last - first:+.1f})"
        )
        result.figures[f"hostd {label} slope, steady part (MiB/min)"] = f"{slope:+.2f}"
        if slope > SLOPE_TOLERANCE and last - first > GROWTH_TOLERANCE:
            leaking.append(f"{label} {slope:+.2f} MiB/min, {last - first:+.1f} MiB")
    result.figures["hostd memory samples, steady part"] = len(samples)
    if not judged:
        result.figures["hostd memory verdict"] = "not judged: the histories were not full"
        result.notes.append(
            "hostd's histories were not full when the steady part began (a scaled-down run, or a "
            "machine too slow to fill them within the warm-up's cap): its memory may still grow."
        )
    elif leaking:
        result.figures["hostd memory verdict"] = "GROWING"
        result.lose(f"hostd memory grows with its histories full: {'; '.join(leaking)}")
    else:
        result.figures["hostd memory verdict"] = "flat"
    result.notes.append(
        f"hostd's memory is judged over the steady part only, once its bounded histories are full "
        f"(the change feed's last {changes.HISTORY:,} changes, each with the whole object; the last "
        f"{events.HISTORY:,} events, pre-filled; the last {tasks.HISTORY:,} tasks): it grows (a leak) "
        f"when its least-squares slope exceeds {SLOPE_TOLERANCE} MiB/min and its last third exceeds "
        f"its first by more than {GROWTH_TOLERANCE} MiB, in RSS or PSS."
    )


def _thirds(points: list[tuple[float, float]], third: int) -> list[list[tuple[float, float]]]:
    return [points[:third], points[third : len(points) - third], points[-third:]]

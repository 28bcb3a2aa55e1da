"""Power-on latency: PowerOnVM call to a finished task with the vmx and every VMM world running.

VMs (1 vCPU, 256 MB) are created first, then powered on one at a time through
the SDK, timing ``power_on`` + ``wait_for_task`` on the client's clock. After
each, ``get_vm`` must show the VM poweredOn with live vmx and VMM processes.
The JSON logs (hostd task times, vmx ``vmware.log``, ``vmkernel.log``) split
each power-on into phases. Baseline: starting and finishing ``python -c "import grpc"``.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.common import Figure, booted_host, python, time_process, timed_power_on, verify_powered_on
from bench.stats import median, percentile
from clients import Task
from pyesx.layout import HostLayout

GOAL_P50_MS = 150.0
PHASES = (
    ("queued", "task queued in hostd (queue → start time)"),
    ("spawn", "task start → vmx logs `vmx.starting` (StartVmx, vmx process creation, logging set-up)"),
    ("worlds", "`vmx.starting` → `vmx.running` (VMM worlds, vmx gRPC server, state file)"),
    ("handshake", "`vmx.running` → vmkernel logs `vmx.started` (readiness handshake)"),
    ("finish", "`vmx.started` → task complete time (StartVmx reply, hostd bookkeeping)"),
    ("client", "client: wall time − task time (the SDK's calls and their round trips)"),
)


@dataclass
class PowerOnResult:
    title = "Power-on latency"
    timed = True
    vms: int
    samples_ms: list[float]
    baseline_ms: list[float]
    bare_python_ms: list[float]
    verified: int
    failures: list[str] = field(default_factory=list)
    phases_ms: dict[str, list[float]] = field(default_factory=dict)

    @property
    def p50(self) -> float:
        return percentile(self.samples_ms, 50)

    @property
    def p99(self) -> float:
        return percentile(self.samples_ms, 99)

    @property
    def baseline(self) -> float:
        return median(self.baseline_ms)

    def figures(self) -> list[Figure]:
        base = 'python -c "import grpc" (median)'
        ok = self.verified == self.vms
        return [
            Figure(
                "Power-on latency p50",
                self.p50,
                "ms",
                self.baseline,
                base,
                f"≤ {GOAL_P50_MS:.0f} ms",
                ok and self.p50 <= GOAL_P50_MS,
            ),
            Figure("Power-on latency p99", self.p99, "ms", self.baseline, base),
        ]

    def details(self) -> list[str]:
        lines = [
            f"{self.vms} VMs (1 vCPU, 256 MB) created first, then powered on one at a time; each sample is "
            "the client's wall time from the `PowerOnVM` call until `wait_for_task` returned the finished "
            "task, as a script would see it. Percentiles are "
            f"nearest-rank: with {self.vms} samples p99 is the slowest one.",
            "",
            f"- Verified after each power-on (`get_vm`: poweredOn, one VMM pid per vCPU, vmx and VMM "
            f"processes running): **{self.verified}/{self.vms}**",
            f"- Samples (ms, in power-on order): {_ms_list(self.samples_ms)}",
            f"- min {min(self.samples_ms, default=0):.1f} ms, p50 {self.p50:.1f} ms, "
            f"p90 {percentile(self.samples_ms, 90):.1f} ms, max {max(self.samples_ms, default=0):.1f} ms",
            f'- Baseline `python -c "import grpc"` (ms, {len(self.baseline_ms)} runs): '
            f"{_ms_list(self.baseline_ms)}; median {self.baseline:.1f} ms",
            f'- Reference `python -c "pass"` (interpreter start alone, {len(self.bare_python_ms)} runs): '
            f"median {median(self.bare_python_ms):.1f} ms",
        ]
        for failure in self.failures:
            lines.append(f"- Verification failure: {failure}")
        lines += ["", *self._phase_table()]
        return lines

    def _phase_table(self) -> list[str]:
        counted = {key: values for key, values in self.phases_ms.items() if values}
        if not counted:
            return ["Phase breakdown: the log timestamps it needs were not found."]
        total = sum(median(values) for values in counted.values())
        lines = [
            "Where the time goes (median per phase over the VMs whose log lines were all found; "
            "from the JSON log timestamps and the task's queue/start/complete times):",
            "",
            "| Phase | Median ms | Share |",
            "|---|---:|---:|",
        ]
        for key, label in PHASES:
            if key in counted:
                value = median(counted[key])
                share = value / total if total else 0.0
                lines.append(f"| {label} | {value:.1f} | {share:.0%} |")
        return lines


def _ms_list(values: list[float]) -> str:
    return ", ".join(f"{v:.1f}" for v in values)


def _log_times(path: Path, event: str, **match: str) -> list[dt.datetime]:
    """Timestamps of the JSON log lines of path whose event (and given keys) match."""
    found = []
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return []
    for line in text.splitlines():
        try:
            entry: dict[str, Any] = json.loads(line)
        except ValueError:
            continue
        if entry.get("event") == event and all(entry.get(k) == v for k, v in match.items()):
            try:
                found.append(dt.datetime.fromisoformat(str(entry["timestamp"])))
            except (KeyError, ValueError):
                continue
    return found


def phases(layout: HostLayout, vmx_path: str, vm_id: str, task: Task, wall_ms: float) -> dict[str, float]:
    """One power-on split into phases (ms); {} when a timestamp is missing."""
    vmware_log = layout.resolve(vmx_path).parent / "vmware.log"
    starting = _log_times(vmware_log, "vmx.starting")
    ready = _log_times(vmware_log, "vmx.running")
    started = _log_times(layout.log / "vmkernel.log", "vmx.started", vm_id=vm_id)
    if not (starting and ready and started and task.queue_time and task.start_time and task.complete_time):
        return {}
    marks = [task.queue_time, task.start_time, starting[-1], ready[-1], started[-1], task.complete_time]
    ms = [(b - a).total_seconds() * 1000 for a, b in itertools.pairwise(marks)]
    server_ms = (task.complete_time - task.queue_time).total_seconds() * 1000
    return dict(zip(("queued", "spawn", "worlds", "handshake", "finish"), ms, strict=True)) | {
        "client": wall_ms - server_ms
    }


def run(vms: int = 20, baseline_runs: int = 10) -> PowerOnResult:
    """Measure power-on latency over vms VMs and the import-grpc process baseline."""
    time_process(python("-c", "import grpc"), 1)  # warm the page cache, as the host's boot did for it
    baseline = time_process(python("-c", "import grpc"), baseline_runs)
    bare = time_process(python("-c", "pass"), baseline_runs)
    samples: list[float] = []
    failures: list[str] = []
    done: list[tuple[str, str, Task, float]] = []  # vm id, vmx path, finished task, wall ms
    by_phase: dict[str, list[float]] = {key: [] for key, _ in PHASES}
    with booted_host() as host:
        with host.client() as client:
            ids = []
            for i in range(vms):
                created = client.wait_for_task(
                    client.create_vm(f"bench-on-{i:02d}", num_cpus=1, memory_mb=256).id
                )
                assert created.result_vm is not None
                ids.append((created.result_vm.id, created.result_vm.vmx_path))
            try:
                for vm_id, vmx_path in ids:
                    wall_ms, task = timed_power_on(client, vm_id)
                    samples.append(wall_ms)
                    done.append((vm_id, vmx_path, task, wall_ms))
                    problem = verify_powered_on(client, vm_id)
                    if problem:
                        failures.append(problem)
            finally:
                for vm_id, _ in ids:
                    if client.get_vm(vm_id).power_state == "poweredOn":
                        client.wait_for_task(client.power_off(vm_id).id)
        host.stop()  # processes buffer their info lines: every log is complete once they have exited
        layout = HostLayout(host.root)
        for vm_id, vmx_path, task, wall_ms in done:
            for key, value in phases(layout, vmx_path, vm_id, task, wall_ms).items():
                by_phase[key].append(value)
    return PowerOnResult(
        vms=vms,
        samples_ms=samples,
        baseline_ms=baseline,
        bare_python_ms=bare,
        verified=len(samples) - len(failures),
        failures=failures,
        phases_ms=by_phase,
    )

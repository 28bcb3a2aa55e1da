"""How many VMs this machine powers on at once, and power-on latency against the number already running.

1-vCPU 16 MB VMs (no NIC, no disk) are created, then powered on one at a time
through the SDK until the host refuses (InsufficientResourcesFault from
admission control, or any other fault, which is reported), the run's cap is
reached (in a full run, the host's maximum of 1,024 VMs, ESXi's configuration
maximum) or its time budget (which keeps `make bench` bounded) is spent. Each
power-on's latency is kept with the number of VMs already running: the plot.
At the end every VM the host calls poweredOn is checked to have its vmx and
VMM world alive.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.common import (
    MIB,
    Figure,
    booted_host,
    create_vms,
    power_off_all,
    timed_power_on,
    verify_powered_on,
)
from bench.stats import median
from hostd.vms import MAX_VMS
from pyesx import faults

MEMORY_MB = 16


def _mem_available() -> int:
    """MemAvailable of /proc/meminfo, in bytes."""
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) * 1024
    return 0


@dataclass
class CapacityResult:
    title = "Maximum VMs powered on"
    timed = True
    cap: int
    samples_ms: list[float] = field(default_factory=list)  # index = VMs already running
    stopped_by: str = ""
    verified: int = 0
    available_drop: int = 0  # bytes of MemAvailable the running VMs took

    @property
    def count(self) -> int:
        return len(self.samples_ms)

    def _ends(self) -> tuple[float, float]:
        k = max(1, self.count // 10)
        return median(self.samples_ms[:k]), median(self.samples_ms[-k:])

    def figures(self) -> list[Figure]:
        first, last = self._ends()
        k = max(1, self.count // 10)
        return [
            Figure(
                "VMs powered on at once (1 vCPU, 16 MB)",
                float(self.verified),
                "VMs",
                float(self.cap),
                "the run's cap",
            ),
            Figure(
                f"Power-on latency with ≥ {self.count - k} VMs running, median of {k}",
                last,
                "ms",
                first,
                f"median of the first {k}",
            ),
        ]

    def details(self) -> list[str]:
        per_vm = self.available_drop / self.count / MIB if self.count else math.nan
        return [
            f"1-vCPU {MEMORY_MB} MB VMs powered on one at a time through the SDK (PowerOnVM until the "
            f"task finished) until the host refused, the cap of {self.cap} was reached or the run's time "
            "budget was spent.",
            "",
            f"- Powered on: **{self.count}**; stopped because: **{self.stopped_by}**",
            f"- Verified running at the end (poweredOn, vmx and VMM world alive): "
            f"{self.verified}/{self.count}",
            f"- The machine's MemAvailable fell by {self.available_drop / MIB:,.0f} MiB while they came on "
            f"({per_vm:.1f} MiB per VM; other processes on the machine move it too)",
            f"- Latency (ms) by VMs already running: {', '.join(f'{v:.0f}' for v in self.samples_ms)}",
        ]

    def plots(self, folder: Path) -> list[tuple[str, Path]]:
        from bench import plots

        path = folder / "power-on-latency.png"
        plots.latency_vs_running(self.samples_ms, path)
        return [("Power-on latency against the number of VMs already running", path)]


def run(cap: int = MAX_VMS, budget_s: float = 240.0) -> CapacityResult:
    """Power on up to cap VMs, one at a time, until the host refuses or budget_s has passed."""
    result = CapacityResult(cap=cap)
    deadline = time.monotonic() + budget_s
    with booted_host() as host, host.client() as client:
        ids = create_vms(client, "bench-max", cap, memory_mb=MEMORY_MB)
        before = _mem_available()
        try:
            for vm_id in ids:
                if time.monotonic() > deadline:
                    result.stopped_by = f"the run's time budget, {budget_s:.0f} s (the host had not refused)"
                    break
                try:
                    ms, _ = timed_power_on(client, vm_id)
                except faults.InsufficientResourcesFault as fault:
                    result.stopped_by = f"the host refused: InsufficientResourcesFault ({fault})"
                    break
                except faults.VimFault as fault:
                    result.stopped_by = f"a fault: {type(fault).__name__} ({fault})"
                    break
                result.samples_ms.append(ms)
            else:
                result.stopped_by = (
                    f"the host's maximum of {MAX_VMS:,} VMs, ESXi's configuration maximum (all powered on)"
                    if cap == MAX_VMS
                    else f"the run's cap of {cap} VMs (the host had not refused)"
                )
            result.available_drop = before - _mem_available()
            on = [vm.id for vm in client.list_vms() if vm.power_state == "poweredOn"]
            result.verified = sum(not verify_powered_on(client, vm_id) for vm_id in on)
        finally:
            power_off_all(client)
    return result

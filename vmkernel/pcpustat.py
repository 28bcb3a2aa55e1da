"""The physical CPUs' busy time, from the kernel's own accounting (/proc/stat)."""

from __future__ import annotations

import os
from pathlib import Path

_TICK = os.sysconf("SC_CLK_TCK")


def pcpu_used_seconds(cpus: list[int] | None = None) -> list[float]:
    """Busy seconds (all but idle and iowait) of each of ``cpus`` (the host's PCPUs), cumulative."""
    wanted = sorted(os.sched_getaffinity(0)) if cpus is None else cpus
    busy: dict[int, float] = {}
    for line in Path("/proc/stat").read_text().splitlines():
        name, *fields = line.split()
        if not name.startswith("cpu") or name == "cpu":
            continue
        ticks = [int(f) for f in fields]
        idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)
        busy[int(name[3:])] = (sum(ticks[:8]) - idle) / _TICK
    return [busy.get(cpu, 0.0) for cpu in wanted]

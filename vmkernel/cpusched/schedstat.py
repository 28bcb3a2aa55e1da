"""The kernel's per-process CPU accounting, from /proc/PID/schedstat (nanoseconds)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class SchedStat:
    run_ns: int  # time spent on a CPU
    wait_ns: int  # time spent runnable, waiting on a runqueue


def read_schedstat(pid: int) -> SchedStat | None:
    """The process's counters, or None when it is gone."""
    try:
        run, wait, _ = Path(f"/proc/{pid}/schedstat").read_text().split()
    except (OSError, ValueError):
        return None
    return SchedStat(int(run), int(wait))

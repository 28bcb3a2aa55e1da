"""The kernel's per-process CPU accounting, from /proc/PID/schedstat (nanoseconds)."""

from __future__ import annotations

import contextlib
import os
from typing import NamedTuple


class SchedStat(NamedTuple):  # a tuple: read for every world every tick, so cheap to make
    run_ns: int  # time spent on a CPU
    wait_ns: int  # time spent runnable, waiting on a runqueue


def _parse(raw: bytes) -> SchedStat | None:
    try:
        run, wait, _ = raw.split()
        return SchedStat(int(run), int(wait))
    except ValueError:
        return None


def read_schedstat(pid: int) -> SchedStat | None:
    """The process's counters, or None when it is gone."""
    try:
        with open(f"/proc/{pid}/schedstat", "rb") as file:
            return _parse(file.read())
    except OSError:
        return None


class SchedStatFile:
    """One process's schedstat, kept open and re-read in place: a tenth of the cost of opening it
    each tick, and bound to that process (a dead one reads as None, never as a reused pid)."""

    def __init__(self, pid: int) -> None:
        self.fd: int | None
        try:
            self.fd = os.open(f"/proc/{pid}/schedstat", os.O_RDONLY | os.O_CLOEXEC)
        except OSError:
            self.fd = None

    def read(self) -> SchedStat | None:
        """The counters now, or None when the process is gone."""
        if self.fd is None:
            return None
        try:
            return _parse(os.pread(self.fd, 128, 0))
        except OSError:
            return None

    def close(self) -> None:
        if self.fd is not None:
            with contextlib.suppress(OSError):
                os.close(self.fd)
            self.fd = None

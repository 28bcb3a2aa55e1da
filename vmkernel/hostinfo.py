"""Discovery of the physical host: PCPUs, their MHz, memory, name."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path

DEFAULT_MHZ = 2000


@dataclass(frozen=True)
class PhysicalHost:
    hostname: str
    num_pcpus: int
    cpu_mhz: int
    memory_bytes: int


def _cpu_mhz() -> int:
    freq = Path("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq")
    try:
        return int(freq.read_text()) // 1000
    except (OSError, ValueError):
        pass
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
        mhz = [float(line.split(":")[1]) for line in cpuinfo if line.startswith("cpu MHz")]
    except (OSError, ValueError):
        mhz = []
    return int(max(mhz)) if mhz else DEFAULT_MHZ


def _memory_bytes() -> int:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def discover(memory_mb: int | None = None) -> PhysicalHost:
    """The host as the VMkernel sees it; memory_mb caps memory below the machine's (for pressure tests)."""
    memory = _memory_bytes()
    if memory_mb:
        memory = min(memory, memory_mb * 1024 * 1024)
    return PhysicalHost(
        hostname=socket.gethostname().split(".")[0] or "localhost",
        num_pcpus=len(os.sched_getaffinity(0)),
        cpu_mhz=_cpu_mhz(),
        memory_bytes=memory,
    )

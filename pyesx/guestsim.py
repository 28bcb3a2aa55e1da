"""The simulated guest's settings, kept in the .vmx as VM advanced settings (extra config).

``sim.cpu.demand``: percent (0–100) of each vCPU the guest's work keeps busy.
``sim.mem.activeMB``: memory (MB) the guest's working set touches, re-touched every
second (vmx/guestmem.py; capped at the VM's memory size).
"""

from __future__ import annotations

from collections.abc import Mapping

from pyesx import faults

CPU_DEMAND_KEY = "sim.cpu.demand"
MEM_ACTIVE_KEY = "sim.mem.activeMB"
#: the guest tools' balloon driver inflates by at most this much per memory-scheduler step (~1 s)
BALLOON_INFLATE_MB_PER_STEP = 32
#: the balloon driver takes at most this part of the VM's configured memory (ESXi: 65 %)
BALLOON_MAX_FRACTION = 0.65


def _lookup(config: Mapping[str, str], key: str) -> str | None:
    for name, value in config.items():
        if name.lower() == key.lower():
            return value
    return None


def check(key: str, value: str) -> None:
    """InvalidArgument unless value is valid for a simulated-guest key (other keys pass)."""
    if key.lower() == CPU_DEMAND_KEY.lower() and not (value.isdigit() and 0 <= int(value) <= 100):
        raise faults.InvalidArgument(key, f"'{value}' is not a percentage from 0 to 100")
    if key.lower() == MEM_ACTIVE_KEY.lower() and not (value.isdigit() and int(value) <= 24 * 1024 * 1024):
        raise faults.InvalidArgument(key, f"'{value}' is not a size in MB")


def cpu_demand(config: Mapping[str, str]) -> int:
    """The guest's CPU demand in percent of each vCPU (0 when unset or invalid)."""
    value = _lookup(config, CPU_DEMAND_KEY) or "0"
    return int(value) if value.isdigit() and int(value) <= 100 else 0


def mem_active_mb(config: Mapping[str, str]) -> int:
    """The guest's working set in MB (0 when unset or invalid)."""
    value = _lookup(config, MEM_ACTIVE_KEY) or "0"
    return int(value) if value.isdigit() and int(value) <= 24 * 1024 * 1024 else 0

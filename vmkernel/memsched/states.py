"""The host's free-memory state from minFree (ESXi's sliding scale)."""

from __future__ import annotations

from enum import StrEnum

# (band size in MB, percent of it): 6 % of the first 4 GB, 4 % of the next 8, 2 % of the next 16, 1 % above
_SCALE = ((4 * 1024, 6), (8 * 1024, 4), (16 * 1024, 2), (float("inf"), 1))


class MemState(StrEnum):
    HIGH = "high"  # free ≥ minFree
    CLEAR = "clear"  # < 100 % of minFree (ESXi: page sharing)
    SOFT = "soft"  # < 64 %: + ballooning
    HARD = "hard"  # < 32 %: + compression and hypervisor swap
    LOW = "low"  # < 16 %: + blocking new allocations


_THRESHOLDS = ((1.0, MemState.HIGH), (0.64, MemState.CLEAR), (0.32, MemState.SOFT), (0.16, MemState.HARD))


def min_free_mb(host_mb: float) -> float:
    """minFree for a host of ``host_mb`` MB."""
    if host_mb < 0:
        raise ValueError(f"host memory {host_mb} MB is negative")
    total, rest = 0.0, host_mb
    for band, percent in _SCALE:
        part = min(rest, band)
        total += part * percent / 100
        rest -= part
        if rest <= 0:
            break
    return total


def host_state(free_mb: float, min_free: float) -> MemState:
    """The state of a host with ``free_mb`` free against its minFree."""
    for fraction, state in _THRESHOLDS:
        if free_mb >= fraction * min_free:
            return state
    return MemState.LOW


def reclaims_by_balloon(state: MemState) -> bool:
    return state in (MemState.SOFT, MemState.HARD, MemState.LOW)


def reclaims_by_swap(state: MemState) -> bool:
    return state in (MemState.HARD, MemState.LOW)

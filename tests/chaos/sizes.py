"""The campaign's two sizes: full (``make chaos``) and scaled down (``make test``)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Size:
    """How big each scenario runs."""

    label: str
    storm_vms: int  # VMs in the kill storm
    storm_ops: int  # random operations in the kill storm
    storm_workers: int  # clients issuing them at once
    load_clients: int  # concurrent clients in the load scenario
    load_seconds: float  # how long the load's steady part runs (its memory is judged)
    load_warmup_s: float  # the most the load runs before it, until hostd's histories are full


FULL = Size(
    "full",
    storm_vms=20,
    storm_ops=500,
    storm_workers=4,
    load_clients=64,
    load_seconds=150.0,
    load_warmup_s=240.0,
)
SCALED = Size(
    "scaled", storm_vms=4, storm_ops=40, storm_workers=3, load_clients=64, load_seconds=8.0, load_warmup_s=2.0
)

"""Realtime performance statistics: a sample of every entity's counters each interval, kept an hour.

Every ``interval_s`` (20 s by default, vSphere's realtime interval; ``pyesx boot
--stats-interval``) the collector asks each statistics source for the interval
that just ended and appends one sample per entity (the host, each powered-on VM)
to that entity's ring of ``SAMPLES_KEPT`` (180: an hour at 20 s). Sample times
are the interval boundaries (multiples of the interval in unix time), as
vSphere's are. A VM's samples stay after it powers off until they age out.
Samples live in hostd's memory: a restarted hostd starts a new history.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from hostd.perfcounters import CATALOGUE, PerfCounter, counter
from hostd.perfsources import MetricKey, Reading, StatsSource
from pyesx import faults
from pyesx.logs import get_logger

DEFAULT_INTERVAL_S = 20
SAMPLES_KEPT = 180
ALL_INSTANCES = "*"

_log = get_logger("perfstats")


@dataclass(frozen=True)
class Sample:
    """One entity's values at the end of one interval."""

    timestamp: float  # unix seconds
    values: dict[MetricKey, float]


@dataclass(frozen=True)
class PerfValue:
    """One value of one counter and instance, as QueryPerf returns it."""

    entity_id: str
    counter: PerfCounter
    instance: str
    timestamp: float
    value: float


@dataclass(frozen=True)
class PerfQuery:
    """What QueryPerf asks: an entity, counters (empty: all collected), bounds and instances."""

    entity_id: str
    counters: Sequence[str] = ()
    max_samples: int = 0  # the newest N per counter and instance; 0 = all
    start: float | None = None  # exclusive
    end: float | None = None  # inclusive
    interval_s: int = 0  # 0 or the realtime interval
    instance: str = ALL_INSTANCES  # "*" all, "" the aggregate, "0" vCPU 0


class EntityHistory:
    """One entity's samples, oldest first: at most ``size``, none older than ``max_age`` seconds."""

    def __init__(self, size: int, max_age: float) -> None:
        self.samples: deque[Sample] = deque(maxlen=size)
        self.max_age = max_age

    def append(self, sample: Sample) -> None:
        self.samples.append(sample)

    def prune(self, now: float) -> None:
        """Drop the samples that are older than max_age at ``now``."""
        while self.samples and self.samples[0].timestamp <= now - self.max_age:
            self.samples.popleft()


class PerfCollector:
    """Samples every source each interval and answers queries over what it kept."""

    def __init__(
        self,
        sources: Iterable[StatsSource],
        interval_s: int = DEFAULT_INTERVAL_S,
        samples_kept: int = SAMPLES_KEPT,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if interval_s < 1:
            raise faults.InvalidArgument("interval_s", "the statistics interval must be at least 1 second")
        self.sources = list(sources)
        self.interval_s = interval_s
        self.samples_kept = samples_kept
        self.clock = clock
        self.collected = frozenset(name for source in self.sources for name in source.counters)
        self.histories: dict[str, EntityHistory] = {}

    # -- collecting -------------------------------------------------------------------------------

    def record(self, timestamp: float, reading: Reading) -> None:
        """Append one sample per entity in ``reading``; drop what aged out of every history."""
        for entity_id, values in reading.items():
            if values:
                history = self.histories.get(entity_id)
                if history is None:
                    history = EntityHistory(self.samples_kept, self.samples_kept * self.interval_s)
                    self.histories[entity_id] = history
                history.append(Sample(timestamp, dict(values)))
        for entity_id, history in list(self.histories.items()):
            history.prune(timestamp)
            if not history.samples:
                del self.histories[entity_id]

    async def collect_once(self, timestamp: float) -> None:
        """Ask every source for the interval ending at ``timestamp`` and record what they give."""
        merged: Reading = {}
        for source in self.sources:
            reading = await source.collect()
            for entity_id, values in (reading or {}).items():
                merged.setdefault(entity_id, {}).update(values)
        self.record(timestamp, merged)

    def next_boundary(self, now: float) -> float:
        """The first interval boundary after ``now``."""
        return (math.floor(now / self.interval_s) + 1) * self.interval_s

    async def run(self) -> None:
        """Collect at every interval boundary for the life of hostd's event loop."""
        _log.info("perfstats.started", interval_s=self.interval_s, counters=sorted(self.collected))
        while True:
            now = self.clock()
            boundary = self.next_boundary(now)
            await asyncio.sleep(boundary - now)  # the sampling period, not a wait for readiness
            try:
                await self.collect_once(boundary)
            except Exception:
                _log.exception("perfstats.collect_failed")

    # -- querying ---------------------------------------------------------------------------------

    def has_entity(self, entity_id: str) -> bool:
        return entity_id in self.histories

    def _counters(self, names: Sequence[str]) -> list[PerfCounter]:
        if not names:
            return [c for c in CATALOGUE if c.name in self.collected]
        chosen: dict[str, PerfCounter] = {}
        for name in names:
            found = counter(name)
            if found.name not in self.collected:
                raise faults.InvalidArgument(
                    "counters", f"counter '{found.name}' is not collected on this host"
                )
            chosen.setdefault(found.name, found)
        return list(chosen.values())

    def query(self, q: PerfQuery) -> list[PerfValue]:
        """The samples ``q`` asks for: by counter (in the order asked), instance ("" first, then by
        vCPU), oldest first. InvalidArgument (naming what is wrong) for an unknown or uncollected
        counter, a negative max_samples, an interval other than the realtime one or start > end.
        The caller checks that the entity exists."""
        if q.max_samples < 0:
            raise faults.InvalidArgument("max_samples", f"{q.max_samples} is negative")
        if q.interval_s not in (0, self.interval_s):
            raise faults.InvalidArgument(
                "interval_secs", f"{q.interval_s} s is not the realtime interval ({self.interval_s} s)"
            )
        if q.start is not None and q.end is not None and q.start > q.end:
            raise faults.InvalidArgument("start_time", "the start is after the end")
        counters = self._counters(q.counters)
        wanted = {c.name: c for c in counters}
        series: dict[MetricKey, list[tuple[float, float]]] = {}
        history = self.histories.get(q.entity_id)
        for sample in history.samples if history else ():
            if (q.start is not None and sample.timestamp <= q.start) or (
                q.end is not None and sample.timestamp > q.end
            ):
                continue
            for (name, instance), value in sample.values.items():
                if name in wanted and q.instance in (ALL_INSTANCES, instance):
                    series.setdefault((name, instance), []).append((sample.timestamp, value))
        order = {c.name: i for i, c in enumerate(counters)}

        def rank(key: MetricKey) -> tuple[int, int]:
            return order[key[0]], int(key[1]) + 1 if key[1].isdigit() else 0

        found = []
        for key in sorted(series, key=rank):
            points = series[key][-q.max_samples :] if q.max_samples else series[key]
            found += [PerfValue(q.entity_id, wanted[key[0]], key[1], ts, value) for ts, value in points]
        return found

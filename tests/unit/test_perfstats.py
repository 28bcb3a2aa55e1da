"""Realtime statistics without processes: the interval arithmetic, the ring of samples and queries."""

from __future__ import annotations

import asyncio

import pytest

from hostd.perfcounters import CATALOGUE, HOST_ID
from hostd.perfsources import MEMORY_COUNTERS, CpuSource, Reading, absolute_reading, cpu_interval
from hostd.perfstats import PerfCollector, PerfQuery
from pyesx import faults
from pyesx.api.v1 import performance_pb2
from vmkernel import bootargs

pytestmark = pytest.mark.timeout(30)
MHZ = 2000


def _stats(at: float, *worlds: tuple[int, str, int, float, float, float]) -> performance_pb2.WorldStats:
    """A VMkernel reading at ``at``: worlds as (world id, vm, vcpu, run s, ready s, costop s)."""
    return performance_pb2.WorldStats(
        timestamp=at,
        num_pcpus=2,
        cpu_mhz=MHZ,
        worlds=[
            performance_pb2.WorldStat(
                world_id=w, vm_id=vm, vcpu=vcpu, run_seconds=run, ready_seconds=ready, costop_seconds=costop
            )
            for w, vm, vcpu, run, ready, costop in worlds
        ],
    )


def test_usage_is_run_time_over_the_interval_of_the_vms_capacity() -> None:
    before = _stats(100.0, (1, "vm-1", 0, 10.0, 1.0, 0.0), (2, "vm-1", 1, 10.0, 1.0, 0.0))
    after = _stats(120.0, (1, "vm-1", 0, 30.0, 1.5, 0.0), (2, "vm-1", 1, 20.0, 3.0, 0.25))
    vm = cpu_interval(before, after)["vm-1"]
    # 20 s + 10 s of run over 20 s on 2 vCPUs: 75 % of the VM, 1.5 PCPUs' MHz
    assert vm[("cpu.usage.average", "")] == 75.0
    assert vm[("cpu.usagemhz.average", "")] == 3000
    assert (vm[("cpu.usagemhz.average", "0")], vm[("cpu.usagemhz.average", "1")]) == (2000, 1000)
    # ready and co-stop are milliseconds summed over the interval, per vCPU and in total
    assert (vm[("cpu.ready.summation", "0")], vm[("cpu.ready.summation", "1")]) == (500, 2000)
    assert vm[("cpu.ready.summation", "")] == 2500
    assert (vm[("cpu.costop.summation", "")], vm[("cpu.costop.summation", "1")]) == (250, 250)


def test_the_host_sums_its_vms_over_its_pcpus() -> None:
    before = _stats(0.0, (1, "vm-1", 0, 0.0, 0.0, 0.0), (2, "vm-2", 0, 0.0, 0.0, 0.0))
    after = _stats(20.0, (1, "vm-1", 0, 20.0, 0.0, 0.0), (2, "vm-2", 0, 5.0, 2.0, 0.0))
    reading = cpu_interval(before, after)
    assert reading["vm-2"][("cpu.usage.average", "")] == 25.0
    host = reading[HOST_ID]
    assert host[("cpu.usage.average", "")] == 62.5  # 25 s of run over 20 s on 2 PCPUs
    assert host[("cpu.usagemhz.average", "")] == 2500
    assert host[("cpu.ready.summation", "")] == 2000


def test_a_world_that_began_during_the_interval_counts_in_full_and_usage_has_two_decimals() -> None:
    before = _stats(0.0)
    after = _stats(3.0, (7, "vm-3", 0, 1.0, 0.0, 0.0), (9, "", 0, 3.0, 0.0, 0.0))  # 9: not a VM's world
    reading = cpu_interval(before, after)
    assert reading["vm-3"][("cpu.usage.average", "")] == 33.33
    assert reading["vm-3"][("cpu.usagemhz.average", "")] == 667
    assert set(reading) == {"vm-3", HOST_ID}
    assert cpu_interval(after, after) == {}  # no time passed: no interval


def test_an_idle_host_samples_zeros() -> None:
    host = cpu_interval(_stats(0.0), _stats(20.0))[HOST_ID]
    assert set(host.values()) == {0}


class _Fixed:
    """A source that gives the readings it was handed, one per interval."""

    counters = frozenset({"cpu.usage.average", "cpu.usagemhz.average"})

    def __init__(self, *readings: Reading | None) -> None:
        self.readings = list(readings)

    async def collect(self) -> Reading | None:
        return self.readings.pop(0)


def _collector(samples_kept: int = 180) -> PerfCollector:
    return PerfCollector([_Fixed()], interval_s=20, samples_kept=samples_kept)


def _usage(value: float) -> Reading:
    return {"vm-1": {("cpu.usage.average", ""): value}}


def test_the_ring_keeps_180_samples() -> None:
    collector = _collector()
    for i in range(181):
        collector.record(20.0 * (i + 1), _usage(float(i)))
    found = collector.query(PerfQuery("vm-1"))
    assert len(found) == 180
    assert (found[0].value, found[-1].value) == (1.0, 180.0)  # the oldest went; oldest first
    assert [v.timestamp for v in found[:2]] == [40.0, 60.0]


def test_a_powered_off_vms_samples_stay_until_they_age_out() -> None:
    collector = _collector(samples_kept=3)
    collector.record(20.0, _usage(50.0) | {HOST_ID: {("cpu.usage.average", ""): 25.0}})
    collector.record(40.0, {HOST_ID: {("cpu.usage.average", ""): 0.0}})  # vm-1 powered off
    collector.record(60.0, {HOST_ID: {("cpu.usage.average", ""): 0.0}})
    assert [v.value for v in collector.query(PerfQuery("vm-1"))] == [50.0]
    collector.record(80.0, {HOST_ID: {("cpu.usage.average", ""): 0.0}})  # 3 intervals later
    assert not collector.has_entity("vm-1")
    assert len(collector.query(PerfQuery(HOST_ID))) == 3


def test_query_filters_by_counter_instance_time_and_count() -> None:
    collector = _collector()
    for i in range(1, 6):
        collector.record(
            20.0 * i,
            {
                "vm-1": {
                    ("cpu.usage.average", ""): float(i),
                    ("cpu.usagemhz.average", ""): 10.0 * i,
                    ("cpu.usagemhz.average", "1"): 2.0 * i,
                    ("cpu.usagemhz.average", "0"): 8.0 * i,
                }
            },
        )
    found = collector.query(PerfQuery("vm-1", ["cpu.usagemhz.average", "CPU.Usage.Average"], max_samples=2))
    assert [(v.counter.name, v.instance, v.timestamp) for v in found] == [
        ("cpu.usagemhz.average", "", 80.0),
        ("cpu.usagemhz.average", "", 100.0),
        ("cpu.usagemhz.average", "0", 80.0),
        ("cpu.usagemhz.average", "0", 100.0),
        ("cpu.usagemhz.average", "1", 80.0),
        ("cpu.usagemhz.average", "1", 100.0),
        ("cpu.usage.average", "", 80.0),
        ("cpu.usage.average", "", 100.0),
    ]
    aggregate = collector.query(PerfQuery("vm-1", ["cpu.usagemhz.average"], instance=""))
    assert [v.value for v in aggregate] == [10.0, 20.0, 30.0, 40.0, 50.0]
    window = collector.query(PerfQuery("vm-1", ["cpu.usage.average"], start=40.0, end=80.0, interval_s=20))
    assert [v.timestamp for v in window] == [60.0, 80.0]  # start exclusive, end inclusive
    assert collector.query(PerfQuery("vm-9")) == []


@pytest.mark.parametrize(
    ("query", "argument", "named"),
    [
        (PerfQuery("vm-1", ["cpu.bogus.average"]), "counters", "cpu.bogus.average"),
        (PerfQuery("vm-1", ["cpu.usage"]), "counters", "cpu.usage"),
        (PerfQuery("vm-1", ["mem.active.average"]), "counters", "not collected"),
        (PerfQuery("vm-1", max_samples=-1), "max_samples", "-1"),
        (PerfQuery("vm-1", interval_s=300), "interval_secs", "300"),
        (PerfQuery("vm-1", start=100.0, end=50.0), "start_time", "after"),
    ],
)
def test_bad_queries_are_invalid_arguments(query: PerfQuery, argument: str, named: str) -> None:
    collector = _collector()
    with pytest.raises(faults.InvalidArgument) as caught:
        collector.query(query)
    assert caught.value.argument == argument and named in caught.value.message


def test_an_interval_below_one_second_is_refused() -> None:
    with pytest.raises(faults.InvalidArgument):
        PerfCollector([], interval_s=0)


def test_samples_are_stamped_on_interval_boundaries() -> None:
    collector = PerfCollector([_Fixed(None, _usage(12.5))], interval_s=20)
    assert collector.next_boundary(1001.0) == 1020.0 and collector.next_boundary(1020.0) == 1040.0
    asyncio.run(collector.collect_once(1020.0))  # the first reading: a baseline, no sample
    assert not collector.has_entity("vm-1")
    asyncio.run(collector.collect_once(1040.0))
    assert [(v.timestamp, v.value) for v in collector.query(PerfQuery("vm-1"))] == [(1040.0, 12.5)]


class _Stub:
    """The VMkernel's GetWorldStats, answering the readings it was handed."""

    def __init__(self, *readings: performance_pb2.WorldStats) -> None:
        self.readings = list(readings)

    async def GetWorldStats(
        self, request: object, timeout: float | None = None
    ) -> performance_pb2.WorldStats:
        return self.readings.pop(0)


def test_the_cpu_source_reports_the_interval_between_its_readings() -> None:
    stub = _Stub(_stats(0.0, (1, "vm-1", 0, 0.0, 0.0, 0.0)), _stats(2.0, (1, "vm-1", 0, 1.0, 0.0, 0.0)))
    source = CpuSource(stub)  # type: ignore[arg-type]

    async def twice() -> list[Reading | None]:
        return [await source.collect(), await source.collect()]

    first, second = asyncio.run(twice())
    assert first is None and second is not None
    assert second["vm-1"][("cpu.usage.average", "")] == 50.0


def test_absolute_values_such_as_memory_sum_into_the_host() -> None:
    reading = absolute_reading(
        {
            "vm-1": {"mem.granted.average": 65536.0, "mem.active.average": 1024.0},
            "vm-2": {"mem.granted.average": 4096.0},
        }
    )
    assert reading["vm-1"] == {("mem.granted.average", ""): 65536.0, ("mem.active.average", ""): 1024.0}
    assert reading[HOST_ID] == {("mem.granted.average", ""): 69632.0, ("mem.active.average", ""): 1024.0}
    assert {c.name for c in CATALOGUE if c.group == "mem"} == MEMORY_COUNTERS


@pytest.mark.parametrize(("given", "interval"), [([], 20), (["--stats-interval", "1"], 1)])
def test_pyesx_boot_takes_the_statistics_interval(given: list[str], interval: int) -> None:
    assert bootargs.parse_args(given).stats_interval == interval


@pytest.mark.parametrize("bad", ["0", "-5", "1.5", "soon"])
def test_pyesx_boot_refuses_a_bad_statistics_interval(bad: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        bootargs.parse_args(["--stats-interval", bad])
    assert "--stats-interval" in capsys.readouterr().err

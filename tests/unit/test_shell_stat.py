"""Get-Stat, Get-StatType and Measure-Object against the fake host (statistics kept by hostd's collector)."""

from __future__ import annotations

import datetime as dt

import pytest

from clients.model import HOST_ENTITY_ID
from tests.unit.shell_fake import ON, T0, FakeConnector, run

pytestmark = pytest.mark.timeout(30)
USAGE, MHZ = "cpu.usage.average", "cpu.usagemhz.average"


def _fake_with_samples(count: int = 4) -> FakeConnector:
    """web01 (2 vCPUs) and db01, sampled every 20 s; web01's usage is 10, 20, 30, … percent."""
    fake = FakeConnector()
    web = fake.client.add_vm("web01", ON, num_cpu=2)
    db = fake.client.add_vm("db01", ON)
    for i in range(1, count + 1):
        fake.client.record_stats(
            T0 + dt.timedelta(seconds=20 * i),
            {
                web.id: {
                    (USAGE, ""): 10.0 * i,
                    (MHZ, ""): 480.0 * i,
                    (MHZ, "0"): 400.0 * i,
                    (MHZ, "1"): 80.0 * i,
                },
                db.id: {(USAGE, ""): 1.5, (MHZ, ""): 36.0},
                HOST_ENTITY_ID: {(USAGE, ""): 3.0 * i, (MHZ, ""): 516.0 * i},
            },
        )
    return fake


def test_get_stat_pipes_a_vms_newest_samples_into_measure_object(capsys: pytest.CaptureFixture[str]) -> None:
    fake = _fake_with_samples()
    result = run(
        capsys,
        "Get-VM web01 | Get-Stat -Stat cpu.usage.average -Realtime -MaxSamples 3 | ConvertTo-Json -Compress",
        fake,
    )
    assert (result.code, result.err) == (0, "")
    samples = result.json()
    assert [s["Value"] for s in samples] == [40, 30, 20]  # the newest three, newest first
    first = samples[0]
    assert (first["MetricId"], first["Unit"], first["Instance"], first["Entity"]) == (USAGE, "%", "", "web01")
    assert (first["IntervalSecs"], first["EntityId"]) == (20, "VirtualMachine-vm-1")
    average = run(
        capsys,
        "Get-VM web01 | Get-Stat -Stat cpu.usage.average -Realtime -MaxSamples 3 | "
        "Measure-Object Value -Average | ConvertTo-Json -Compress",
        fake,
    )
    assert (average.code, average.json()["Average"], average.json()["Count"]) == (0, 30, 3)


def test_common_stats_instances_and_the_host(capsys: pytest.CaptureFixture[str]) -> None:
    fake = _fake_with_samples()
    result = run(capsys, "Get-Stat web01 -MaxSamples 1 | ConvertTo-Json -Compress", fake)
    assert result.code == 0, result.err
    shown = [(s["MetricId"], s["Instance"], s["Value"]) for s in result.json()]
    # -Common's counters that the host collects: usage, then usagemhz in total and per vCPU
    assert shown == [(USAGE, "", 40), (MHZ, "", 1920), (MHZ, "0", 1600), (MHZ, "1", 320)]
    aggregate = run(capsys, "Get-Stat web01 -Cpu -Instance '' -MaxSamples 1 | ConvertTo-Json -Compress", fake)
    assert [s["MetricId"] for s in aggregate.json()] == [USAGE, MHZ]
    host = run(capsys, "Get-VMHost | Get-Stat -Stat cpu.usagemhz.average | ConvertTo-Json -Compress", fake)
    assert [s["Value"] for s in host.json()] == [2064, 1548, 1032, 516]
    assert host.json()[0]["Entity"] == "esx01" and host.json()[0]["EntityId"] == "HostSystem-ha-host"
    both = run(
        capsys, "Get-Stat -Entity web01,db01 -Stat cpu.usage.average -MaxSamples 1 | ConvertTo-Json", fake
    )
    assert [(s["Entity"], s["Value"]) for s in both.json()] == [("web01", 40), ("db01", 1.5)]


def test_get_stat_time_bounds(capsys: pytest.CaptureFixture[str]) -> None:
    fake = _fake_with_samples()
    start, finish = ((T0 + dt.timedelta(seconds=s)).isoformat() for s in (20, 60))
    script = f"Get-Stat web01 -Stat cpu.usage.average -Start '{start}' -Finish '{finish}' | ConvertTo-Json"
    result = run(capsys, script, fake)
    assert [s["Value"] for s in result.json()] == [30, 20]  # after the start, up to the finish


def test_table_view(capsys: pytest.CaptureFixture[str]) -> None:
    result = run(capsys, "Get-Stat db01 -Stat cpu.usage.average -MaxSamples 1", _fake_with_samples())
    assert result.code == 0
    heading = result.out.strip().splitlines()[0].split()
    assert heading == ["MetricId", "Timestamp", "Value", "Unit", "Instance"]
    assert "cpu.usage.average" in result.out and "1.5 %" in " ".join(result.out.split())


def test_get_stat_type_lists_what_the_host_collects(capsys: pytest.CaptureFixture[str]) -> None:
    fake = _fake_with_samples()
    result = run(capsys, "Get-StatType -Entity web01", fake)
    assert result.out.split() == [USAGE, MHZ, "cpu.ready.summation", "cpu.costop.summation"]
    named = run(capsys, "Get-VMHost | Get-StatType -Name cpu.usage*", fake)
    assert named.out.split() == [USAGE, MHZ]


@pytest.mark.parametrize(
    ("script", "message"),
    [
        ("Get-Stat web01 -Stat cpu.bogus.average", "Get-Stat: InvalidArgument:"),
        ("Get-Stat web01 -Stat mem.active.average", "not collected"),
        ("Get-Stat nosuchvm -Stat cpu.usage.average", "Could not find VIObject with name 'nosuchvm'"),
        ("Get-Stat web01 -MaxSamples -1", "MaxSamples"),
        ("Get-Stat -Stat cpu.usage.average", "missing mandatory parameters: Entity"),
        ("Get-VM | Measure-Object Bogus", 'The property "Bogus" cannot be found'),
    ],
)
def test_bad_input_is_one_clear_error(capsys: pytest.CaptureFixture[str], script: str, message: str) -> None:
    result = run(capsys, script, _fake_with_samples())
    assert result.code == 1 and message in result.err, result.err


def test_a_vm_with_no_samples_gives_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    fake = _fake_with_samples()
    fake.client.add_vm("new01")
    result = run(capsys, "Get-Stat new01 -Stat cpu.usage.average", fake)
    assert (result.code, result.out, result.err) == (0, "", "")


def test_measure_object_counts_and_sums_plain_values(capsys: pytest.CaptureFixture[str]) -> None:
    result = run(capsys, "1,2,3.5 | Measure-Object -Sum -Maximum -Minimum | ConvertTo-Json -Compress")
    shown = result.json()
    assert (shown["Count"], shown["Sum"], shown["Maximum"], shown["Minimum"], shown["Average"]) == (
        3,
        6.5,
        3.5,
        1,
        None,
    )

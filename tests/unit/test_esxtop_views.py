"""esxtop's memory and virtual disk views, rendered from the API's messages (no host)."""

from __future__ import annotations

from clients.esxtop import (
    COLUMNS,
    DISK_COLUMNS,
    MEMORY_COLUMNS,
    NET_COLUMNS,
    _disk_table,
    _memory_table,
    _table,
    disk_rates,
    memory_values,
    net_rates,
    pcpu_used,
    rates,
)
from pyesx.api.v1 import performance_pb2


def stats() -> performance_pb2.MemoryStats:
    return performance_pb2.MemoryStats(
        host_memory_mb=256,
        free_mb=7,
        min_free_mb=15.36,
        state="soft",
        vms=[
            performance_pb2.VmMemoryStat(
                vm_id="vm-1",
                name="small",
                configured_mb=128,
                granted_mb=10,
                consumed_mb=10,
                active_mb=10,
            ),
            performance_pb2.VmMemoryStat(
                vm_id="vm-2",
                name="big",
                configured_mb=256,
                granted_mb=220,
                consumed_mb=220.5,
                active_mb=228,
                balloon_mb=32,
                balloon_target_mb=36,
                swapped_mb=4,
                swap_target_mb=6,
            ),
        ],
    )


def test_memory_values_follow_the_columns() -> None:
    big = stats().vms[1]
    values = dict(zip(MEMORY_COLUMNS, memory_values(big), strict=True))
    assert values == {
        "MEMSZ": 256,
        "GRANT": 220,
        "CNSM": 220.5,
        "ACTV": 228,
        "MCTLSZ": 32,
        "MCTLTGT": 36,
        "SWCUR": 4,
        "SWTGT": 6,
    }


def test_the_table_shows_the_host_state_and_sorts_by_consumed() -> None:
    lines = _memory_table(stats(), "now").splitlines()
    assert lines[0] == "now  memory view: 2 VMs"
    assert lines[1] == "PMEM /MB: 256 total, 7 free, minFree 15, state soft"
    assert lines[2].split() == ["NAME", "VM", *MEMORY_COLUMNS]
    assert lines[3].split() == [
        "big",
        "vm-2",
        "256.0",
        "220.0",
        "220.5",
        "228.0",
        "32.0",
        "36.0",
        "4.0",
        "6.0",
    ]
    assert lines[4].split()[:2] == ["small", "vm-1"]


def test_sorting_by_another_column_or_by_name() -> None:
    by_memsz = _memory_table(stats(), "now", sort=0).splitlines()[3:]
    assert [line.split()[0] for line in by_memsz] == ["big", "small"]
    by_name = _memory_table(stats(), "now", sort=-1).splitlines()[3:]
    assert [line.split()[0] for line in by_name] == ["big", "small"]


def test_the_virtual_disk_view_turns_two_readings_into_rates() -> None:
    def reading(t: float, writes: int, latency_ms: float) -> performance_pb2.DiskStats:
        disk = performance_pb2.DiskStat(
            vm_id="vm-1",
            key="scsi0:0",
            datastore="datastore1",
            writes=writes,
            bytes_written=writes * 4096,
            write_latency_ms=latency_ms,
            shares=2000,
        )
        return performance_pb2.DiskStats(timestamp=t, disks=[disk])

    [row] = disk_rates(reading(10.0, 100, 50.0), reading(12.0, 500, 450.0))
    values = dict(zip(DISK_COLUMNS, row.values, strict=True))
    assert values["CMDS/s"] == values["WRITES/s"] == 200
    assert values["LAT/wr"] == 1.0 and values["SHARES"] == 2000 and values["LIMIT"] == -1
    assert values["MBWRTN/s"] == 400 * 4096 / 2**20 / 2
    assert _disk_table([row], "now").splitlines()[2].split()[:3] == ["vm-1", "scsi0:0", "datastore1"]


def test_the_network_view_sees_a_port_as_its_vm_does() -> None:
    def reading(t: float, sent: int, got: int, drops: dict[str, int]) -> performance_pb2.NetStats:
        port = performance_pb2.NetPortStat(
            virtual_switch="vSwitch0",
            port_id=3,
            vm_id="vm-1",
            nic_key="ethernet0",
            packets_in=sent,
            bytes_in=sent * 100,
            packets_out=got,
            bytes_out=got * 100,
            drops=drops,
        )
        return performance_pb2.NetStats(timestamp=t, ports=[port])

    [row] = net_rates(reading(0, 0, 0, {}), reading(2, 90, 40, {"forged_source": 10, "receiver_full": 10}))
    values = dict(zip(NET_COLUMNS, row.values, strict=True))
    assert (values["PKTTX/s"], values["PKTRX/s"]) == (45, 20)
    assert values["%DRPTX"] == 10 and values["%DRPRX"] == 20  # 10 of 100 sent, 10 of 50 for it
    assert values["MbTX/s"] == 90 * 100 * 8 / 1e6 / 2


def test_the_cpu_view_shows_pcpu_use_and_idle_apart_from_io_wait() -> None:
    def reading(t: float, run: float, io_wait: float, pcpus: list[float]) -> performance_pb2.WorldStats:
        world = performance_pb2.WorldStat(
            world_id=7, name="vmm0:db", vm_id="vm-1", run_seconds=run, io_wait_seconds=io_wait
        )
        return performance_pb2.WorldStats(timestamp=t, worlds=[world], pcpu_used_seconds=pcpus)

    before, after = reading(0, 0, 0, [10, 20]), reading(2, 0.5, 0.5, [11, 21.5])
    [row] = rates(before, after)
    values = dict(zip(COLUMNS, row.values(), strict=True))
    assert (values["%RUN"], values["%WAIT"], values["%IDLE"]) == (25, 75, 50)  # a quarter of it on I/O
    assert pcpu_used(before, after) == [50, 75]
    assert _table([row], "now", pcpus=[50, 75]).splitlines()[1] == "PCPU USED(%): 50 75 AVG: 62"

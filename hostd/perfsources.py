"""Statistics sources: where the realtime counters' values come from, one source per kind of counter.

A source's ``collect()`` returns, for the interval that just ended, each entity's
values by (counter name, instance) — or None when it has nothing for this
interval (its first reading, which is only a baseline, or a failed read). The
collector (``hostd.perfstats``) asks every source once per interval.

``CpuSource`` reads the VMkernel's cumulative per-world CPU counters
(``GetWorldStats``) and turns two readings into the interval's cpu.* values.

``DiskSource`` turns two readings of the storage stack's per-disk counters
(``GetDiskStats``) into each interval's virtualDisk.* rates and latencies.

``NetSource`` does the same with the vSwitch ports' counters (``GetNetStats``): net.*.

``MemorySource`` reads the memory scheduler's per-VM figures (``GetMemoryStats``:
GRANT, CONSUMED, ACTIVE, MCTLSZ, SWCUR in MB) at the end of each interval and
gives them in KB, as vSphere's mem.* counters; the host's are the sums.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Protocol, TypeAlias

from hostd.perfcounters import (
    CPU_COSTOP,
    CPU_READY,
    CPU_USAGE,
    CPU_USAGEMHZ,
    DISK_READ_KBPS,
    DISK_READ_LATENCY,
    DISK_READS,
    DISK_WRITE_KBPS,
    DISK_WRITE_LATENCY,
    DISK_WRITES,
    HOST_ID,
    MEM_ACTIVE,
    MEM_CONSUMED,
    MEM_GRANTED,
    MEM_SWAPPED,
    MEM_VMMEMCTL,
    NET_DROPPED_RX,
    NET_DROPPED_TX,
    NET_PACKETS_RX,
    NET_PACKETS_TX,
    NET_RECEIVED,
    NET_TRANSMITTED,
)
from pyesx import faults
from pyesx.api.v1 import performance_pb2
from pyesx.logs import get_logger
from pyesx.rpc.channel import call
from pyesx.vmkernel.v1 import vmkernel_pb2_grpc

#: (counter name, instance): instance "" is the aggregate, "0", "1", … a vCPU
MetricKey: TypeAlias = tuple[str, str]
#: entity id -> its values for one interval
Reading: TypeAlias = dict[str, dict[MetricKey, float]]

_log = get_logger("perfstats")


class StatsSource(Protocol):
    """Something that provides some counters' values once per interval."""

    #: the names of the counters it provides
    counters: frozenset[str]

    async def collect(self) -> Reading | None: ...


#: the counters a memory source provides (absolute values in KB)
MEMORY_COUNTERS = frozenset(
    c.name for c in (MEM_ACTIVE, MEM_GRANTED, MEM_CONSUMED, MEM_VMMEMCTL, MEM_SWAPPED)
)


def absolute_reading(by_vm: Mapping[str, Mapping[str, float]]) -> Reading:
    """Absolute values (gauges, such as memory in KB) read at the end of the interval, by VM and
    counter name, as a reading: each VM's aggregate, and the host's as the sum over its VMs."""
    reading: Reading = {}
    host: dict[MetricKey, float] = {}
    for vm_id, values in by_vm.items():
        reading[vm_id] = {(name, ""): value for name, value in values.items()}
        for name, value in values.items():
            host[(name, "")] = host.get((name, ""), 0.0) + value
    reading[HOST_ID] = host
    return reading


def _per_vcpu(values: dict[int, float], scale: float) -> dict[str, float]:
    return {"": sum(values.values()) * scale} | {str(v): x * scale for v, x in sorted(values.items())}


def cpu_interval(before: performance_pb2.WorldStats, after: performance_pb2.WorldStats) -> Reading:
    """The cpu.* values of each VM and of the host over the interval between two readings.

    A world not in ``before`` began during the interval: all its time counts. A VM's capacity is
    its vCPUs x the PCPU MHz, the host's its PCPUs x MHz; cpu.ready includes time held back by a
    limit (as ESXi counts it) and both summations are milliseconds over the interval."""
    elapsed = after.timestamp - before.timestamp
    if elapsed <= 0:
        return {}
    old = {w.world_id: w for w in before.worlds}
    run: dict[str, dict[int, float]] = defaultdict(dict)
    ready: dict[str, dict[int, float]] = defaultdict(dict)
    costop: dict[str, dict[int, float]] = defaultdict(dict)
    for world in after.worlds:
        if not world.vm_id:
            continue
        prior = old.get(world.world_id)
        run[world.vm_id][world.vcpu] = max(0.0, world.run_seconds - (prior.run_seconds if prior else 0.0))
        ready[world.vm_id][world.vcpu] = max(
            0.0, world.ready_seconds - (prior.ready_seconds if prior else 0.0)
        )
        costop[world.vm_id][world.vcpu] = max(
            0.0, world.costop_seconds - (prior.costop_seconds if prior else 0.0)
        )
    mhz = after.cpu_mhz
    reading: Reading = {}
    for vm_id, runs in run.items():
        values: dict[MetricKey, float] = {}
        values[(CPU_USAGE.name, "")] = round(sum(runs.values()) / (elapsed * len(runs)) * 100, 2)
        for instance, value in _per_vcpu(runs, mhz / elapsed).items():
            values[(CPU_USAGEMHZ.name, instance)] = round(value)
        for instance, value in _per_vcpu(ready[vm_id], 1000.0).items():
            values[(CPU_READY.name, instance)] = round(value)
        for instance, value in _per_vcpu(costop[vm_id], 1000.0).items():
            values[(CPU_COSTOP.name, instance)] = round(value)
        reading[vm_id] = values
    total_run = sum(sum(r.values()) for r in run.values())
    reading[HOST_ID] = {
        (CPU_USAGE.name, ""): round(total_run / (elapsed * max(1, after.num_pcpus)) * 100, 2),
        (CPU_USAGEMHZ.name, ""): round(total_run / elapsed * mhz),
        (CPU_READY.name, ""): round(sum(sum(r.values()) for r in ready.values()) * 1000),
        (CPU_COSTOP.name, ""): round(sum(sum(r.values()) for r in costop.values()) * 1000),
    }
    return reading


class CpuSource:
    """cpu.usage, cpu.usagemhz, cpu.ready and cpu.costop from the VMkernel's per-world counters."""

    counters = frozenset({CPU_USAGE.name, CPU_USAGEMHZ.name, CPU_READY.name, CPU_COSTOP.name})

    def __init__(self, vmkernel: vmkernel_pb2_grpc.VMkernelStub) -> None:
        self.vmkernel = vmkernel
        self._last: performance_pb2.WorldStats | None = None

    async def collect(self) -> Reading | None:
        try:
            stats: performance_pb2.WorldStats = await call(
                self.vmkernel.GetWorldStats, performance_pb2.GetWorldStatsRequest(), timeout=10.0
            )
        except faults.VimFault as fault:
            _log.warning("perfstats.cpu_read_failed", reason=str(fault))
            self._last = None  # the next reading is a new baseline: no interval spans the gap
            return None
        before, self._last = self._last, stats
        return None if before is None else cpu_interval(before, stats)


class MemorySource:
    """mem.active, mem.granted, mem.consumed, mem.vmmemctl and mem.swapped (KB) from the VMkernel's
    memory scheduler, as of its last period."""

    counters = MEMORY_COUNTERS

    def __init__(self, vmkernel: vmkernel_pb2_grpc.VMkernelStub) -> None:
        self.vmkernel = vmkernel

    async def collect(self) -> Reading | None:
        try:
            stats: performance_pb2.MemoryStats = await call(
                self.vmkernel.GetMemoryStats, performance_pb2.GetMemoryStatsRequest(), timeout=10.0
            )
        except faults.VimFault as fault:
            _log.warning("perfstats.memory_read_failed", reason=str(fault))
            return None
        kb = 1024.0
        return absolute_reading(
            {
                vm.vm_id: {
                    MEM_ACTIVE.name: round(vm.active_mb * kb),
                    MEM_GRANTED.name: round(vm.granted_mb * kb),
                    MEM_CONSUMED.name: round(vm.consumed_mb * kb),
                    MEM_VMMEMCTL.name: round(vm.balloon_mb * kb),
                    MEM_SWAPPED.name: round(vm.swapped_mb * kb),
                }
                for vm in stats.vms
            }
        )


def disk_interval(before: performance_pb2.DiskStats, after: performance_pb2.DiskStats) -> Reading:
    """The virtualDisk.* values of each VM's disks (instance: the disk's key; "": the VM) and of
    the host over the interval between two readings. Latency is the average per I/O."""
    elapsed = after.timestamp - before.timestamp
    if elapsed <= 0:
        return {}
    old = {(d.vm_id, d.key): d for d in before.disks}
    reading: Reading = {}
    totals: dict[str, list[float]] = defaultdict(lambda: [0.0] * 6)  # entity -> reads, writes, KB r/w, ms r/w
    for disk in after.disks:
        prior = old.get((disk.vm_id, disk.key)) or performance_pb2.DiskStat()
        delta: tuple[float, ...] = (
            disk.reads - prior.reads,
            disk.writes - prior.writes,
            (disk.bytes_read - prior.bytes_read) / 1024,
            (disk.bytes_written - prior.bytes_written) / 1024,
            disk.read_latency_ms - prior.read_latency_ms,
            disk.write_latency_ms - prior.write_latency_ms,
        )
        values = reading.setdefault(disk.vm_id, {})
        _disk_values(values, disk.key, delta, elapsed)
        for entity in (disk.vm_id, HOST_ID):
            totals[entity] = [a + b for a, b in zip(totals[entity], delta, strict=True)]
    for entity, summed in totals.items():
        _disk_values(reading.setdefault(entity, {}), "", summed, elapsed)
    return reading


def _disk_values(
    values: dict[MetricKey, float], instance: str, delta: Sequence[float], elapsed: float
) -> None:
    reads, writes, kb_read, kb_written, read_ms, write_ms = delta
    values[(DISK_READS.name, instance)] = round(reads / elapsed)
    values[(DISK_WRITES.name, instance)] = round(writes / elapsed)
    values[(DISK_READ_KBPS.name, instance)] = round(kb_read / elapsed)
    values[(DISK_WRITE_KBPS.name, instance)] = round(kb_written / elapsed)
    values[(DISK_READ_LATENCY.name, instance)] = round(read_ms / reads, 2) if reads else 0.0
    values[(DISK_WRITE_LATENCY.name, instance)] = round(write_ms / writes, 2) if writes else 0.0


class DiskSource:
    """virtualDisk.* from the storage stack's per-disk counters of the powered-on VMs."""

    counters = frozenset(
        c.name
        for c in (
            DISK_READS,
            DISK_WRITES,
            DISK_READ_KBPS,
            DISK_WRITE_KBPS,
            DISK_READ_LATENCY,
            DISK_WRITE_LATENCY,
        )
    )

    def __init__(self, vmkernel: vmkernel_pb2_grpc.VMkernelStub) -> None:
        self.vmkernel = vmkernel
        self._last: performance_pb2.DiskStats | None = None

    async def collect(self) -> Reading | None:
        try:
            stats: performance_pb2.DiskStats = await call(
                self.vmkernel.GetDiskStats, performance_pb2.GetDiskStatsRequest(), timeout=10.0
            )
        except faults.VimFault as fault:
            _log.warning("perfstats.disk_read_failed", reason=str(fault))
            self._last = None
            return None
        before, self._last = self._last, stats
        return None if before is None else disk_interval(before, stats)


_NET = (NET_PACKETS_TX, NET_PACKETS_RX, NET_TRANSMITTED, NET_RECEIVED, NET_DROPPED_TX, NET_DROPPED_RX)


def net_interval(before: performance_pb2.NetStats, after: performance_pb2.NetStats) -> Reading:
    """The net.* values of each VM's NICs (instance: the NIC's key; "": the VM) and of the host over
    the interval, as the VM sees them: tx is what it sent into the switch, rx what it got."""
    elapsed = after.timestamp - before.timestamp
    if elapsed <= 0:
        return {}
    old = {(p.vm_id, p.nic_key): p for p in before.ports}
    reading: Reading = {}
    totals: dict[str, list[float]] = defaultdict(lambda: [0.0] * 6)
    for port in after.ports:
        prior = old.get((port.vm_id, port.nic_key)) or performance_pb2.NetPortStat()
        full_rx = port.drops.get("receiver_full", 0) - prior.drops.get("receiver_full", 0)
        delta = [
            float(port.packets_in - prior.packets_in),
            float(port.packets_out - prior.packets_out),
            (port.bytes_in - prior.bytes_in) / 1024 / elapsed,
            (port.bytes_out - prior.bytes_out) / 1024 / elapsed,
            float(sum(port.drops.values()) - sum(prior.drops.values()) - full_rx),
            float(full_rx),
        ]
        values = reading.setdefault(port.vm_id, {})
        for counter, value in zip(_NET, delta, strict=True):
            values[(counter.name, port.nic_key)] = round(value)
        for entity in (port.vm_id, HOST_ID):
            totals[entity] = [a + b for a, b in zip(totals[entity], delta, strict=True)]
    for entity, summed in totals.items():
        values = reading.setdefault(entity, {})
        for counter, value in zip(_NET, summed, strict=True):
            values[(counter.name, "")] = round(value)
    return reading


class NetSource:
    """net.* from the vSwitch ports of the powered-on VMs' NICs."""

    counters = frozenset(c.name for c in _NET)

    def __init__(self, vmkernel: vmkernel_pb2_grpc.VMkernelStub) -> None:
        self.vmkernel = vmkernel
        self._last: performance_pb2.NetStats | None = None

    async def collect(self) -> Reading | None:
        try:
            stats: performance_pb2.NetStats = await call(
                self.vmkernel.GetNetStats, performance_pb2.GetNetStatsRequest(), timeout=10.0
            )
        except faults.VimFault as fault:
            _log.warning("perfstats.net_read_failed", reason=str(fault))
            self._last = None
            return None
        before, self._last = self._last, stats
        return None if before is None else net_interval(before, stats)

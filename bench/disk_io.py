"""The guest disk I/O path against direct file I/O, and mClock's share fidelity (issue 5).

Through the whole path: a VM's simulated guest runs a disk workload
(``sim.disk.iops = max``, one I/O at a time) on a 256 MiB disk. DMA-style: its
VMM world builds each block in its I/O buffer region (a memfd the VMkernel
mapped at connect) and sends only the request (offset, length, buffer offset)
over run/storage.sock; the VMkernel queues it under mClock and an I/O thread
``pwrite``s it from / ``preadv``s it into the mapping on the open chain (a small
read already in the page cache is done in the event loop's turn); the answer is
a status. Throughput is the VMkernel's own per-disk counters over a window.

The baseline is fio-style direct file I/O from one process (fio's
``direct=1``, ``ioengine=psync``, ``iodepth=1``: ``pread``/``pwrite`` with
O_DIRECT of the same block size on a file of the same size in the same
datastore), measured in the same run. The extents are written through the page
cache (as before), so a ratio above 1 is possible and means the path costs less
than the device does. Goal: sequential ≥ 0.5 of direct.

mClock: two VMs with disk shares high (2000) and normal (1000), both
backlogged (8 I/Os in flight each), on a datastore paced at 600 IOPS: the
measured IOPS ratio against the entitled 2.0 (goal: within 5 %).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.common import MIB, Figure, booted_host
from clients import Client

WINDOW_S = 3.0
DISK_MIB = 256
PATTERNS = (("seqwrite", 1024), ("seqread", 1024), ("randwrite", 4), ("randread", 4))
PACED_IOPS = 600

_DIRECT = """
import mmap, os, random, sys, time
path, pattern, block, seconds = sys.argv[1], sys.argv[2], int(sys.argv[3]) * 1024, float(sys.argv[4])
size = int(sys.argv[5])
fd = os.open(path, os.O_RDWR | os.O_DIRECT)
data = mmap.mmap(-1, block)  # page-aligned, as O_DIRECT wants
data.write(b"x" * block)
blocks, rng = size // block, random.Random(1)
done, start, cursor = 0, time.monotonic(), 0
while time.monotonic() - start < seconds:
    lba = cursor if pattern.startswith("seq") else rng.randrange(blocks)
    cursor = (cursor + 1) % blocks
    if pattern.endswith("write"):
        os.pwrite(fd, data, lba * block)
    else:
        os.preadv(fd, [data], lba * block)
    done += 1
print(done / (time.monotonic() - start))
"""


@dataclass
class DiskIoResult:
    title = "Guest disk I/O"
    timed = True
    ours: dict[str, float] = field(default_factory=dict)  # pattern -> IOPS
    direct: dict[str, float] = field(default_factory=dict)
    shares_iops: tuple[float, float] = (0.0, 0.0)

    def _figure(self, pattern: str, block_kb: int, goal: bool) -> Figure:
        ours, direct = self.ours[pattern], self.direct[pattern]
        sequential = pattern.startswith("seq")
        value = ours * block_kb / 1024 if sequential else ours
        base = direct * block_kb / 1024 if sequential else direct
        unit = "MB/s" if sequential else "IOPS"
        label = f"Guest {pattern} {block_kb} KiB"
        baseline = f"O_DIRECT {'pwrite' if 'write' in pattern else 'pread'} from one process"
        if not goal:
            return Figure(label, value, unit, base, baseline)
        return Figure(label, value, unit, base, baseline, "ratio ≥ 0.5", value / base >= 0.5)

    def figures(self) -> list[Figure]:
        high, normal = self.shares_iops
        ratio = high / normal if normal else 0.0
        return [
            *(self._figure(p, kb, p.startswith("seq")) for p, kb in PATTERNS),
            Figure(
                "mClock shares 2000:1000, IOPS ratio",
                ratio,
                "×",
                2.0,
                "the entitled ratio",
                "within 5 % of 2.0",
                abs(ratio - 2.0) <= 0.1,
            ),
        ]

    def details(self) -> list[str]:
        rows = [
            f"One VM, one {DISK_MIB} MiB thin disk, the guest's workload `sim.disk.iops = max` (one I/O "
            f"in flight) with each pattern for {WINDOW_S:.0f} s after a 1 s warm-up; throughput from the "
            "VMkernel's per-disk counters. The blocks never cross the socket: the guest's VMM world "
            "shares an I/O buffer region (a memfd) with the VMkernel, which writes from and reads into "
            "it (buffered I/O on the extent file). Direct: one process doing the same pattern with "
            "O_DIRECT pread/pwrite on a file of the same size in the same datastore (fio direct=1, "
            "psync, iodepth=1).",
            "",
            "| Pattern | ours IOPS | direct IOPS | ratio |",
            "|---|---:|---:|---:|",
        ]
        for pattern, kb in PATTERNS:
            ours, direct = self.ours[pattern], self.direct[pattern]
            rows.append(f"| {pattern} {kb} KiB | {ours:,.0f} | {direct:,.0f} | {ours / direct:.2f} |")
        high, normal = self.shares_iops
        rows += [
            "",
            f"mClock: two backlogged VMs on a datastore paced at {PACED_IOPS} IOPS, disk shares high and "
            f"normal: {high:.0f} and {normal:.0f} IOPS over {WINDOW_S:.0f} s.",
        ]
        return rows


def _iops(client: Client, vm_id: str, window_s: float) -> float:
    def count() -> int:
        return sum(d.reads + d.writes for d in client.disk_stats().disks if d.vm_id == vm_id)

    before, start = count(), time.monotonic()
    time.sleep(window_s)  # the measurement window, not a wait for readiness
    return (count() - before) / (time.monotonic() - start)


def _workload(client: Client, vm_id: str, pattern: str, block_kb: int) -> None:
    settings = {"sim.disk.iops": "max", "sim.disk.pattern": pattern, "sim.disk.blockKB": str(block_kb)}
    client.wait_for_task(client.reconfigure_vm(vm_id, set_extra_config=settings).id)


def _direct(path: Path, pattern: str, block_kb: int, seconds: float) -> float:
    done = subprocess.run(
        [sys.executable, "-c", _DIRECT, str(path), pattern, str(block_kb), str(seconds), str(DISK_MIB * MIB)],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(done.stdout)


def run(window_s: float = WINDOW_S) -> DiskIoResult:
    result = DiskIoResult()
    with booted_host() as host, host.client() as client:
        vm = client.wait_for_task(
            client.create_vm("io", disk_capacity_bytes=[DISK_MIB * MIB]).id
        ).result_entity_id
        _workload(client, vm, "seqwrite", 1024)
        client.wait_for_task(client.power_on(vm).id)
        for pattern, block_kb in PATTERNS:
            _workload(client, vm, pattern, block_kb)
            _iops(client, vm, 1.0)  # warm-up: the new pattern runs
            result.ours[pattern] = _iops(client, vm, window_s)
        client.wait_for_task(client.power_off(vm).id)
        direct = host.root / "vmfs/volumes/datastore1/direct.bin"
        with direct.open("wb") as file:
            file.truncate(DISK_MIB * MIB)
        for pattern, block_kb in PATTERNS:
            result.direct[pattern] = _direct(direct, pattern, block_kb, window_s)
        direct.unlink()
        with tempfile.TemporaryDirectory(prefix="pyesx-bench-paced-") as paced:
            client.create_datastore("paced", paced, capacity_iops=PACED_IOPS)
            vms = []
            for name, level in (("high", "high"), ("normal", "normal")):
                task = client.create_vm(name, disk_capacity_bytes=[16 * MIB], datastore="paced")
                vm_id = client.wait_for_task(task.id).result_entity_id
                change: list[dict[str, int | str]] = [{"key": "scsi0:0", "io_shares_level": level}]
                settings = {
                    "sim.disk.iops": "max",
                    "sim.disk.pattern": "randwrite",
                    "sim.disk.queueDepth": "8",
                }
                client.wait_for_task(
                    client.reconfigure_vm(vm_id, set_extra_config=settings, change_disks=change).id
                )
                client.wait_for_task(client.power_on(vm_id).id)
                vms.append(vm_id)
            _iops(client, vms[0], 1.0)  # warm-up

            def both() -> list[int]:
                disks = {d.vm_id: d.reads + d.writes for d in client.disk_stats().disks}
                return [disks.get(v, 0) for v in vms]

            before, start = both(), time.monotonic()
            time.sleep(window_s)  # the measurement window
            after, elapsed = both(), time.monotonic() - start
            counts = [(a - b) / elapsed for a, b in zip(after, before, strict=True)]
            result.shares_iops = (counts[0], counts[1])
            for vm_id in vms:
                client.wait_for_task(client.power_off(vm_id).id)
    return result

"""Snapshot create and revert of a VM with a real, full disk, against ``cp`` of that disk (same run).

A snapshot puts a copy-on-write delta on the disk instead of copying it, so
its cost should not grow with the disk; a revert drops the running delta and
starts a new one. The baseline is what a copy-based "snapshot" would pay.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import time
from dataclasses import dataclass, field

from bench.common import MIB, Figure, booted_host
from vmkernel.storage.chain import open_disk


@dataclass
class SnapshotResult:
    title = "Snapshots"
    timed = True
    disk_mib: int
    create_ms: list[float] = field(default_factory=list)
    revert_ms: list[float] = field(default_factory=list)
    remove_ms: list[float] = field(default_factory=list)
    cp_ms: list[float] = field(default_factory=list)

    def figures(self) -> list[Figure]:
        cp = statistics.median(self.cp_ms)
        name = f"cp of the {self.disk_mib} MiB disk"
        return [
            Figure("Snapshot create (disk only)", statistics.median(self.create_ms), "ms", cp, name),
            Figure("Snapshot revert", statistics.median(self.revert_ms), "ms", cp, name),
            Figure("Snapshot remove (consolidate 1 MiB)", statistics.median(self.remove_ms), "ms", cp, name),
        ]

    def details(self) -> list[str]:
        def fmt(values: list[float]) -> str:
            return ", ".join(f"{v:.1f}" for v in values)

        return [
            f"One VM with a {self.disk_mib} MiB disk filled with data. Each round: take a snapshot, "
            "write 1 MiB through the delta, revert to the snapshot, then remove it (consolidating "
            "the 1 MiB). Times are the client's wall time from the call to the finished task.",
            f"- create (ms): {fmt(self.create_ms)}",
            f"- revert (ms): {fmt(self.revert_ms)}",
            f"- remove (ms): {fmt(self.remove_ms)}",
            f"- `cp` of the flat file (ms): {fmt(self.cp_ms)}",
        ]


def run(disk_mib: int = 256, rounds: int = 5) -> SnapshotResult:
    result = SnapshotResult(disk_mib)
    with booted_host() as host, host.client() as client:
        vm_id = client.wait_for_task(
            client.create_vm("snap", disk_capacity_bytes=[disk_mib * MIB]).id
        ).result_entity_id
        folder = host.root / "vmfs/volumes/datastore1/snap"
        chunk = os.urandom(MIB)
        with open_disk(folder / "snap.vmdk") as disk:
            for offset in range(0, disk_mib * MIB, MIB):
                disk.write(offset, chunk)
        for _ in range(rounds):
            start = time.perf_counter()
            subprocess.run(["cp", str(folder / "snap-flat.vmdk"), str(folder / "copy.bin")], check=True)
            os.sync()
            result.cp_ms.append((time.perf_counter() - start) * 1000)
            (folder / "copy.bin").unlink()
        for round_ in range(rounds):
            start = time.perf_counter()
            snapshot = client.wait_for_task(client.create_snapshot(vm_id, f"s{round_}").id).result_entity_id
            result.create_ms.append((time.perf_counter() - start) * 1000)
            top = folder / client.get_vm(vm_id).disks[0].file_name.split("/")[-1]
            with open_disk(top) as disk:
                disk.write(0, chunk)
            start = time.perf_counter()
            client.wait_for_task(client.revert_to_snapshot(snapshot).id)
            result.revert_ms.append((time.perf_counter() - start) * 1000)
            top = folder / client.get_vm(vm_id).disks[0].file_name.split("/")[-1]
            with open_disk(top) as disk:
                disk.write(MIB, chunk)
            start = time.perf_counter()
            client.wait_for_task(client.remove_snapshot(snapshot).id)
            result.remove_ms.append((time.perf_counter() - start) * 1000)
    return result

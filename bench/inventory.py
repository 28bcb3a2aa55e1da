"""The inventory at ESXi's maximum: 1,024 registered VMs.

Figures: create, unregister and register rates (each against writing the same
.vmx files straight to disk with fsync, in the same run); ``Get-VM`` of all
(the SDK's ListVMs, p50 over repeated calls, against reading and parsing the
same 1,024 .vmx files from the datastore); and boot time of a host with 1,024
registered VMs against an empty one.
"""

from __future__ import annotations

import functools
import os
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.common import BATCH, Figure, booted_host, in_batches
from bench.stats import percentile
from hostd import vmconfig
from pyesx.vmxfile import VmxConfig
from tests.harness import BootedHost


@dataclass
class InventoryResult:
    title = "Inventory of 1,024 VMs"
    timed = True
    vms: int
    create_s: float = 0.0
    unregister_s: float = 0.0
    register_s: float = 0.0
    raw_write_s: float = 0.0
    list_ms: list[float] = field(default_factory=list)
    scan_ms: list[float] = field(default_factory=list)
    boot_full_s: float = 0.0
    boot_empty_s: float = 0.0

    def figures(self) -> list[Figure]:
        raw_rate = self.vms / self.raw_write_s
        list_p50 = statistics.median(self.list_ms)
        return [
            Figure(
                "Create VMs (rate)",
                self.vms / self.create_s,
                "VMs/s",
                raw_rate,
                "writing the .vmx files directly",
            ),
            Figure(
                "Unregister VMs (rate)",
                self.vms / self.unregister_s,
                "VMs/s",
                raw_rate,
                "writing the .vmx files directly",
            ),
            Figure(
                "Register VMs (rate)",
                self.vms / self.register_s,
                "VMs/s",
                raw_rate,
                "writing the .vmx files directly",
            ),
            Figure(
                f"Get-VM of all {self.vms} VMs p50",
                list_p50,
                "ms",
                statistics.median(self.scan_ms),
                "reading + parsing the .vmx files",
                "≤ 100 ms",
                list_p50 <= 100,
            ),
            Figure(
                f"Host boot with {self.vms} VMs",
                self.boot_full_s * 1000,
                "ms",
                self.boot_empty_s * 1000,
                "boot of an empty host",
            ),
        ]

    def details(self) -> list[str]:
        return [
            f"{self.vms} VMs (1 vCPU, 64 MB, one NIC, no disk) created through the SDK in batches of {BATCH} "
            f"(submit, then wait on the change feed); then all unregistered and registered again.",
            f"- Create: {self.create_s:.1f} s; unregister: {self.unregister_s:.1f} s; "
            f"register: {self.register_s:.1f} s; the baseline wrote {self.vms} .vmx files with fsync "
            f"in {self.raw_write_s:.2f} s.",
            f"- Get-VM of all ({len(self.list_ms)} calls): p50 {statistics.median(self.list_ms):.1f} ms, "
            f"p99 {percentile(self.list_ms, 99):.1f} ms; reading and parsing the {self.vms} .vmx files: "
            f"p50 {statistics.median(self.scan_ms):.1f} ms.",
            f"- Boot to the ready line: {self.boot_full_s:.2f} s with {self.vms} VMs, "
            f"{self.boot_empty_s:.2f} s empty.",
        ]


def _raw_write(count: int) -> float:
    with tempfile.TemporaryDirectory(prefix="pyesx-bench-raw-") as tmp:
        start = time.perf_counter()
        for i in range(count):
            folder = Path(tmp) / f"vm{i:04d}"
            folder.mkdir()
            text = vmconfig.new_vmx(f"vm{i:04d}", 1, 64, "otherGuest64", "").render()
            fd = os.open(folder / f"vm{i:04d}.vmx", os.O_WRONLY | os.O_CREAT, 0o644)
            os.write(fd, text.encode())
            os.fsync(fd)
            os.close(fd)
        return time.perf_counter() - start


def _timed_boot(root: Path) -> tuple[BootedHost, float]:
    start = time.perf_counter()
    host = BootedHost(root)
    return host, time.perf_counter() - start


def run(vms: int = 1024, list_calls: int = 20) -> InventoryResult:
    result = InventoryResult(vms)
    result.raw_write_s = _raw_write(vms)
    with booted_host() as host:
        client = host.client()
        start = time.perf_counter()
        in_batches(client, [functools.partial(client.create_vm, f"vm{i:04d}", 1, 64) for i in range(vms)])
        result.create_s = time.perf_counter() - start
        for _ in range(list_calls):
            start = time.perf_counter()
            listed = client.list_vms()
            result.list_ms.append((time.perf_counter() - start) * 1000)
        assert len(listed) == vms
        datastore = host.root / "vmfs/volumes/datastore1"
        for _ in range(list_calls):
            start = time.perf_counter()
            parsed = [VmxConfig.parse(p.read_text()) for p in datastore.glob("*/*.vmx")]
            result.scan_ms.append((time.perf_counter() - start) * 1000)
        assert len(parsed) == vms
        ids = [vm.id for vm in listed]
        start = time.perf_counter()
        in_batches(client, [functools.partial(client.unregister_vm, vm_id) for vm_id in ids])
        result.unregister_s = time.perf_counter() - start
        paths = [f"[datastore1] vm{i:04d}/vm{i:04d}.vmx" for i in range(vms)]
        start = time.perf_counter()
        in_batches(client, [functools.partial(client.register_vm, path) for path in paths])
        result.register_s = time.perf_counter() - start
        client.close()
        host.stop()
        full, result.boot_full_s = _timed_boot(host.root)
        full.stop()
    with tempfile.TemporaryDirectory(prefix="pyesx-bench-") as tmp:
        empty, result.boot_empty_s = _timed_boot(Path(tmp) / "host")
        empty.stop()
    return result

"""The guest OS: power-on to tools running, installing from the ISO, and Invoke-VMScript, each against
the same work done by a plain local process in the same run (issue 6).

- Power-on to tools running: the client's PowerOnVM until GuestInfo says toolsOk — vmx and VMM
  world started, the firmware run, the OS booted (the appliance from memory; the installed OS from
  its ext2 disk through the storage stack), its tools' first heartbeat seen by the vmx. Baseline: a
  local ``python`` child started until it says it runs.
- Install: a PC with a 64 MiB disk and the shipped installer ISO, from PowerOnVM to the installed
  system's login prompt on the console (the BIOS, the installer partitioning, formatting and copying
  the OS image through the storage stack, the reset, the boot from disk). Baseline: the same
  partitioning, mkfs and copy done in this process onto a local file of the same size.
- Invoke-VMScript: ``echo hi`` run in the guest and its output back (client → hostd → vmx → the
  guest's tools → its shell). Baseline: ``sh -c 'echo hi'`` run by ``subprocess``.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.common import MIB, Figure, booted_host
from clients import Client

DISK_MIB = 64
PASSWORD = "bench-pw"
INSTALLER = "[datastore1] iso/guest-installer.iso"


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


@dataclass
class GuestOsResult:
    title = "Guest OS"
    timed = True
    boots: int
    scripts: int
    appliance_boot_ms: list[float] = field(default_factory=list)
    disk_boot_ms: list[float] = field(default_factory=list)
    process_start_ms: list[float] = field(default_factory=list)
    install_s: float = 0.0
    local_install_s: float = 0.0
    script_ms: list[float] = field(default_factory=list)
    sh_ms: list[float] = field(default_factory=list)

    def figures(self) -> list[Figure]:
        start = "a local python child started until it says it runs"
        return [
            Figure("Power-on to tools running (appliance), median", _median(self.appliance_boot_ms), "ms",
                   _median(self.process_start_ms), start),
            Figure("Power-on to tools running (installed OS, from disk), median",
                   _median(self.disk_boot_ms), "ms", _median(self.process_start_ms), start),
            Figure("Install from the ISO to the login prompt", self.install_s, "s", self.local_install_s,
                   "the same partition, mkfs and copy onto a local file"),
            Figure("Invoke-VMScript round trip (echo), median", _median(self.script_ms), "ms",
                   _median(self.sh_ms), "subprocess.run(sh -c 'echo hi')"),
        ]  # fmt: skip

    def details(self) -> list[str]:
        return [
            f"Power-on to tools running: {self.boots} power-ons of each kind, from the PowerOnVM call "
            "until GetGuestInfo says toolsOk (polled every 5 ms); the installed OS boots from its "
            f"{DISK_MIB} MiB ext2 disk through the storage stack. Install: one PC VM from PowerOnVM "
            "to the installed system's login prompt on its console. Invoke-VMScript: "
            f"{self.scripts} runs of `echo hi` as root.",
            f"- appliance boot (ms): median {_median(self.appliance_boot_ms):.0f}, all "
            f"{', '.join(f'{v:.0f}' for v in self.appliance_boot_ms)}",
            f"- installed OS boot (ms): median {_median(self.disk_boot_ms):.0f}, all "
            f"{', '.join(f'{v:.0f}' for v in self.disk_boot_ms)}",
            f"- install: {self.install_s:.2f} s through the host; {self.local_install_s:.2f} s locally",
            f"- Invoke-VMScript (ms): median {_median(self.script_ms):.1f}, max {max(self.script_ms):.1f}; "
            f"sh -c: median {_median(self.sh_ms):.2f}",
        ]


def _until_tools(client: Client, vm: str, started: float, timeout: float = 60.0) -> float:
    while client.guest_info(vm).tools_status != "toolsOk":
        if time.perf_counter() - started > timeout:
            raise TimeoutError(f"{vm}: tools not running after {timeout:.0f} s")
        time.sleep(0.005)  # polling GuestInfo: the figure's resolution
    return (time.perf_counter() - started) * 1000


def _power_cycle(client: Client, vm: str) -> float:
    started = time.perf_counter()
    client.wait_for_task(client.power_on(vm).id)
    elapsed = _until_tools(client, vm, started)
    client.wait_for_task(client.power_off(vm).id)
    return elapsed


def _install(client: Client) -> tuple[str, float]:
    create = client.create_vm("pc01", memory_mb=64, disk_capacity_bytes=[DISK_MIB * MIB], cd_drive=True)
    vm = client.wait_for_task(create.id).result_entity_id
    change: dict[str, str | bool] = {"key": "ide1:0", "iso_path": INSTALLER, "start_connected": True}
    settings = {"guestinfo.hostname": "pc01", "guestinfo.password": PASSWORD}
    client.wait_for_task(client.reconfigure_vm(vm, change_cd_drives=[change], set_extra_config=settings).id)
    started = time.perf_counter()
    client.wait_for_task(client.power_on(vm).id)
    while not any(row.startswith("pc01 login:") for row in client.screen(vm).rows):
        if time.perf_counter() - started > 300:
            raise TimeoutError("the installed system did not reach its login prompt in 300 s")
        time.sleep(0.02)  # polling the screen: the figure's resolution
    elapsed = time.perf_counter() - started
    client.wait_for_task(client.power_off(vm).id)
    return vm, elapsed


def _local_install() -> float:
    from pyesx.guestfs.blockdev import FileBlockDevice, PartitionDevice
    from pyesx.guestfs.ext2 import Ext2, mkfs
    from pyesx.guestfs.mbr import read_partitions, write_single_partition
    from vmx.guestos.osimage import configure, os_image, populate, shadow_field

    with tempfile.TemporaryDirectory(prefix="pyesx-bench-") as tmp:
        path = Path(tmp) / "disk.img"
        with path.open("wb") as image:
            image.truncate(DISK_MIB * MIB)
        started = time.perf_counter()
        disk = FileBlockDevice(path)
        write_single_partition(disk)
        (partition,) = read_partitions(disk)
        root = PartitionDevice(disk, partition.start, partition.length)
        mkfs(root, label="pyesx-root")
        fs = Ext2(root)
        populate(fs, os_image())
        configure(fs, "pc01", shadow_field(PASSWORD))
        fs.sync()
        elapsed = time.perf_counter() - started
        disk.close()
    return elapsed


def run(boots: int = 5, scripts: int = 20) -> GuestOsResult:
    result = GuestOsResult(boots, scripts)
    with booted_host() as host, host.client() as client:
        pc, result.install_s = _install(client)
        appliance = client.wait_for_task(client.create_vm("app01", memory_mb=64).id).result_entity_id
        settings = {"guestinfo.password": PASSWORD}
        client.wait_for_task(client.reconfigure_vm(appliance, set_extra_config=settings).id)
        for _ in range(boots):
            result.appliance_boot_ms.append(_power_cycle(client, appliance))
            result.disk_boot_ms.append(_power_cycle(client, pc))
        client.wait_for_task(client.power_on(appliance).id)
        _until_tools(client, appliance, time.perf_counter())
        for _ in range(scripts):
            started = time.perf_counter()
            output = client.run_script(appliance, "root", PASSWORD, "echo hi").script_output
            result.script_ms.append((time.perf_counter() - started) * 1000)
            assert output == "hi\n", output
    result.local_install_s = _local_install()
    for _ in range(boots):
        started = time.perf_counter()
        child = subprocess.run([sys.executable, "-c", "print('ready')"], capture_output=True, check=True)
        result.process_start_ms.append((time.perf_counter() - started) * 1000)
        assert child.stdout == b"ready\n"
    for _ in range(scripts):
        started = time.perf_counter()
        subprocess.run(["sh", "-c", "echo hi"], capture_output=True, check=True)
        result.sh_ms.append((time.perf_counter() - started) * 1000)
    return result

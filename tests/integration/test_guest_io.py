"""The guest I/O path's VMkernel side on a booted host: disks opened at power-on, followed across a
snapshot, closed at power-off, and reachable only by the VM's own worlds."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from clients import Client
from pyesx import faults
from pyesx.api.v1.performance_pb2 import DiskStat
from pyesx.diskio import DiskClient
from tests.harness import BootedHost, wait_until
from vmx.guestdisk import parse_block

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]
MIB = 2**20


def open_files(pid: int) -> set[str]:
    """The files a process holds open."""
    found = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            found.add(os.readlink(fd))
        except OSError:
            continue
    return found


def test_a_running_vms_disks_are_held_by_the_vmkernel_and_follow_a_snapshot(
    host: BootedHost, client: Client
) -> None:
    vm = client.wait_for_task(client.create_vm("io01", disk_capacity_bytes=[16 * MIB]).id).result_entity_id
    folder = host.root / "vmfs/volumes/datastore1/io01"
    client.wait_for_task(client.power_on(vm).id)
    assert str(folder / "io01-flat.vmdk") in open_files(host.pid)
    client.wait_for_task(client.create_snapshot(vm, "s1").id)
    held = open_files(host.pid)
    assert str(folder / "io01-000001-delta.vmdk") in held  # the running VM writes into the new delta
    client.wait_for_task(client.remove_all_snapshots(vm).id)
    assert str(folder / "io01-000001-delta.vmdk") not in open_files(host.pid)
    client.wait_for_task(client.power_off(vm).id)
    assert not any(str(folder) in f for f in open_files(host.pid))


def test_an_independent_nonpersistent_disk_gets_a_redo_log_that_goes_at_power_off(
    host: BootedHost, client: Client
) -> None:
    vm = client.wait_for_task(client.create_vm("scratch").id).result_entity_id
    client.wait_for_task(
        client.reconfigure_vm(
            vm, add_disks=[{"capacity_bytes": 8 * MIB, "disk_mode": "independent_nonpersistent"}]
        ).id
    )
    folder = host.root / "vmfs/volumes/datastore1/scratch"
    before = sorted(p.name for p in folder.iterdir() if p.suffix == ".vmdk")
    client.wait_for_task(client.power_on(vm).id)
    assert str(folder / "scratch-000001-delta.vmdk") in open_files(host.pid)
    client.wait_for_task(client.power_off(vm).id)
    assert sorted(p.name for p in folder.iterdir() if p.suffix == ".vmdk") == before


def test_only_the_vms_own_worlds_reach_its_disks(host: BootedHost, client: Client) -> None:
    vm = client.wait_for_task(client.create_vm("private", disk_capacity_bytes=[8 * MIB]).id).result_entity_id
    client.wait_for_task(client.power_on(vm).id)
    with pytest.raises(PermissionError, match="not a world of"):
        DiskClient(str(host.root / "run/storage.sock"), vm)  # this test process is no world of the VM
    with pytest.raises(PermissionError):
        DiskClient(str(host.root / "run/storage.sock"), "vm-999")


def _io_vm(client: Client, name: str, settings: dict[str, str], datastore: str = "", **io: int | str) -> str:
    """A VM whose guest runs the disk workload ``settings`` on a 16 MiB disk with I/O allocation ``io``."""
    task = client.create_vm(name, disk_capacity_bytes=[16 * MIB], datastore=datastore)
    vm = client.wait_for_task(task.id).result_entity_id
    change = [{"key": "scsi0:0", **io}] if io else None
    client.wait_for_task(client.reconfigure_vm(vm, set_extra_config=settings, change_disks=change).id)
    return vm


def _disk(client: Client, vm: str, key: str = "scsi0:0") -> DiskStat | None:
    return next((d for d in client.disk_stats().disks if d.vm_id == vm and d.key == key), None)


def _written_blocks(flat: Path, block: int = 4096) -> dict[int, int]:
    """lba -> seq of every block the guest wrote into an extent file."""
    data = flat.read_bytes()
    found = {}
    for offset in range(0, len(data), block):
        parsed = parse_block(data[offset : offset + block])
        if parsed is not None:
            found[offset // block] = parsed[0]
    return found


def test_what_the_guest_writes_is_at_its_offset_and_survives_power_cycles(
    host: BootedHost, client: Client
) -> None:
    vm = _io_vm(client, "writer", {"sim.disk.iops": "400", "sim.disk.pattern": "seqwrite"})
    client.wait_for_task(client.power_on(vm).id)
    wait_until(lambda: (d := _disk(client, vm)) and d.writes >= 200, what="200 guest writes")
    client.wait_for_task(client.power_off(vm).id)
    flat = host.root / "vmfs/volumes/datastore1/writer/writer-flat.vmdk"
    blocks = _written_blocks(flat)
    assert len(blocks) >= 200
    assert all(lba == got for lba, got in blocks.items())  # each block's header names its own offset
    client.wait_for_task(client.reconfigure_vm(vm, set_extra_config={"sim.disk.iops": "0"}).id)
    client.wait_for_task(client.power_on(vm).id)
    client.wait_for_task(client.power_off(vm).id)
    assert _written_blocks(flat) == blocks  # untouched by a power cycle without I/O


def test_a_limit_is_exact_and_shares_divide_a_paced_datastore(
    host: BootedHost, client: Client, tmp_path: Path
) -> None:
    store = tmp_path / "iops"
    store.mkdir()
    client.create_datastore("paced", str(store), capacity_iops=300)
    backlogged = {"sim.disk.iops": "max", "sim.disk.queueDepth": "4"}  # mClock divides a contended queue
    fast = _io_vm(client, "hi", backlogged, "paced", io_shares_level="high")
    slow = _io_vm(client, "lo", backlogged, "paced")
    capped = _io_vm(client, "capped", {"sim.disk.iops": "max"}, io_limit=50)
    for vm in (fast, slow, capped):
        client.wait_for_task(client.power_on(vm).id)
    wait_until(
        lambda: all((d := _disk(client, vm)) and d.writes > 20 for vm in (fast, slow, capped)), what="I/O"
    )
    before, start = {vm: _disk(client, vm) for vm in (fast, slow, capped)}, time.monotonic()
    time.sleep(3.0)  # the measurement window, not a wait for readiness
    after, elapsed = {vm: _disk(client, vm) for vm in (fast, slow, capped)}, time.monotonic() - start
    iops = {vm: (after[vm].writes - before[vm].writes) / elapsed for vm in after}  # type: ignore[union-attr]
    assert iops[fast] / iops[slow] == pytest.approx(2.0, rel=0.15)  # shares 2000:1000
    assert iops[fast] + iops[slow] == pytest.approx(300, rel=0.15)  # the datastore's pace
    assert iops[capped] == pytest.approx(50, rel=0.15)  # throughputCap 50 on an unpaced datastore


def test_an_independent_nonpersistent_disk_forgets_the_guests_writes(
    host: BootedHost, client: Client
) -> None:
    vm = _io_vm(client, "kiosk", {"sim.disk.iops": "400", "sim.disk.pattern": "seqwrite"})
    client.wait_for_task(
        client.reconfigure_vm(
            vm, change_disks=[{"key": "scsi0:0", "disk_mode": "independent_nonpersistent"}]
        ).id
    )
    client.wait_for_task(client.power_on(vm).id)
    wait_until(lambda: (d := _disk(client, vm)) and d.writes >= 100, what="100 guest writes")
    client.wait_for_task(client.power_off(vm).id)
    assert _written_blocks(host.root / "vmfs/volumes/datastore1/kiosk/kiosk-flat.vmdk") == {}


def test_a_full_datastore_stuns_the_vm_with_a_question_until_it_is_answered(
    host: BootedHost, client: Client, tmp_path: Path
) -> None:
    store = tmp_path / "tiny"
    store.mkdir()
    client.create_datastore("tiny", str(store), capacity_bytes=2 * MIB)
    vm = _io_vm(client, "filler", {"sim.disk.iops": "max", "sim.disk.pattern": "seqwrite"}, "tiny")
    client.wait_for_task(client.power_on(vm).id)
    question = wait_until(lambda: client.get_vm(vm).question, what="the out-of-space question")
    assert question.choices == ("Retry", "Cancel") and "no more space" in question.text
    assert client.get_vm(vm).power_state == "poweredOn"  # stunned, not crashed
    assert client.events(vm_id=vm, types=["VmMessageErrorEvent"])
    client.update_datastore("tiny", capacity_bytes=64 * MIB)
    stuck = _disk(client, vm)
    assert stuck is not None
    with pytest.raises(faults.InvalidArgument):
        client.answer_vm(vm, question.id, "Ignore")
    client.answer_vm(vm, question.id, "Retry")
    assert client.get_vm(vm).question is None
    wait_until(lambda: (d := _disk(client, vm)) and d.writes > stuck.writes + 50, what="writes after Retry")
    client.update_datastore("tiny", capacity_bytes=(store / "filler").stat().st_size + 3 * MIB)
    second = wait_until(lambda: client.get_vm(vm).question, what="a second question once full again")
    client.answer_vm(vm, second.id, "Cancel")
    wait_until(lambda: client.get_vm(vm).power_state == "poweredOff", what="the VM powered off by Cancel")
    blocks = _written_blocks(store / "filler/filler-flat.vmdk")
    assert blocks and all(lba == got for lba, got in blocks.items())  # nothing corrupted


def test_guest_io_carries_on_into_a_snapshot_delta(host: BootedHost, client: Client) -> None:
    vm = _io_vm(client, "busyio", {"sim.disk.iops": "300", "sim.disk.pattern": "randwrite"})
    client.wait_for_task(client.power_on(vm).id)
    wait_until(lambda: (d := _disk(client, vm)) and d.writes >= 50, what="guest writes")
    client.wait_for_task(client.create_snapshot(vm, "during-io").id)
    done = _disk(client, vm)
    assert done is not None and done.path.endswith("busyio-000001.vmdk")
    wait_until(
        lambda: (d := _disk(client, vm)) and d.writes >= done.writes + 50, what="writes into the delta"
    )
    client.wait_for_task(client.remove_all_snapshots(vm).id)
    wait_until(
        lambda: (d := _disk(client, vm)) and d.path.endswith("busyio.vmdk") and d.writes > 0,
        what="consolidated",
    )
    last = _disk(client, vm)
    assert last is not None and last.errors == 0


def test_esxtop_shows_the_virtual_disk_view(host: BootedHost, client: Client) -> None:
    vm = _io_vm(client, "topio", {"sim.disk.iops": "200"}, io_limit=100)
    client.wait_for_task(client.power_on(vm).id)
    wait_until(lambda: (d := _disk(client, vm)) and d.writes > 10, what="guest writes")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYESX_")}
    env |= {"PYESX_SERVER": host.address, "PYESX_USER": "root", "PYESX_PASSWORD": host.password}
    done = subprocess.run(
        [
            str(Path(sys.executable).with_name("pyesx")),
            "esxtop",
            "-b",
            "--view",
            "disk",
            "-n",
            "1",
            "-d",
            "2",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (done.returncode, done.stderr) == (0, "")
    [row] = list(csv.DictReader(io.StringIO(done.stdout)))
    assert (row["VM"], row["Disk"], row["Datastore"], row["LIMIT"]) == (vm, "scsi0:0", "datastore1", "100.00")
    assert float(row["WRITES/s"]) == pytest.approx(100, rel=0.2)  # the guest asks 200, the limit gives 100


def test_a_running_guest_takes_up_a_new_disk_workload(host: BootedHost, client: Client) -> None:
    vm = _io_vm(client, "late", {})
    client.wait_for_task(client.power_on(vm).id)
    settings = {"sim.disk.iops": "200", "sim.disk.queueDepth": "4", "sim.disk.pattern": "randrw"}
    client.wait_for_task(client.reconfigure_vm(vm, set_extra_config=settings).id)
    wait_until(lambda: (d := _disk(client, vm)) and d.reads > 20 and d.writes > 20, what="reads and writes")
    counters = client.guest_info(vm).counters
    assert counters["disk.verify_errors"] == 0 and counters["disk.errors"] == 0

"""Scenario 3, storage faults: a full datastore, a read-only datastore, a VM folder deleted under a
running VM, and a slow (IOPS-capped) datastore. Each must end in a clear fault (a typed vSphere
fault, never an internal error), a stunned VM where ESXi stuns one (out of space: the VM waits on
a Retry/Cancel question), and nothing corrupted on disk."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from clients import Client
from pyesx import faults
from tests.chaos.guestdata import BLOCK, verify_disk
from tests.chaos.hostlink import HostLink
from tests.chaos.report import ScenarioResult
from tests.chaos.sizes import Size
from tests.harness import wait_until

MIB = 1 << 20
FLOOD = {"sim.disk.iops": "max", "sim.disk.pattern": "seqwrite", "sim.disk.queueDepth": "1"}
# paced (1.6 MB/s) so that the 16 MiB disk cannot be written whole before the datastore fills again:
# a guest that had already written all of its thin disk would only overwrite, and never fill it
FILLER = FLOOD | {"sim.disk.iops": "400"}


def expect_fault(result: ScenarioResult, what: str, call: Callable[[], object]) -> None:
    """``call`` must fail with a typed fault (not SystemError, the internal-error fault)."""
    try:
        call()
    except faults.SystemError as fault:
        result.lose(f"{what}: an internal error instead of a clear fault: {fault}")
    except faults.VimFault as fault:
        result.count(f"clear faults: {type(fault).__name__}")
    else:
        result.lose(f"{what}: succeeded on a faulty datastore")


def _vm(client: Client, name: str, datastore: str, disk_mb: int, settings: dict[str, str]) -> str:
    task = client.create_vm(name, memory_mb=32, disk_capacity_bytes=[disk_mb * MIB], datastore=datastore)
    vm = client.wait_for_task(task.id).result_entity_id
    client.wait_for_task(client.reconfigure_vm(vm, set_extra_config=settings).id)
    return vm


def _acked(client: Client, vm: str) -> int:
    return int(client.guest_info(vm).counters.get("disk.last_acked_seq", 0))


def _verify(link: HostLink, result: ScenarioResult, client: Client, vm: str, acked: int) -> None:
    """The VM's disk holds every acknowledged block, whole (read back from the host)."""
    path = link.host.root / "vmfs/volumes"  # resolve through the datastore path
    vmx = client.get_vm(vm).vmx_path
    store, rel = vmx[1:].split("] ", 1)
    checked, problems = verify_disk((path / store / rel).resolve(), vm, acked)
    result.count("guest blocks read back and checked", checked)
    for problem in problems:
        result.lose(problem)


def full_datastore(link: HostLink, client: Client, result: ScenarioResult, where: Path) -> None:
    store = where / "tiny"
    store.mkdir()
    client.create_datastore("tiny", str(store), capacity_bytes=3 * MIB)
    vm = _vm(client, "filler", "tiny", 16, FILLER)
    expect_fault(
        result,
        "a thick disk larger than the free space",
        lambda: client.wait_for_task(
            client.reconfigure_vm(vm, add_disks=[{"capacity_bytes": 64 * MIB, "disk_format": "thick"}]).id
        ),
    )
    client.wait_for_task(client.power_on(vm).id)
    question = wait_until(lambda: client.get_vm(vm).question, 60, "the out-of-space question")
    result.count("VMs stunned by a full datastore")
    if client.get_vm(vm).power_state != "poweredOn" or "no more space" not in question.text:
        result.lose(f"a full datastore did not stun the VM with the question: {question}")
    expect_fault(
        result, "an upload to a full datastore", lambda: _upload(client, where, "[tiny] big.bin", 8 * MIB)
    )
    expect_fault(
        result,
        "a snapshot on a full datastore",
        lambda: client.wait_for_task(client.create_snapshot(vm, "no-room", memory=True).id),
    )
    client.update_datastore("tiny", capacity_bytes=64 * MIB)
    before = _acked(client, vm)
    client.answer_vm(vm, question.id, "Retry")
    wait_until(lambda: _acked(client, vm) > before + 20, 60, "writes after Retry")
    result.count("stunned VMs resumed by Retry")
    # full again 2 MiB from now: counted as the VMkernel counts it, by allocated blocks (a thin disk's
    # apparent size is its whole capacity)
    used = sum(f.stat().st_blocks * 512 for f in store.rglob("*") if f.is_file())
    client.update_datastore("tiny", capacity_bytes=used + 2 * MIB)
    second = wait_until(lambda: client.get_vm(vm).question, 60, "a second question once full again")
    acked = _acked(client, vm)
    client.answer_vm(vm, second.id, "Cancel")
    wait_until(lambda: client.get_vm(vm).power_state == "poweredOff", 60, "the VM powered off by Cancel")
    result.count("stunned VMs powered off by Cancel")
    _verify(link, result, client, vm, acked)


def _upload(client: Client, where: Path, path: str, size: int) -> None:
    local = where / "upload.bin"
    local.write_bytes(os.urandom(size))
    client.upload(local, path)


@contextlib.contextmanager
def read_only(folder: Path) -> Iterator[str]:
    """Make ``folder`` read-only for this host's processes: a read-only bind mount (root), the
    immutable attribute (root, no mounts), or mode 0555 (not root); yields how."""
    tries = [
        (
            "a read-only bind mount",
            [["mount", "--bind", str(folder), str(folder)], ["mount", "-o", "remount,bind,ro", str(folder)]],
            [["umount", str(folder)]],
        ),
        ("the immutable attribute", [["chattr", "+i", str(folder)]], [["chattr", "-i", str(folder)]]),
    ]
    for how, on, off in tries:
        if _run_all(on) and not _writable(folder):
            try:
                yield how
            finally:
                _run_all(off)
            return
        _run_all(off)
    folder.chmod(0o555)
    try:
        yield "mode 0555"
    finally:
        folder.chmod(0o755)


def _run_all(commands: list[list[str]]) -> bool:
    for command in commands:
        if shutil.which(command[0]) is None:
            return False
        if subprocess.run(command, capture_output=True, check=False).returncode != 0:
            return False
    return True


def _writable(folder: Path) -> bool:
    probe = folder / ".probe"
    try:
        probe.write_bytes(b"")
    except OSError:
        return False
    probe.unlink()
    return True


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in folder.rglob("*")
        if p.is_file()
    }


def read_only_datastore(link: HostLink, client: Client, result: ScenarioResult, where: Path) -> None:
    store = where / "rods"
    store.mkdir()
    client.create_datastore("rods", str(store))
    vm = _vm(client, "frozen", "rods", 4, {})
    before = _digest(store)
    with read_only(store) as how:
        result.figures["read-only datastore made by"] = how
        if _writable(store) and os.geteuid() == 0:
            result.notes.append("read-only datastore: could not make a folder read-only for root; skipped")
            return
        expect_fault(
            result,
            "a VM created on a read-only datastore",
            lambda: client.wait_for_task(client.create_vm("nope", memory_mb=32, datastore="rods").id),
        )
        expect_fault(
            result,
            "a power-on from a read-only datastore",
            lambda: client.wait_for_task(client.power_on(vm).id),
        )
        expect_fault(
            result,
            "a reconfigure of a VM on a read-only datastore",
            lambda: client.wait_for_task(client.reconfigure_vm(vm, notes="cannot be saved").id),
        )
        expect_fault(
            result, "a folder on a read-only datastore", lambda: client.make_directory("[rods] newdir")
        )
        if client.get_vm(vm).power_state != "poweredOff":
            result.lose("a VM on a read-only datastore is not powered off")
    if _digest(store) != before:
        result.lose("the read-only datastore's files changed")
    client.wait_for_task(client.power_on(vm).id)  # writable again: it runs
    client.wait_for_task(client.power_off(vm).id)
    result.count("VMs that ran once the datastore was writable again")


def deleted_folder(link: HostLink, client: Client, result: ScenarioResult) -> None:
    vm = _vm(client, "doomed", "", 4, {"sim.disk.iops": "50", "sim.disk.pattern": "seqwrite"})
    client.wait_for_task(client.power_on(vm).id)
    expect_fault(
        result,
        "deleting a running VM's folder through the API",
        lambda: client.delete_file("[datastore1] doomed"),
    )
    folder = link.root / "vmfs/volumes/datastore1/doomed"
    shutil.rmtree(folder)  # behind hostd's back, as a shell on the host would
    result.count("VM folders deleted under a running VM")
    wait_until(lambda: _acked(client, vm) > 0, 30, "guest writes")
    try:
        client.wait_for_task(client.power_off(vm).id)
    except faults.SystemError as fault:
        result.lose(f"powering off a VM whose folder is gone: an internal error: {fault}")
    except faults.VimFault as fault:
        result.count(f"clear faults: {type(fault).__name__}")
    vm_now = client.get_vm(vm)
    if vm_now.power_state != "poweredOff":
        result.lose(f"the VM whose folder is gone is {vm_now.power_state} after a power-off")
    expect_fault(
        result, "powering on a VM whose folder is gone", lambda: client.wait_for_task(client.power_on(vm).id)
    )
    client.wait_for_task(client.unregister_vm(vm).id)
    result.count("VMs with a deleted folder unregistered")


def slow_datastore(
    link: HostLink, client: Client, result: ScenarioResult, where: Path, seconds: float
) -> None:
    store = where / "slow"
    store.mkdir()
    client.create_datastore("slow", str(store), capacity_iops=25)
    vm = _vm(client, "sluggish", "slow", 4, FLOOD)
    client.wait_for_task(client.power_on(vm).id)
    wait_until(lambda: _acked(client, vm) > 5, 30, "the first writes")
    first, start = _acked(client, vm), time.monotonic()
    time.sleep(seconds)  # the measurement window, not a wait for readiness
    done, elapsed = _acked(client, vm), time.monotonic() - start
    iops = (done - first) / elapsed
    result.figures["slow datastore: guest write IOPS (capacity 25)"] = round(iops, 1)
    if iops > 25 * 1.5:
        result.lose(f"the slow datastore ran {iops:.0f} IOPS, above its capacity of 25")
    client.get_vm(vm)  # hostd answers while the disk crawls
    acked = _acked(client, vm)
    client.wait_for_task(client.power_off(vm).id)
    _verify(link, result, client, vm, min(acked, 4 * MIB // BLOCK))


def run_storage(workdir: Path, size: Size, seed: int = 0) -> ScenarioResult:
    result = ScenarioResult("Storage faults", size.label, seed)
    started = time.monotonic()
    where = workdir / "storage"
    link = HostLink(where / "host")
    try:
        client = link.client()
        window = 3.0 if size.label == "scaled" else 10.0
        steps: list[tuple[str, Callable[[], None]]] = [
            ("full datastore", lambda: full_datastore(link, client, result, where)),
            ("read-only datastore", lambda: read_only_datastore(link, client, result, where)),
            ("deleted VM folder", lambda: deleted_folder(link, client, result)),
            ("slow datastore", lambda: slow_datastore(link, client, result, where, window)),
        ]
        for name, step in steps:
            try:
                step()
                result.count("sub-scenarios run")
            except Exception as exc:
                result.lose(f"{name}: {type(exc).__name__}: {exc}")
        if link.orphans():
            result.lose(f"orphaned processes: {link.orphans()}")
    finally:
        link.stop()
    if link.processes():
        result.lose(f"processes left after the host stopped: {link.processes()}")
    result.seconds = time.monotonic() - started
    return result

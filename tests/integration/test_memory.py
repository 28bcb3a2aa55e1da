"""Memory on a real host: guest memory is really resident, and the memory scheduler's balloon and
.vswp swap really give it back, as the OS counts it (the VMM world's mapping of guest memory in
/proc/PID/smaps). Hosts are booted with ``--memory-mb`` small enough to create pressure."""

from __future__ import annotations

import csv
import io
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from clients import Client
from pyesx.api.v1 import performance_pb2
from tests.harness import BootedHost, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]
MB = 1 << 20


def guest_resident_mb(vmm_pid: int) -> float:
    """Resident guest memory of a VM: Rss of the guest-memory mapping in its VMM world (vCPU 0)."""
    total_kb, inside = 0, False
    for line in Path(f"/proc/{vmm_pid}/smaps").read_text().splitlines():
        first = line.split(maxsplit=1)[0]
        if "-" in first and not first.endswith(":"):  # a mapping's header line
            inside = "pyesx-guestmem" in line
        elif inside and first == "Rss:":
            total_kb += int(line.split()[1])
    return total_kb / 1024


def vm_stat(client: Client, vm_id: str) -> performance_pb2.VmMemoryStat:
    """The VM's memory figures as of the memory scheduler's last period."""
    found = [vm for vm in client.memory_stats().vms if vm.vm_id == vm_id]
    assert found, f"{vm_id} has no memory figures"
    return found[0]


def new_vm(client: Client, name: str, memory_mb: int, active_mb: int, **memory: int | str) -> str:
    vm_id = client.wait_for_task(client.create_vm(name, memory_mb=memory_mb).id).result_entity_id
    settings = {"sim.mem.activeMB": str(active_mb)}
    client.wait_for_task(
        client.reconfigure_vm(vm_id, set_extra_config=settings, memory_allocation=memory or None).id
    )
    return vm_id


def power_on(client: Client, vm_id: str) -> int:
    """Power on; the pid of its vCPU 0 VMM world (where the guest touches its memory)."""
    client.wait_for_task(client.power_on(vm_id).id)
    return client.get_vm(vm_id).vmm_pids[0]


def swap_file(host: BootedHost, name: str) -> Path:
    return host.root / "vmfs/volumes/datastore1" / name / f"{name}.vswp"


@pytest.fixture
def small_host(tmp_path: Path) -> Iterator[BootedHost]:
    """A host with 256 MB for VMs: minFree 15.36 MB."""
    booted = BootedHost(tmp_path / "host", memory_mb=256)
    try:
        yield booted
    finally:
        booted.stop()


def test_the_working_set_is_resident_and_follows_a_live_change(host: BootedHost, client: Client) -> None:
    idle = new_vm(client, "idle", 256, 0)
    busy = new_vm(client, "busy", 256, 64, reservation=64)
    idle_pid, busy_pid = power_on(client, idle), power_on(client, busy)
    assert swap_file(host, "busy").stat().st_size == (256 - 64) * MB  # configured − reservation
    assert swap_file(host, "busy").stat().st_blocks == 0  # sparse

    def settled(pid: int, vm_id: str, mb: float) -> bool:
        stat = vm_stat(client, vm_id)
        resident = guest_resident_mb(pid)
        return (
            abs(resident - mb) <= 1
            and abs(stat.consumed_mb - mb) <= 1
            and abs(stat.granted_mb - mb) <= 1
            and abs(stat.active_mb - mb) <= 1
        )

    wait_until(lambda: settled(busy_pid, busy, 64), timeout=20, what="64 MB resident")
    stats = client.memory_stats()
    assert stats.host_memory_mb == pytest.approx(client.host().memory_total_mb, abs=1)
    assert stats.state == "high"
    [vm] = [v for v in stats.vms if v.vm_id == busy]
    assert (vm.configured_mb, vm.reservation_mb, vm.limit_mb) == (256, 64, -1)
    assert (vm.balloon_mb, vm.swapped_mb) == (0, 0)
    assert vm.overhead_mb > 0
    assert guest_resident_mb(idle_pid) == 0  # an idle guest touches nothing
    assert vm_stat(client, idle).consumed_mb == 0

    client.wait_for_task(client.reconfigure_vm(busy, set_extra_config={"sim.mem.activeMB": "128"}).id)
    wait_until(lambda: settled(busy_pid, busy, 128), timeout=20, what="the working set growing to 128 MB")

    client.wait_for_task(client.power_off(busy).id)
    assert not swap_file(host, "busy").exists()


def test_soft_state_balloons_and_hard_state_swaps(small_host: BootedHost) -> None:
    with small_host.client() as client:
        # 228 MB active + 21 MB overhead on a 256 MB host: 7 MB free, under 64 % of minFree: soft
        first = new_vm(client, "first", 256, 228)
        first_pid = power_on(client, first)

        def ballooned() -> bool:
            stat = vm_stat(client, first)
            return stat.balloon_mb > 30 and guest_resident_mb(first_pid) <= 221

        wait_until(ballooned, timeout=30, what="the balloon reclaiming the first VM's memory")
        stat = vm_stat(client, first)
        assert stat.balloon_target_mb == pytest.approx(stat.balloon_mb, abs=0.01)
        assert stat.swapped_mb == 0  # soft state: the balloon only
        assert client.memory_stats().state in ("high", "clear")  # back above the soft threshold

        # the first guest goes mostly idle; a second VM's active memory drives the host into low state
        client.wait_for_task(client.reconfigure_vm(first, set_extra_config={"sim.mem.activeMB": "50"}).id)
        wait_until(lambda: vm_stat(client, first).active_mb == 50, timeout=20, what="active 50 MB")
        second = new_vm(client, "second", 128, 100)
        second_pid = power_on(client, second)
        seen_state: set[str] = set()

        def swapped() -> bool:
            seen_state.add(client.memory_stats().state)
            stat = vm_stat(client, first)
            return stat.swapped_mb > 0 and guest_resident_mb(first_pid) < 150

        wait_until(swapped, timeout=30, what="hypervisor swap of the idle first VM")
        assert seen_state & {"hard", "low"}
        vswp = swap_file(small_host, "first").stat()
        assert (
            vswp.st_size == 256 * MB and vswp.st_blocks * 512 > 0
        )  # sized at power-on, pages really written
        # the idle memory tax: the idle VM gives back, the active one keeps its working set
        wait_until(lambda: guest_resident_mb(second_pid) >= 99, timeout=20, what="the second VM's 100 MB")
        stat = vm_stat(client, first)
        assert stat.target_mb < 150

        for vm_id in (first, second):
            client.wait_for_task(client.power_off(vm_id).id)
        assert not swap_file(small_host, "first").exists()
        assert not swap_file(small_host, "second").exists()


def test_a_reservation_protects_a_vm_under_pressure(small_host: BootedHost) -> None:
    with small_host.client() as client:
        reserved = new_vm(client, "reserved", 256, 150, reservation=150)
        other = new_vm(client, "other", 256, 150)
        reserved_pid = power_on(client, reserved)
        wait_until(lambda: guest_resident_mb(reserved_pid) >= 149, timeout=20, what="150 MB resident")
        other_pid = power_on(client, other)
        lowest = [guest_resident_mb(reserved_pid)]

        def other_reclaimed() -> bool:
            lowest.append(guest_resident_mb(reserved_pid))
            stat = vm_stat(client, other)
            return stat.balloon_mb + stat.swapped_mb > 50 and guest_resident_mb(other_pid) < 100

        wait_until(other_reclaimed, timeout=40, what="the unreserved VM's memory reclaimed")
        assert min(lowest) >= 149  # touched memory inside the reservation is never reclaimed
        stat = vm_stat(client, reserved)
        # its balloon may take the memory it never touched, above the reservation: nothing it uses
        assert stat.swapped_mb == 0 and stat.granted_mb >= 149 and stat.balloon_mb <= 256 - 150
        assert swap_file(small_host, "reserved").stat().st_size == (256 - 150) * MB
        # a smaller reservation on the running VM: its .vswp grows to hold what may now be swapped
        client.wait_for_task(client.reconfigure_vm(reserved, memory_allocation={"reservation": 100}).id)
        wait_until(
            lambda: swap_file(small_host, "reserved").stat().st_size == (256 - 100) * MB,
            timeout=20,
            what="the .vswp growing",
        )
        wait_until(
            lambda: vm_stat(client, reserved).reservation_mb == 100, what="the new reservation in force"
        )


def test_a_limit_reclaims_on_an_idle_host(host: BootedHost, client: Client) -> None:
    vm_id = new_vm(client, "limited", 256, 200, limit=100)
    pid = power_on(client, vm_id)

    def within_limit() -> bool:
        stat = vm_stat(client, vm_id)
        # the guest works in what the balloon left it: its limit
        return stat.balloon_mb >= 150 and stat.active_mb <= 101 and guest_resident_mb(pid) <= 101

    wait_until(within_limit, timeout=40, what="the VM's memory brought under its limit")
    stats = client.memory_stats()
    assert stats.state == "high"
    [stat] = [v for v in stats.vms if v.vm_id == vm_id]
    assert stat.limit_mb == 100 and stat.consumed_mb <= 101 and stat.active_mb <= 101


def test_esxtop_batch_memory_view(host: BootedHost, client: Client) -> None:
    vm_id = new_vm(client, "top", 256, 32)
    pid = power_on(client, vm_id)
    wait_until(
        lambda: guest_resident_mb(pid) >= 31 and vm_stat(client, vm_id).consumed_mb >= 31, what="32 MB"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYESX_")}
    env |= {"PYESX_SERVER": host.address, "PYESX_USER": "root", "PYESX_PASSWORD": host.password}
    done = subprocess.run(
        [
            str(Path(sys.executable).with_name("pyesx")),
            "esxtop",
            "-b",
            "--view",
            "memory",
            "-n",
            "1",
            "-d",
            "0.2",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (done.returncode, done.stderr) == (0, "")
    [row] = list(csv.DictReader(io.StringIO(done.stdout)))
    assert (row["VM"], row["Name"], row["STATE"]) == (vm_id, "top", "high")
    assert float(row["MEMSZ"]) == 256 and float(row["PMEM"]) == pytest.approx(
        client.host().memory_total_mb, abs=1
    )
    assert float(row["CNSM"]) == pytest.approx(32, abs=1) and float(row["ACTV"]) == pytest.approx(32, abs=1)
    assert float(row["MCTLSZ"]) == float(row["SWCUR"]) == 0


def test_a_killed_vmx_leaves_no_swap_file(host: BootedHost, client: Client) -> None:
    vm_id = new_vm(client, "crash", 128, 16)
    power_on(client, vm_id)
    assert swap_file(host, "crash").exists()
    os.kill(client.get_vm(vm_id).vmx_pid, signal.SIGKILL)
    wait_until(lambda: client.get_vm(vm_id).power_state == "poweredOff", timeout=20, what="the VM down")
    assert not swap_file(host, "crash").exists()  # the VMkernel deletes what the dead vmx could not


def test_a_pools_memory_limit_reclaims_from_its_vms_on_a_free_host(host: BootedHost, client: Client) -> None:
    pool = client.create_resource_pool("capped", memory_allocation={"limit": 160})
    vm_id = new_vm(client, "pooled", 256, 200)
    client.move_into_resource_pool(pool.id, [vm_id])
    pid = power_on(client, vm_id)
    wait_until(lambda: any(v.vm_id == vm_id for v in client.memory_stats().vms), what="memory figures")
    overhead = vm_stat(client, vm_id).overhead_mb

    def within_pool_limit() -> bool:
        return guest_resident_mb(pid) + overhead <= 161 and vm_stat(client, vm_id).balloon_mb > 50

    wait_until(within_pool_limit, timeout=40, what="the pool's VM brought under the pool's limit")
    assert client.memory_stats().state == "high"  # a free host: only the pool's limit reclaims

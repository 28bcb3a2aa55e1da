"""The guest I/O path's VMkernel side on a booted host: disks opened at power-on, followed across a
snapshot, closed at power-off, and reachable only by the VM's own worlds."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from clients import Client
from pyesx.diskio import DiskClient
from tests.harness import BootedHost

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]
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

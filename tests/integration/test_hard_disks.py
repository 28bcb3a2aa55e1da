"""A VM's virtual disks through the public API: formats, modes, extend, remove (issue 5, storage)."""

from __future__ import annotations

from pathlib import Path

import pytest

from clients import Client
from pyesx import faults
from tests.harness import BootedHost
from tests.integration.test_shell_host import ok

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]
MIB = 2**20


def _vm(client: Client, name: str) -> str:
    return client.wait_for_task(client.create_vm(name, disk_capacity_bytes=[64 * MIB]).id).result_entity_id


def test_add_thick_and_independent_disks_extend_and_remove(host: BootedHost, client: Client) -> None:
    vm = _vm(client, "db01")
    folder = host.root / "vmfs/volumes/datastore1/db01"
    client.wait_for_task(
        client.reconfigure_vm(
            vm,
            add_disks=[
                {"capacity_bytes": 32 * MIB, "disk_format": "thick"},
                {"capacity_bytes": 16 * MIB, "disk_mode": "independent_persistent"},
            ],
        ).id
    )
    _, thick, independent = client.get_vm(vm).disks
    assert (thick.key, thick.thin, thick.capacity_bytes) == ("scsi0:1", False, 32 * MIB)
    assert (folder / "db01_1-flat.vmdk").stat().st_blocks * 512 >= 32 * MIB  # allocated up front
    assert independent.disk_mode == "independent_persistent" and independent.thin
    assert 'scsi0:2.mode = "independent-persistent"' in (folder / "db01.vmx").read_text()

    client.wait_for_task(
        client.reconfigure_vm(vm, change_disks=[{"key": "scsi0:0", "capacity_bytes": 128 * MIB}]).id
    )
    assert client.get_vm(vm).disks[0].capacity_bytes == 128 * MIB
    assert (folder / "db01-flat.vmdk").stat().st_size == 128 * MIB
    with pytest.raises(faults.InvalidArgument):
        client.reconfigure_vm(vm, change_disks=[{"key": "scsi0:0", "capacity_bytes": 64 * MIB}])  # shrink

    client.wait_for_task(client.create_snapshot(vm, "before").id)
    disks = {d.key: d.file_name for d in client.get_vm(vm).disks}
    assert disks["scsi0:0"].endswith("db01-000001.vmdk")  # a delta on the persistent disk
    assert disks["scsi0:2"].endswith("db01_2.vmdk")  # the independent disk has none
    with pytest.raises(faults.InvalidState):
        client.reconfigure_vm(vm, change_disks=[{"key": "scsi0:0", "capacity_bytes": 256 * MIB}])
    client.wait_for_task(client.remove_all_snapshots(vm).id)

    client.wait_for_task(
        client.reconfigure_vm(vm, remove_disk_keys=["scsi0:1"], delete_removed_disk_files=True).id
    )
    assert [d.key for d in client.get_vm(vm).disks] == ["scsi0:0", "scsi0:2"]
    assert not (folder / "db01_1.vmdk").exists() and not (folder / "db01_1-flat.vmdk").exists()


def test_a_thick_disk_larger_than_the_datastore_is_refused_before_anything_is_written(
    host: BootedHost, client: Client, tmp_path: Path
) -> None:
    small = tmp_path / "small"
    small.mkdir()
    client.create_datastore("small", str(small), capacity_bytes=64 * MIB)
    vm = client.wait_for_task(client.create_vm("tight", datastore="small").id).result_entity_id
    before = sorted(p.name for p in (small / "tight").iterdir())
    with pytest.raises(faults.InsufficientResourcesFault) as raised:
        client.wait_for_task(
            client.reconfigure_vm(
                vm, add_disks=[{"capacity_bytes": 128 * MIB, "disk_format": "eagerZeroedThick"}]
            ).id
        )
    assert raised.value.requested == 128 * MIB
    assert sorted(p.name for p in (small / "tight").iterdir()) == before
    assert client.get_vm(vm).disks == ()


@pytest.mark.parametrize(
    "change",
    [
        {"add_disks": [{"capacity_bytes": 1000}]},
        {"add_disks": [{"capacity_bytes": MIB, "disk_format": "sparse"}]},
        {"add_disks": [{"capacity_bytes": MIB, "disk_mode": "undoable"}]},
        {"change_disks": [{"key": "scsi3:9", "capacity_bytes": MIB}]},
        {"change_disks": [{"key": "scsi0:0", "disk_mode": "bogus"}]},
    ],
)
def test_bad_disk_changes_are_invalid_argument(client: Client, change: dict[str, object]) -> None:
    vm = _vm(client, "bad")
    with pytest.raises(faults.InvalidArgument):
        client.reconfigure_vm(vm, **change)  # type: ignore[arg-type]
    assert [d.capacity_bytes for d in client.get_vm(vm).disks] == [64 * MIB]


def test_disks_through_the_shell(host: BootedHost, client: Client) -> None:
    _vm(client, "app01")
    [disk] = ok(
        host,
        "Get-VM app01 | New-HardDisk -CapacityGB 0.5 -StorageFormat Thick -Persistence IndependentPersistent "
        "| ConvertTo-Json -Compress",
    )
    assert (disk["Name"], disk["CapacityGB"], disk["StorageFormat"], disk["Persistence"]) == (
        "Hard disk 2",
        0.5,
        "Thick",
        "IndependentPersistent",
    )
    [grown] = ok(
        host,
        "Get-HardDisk -VM app01 -Name 'Hard disk 1' | Set-HardDisk -CapacityGB 1 | ConvertTo-Json -Compress",
    )
    assert grown["CapacityGB"] == 1.0
    ok(
        host,
        "Get-HardDisk -VM app01 -Name 'Hard disk 2' | Remove-HardDisk -DeletePermanently -Confirm:$false",
    )
    assert [d.key for d in client.get_vm(client.list_vms(["app01"])[0].id).disks] == ["scsi0:0"]

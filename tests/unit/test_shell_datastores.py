"""The datastore cmdlets against the fake host (whose datastores are real temporary directories)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from clients.model import VmQuestion
from tests.unit.shell_fake import FakeConnector, run

pytestmark = pytest.mark.timeout(30)


def test_get_datastore_lists_datastore1_and_a_new_one(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    fake = FakeConnector()
    result = run(capsys, "Get-Datastore | ConvertTo-Json -Compress", fake)
    assert (result.code, result.err) == (0, "")
    shown = result.json()
    assert (shown["Name"], shown["Type"], shown["State"]) == ("datastore1", "VMFS", "Available")
    assert shown["CapacityGB"] > 0 and shown["FreeSpaceGB"] <= shown["CapacityGB"]

    script = (
        f"New-Datastore -Name iso-store -Path '{tmp_path}' | Out-Null; Get-Datastore iso* | ConvertTo-Json"
    )
    assert run(capsys, script, fake).json()["Name"] == "iso-store"
    result = run(capsys, "Get-Datastore nope", fake)
    assert result.code == 1 and "Datastore with name 'nope' was not found" in result.err
    assert run(capsys, "Get-Datastore iso-store | Remove-Datastore -Confirm:$false", fake).code == 0
    assert run(capsys, "Get-Datastore | ConvertTo-Json", fake).json()["Name"] == "datastore1"  # one left


def test_items_on_a_datastore(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    fake = FakeConnector()
    local = tmp_path / "setup.iso"
    local.write_bytes(b"\x01" * 4096)
    script = (
        "New-Item -Path '[datastore1] iso' -ItemType Directory | Out-Null; "
        f"Copy-DatastoreItem -Item '{local}' -Destination '[datastore1] iso'; "
        "Get-ChildItem 'vmstore:\\ha-datacenter\\datastore1\\iso' | ConvertTo-Json"
    )
    result = run(capsys, script, fake)
    assert (result.code, result.err) == (0, "")
    shown = result.json()
    assert (shown["Name"], shown["ItemType"], shown["Length"]) == ("setup.iso", "IsoImageFile", 4096)
    assert shown["FullName"] == "[datastore1] iso/setup.iso"

    back = tmp_path / "back.iso"
    assert run(capsys, f"Copy-DatastoreItem '[datastore1] iso/setup.iso' '{back}'", fake).code == 0
    assert back.read_bytes() == local.read_bytes()
    result = run(capsys, f"Copy-DatastoreItem '[datastore1] iso/setup.iso' '{back}'", fake)
    assert result.code == 1 and "-Force" in result.err  # a local file is not replaced without -Force

    assert run(capsys, "Move-Item '[datastore1] iso' '[datastore1] images'", fake).code == 0
    result = run(capsys, "Remove-Item '[datastore1] images'", fake)
    assert result.code == 1 and "-Recurse" in result.err  # a folder with files needs -Recurse
    assert run(capsys, "Remove-Item '[datastore1] images' -Recurse -Confirm:$false", fake).code == 0
    assert run(capsys, "Get-ChildItem '[datastore1]'", fake).out == ""


@pytest.mark.parametrize(
    "script",
    [
        "Get-ChildItem '[datastore1] ../../etc'",
        "New-Item -Path '[datastore1] a/../../b' -ItemType Directory",
        "Remove-Item '[datastore1] /etc' -Recurse",
        "Get-ChildItem 'C:\\Windows'",
        "Copy-DatastoreItem -Item /etc/hostname -Destination /tmp/x",
    ],
)
def test_bad_paths_fail_with_one_line(capsys: pytest.CaptureFixture[str], script: str) -> None:
    result = run(capsys, script)
    assert result.code == 1 and len(result.err_lines) == 1 and result.out == ""


def test_new_set_remove_hard_disk(capsys: pytest.CaptureFixture[str]) -> None:
    fake = FakeConnector()
    script = (
        "New-VM -Name db01 | Out-Null; "
        "Get-VM db01 | New-HardDisk -CapacityKB 2048 -StorageFormat EagerZeroedThick "
        "| ConvertTo-Json -Compress"
    )
    disk = run(capsys, script, fake).json()
    assert (disk["CapacityKB"], disk["StorageFormat"], disk["Persistence"]) == (2048, "Thick", "Persistent")
    script = (
        "Get-HardDisk db01 | Set-HardDisk -CapacityKB 4096 -Persistence IndependentNonPersistent "
        "| ConvertTo-Json -Compress"
    )
    grown = run(capsys, script, fake).json()
    assert (grown["CapacityKB"], grown["Persistence"]) == (4096, "IndependentNonPersistent")
    result = run(capsys, "Get-HardDisk db01 | Set-HardDisk -CapacityKB 1024", fake)
    assert result.code == 1 and "InvalidArgument" in result.err  # disks never shrink
    result = run(capsys, "Get-VM db01 | New-HardDisk -CapacityGB 1 -StorageFormat Sparse", fake)
    assert result.code == 1 and "StorageFormat" in result.err
    assert run(capsys, "Get-HardDisk db01 | Remove-HardDisk -Confirm:$false", fake).code == 0
    assert run(capsys, "Get-HardDisk db01", fake).out == ""


def test_get_and_answer_a_vm_question(capsys: pytest.CaptureFixture[str]) -> None:
    fake = FakeConnector()
    vm = fake.client.add_vm("filler", power_state="poweredOn")
    fake.client.vms[vm.id] = dataclasses.replace(
        vm,
        question=VmQuestion(
            "q-1", "There is no more space for virtual disk filler.vmdk.", ("Retry", "Cancel")
        ),
    )
    shown = run(capsys, "Get-VMQuestion -VM filler | ConvertTo-Json -Compress -Depth 3", fake).json()
    assert (shown["Id"], [o["Label"] for o in shown["Options"]]) == ("q-1", ["Retry", "Cancel"])
    result = run(capsys, "Get-VMQuestion filler | Set-VMQuestion -Option Ignore -Confirm:$false", fake)
    assert result.code == 1 and "InvalidArgument" in result.err
    assert run(capsys, "Get-VMQuestion filler | Set-VMQuestion -Option retry -Confirm:$false", fake).code == 0
    assert ("answer_vm", vm.id, "q-1", "Retry") in fake.client.calls
    assert run(capsys, "Get-VMQuestion", fake).out == ""

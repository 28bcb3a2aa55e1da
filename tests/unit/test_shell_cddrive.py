"""Get-CDDrive, New-CDDrive, Set-CDDrive, Remove-CDDrive against the fake host (hostd's own ISO checks)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from tests.unit.shell_fake import OFF, ON, FakeConnector, run

pytestmark = pytest.mark.timeout(30)


@pytest.fixture
def fake() -> FakeConnector:
    connector = FakeConnector()
    client = connector.client
    client.add_vm("web01")
    client.add_vm("db01", ON)
    iso_dir = client.layout.datastore("datastore1") / "iso"
    iso_dir.mkdir()
    (iso_dir / "installer.iso").write_bytes(b"\0" * 4096)
    (iso_dir / "tools.iso").write_bytes(b"\0" * 4096)
    (iso_dir / "notes.txt").write_text("not an image")
    (iso_dir / "folder.iso").mkdir()
    return connector


def ok(capsys: pytest.CaptureFixture[str], text: str, fake: FakeConnector) -> Any:
    result = run(capsys, text, fake)
    assert (result.code, result.err) == (0, ""), result.err
    return result.json()


def test_new_get_set_remove(capsys: pytest.CaptureFixture[str], fake: FakeConnector) -> None:
    made = ok(
        capsys,
        "New-CDDrive -VM web01 -IsoPath '[datastore1] iso/installer.iso' -StartConnected | ConvertTo-Json",
        fake,
    )
    assert (made["Name"], made["IsoPath"], made["Parent"]) == (
        "CD/DVD drive 1",
        "[datastore1] iso/installer.iso",
        "web01",
    )
    assert made["ConnectionState"] == {"Connected": False, "StartConnected": True, "AllowGuestControl": False}
    assert made["Id"] == "VirtualMachine-vm-1/ide1:0"
    empty = ok(capsys, "New-CDDrive web01 | ConvertTo-Json", fake)
    assert (empty["Name"], empty["IsoPath"]) == ("CD/DVD drive 2", None)

    table = run(capsys, "Get-CDDrive web01", fake).out.splitlines()
    assert table[1].split() == ["IsoPath", "HostDevice", "RemoteDevice"]
    assert table[3].strip() == "[datastore1] iso/installer.iso"

    changed = ok(
        capsys,
        "Get-CDDrive web01 'CD/DVD drive 1' | Set-CDDrive -IsoPath '[datastore1] iso/tools.iso' "
        "-StartConnected:$false -Confirm:$false | ConvertTo-Json",
        fake,
    )
    assert changed["IsoPath"] == "[datastore1] iso/tools.iso"
    assert changed["ConnectionState"]["StartConnected"] is False
    ejected = ok(capsys, "Get-CDDrive web01 'CD/DVD drive 1' | Set-CDDrive -NoMedia | ConvertTo-Json", fake)
    assert ejected["IsoPath"] is None
    assert run(capsys, "Get-CDDrive web01 | Remove-CDDrive -Confirm:$false", fake).code == 0
    assert run(capsys, "Get-CDDrive web01", fake).out == ""


def test_connect_on_a_running_vm(capsys: pytest.CaptureFixture[str], fake: FakeConnector) -> None:
    client = fake.client
    client.vms["vm-2"] = dataclasses.replace(client.vms["vm-2"], power_state=OFF)
    ok(capsys, "New-CDDrive db01 | ConvertTo-Json", fake)
    client.vms["vm-2"] = dataclasses.replace(client.vms["vm-2"], power_state=ON)
    shown = ok(
        capsys,
        "Get-CDDrive db01 | Set-CDDrive -IsoPath '[datastore1] iso/installer.iso' -Connected:$true "
        "| ConvertTo-Json",
        fake,
    )
    assert shown["ConnectionState"]["Connected"] is True
    result = run(capsys, "New-CDDrive db01", fake)
    assert result.code != 0 and "InvalidPowerState" in result.err, result.err


def test_bad_iso_paths_change_nothing(capsys: pytest.CaptureFixture[str], fake: FakeConnector) -> None:
    ok(capsys, "New-CDDrive web01 | ConvertTo-Json", fake)
    cases = {
        "[datastore1] iso/missing.iso": "was not found",
        "[datastore1] ../../etc/passwd.iso": "leaves the datastore",
        "[datastore1] iso/notes.txt": "not an .iso file",
        "[datastore1] iso/folder.iso": "not a file",
        "iso/installer.iso": "not a datastore path",
    }
    for path, message in cases.items():
        result = run(capsys, f"Get-CDDrive web01 | Set-CDDrive -IsoPath '{path}'", fake)
        assert result.code != 0 and message in result.err, (path, result.err)
    assert ok(capsys, "Get-CDDrive web01 | ConvertTo-Json", fake)["IsoPath"] is None
    result = run(capsys, "Get-CDDrive web01 | Set-CDDrive -Connected:$true", fake)
    assert result.code != 0 and "InvalidPowerState" in result.err, result.err
    both = "Get-CDDrive web01 | Set-CDDrive -NoMedia -IsoPath '[datastore1] iso/tools.iso'"
    assert run(capsys, both, fake).code != 0

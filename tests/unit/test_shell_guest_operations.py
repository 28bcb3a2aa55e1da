"""Invoke-VMScript, Copy-VMGuestFile, Get-VMGuestProcess and Suspend-VMGuest through ``main`` against
the fake host (whose guest accepts root / vmware)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.shell_fake import FakeConnector, run

pytestmark = pytest.mark.timeout(30)
AUTH = "-GuestUser root -GuestPassword vmware"


@pytest.fixture
def fake() -> FakeConnector:
    connector = FakeConnector()
    connector.client.add_vm("web01", "poweredOn")
    connector.client.add_vm("off01")
    return connector


def test_invoke_vm_script_outputs_result(capsys: pytest.CaptureFixture[str], fake: FakeConnector) -> None:
    result = run(capsys, f"Invoke-VMScript -VM web01 -ScriptText 'echo hi' {AUTH} | ConvertTo-Json", fake)
    assert result.code == 0, result.err
    assert result.json() == {"VM": "web01", "ExitCode": 0, "ScriptOutput": "hi\n"}
    shown = run(capsys, f"(Invoke-VMScript -VM web01 -ScriptText 'nosuch' {AUTH}).ExitCode", fake)
    assert shown.out.strip() == "127"


def test_invoke_vm_script_faults(capsys: pytest.CaptureFixture[str], fake: FakeConnector) -> None:
    wrong = run(capsys, "Invoke-VMScript -VM web01 -ScriptText 'echo' -GuestUser root -GuestPassword x", fake)
    assert wrong.code == 1 and "InvalidGuestLogin" in wrong.err
    off = run(capsys, f"Invoke-VMScript -VM off01 -ScriptText 'echo' {AUTH}", fake)
    assert off.code == 1 and "InvalidPowerState" in off.err
    no_user = run(capsys, "Invoke-VMScript -VM web01 -ScriptText 'echo'", fake)
    assert no_user.code == 1 and "GuestUser" in no_user.err
    cmd = run(capsys, f"Invoke-VMScript -VM web01 -ScriptText 'dir' -ScriptType Bat {AUTH}", fake)
    assert cmd.code == 1 and "InvalidArgument" in cmd.err


def test_copy_vm_guest_file_both_ways(
    capsys: pytest.CaptureFixture[str], fake: FakeConnector, tmp_path: Path
) -> None:
    source = tmp_path / "motd.txt"
    source.write_bytes(b"hello guest\n")
    up = run(
        capsys, f"Copy-VMGuestFile -Source {source} -Destination /tmp/ -VM web01 -LocalToGuest {AUTH}", fake
    )
    assert up.code == 0, up.err
    assert fake.client.guest_files[("vm-1", "/tmp/motd.txt")] == b"hello guest\n"
    again = run(capsys, f"Copy-VMGuestFile {source} /tmp/motd.txt -VM web01 -LocalToGuest {AUTH}", fake)
    assert again.code == 1 and "FileAlreadyExists" in again.err
    down = run(
        capsys, f"Copy-VMGuestFile /tmp/motd.txt {tmp_path} -VM web01 -GuestToLocal {AUTH} -Force", fake
    )
    assert down.code == 0, down.err
    assert source.read_bytes() == b"hello guest\n"
    missing = run(capsys, f"Copy-VMGuestFile /nope {tmp_path}/x -VM web01 -GuestToLocal {AUTH}", fake)
    assert missing.code == 1 and "FileNotFound" in missing.err
    assert not (tmp_path / "x").exists()
    both = run(capsys, f"Copy-VMGuestFile a b -VM web01 {AUTH}", fake)
    assert both.code == 1 and "LocalToGuest" in both.err


def test_guest_processes_and_standby(capsys: pytest.CaptureFixture[str], fake: FakeConnector) -> None:
    names = run(capsys, f"Get-VMGuestProcess web01 {AUTH} | ConvertTo-Json", fake)
    assert [p["Name"] for p in names.json()] == ["init", "vmtoolsd"]
    standby = run(capsys, "Suspend-VMGuest web01 -Confirm:$false | ConvertTo-Json", fake)
    assert standby.json()["VM"] == "web01"
    assert ("standby_guest", "vm-1") in fake.client.calls

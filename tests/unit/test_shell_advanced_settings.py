"""New-, Get-, Set-, Remove-AdvancedSetting against the fake host."""

from __future__ import annotations

import pytest

from tests.unit.shell_fake import FakeConnector, run

pytestmark = pytest.mark.timeout(30)


def test_advanced_settings_round_trip(capsys: pytest.CaptureFixture[str]) -> None:
    fake = FakeConnector()
    script = (
        "New-VM -Name web01 | Out-Null; "
        "New-AdvancedSetting -Entity web01 -Name sim.cpu.demand -Value 50 -Confirm:$false | Out-Null; "
        "Get-AdvancedSetting -Entity web01 -Name sim.* | Set-AdvancedSetting -Value 75 -Confirm:$false "
        "| Out-Null; "
        "Get-AdvancedSetting web01 | ConvertTo-Json -Compress"
    )
    result = run(capsys, script, fake)
    assert (result.code, result.err) == (0, "")
    assert '"Name":"sim.cpu.demand","Value":"75"' in result.out
    removed = run(
        capsys,
        "Get-AdvancedSetting web01 | Remove-AdvancedSetting -Confirm:$false; Get-AdvancedSetting web01",
        fake,
    )
    assert (removed.code, removed.out.strip()) == (0, "")


def test_advanced_setting_faults(capsys: pytest.CaptureFixture[str]) -> None:
    fake = FakeConnector()
    assert (
        run(capsys, "New-VM -Name web01 | Out-Null; New-AdvancedSetting web01 sim.cpu.demand 10", fake).code
        == 0
    )
    again = run(capsys, "New-AdvancedSetting web01 sim.cpu.demand 20", fake)
    assert again.code == 1 and "already exists" in again.err
    bad = run(capsys, "New-AdvancedSetting web01 sim.cpu.demand 200 -Force", fake)
    assert bad.code == 1 and bad.err.startswith("New-AdvancedSetting: InvalidArgument:")

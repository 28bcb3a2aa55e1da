"""Host operations in the shell against the fake host: host advanced settings, maintenance mode,
start policies, Restart-/Stop-VMHost, Get-Log."""

from __future__ import annotations

import json

import pytest

from tests.unit.shell_fake import FakeConnector, run

pytestmark = pytest.mark.timeout(30)


def test_host_advanced_settings(capsys: pytest.CaptureFixture[str]) -> None:
    fake = FakeConnector()
    got = run(
        capsys, "Get-AdvancedSetting -Entity (Get-VMHost) -Name Security.AccountLock* | ConvertTo-Json", fake
    )
    assert got.code == 0, got.err
    (setting,) = json.loads(got.out) if got.out.lstrip().startswith("[") else [json.loads(got.out)]
    assert (setting["Name"], setting["Value"], setting["Type"], setting["Range"]) == (
        "Security.AccountLockFailures",
        5,
        "VMHost",
        "0-100",
    )
    changed = run(
        capsys,
        "Get-AdvancedSetting (Get-VMHost) Security.AccountUnlockTime | Set-AdvancedSetting -Value 120 "
        "-Confirm:$false | Select-Object -ExpandProperty Value",
        fake,
    )
    assert (changed.code, changed.out.strip()) == (0, "120")
    assert fake.client.host_values == {"Security.AccountUnlockTime": 120}
    by_name = run(capsys, "(Get-AdvancedSetting esx01 -Name Config.HostAgent.log.level).Value", fake)
    assert by_name.out.strip() == "info"


def test_bad_host_setting_values_change_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    fake = FakeConnector()
    for value in ("101", "'many'", "$true"):
        bad = run(
            capsys,
            "Get-AdvancedSetting (Get-VMHost) Security.AccountLockFailures | "
            f"Set-AdvancedSetting -Value {value} -Confirm:$false",
            fake,
        )
        assert bad.code == 1 and "InvalidArgument" in bad.err, bad.err
    assert "0 to 100" in bad.err
    assert fake.client.host_values == {}
    removed = run(
        capsys, "Get-AdvancedSetting (Get-VMHost) DCUI.Access | Remove-AdvancedSetting -Confirm:$false", fake
    )
    assert removed.code == 1 and "cannot be removed" in removed.err


def test_maintenance_mode(capsys: pytest.CaptureFixture[str]) -> None:
    fake = FakeConnector()
    fake.client.add_vm("web01", "poweredOn")
    refused = run(capsys, "Set-VMHost -State Maintenance", fake)
    assert refused.code == 1 and "InvalidState" in refused.err and "powered-on VMs" in refused.err
    entered = run(
        capsys,
        "Stop-VM web01 -Confirm:$false | Out-Null; (Set-VMHost -State Maintenance).ConnectionState",
        fake,
    )
    assert (entered.code, entered.out.strip()) == (0, "Maintenance")
    assert run(capsys, "(Get-VMHost).State", fake).out.strip() == "Maintenance"
    start = run(capsys, "Start-VM web01", fake)
    assert start.code == 1 and "maintenance mode" in start.err
    left = run(capsys, "(Get-VMHost | Set-VMHost -State Connected).ConnectionState", fake)
    assert (left.code, left.out.strip()) == (0, "Connected")
    bad = run(capsys, "Set-VMHost -State Sleeping", fake)
    assert bad.code == 1 and "Connected or Maintenance" in bad.err


def test_start_policies(capsys: pytest.CaptureFixture[str]) -> None:
    fake = FakeConnector()
    fake.client.add_vm("web01")
    fake.client.add_vm("db01")
    script = (
        "Get-VMHostStartPolicy | Set-VMHostStartPolicy -Enabled $true -StartDelay 10 | Out-Null; "
        "Get-VMStartPolicy db01 | Set-VMStartPolicy -StartAction PowerOn -StartOrder 1 -StartDelay 0 "
        "| Out-Null; "
        "Get-VMStartPolicy web01 | Set-VMStartPolicy -StartAction PowerOn -StartOrder 2 -StopAction Suspend "
        "| Out-Null; "
        "Get-VMStartPolicy | Select-Object VM, StartAction, StartOrder, StartDelay, StopAction "
        "| ConvertTo-Json"
    )
    result = run(capsys, script, fake)
    assert result.code == 0, result.err
    policies = {p["VM"]: p for p in json.loads(result.out)}
    assert policies["db01"] == {
        "VM": "db01",
        "StartAction": "PowerOn",
        "StartOrder": 1,
        "StartDelay": 0,
        "StopAction": "PowerOff",
    }
    assert (policies["web01"]["StartDelay"], policies["web01"]["StopAction"]) == (10, "Suspend")
    host = run(capsys, "(Get-VMHostStartPolicy).Enabled", fake)
    assert host.out.strip() == "True"


def test_bad_start_policies_change_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    fake = FakeConnector()
    fake.client.add_vm("web01")
    for args in ("-StartAction Resume", "-StopAction Explode", "-StartOrder 0", "-StartDelay 999999"):
        bad = run(capsys, f"Get-VMStartPolicy web01 | Set-VMStartPolicy {args}", fake)
        assert bad.code == 1 and "InvalidArgument" in bad.err, (args, bad.err)
    huge = run(capsys, "Get-VMStartPolicy web01 | Set-VMStartPolicy -StopDelay 99999999999", fake)
    assert huge.code == 1
    assert fake.client.autostart_entries == {}
    bad_host = run(capsys, "Set-VMHostStartPolicy -StopAction Nope", fake)
    assert bad_host.code == 1 and "PowerOff" in bad_host.err


def test_restart_and_stop_host(capsys: pytest.CaptureFixture[str]) -> None:
    fake = FakeConnector()
    refused = run(capsys, "Restart-VMHost -Confirm:$false", fake)
    assert refused.code == 1 and "maintenance mode" in refused.err
    what_if = run(capsys, "Stop-VMHost -Force -WhatIf", fake)
    assert what_if.code == 0 and 'Performing the operation "Stop" on target "esx01"' in what_if.out
    assert fake.client.host_power == []
    forced = run(capsys, "Restart-VMHost -Force -Confirm:$false | Select-Object -ExpandProperty Name", fake)
    assert (forced.code, forced.out.strip()) == (0, "esx01")
    run(capsys, "Set-VMHost -State Maintenance | Out-Null", fake)
    stopped = run(capsys, "(Stop-VMHost -RunAsync -Confirm:$false).Name", fake)
    assert stopped.out.strip() == "HostSystem.shutdown"
    assert fake.client.host_power == [("reboot", True), ("shutdown", False)]


def test_logs(capsys: pytest.CaptureFixture[str]) -> None:
    fake = FakeConnector()
    types = run(capsys, "Get-LogType | Select-Object -ExpandProperty Key", fake)
    assert types.out.split() == ["hostd", "vmkernel"]
    tail = run(capsys, "(Get-Log -Key hostd -NumLines 2).Entries", fake)
    assert tail.out.splitlines() == ["hostd line 29", "hostd line 30"]
    window = run(
        capsys, "$l = Get-Log hostd -StartLineNum 3 -NumLines 2; $l.FirstLineNum; $l.LastLineNum", fake
    )
    assert window.out.split() == ["3", "4"]
    bad = run(capsys, "Get-Log -Key ../etc/shadow", fake)
    assert bad.code == 1 and "valid keys are hostd, vmkernel" in bad.err


def test_what_if_names_the_targets_and_changes_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    fake = FakeConnector()
    fake.client.add_vm("web01")
    result = run(
        capsys,
        "Get-VMStartPolicy web01 | Set-VMStartPolicy -StartAction PowerOn -WhatIf; "
        "Get-VMHostStartPolicy | Set-VMHostStartPolicy -Enabled $true -WhatIf; "
        "Get-AdvancedSetting (Get-VMHost) DCUI.Access | Set-AdvancedSetting -Value x -WhatIf; "
        "Set-VMHost -State Maintenance -WhatIf",
        fake,
    )
    assert result.code == 0, result.err
    assert [line.rsplit(" on target ", 1)[1] for line in result.out.splitlines()] == [
        '"web01".',
        '"esx01".',
        '"DCUI.Access".',
        '"esx01".',
    ]
    client = fake.client
    assert (client.autostart_entries, client.autostart_defaults.enabled) == ({}, False)
    assert (client.host_values, client.in_maintenance) == ({}, False)

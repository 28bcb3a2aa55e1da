"""Host operations through ``pyesx shell`` against a real host: advanced settings, maintenance mode,
start policies, logs, and a refused Restart-VMHost."""

from __future__ import annotations

import pytest

from tests.harness import BootedHost
from tests.integration.test_shell_host import ok, shell

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


def test_host_operations_walk(host: BootedHost) -> None:
    (setting,) = ok(
        host,
        "Get-AdvancedSetting -Entity (Get-VMHost) -Name Security.AccountLockFailures "
        "| Set-AdvancedSetting -Value 3 -Confirm:$false | Select-Object Name, Value, Type "
        "| ConvertTo-Json -Compress",
    )
    assert setting == {"Name": "Security.AccountLockFailures", "Value": 3, "Type": "VMHost"}
    bad = shell(
        host,
        "Get-AdvancedSetting (Get-VMHost) Security.AccountUnlockTime | Set-AdvancedSetting -Value 5000 "
        "-Confirm:$false",
    )
    assert bad.returncode == 1 and "InvalidArgument" in bad.stderr and "0 to 3600" in bad.stderr

    states = ok(
        host,
        "New-VM -Name web01 -MemoryMB 64 | Out-Null; "
        "Get-VMHostStartPolicy | Set-VMHostStartPolicy -Enabled $true | Out-Null; "
        "Get-VMStartPolicy web01 | Set-VMStartPolicy -StartAction PowerOn -StartOrder 1 -StartDelay 0 "
        "| Select-Object StartAction, StartOrder | ConvertTo-Json -Compress; "
        "(Set-VMHost -State Maintenance).ConnectionState | ConvertTo-Json",
    )
    assert states == [{"StartAction": "PowerOn", "StartOrder": 1}, "Maintenance"]
    refused = shell(host, "Start-VM web01")
    assert refused.returncode == 1 and "maintenance mode" in refused.stderr
    assert ok(host, "(Set-VMHost -State Connected).ConnectionState | ConvertTo-Json") == ["Connected"]

    assert ok(host, "Get-LogType | Select-Object -ExpandProperty Key | ConvertTo-Json -Compress") == [
        ["hostd", "vmkernel"]
    ]
    (count,) = ok(host, "(Get-Log -Key hostd -NumLines 3).Entries.Count")
    assert count == 3
    restart = shell(host, "Restart-VMHost -Confirm:$false")
    assert restart.returncode == 1 and "maintenance mode" in restart.stderr
    what_if = shell(host, "Stop-VMHost -Force -WhatIf")
    assert what_if.returncode == 0 and what_if.stdout.startswith('What if: Performing the operation "Stop"')
    assert ok(host, "(Get-VMHost).ConnectionState | ConvertTo-Json") == ["Connected"]  # still up

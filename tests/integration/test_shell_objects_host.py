"""The shell's object cmdlets, -WhatIf and help against a real host (one walk, few shell processes)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.harness import BootedHost
from tests.integration.test_shell_host import ok, shell

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


def test_objects_csv_whatif_and_help(host: BootedHost, tmp_path: Path) -> None:
    made = shell(
        host,
        "New-VM web01 -NumCpu 2 -MemoryMB 256 | Out-Null; New-VM web02 -MemoryMB 512 | Out-Null;"
        " New-VM db01 -MemoryMB 384 | Out-Null; Start-VM web01 | Out-Null;"
        " Get-VM | Where-Object Name -like 'web*' | Sort-Object MemoryMB -Descending | ForEach-Object Name;"
        " Get-VM | Where-Object { $_.PowerState -eq 'PoweredOn' } | Select-Object -ExpandProperty Name;"
        " Get-VM | Group-Object PowerState -NoElement | Sort-Object Name |"
        ' ForEach-Object { "$($_.Name)=$($_.Count)" }',
    )
    assert (made.returncode, made.stderr) == (0, "")
    assert made.stdout.splitlines() == ["web02", "web01", "web01", "PoweredOff=2", "PoweredOn=1"]

    path = tmp_path / "vms.csv"
    [rows] = ok(
        host,
        f"Get-VM | Sort-Object Name | Select-Object Name, @{{N='MB'; E={{$_.MemoryMB}}}} |"
        f" Export-Csv '{path}' -NoTypeInformation; Import-Csv '{path}' | ConvertTo-Json -Compress",
    )
    assert rows == [
        {"Name": "db01", "MB": "384"},
        {"Name": "web01", "MB": "256"},
        {"Name": "web02", "MB": "512"},
    ]
    assert path.read_text().splitlines()[0] == '"Name","MB"'

    what_if = shell(host, "Stop-VM web01 -WhatIf; Remove-VM db01 -DeletePermanently -WhatIf; (Get-VM).Count")
    assert (what_if.returncode, what_if.stderr) == (0, "")
    assert what_if.stdout.splitlines() == [
        'What if: Performing the operation "Stop" on target "web01".',
        'What if: Performing the operation "Remove" on target "db01".',
        "3",
    ]
    [state] = ok(host, "(Get-VM web01).PowerState | ConvertTo-Json")
    assert state == "PoweredOn"

    helped = shell(host, "Get-Help Remove-VM -Examples; Get-VN")
    assert helped.returncode == 1
    assert "PS> Remove-VM web01 -Confirm:$false" in helped.stdout
    assert helped.stderr.strip().endswith("Did you mean Get-VM?")

"""Resource pool cmdlets (Get/New/Set/Remove/Move-ResourcePool, Move-VM, Get-VM -Location) on the fake."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.unit.shell_fake import FakeConnector, run

pytestmark = pytest.mark.timeout(30)


def lines(out: str) -> list[Any]:
    return [json.loads(line) for line in out.splitlines()]


def test_the_root_pool_is_listed(capsys: pytest.CaptureFixture[str]) -> None:
    result = run(capsys, "Get-ResourcePool | ConvertTo-Json -Compress")
    assert (result.code, result.err) == (0, "")
    (root,) = lines(result.out)
    assert (root["Name"], root["Id"], root["Parent"]) == ("Resources", "ResourcePool-ha-root-pool", None)
    assert root["CpuReservationMHz"] == 19200


def test_new_set_get_and_remove(capsys: pytest.CaptureFixture[str]) -> None:
    fake = FakeConnector()
    script = (
        "New-ResourcePool -Name Prod -Location (Get-VMHost) -CpuSharesLevel High -CpuReservationMhz 500 "
        "-CpuExpandableReservation $false -MemReservationGB 0.5 -MemLimitMB 2048 | ConvertTo-Json -Compress; "
        "New-ResourcePool Web -Location Prod -NumCpuShares 1234 | ConvertTo-Json -Compress; "
        "Get-ResourcePool Web | Set-ResourcePool -Name Frontend -MemExpandableReservation:$false "
        "| ConvertTo-Json -Compress; "
        "Get-ResourcePool -Location Prod | ConvertTo-Json -Compress"
    )
    result = run(capsys, script, fake)
    assert (result.code, result.err) == (0, "")
    prod, web, renamed, below = lines(result.out)
    assert (prod["Parent"], prod["CpuSharesLevel"], prod["NumCpuShares"]) == ("Resources", "High", 8000)
    assert (prod["CpuReservationMHz"], prod["CpuLimitMHz"], prod["CpuExpandableReservation"]) == (
        500,
        -1,
        False,
    )
    assert (prod["MemReservationMB"], prod["MemReservationGB"], prod["MemLimitMB"]) == (512, 0.5, 2048)
    assert prod["MemExpandableReservation"] is True
    assert (web["Parent"], web["ParentId"], web["CpuSharesLevel"], web["NumCpuShares"]) == (
        "Prod",
        prod["Id"],
        "Custom",
        1234,
    )
    assert (renamed["Name"], renamed["MemExpandableReservation"]) == ("Frontend", False)
    assert below["Name"] == "Frontend"

    removed = run(
        capsys,
        "Remove-ResourcePool Frontend -Confirm:$false; Get-ResourcePool | ConvertTo-Json -Compress",
        fake,
    )
    assert removed.code == 0 and [p["Name"] for p in removed.json()] == ["Resources", "Prod"]


def test_faults_name_the_cmdlet(capsys: pytest.CaptureFixture[str]) -> None:
    fake = FakeConnector()
    run(capsys, "New-ResourcePool A -Location (Get-VMHost) | Out-Null", fake)
    for script, fault in (
        ("New-ResourcePool A -Location (Get-VMHost)", "DuplicateName"),
        ("New-ResourcePool B -Location Nowhere", "NotFound"),
        (
            "New-ResourcePool B -Location (Get-VMHost) -CpuReservationMhz 500 -CpuLimitMhz 100",
            "InvalidArgument",
        ),
        ("New-ResourcePool B -Location (Get-VMHost) -CpuSharesLevel Bogus", "InvalidArgument"),
        ("Set-ResourcePool Resources -Name Mine", "InvalidArgument"),
        ("Move-ResourcePool A -Destination A", "InvalidArgument"),
    ):
        result = run(capsys, script, fake)
        command = script.split()[0]
        assert result.code == 1 and result.err.startswith(f"{command}: {fault}"), (script, result.err)
    missing = run(capsys, "New-ResourcePool C", fake)
    assert missing.code == 1 and "Location" in missing.err
    assert [p.name for p in fake.client.list_resource_pools()] == ["Resources", "A"]


def test_move_vm_and_get_vm_location(capsys: pytest.CaptureFixture[str]) -> None:
    fake = FakeConnector()
    script = (
        "New-ResourcePool Outer -Location (Get-VMHost) | Out-Null; "
        "New-ResourcePool Inner -Location Outer | Out-Null; "
        "New-VM web01 -ResourcePool Inner | Out-Null; New-VM db01 | Out-Null; New-VM app01 | Out-Null; "
        "Move-VM app01 -Destination Outer | ConvertTo-Json -Compress; "
        "Get-VM -Location Outer | ConvertTo-Json -Compress; "
        "Get-VM -Location Outer -NoRecursion | ConvertTo-Json -Compress; "
        "Get-VM web01 | ConvertTo-Json -Compress"
    )
    result = run(capsys, script, fake)
    assert (result.code, result.err) == (0, "")
    moved, recursive, direct, web = lines(result.out)
    assert (moved["Name"], moved["ResourcePool"]) == ("app01", "Outer")
    assert [vm["Name"] for vm in recursive] == ["web01", "app01"]
    assert direct["Name"] == "app01"
    assert (web["ResourcePool"], web["ResourcePoolId"]) == ("Inner", "ResourcePool-pool2")
    busy = run(capsys, "Remove-ResourcePool Inner -Confirm:$false", fake)
    assert busy.code == 1 and busy.err.startswith("Remove-ResourcePool: InvalidState")
    moved_pool = run(
        capsys, "Move-ResourcePool Inner -Destination (Get-VMHost) | ConvertTo-Json -Compress", fake
    )
    assert json.loads(moved_pool.out)["Parent"] == "Resources"

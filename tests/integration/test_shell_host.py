"""``pyesx shell`` against a real host: the CLI as a subprocess, PowerCLI command lines, JSON out.

Each shell run is one process (about half a second), so each test packs a
walk into a few runs; ``-Compress`` puts one JSON value on each line.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.harness import BootedHost

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

PYESX = str(Path(sys.executable).with_name("pyesx"))


def shell(host: BootedHost, text: str) -> subprocess.CompletedProcess[str]:
    """``pyesx shell -c TEXT`` with the host's address and root's password in PYESX_*."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYESX_")}
    env |= {"PYESX_SERVER": host.address, "PYESX_USER": "root", "PYESX_PASSWORD": host.password}
    return subprocess.run(
        [PYESX, "shell", "-c", text], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def ok(host: BootedHost, text: str) -> list[Any]:
    """Run text that must succeed; each stdout line parsed as JSON."""
    result = shell(host, text)
    assert (result.returncode, result.stderr) == (0, ""), result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_done_when_line_and_a_fault(host: BootedHost) -> None:
    result = shell(
        host, "New-VM -Name web01 -NumCpu 2 -MemoryMB 256; Start-VM web01; Get-VM web01 | ConvertTo-Json"
    )
    assert (result.returncode, result.stderr) == (0, "")
    assert "web01 PoweredOff 2        0.250" in result.stdout  # New-VM's table
    assert "web01 PoweredOn  2        0.250" in result.stdout  # Start-VM's table
    vm = json.loads(result.stdout[result.stdout.index("\n{") + 1 :])
    assert (vm["Name"], vm["PowerState"], vm["NumCpu"], vm["MemoryMB"]) == ("web01", "PoweredOn", 2, 256)
    assert vm["Id"].startswith("VirtualMachine-vm-") and vm["VmxPath"] == "[datastore1] web01/web01.vmx"
    assert vm["ProvisionedSpaceGB"] >= 0.25

    failed = shell(host, "'before'; Start-VM web01; 'after'")
    assert (failed.returncode, failed.stdout) == (1, "before\n")
    assert failed.stderr.splitlines() == [
        "Start-VM: InvalidPowerState: The attempted operation cannot be performed in the current state "
        "(poweredOn); it requires poweredOff."
    ]


def test_snapshot_walk(host: BootedHost) -> None:
    before, after, disk = ok(
        host,
        "New-VM db01 -DiskMB 16 | Out-Null; "
        "New-Snapshot db01 base -Description first | Out-Null; "
        "New-Snapshot -VM db01 -Name second | Out-Null; "
        "Set-VM db01 -Snapshot (Get-Snapshot db01 base) -Confirm:$false | Out-Null; "
        "Get-Snapshot -VM db01 | ConvertTo-Json -Compress; "
        "Get-Snapshot db01 second | Remove-Snapshot -Confirm:$false; "
        "Get-Snapshot db01 | ConvertTo-Json -Compress; "
        "Get-HardDisk db01 | ConvertTo-Json -Compress",
    )
    assert [(s["Name"], s["ParentSnapshot"], s["Children"], s["IsCurrent"]) for s in before] == [
        ("base", None, ["second"], True),
        ("second", "base", [], False),
    ]
    assert (before[0]["Description"], before[0]["PowerState"], before[0]["VM"]) == (
        "first",
        "PoweredOff",
        "db01",
    )
    assert (after["Name"], after["Children"], after["IsCurrent"]) == ("base", [], True)
    assert (disk["Name"], disk["CapacityGB"]) == ("Hard disk 1", 16 / 1024)


def test_suspend_resume_events_and_tasks(host: BootedHost) -> None:
    created, started, suspended, resumed, events, tasks = ok(
        host,
        "New-VM web01 -RunAsync | Wait-Task | ConvertTo-Json -Compress; "
        "Start-VM web01 | ConvertTo-Json -Compress; "
        "Suspend-VM web01 -Confirm:$false | ConvertTo-Json -Compress; "
        "Start-VM web01 | ConvertTo-Json -Compress; "
        "Get-VIEvent -Entity web01 -MaxSamples 5 | ConvertTo-Json -Compress; "
        "Get-Task | ConvertTo-Json -Compress",
    )
    assert [vm["PowerState"] for vm in (created, started, suspended, resumed)] == [
        "PoweredOff",
        "PoweredOn",
        "Suspended",
        "PoweredOn",
    ]
    assert [e["EventTypeId"] for e in events] == [
        "VmPoweredOnEvent",
        "VmResumingEvent",
        "VmSuspendedEvent",
        "VmSuspendingEvent",
        "VmPoweredOnEvent",
    ]
    assert {e["Vm"] for e in events} == {"web01"}
    assert [e["Key"] for e in events] == sorted((e["Key"] for e in events), reverse=True)
    assert [(t["Name"], t["State"], t["Entity"]) for t in tasks] == [
        ("Folder.createVm", "Success", "web01"),
        ("VirtualMachine.powerOn", "Success", "web01"),
        ("VirtualMachine.suspend", "Success", "web01"),
        ("VirtualMachine.powerOn", "Success", "web01"),
    ]
    assert tasks[0]["Result"] == created["Id"].removeprefix("VirtualMachine-")


def test_datastore_items_through_the_shell(host: BootedHost, tmp_path: Path) -> None:
    local = tmp_path / "tools.iso"
    local.write_bytes(b"\x02" * 10_000)
    [item] = ok(
        host,
        "New-Item -Path '[datastore1] media' -ItemType Directory | Out-Null; "
        f"Copy-DatastoreItem -Item '{local}' -Destination '[datastore1] media' -PassThru "
        "| ConvertTo-Json -Compress",
    )
    assert (item["Name"], item["ItemType"], item["Length"]) == ("tools.iso", "IsoImageFile", 10_000)
    assert (host.root / "vmfs/volumes/datastore1/media/tools.iso").read_bytes() == local.read_bytes()
    [datastore] = ok(host, "Get-Datastore datastore1 | ConvertTo-Json -Compress")
    assert datastore["Name"] == "datastore1" and datastore["CapacityGB"] > 0


def test_network_configuration_through_the_shell(host: BootedHost) -> None:
    [port_group] = ok(
        host,
        "New-VirtualSwitch -Name vSwitch1 -Nic vmnic2 | New-VirtualPortGroup -Name Lab -VLanId 7 "
        "| ConvertTo-Json -Compress",
    )
    assert (port_group["Name"], port_group["VLanId"], port_group["VirtualSwitchName"]) == (
        "Lab",
        7,
        "vSwitch1",
    )
    [policy] = ok(
        host,
        "Get-VirtualPortGroup Lab | Get-SecurityPolicy | Set-SecurityPolicy -MacChanges $false "
        "| ConvertTo-Json -Compress",
    )
    assert (policy["MacChanges"], policy["MacChangesInherited"]) == (False, False)
    result = shell(
        host, "New-VM -Name lab01 -NetworkName Lab | Out-Null; Remove-VirtualPortGroup Lab -Confirm:$false"
    )
    assert result.returncode == 1 and "InvalidState" in result.stderr and "lab01" in result.stderr


def test_resource_pool_walk(host: BootedHost) -> None:
    created, nested, moved, located, renamed = ok(
        host,
        "New-ResourcePool -Name Prod -Location (Get-VMHost) -CpuSharesLevel High -CpuReservationMhz 100 "
        "-MemLimitGB 1 | ConvertTo-Json -Compress; "
        "New-ResourcePool Web -Location Prod -MemExpandableReservation $false | ConvertTo-Json -Compress; "
        "New-VM web01 -MemoryMB 64 | Out-Null; "
        "Move-VM web01 -Destination Web | ConvertTo-Json -Compress; "
        "Get-VM -Location Prod | ConvertTo-Json -Compress; "
        "Get-ResourcePool Web | Set-ResourcePool -Name Frontend -NumCpuShares 1500 "
        "| ConvertTo-Json -Compress",
    )
    assert (created["Name"], created["Parent"], created["CpuSharesLevel"], created["NumCpuShares"]) == (
        "Prod",
        "Resources",
        "High",
        8000,
    )
    assert (created["CpuReservationMHz"], created["MemLimitMB"], created["MemLimitGB"]) == (100, 1024, 1.0)
    assert (nested["Parent"], nested["MemExpandableReservation"], nested["CpuExpandableReservation"]) == (
        "Prod",
        False,
        True,
    )
    assert moved["ResourcePool"] == "Web" and located["Name"] == "web01"
    assert (renamed["Name"], renamed["CpuSharesLevel"], renamed["NumCpuShares"]) == (
        "Frontend",
        "Custom",
        1500,
    )

    refused = shell(host, "Remove-ResourcePool Frontend -Confirm:$false")
    assert refused.returncode == 1 and refused.stderr.startswith("Remove-ResourcePool: InvalidState:")
    pools = ok(
        host,
        "Move-VM web01 -Destination (Get-VMHost) | Out-Null; Remove-ResourcePool Frontend -Confirm:$false; "
        "Get-ResourcePool | ConvertTo-Json -Compress",
    )[0]
    assert [(p["Name"], p["Parent"]) for p in pools] == [("Resources", None), ("Prod", "Resources")]

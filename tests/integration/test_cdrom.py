"""CD-ROM drives on a booted host: an ISO on the datastore reaches the running guest, media change
while it runs, and a bad path changes nothing (issue 6, CD-ROM)."""

from __future__ import annotations

from pathlib import Path

import pytest

from clients import Client
from pyesx import faults
from pyesx.guestfs.iso9660 import write_iso
from tests.harness import BootedHost, wait_until
from tests.integration.test_shell_host import ok, shell

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


def _iso(host: BootedHost, name: str, volume_id: str, files: dict[str, bytes]) -> int:
    folder = host.root / "vmfs" / "volumes" / "datastore1" / "iso"
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / name, "wb") as out:
        write_iso(files, volume_id, out)
    return (folder / name).stat().st_size


def _seen(client: Client, vm: str) -> tuple[float, float]:
    """What the guest on vCPU 0 sees in its drive (from its status answer): present, size."""
    counters = client.guest_info(vm).counters
    return counters.get("cdrom.present", -1.0), counters.get("cdrom.size_bytes", -1.0)


def test_media_reaches_the_guest_and_changes_while_it_runs(host: BootedHost, client: Client) -> None:
    installer = _iso(host, "installer.iso", "PYESX_INSTALL", {"/INSTALL.CFG": b"1", "/os/bin/ls": b"ls"})
    tools = _iso(host, "tools.iso", "VMWARE_TOOLS", {"/tools.tar.gz": bytes(300_000)})
    assert installer != tools
    vm = client.wait_for_task(client.create_vm("cd01", memory_mb=64, no_network=True).id).result_entity_id
    spec: dict[str, str | bool] = {"iso_path": "[datastore1] iso/installer.iso", "start_connected": True}
    client.wait_for_task(client.reconfigure_vm(vm, add_cd_drives=[spec]).id)
    [drive] = client.get_vm(vm).cdroms
    assert (drive.key, drive.iso_path, drive.start_connected, drive.connected) == (
        "ide1:0",
        "[datastore1] iso/installer.iso",
        True,
        False,
    )

    client.wait_for_task(client.power_on(vm).id)
    assert wait_until(lambda: _seen(client, vm) == (1.0, installer) or None, what="the installer ISO")
    assert client.get_vm(vm).cdroms[0].connected

    change: dict[str, str | bool] = {"key": "ide1:0", "iso_path": "[datastore1] iso/tools.iso"}
    client.wait_for_task(client.reconfigure_vm(vm, change_cd_drives=[change]).id)
    assert _seen(client, vm) == (1.0, tools)  # the vmx answers once vCPU 0 has the new media
    assert client.get_vm(vm).cdroms[0].iso_path == "[datastore1] iso/tools.iso"

    with pytest.raises(faults.FileNotFound):
        client.reconfigure_vm(vm, change_cd_drives=[{"key": "ide1:0", "iso_path": "[datastore1] iso/no.iso"}])
    with pytest.raises(faults.InvalidArgument):
        client.reconfigure_vm(vm, change_cd_drives=[{"key": "ide1:0", "iso_path": "[datastore1] ../x.iso"}])
    assert _seen(client, vm) == (1.0, tools)

    def set_drive(**change: str | bool) -> None:
        client.wait_for_task(client.reconfigure_vm(vm, change_cd_drives=[{"key": "ide1:0", **change}]).id)

    set_drive(connected=False)
    assert _seen(client, vm) == (0.0, 0.0)
    assert not client.get_vm(vm).cdroms[0].connected
    set_drive(connected=True)
    assert _seen(client, vm) == (1.0, tools)
    set_drive(no_media=True)
    assert _seen(client, vm) == (0.0, 0.0)
    assert client.get_vm(vm).cdroms[0].no_media

    log = Path(host.root) / "vmfs/volumes/datastore1/cd01/vmware.log"
    wait_until(lambda: "VMWARE_TOOLS" in log.read_text() or None, what="the volume id the guest read, logged")

    with pytest.raises(faults.InvalidPowerState):
        client.reconfigure_vm(vm, remove_cd_drive_keys=["ide1:0"])
    client.wait_for_task(client.power_off(vm).id)
    client.wait_for_task(client.reconfigure_vm(vm, remove_cd_drive_keys=["ide1:0"]).id)
    assert client.get_vm(vm).cdroms == ()


def test_cdrom_cmdlets_against_a_host(host: BootedHost, client: Client) -> None:
    size = _iso(host, "installer.iso", "PYESX_INSTALL", {"/INSTALL.CFG": b"1"})
    made = ok(
        host,
        "New-VM -Name cd02 -MemoryMB 64 | Out-Null; "
        "New-CDDrive -VM cd02 -IsoPath '[datastore1] iso/installer.iso' -StartConnected "
        "| ConvertTo-Json -Compress",
    )[0]
    assert (made["Name"], made["IsoPath"]) == ("CD/DVD drive 1", "[datastore1] iso/installer.iso")
    [vm] = [v.id for v in client.list_vms() if v.name == "cd02"]
    client.wait_for_task(client.power_on(vm).id)
    shown = ok(host, "Get-CDDrive cd02 | ConvertTo-Json -Compress")[0]
    assert shown["ConnectionState"]["Connected"] is True
    assert wait_until(lambda: _seen(client, vm) == (1.0, size) or None, what="the ISO in the guest")
    off = ok(
        host, "Get-CDDrive cd02 | Set-CDDrive -Connected:$false -Confirm:$false | ConvertTo-Json -Compress"
    )
    assert off[0]["ConnectionState"]["Connected"] is False
    assert _seen(client, vm) == (0.0, 0.0)
    result = shell(host, "Get-CDDrive cd02 | Set-CDDrive -IsoPath '[datastore1] iso/none.iso'")
    assert result.returncode != 0 and "FileNotFound" in result.stderr

"""The guest OS on a booted host (issue 6): install from the shipped ISO, boot from disk to a console
login, guest operations through the tools, and the installed file system read by a host tool."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from clients import Client
from pyesx import faults
from tests.harness import BootedHost, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]
MIB = 1 << 20
INSTALLER = "[datastore1] iso/guest-installer.iso"


def _tools_ok(client: Client, vm: str, timeout: float = 60.0) -> None:
    wait_until(lambda: client.guest_info(vm).tools_status == "toolsOk" or None, timeout, "the guest's tools")


def _appliance(client: Client, name: str, **settings: str) -> str:
    vm = client.wait_for_task(client.create_vm(name, memory_mb=64).id).result_entity_id
    config = {"guestinfo.password": "s3cret!", **settings}
    client.wait_for_task(client.reconfigure_vm(vm, set_extra_config=config).id)
    client.wait_for_task(client.power_on(vm).id)
    return vm


def test_appliance_guest_operations(host: BootedHost, client: Client, tmp_path: Path) -> None:
    vm = _appliance(client, "app01", **{"guestinfo.hostname": "app01.lab"})
    _tools_ok(client, vm)
    guest = client.guest_info(vm)
    assert (guest.host_name, guest.os_full_name, guest.tools_version) == (
        "app01.lab",
        "PyESX Linux 1.0 (64-bit)",
        "12.3.0",
    )

    result = client.run_script(vm, "root", "s3cret!", "hostname; ls /nope; echo done")
    assert result.script_output.splitlines() == [
        "app01.lab",
        "ls: cannot access '/nope': No such file or directory",
        "done",
    ]
    assert result.exit_code == 0
    assert client.run_script(vm, "root", "s3cret!", "false").exit_code == 1
    assert client.run_script(vm, "root", "s3cret!", "nosuchcommand").exit_code == 127
    with pytest.raises(faults.InvalidGuestLogin):
        client.run_script(vm, "root", "wrong", "true")
    with pytest.raises(faults.Timedout):
        client.run_script(vm, "root", "s3cret!", "sleep 30", timeout=1.0)

    payload = bytes(range(256)) * 4096  # 1 MiB, every byte value
    assert client.copy_to_guest(vm, "root", "s3cret!", payload, "/root/blob.bin") == len(payload)
    with pytest.raises(faults.FileAlreadyExists):
        client.copy_to_guest(vm, "root", "s3cret!", b"x", "/root/blob.bin")
    assert client.copy_from_guest(vm, "root", "s3cret!", "/root/blob.bin") == payload
    assert client.run_script(vm, "root", "s3cret!", "ls -l /root/blob.bin").script_output.split()[4] == str(
        len(payload)
    )
    with pytest.raises(faults.FileNotFound):
        client.copy_from_guest(vm, "root", "s3cret!", "/root/none")
    names = {p.name for p in client.guest_processes(vm, "root", "s3cret!")}
    assert {"init", "vmtoolsd"} <= names


def test_guest_operations_need_a_running_guest_with_tools(host: BootedHost, client: Client) -> None:
    off = client.wait_for_task(client.create_vm("off01", memory_mb=64).id).result_entity_id
    with pytest.raises(faults.InvalidPowerState):
        client.run_script(off, "root", "x", "true")
    no_tools = _appliance(client, "notools01", **{"pyesx.guest.tools": "FALSE"})
    assert client.guest_info(no_tools).tools_status == "toolsNotInstalled"
    with pytest.raises(faults.ToolsUnavailable):
        client.run_script(no_tools, "root", "s3cret!", "true")


def test_an_empty_pc_finds_no_operating_system(host: BootedHost, client: Client) -> None:
    vm = client.wait_for_task(
        client.create_vm("empty01", memory_mb=64, disk_capacity_bytes=[16 * MIB], cd_drive=True).id
    ).result_entity_id
    client.wait_for_task(client.power_on(vm).id)
    wait_until(
        lambda: any("No operating system found" in row for row in client.screen(vm).rows) or None,
        30,
        "the BIOS's verdict",
    )
    assert client.guest_info(vm).tools_status == "toolsNotInstalled"
    with pytest.raises(faults.ToolsUnavailable):
        client.run_script(vm, "root", "x", "true")


def _partition_image(host: BootedHost, tmp_path: Path) -> Path:
    """The installed disk's first partition (at 1 MiB), copied out for the host's e2fsprogs."""
    flat = host.root / "vmfs" / "volumes" / "datastore1" / "web01" / "web01-flat.vmdk"
    image = tmp_path / "part1.img"
    with flat.open("rb") as source, image.open("wb") as out:
        source.seek(MIB)
        shutil.copyfileobj(source, out)
    return image


def test_install_from_the_iso_then_log_in_on_the_console(
    host: BootedHost, client: Client, tmp_path: Path
) -> None:
    assert (host.root / "vmfs/volumes/datastore1/iso/guest-installer.iso").is_file()  # shipped at install
    vm = client.wait_for_task(
        client.create_vm("web01", memory_mb=64, disk_capacity_bytes=[64 * MIB], cd_drive=True).id
    ).result_entity_id
    change: dict[str, str | bool] = {"key": "ide1:0", "iso_path": INSTALLER, "start_connected": True}
    settings = {"guestinfo.hostname": "web01.lab", "guestinfo.password": "Pa55word"}
    client.wait_for_task(client.reconfigure_vm(vm, change_cd_drives=[change], set_extra_config=settings).id)
    client.wait_for_task(client.power_on(vm).id)

    with client.console(vm) as console:
        console.read_until("web01.lab login:", timeout=120)  # installed, reset, booted from the disk
        console.send("root\r")
        console.read_until("Password: ")
        console.send("Pa55word\r")
        console.read_until(":~# ")
        console.send("cat /etc/hostname; echo written > /root/note.txt; sync\r")
        assert b"web01.lab" in console.read_until(":~# ")
    _tools_ok(client, vm)
    assert client.guest_info(vm).host_name == "web01.lab"
    df = client.run_script(vm, "root", "Pa55word", "df -h /").script_output
    assert "/dev/sda1" in df

    client.wait_for_task(client.power_off(vm).id)
    if shutil.which("debugfs") is None:
        pytest.skip("debugfs (e2fsprogs) is not installed: the host-side check cannot run")
    image = _partition_image(host, tmp_path)
    check = subprocess.run(["e2fsck", "-fn", str(image)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    read = subprocess.run(["debugfs", "-R", "cat /root/note.txt", str(image)], capture_output=True, text=True)
    assert read.stdout == "written\n"


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_an_idle_guest_halts_its_vcpus(host: BootedHost, client: Client) -> None:
    vm = _appliance(client, "idle01")
    _tools_ok(client, vm)
    [vmm] = client.get_vm(vm).vmm_pids
    before = _cpu_seconds(vmm)
    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline:  # a window of guest idleness, watched from the host
        client.guest_info(vm)  # the heartbeats and this polling are all the guest does
        time.sleep(0.1)
    assert _cpu_seconds(vmm) - before < 0.3  # blocked, not spinning (2 s of spinning would be ~2 s)


def test_standby_suspends_and_a_vmx_crash_spares_other_vms(host: BootedHost, client: Client) -> None:
    sleeper, bystander = _appliance(client, "sleep01"), _appliance(client, "other01")
    _tools_ok(client, sleeper)
    client.standby_guest(sleeper)
    wait_until(lambda: client.get_vm(sleeper).power_state == "suspended" or None, 30, "the VM suspended")
    client.wait_for_task(client.power_on(sleeper).id)
    _tools_ok(client, sleeper)

    os.kill(client.get_vm(sleeper).vmx_pid, signal.SIGKILL)
    wait_until(lambda: client.get_vm(sleeper).power_state == "poweredOff" or None, 30, "poweredOff")
    [died] = client.events(vm_id=sleeper, types=["VmDiedEvent"])
    assert "exited unexpectedly" in died.message
    assert client.run_script(bystander, "root", "s3cret!", "echo alive").script_output == "alive\n"

"""The firmware's boot order, the installer ISO, and a full install onto a disk that e2fsck accepts."""

from __future__ import annotations

import io
import shutil
import subprocess
import time
from pathlib import Path
from unittest.mock import patch

import pytest

from pyesx.guestfs.blockdev import MemoryBlockDevice
from vmx.guestos import layout
from vmx.guestos.firmware import PcGuest
from vmx.guestos.installer_iso import build_installer_iso
from vmx.guestos.testing import FakeMachine, run


def _iso() -> MemoryBlockDevice:
    out = io.BytesIO()
    build_installer_iso(out)
    image = out.getvalue()
    device = MemoryBlockDevice(len(image))
    device.write(0, image)
    return device


def _login(guest: PcGuest, machine: FakeMachine, host: str, password: str) -> None:
    assert run(guest, machine, lambda: machine.text().endswith(f"{host} login: "), 600), machine.text()[-800:]
    guest.console_input(b"root\r")
    assert run(guest, machine, lambda: machine.text().endswith("Password: "), 60)
    guest.console_input(password.encode() + b"\r")
    assert run(guest, machine, lambda: machine.text().endswith(f"root@{host}:~# "), 60)


def test_empty_disk_no_operating_system() -> None:
    machine = FakeMachine(disk_device=MemoryBlockDevice(64 << 20))
    guest = PcGuest(machine)
    assert run(guest, machine)  # it halts
    assert guest.step(machine.clock) is None
    text = machine.text()
    assert (
        "PyESX BIOS" in text
        and "Memory Test: 1048576K OK" in text
        and "Hard Disk 0: VMware Virtual disk" in text
    )
    assert text.endswith("No operating system found.\r\n")
    # a halted PC does not boot when media shows up; a reset does
    machine.cdrom_device = _iso()
    guest.media_changed()
    guest.console_input(b"\r")
    assert guest.step(machine.clock) is None and "installer" not in machine.text()


def test_iso_is_deterministic_and_carries_the_os() -> None:
    first, second = io.BytesIO(), io.BytesIO()
    build_installer_iso(first)
    with patch("time.time", return_value=time.time() + 86400 * 400):  # built a year later
        build_installer_iso(second)
    assert first.getvalue() == second.getvalue()
    from pyesx.guestfs.iso9660 import IsoFilesystem

    iso = IsoFilesystem(_iso())
    assert iso.read_file(layout.ISO_INSTALLER_MARKER).startswith(b"# PyESX Linux")
    assert iso.read_file("/os/bin/ls") == layout.BUILTIN_PREFIX + b"ls\n"
    assert iso.stat("/os" + layout.KERNEL_PATH).size > 0
    assert iso.read_file("/os" + layout.TOOLS_DAEMON_PATH).startswith(layout.BUILTIN_PREFIX)


def _install(disk_size: int, info: dict[str, str]) -> tuple[PcGuest, FakeMachine, MemoryBlockDevice]:
    disk = MemoryBlockDevice(disk_size)
    machine = FakeMachine(
        vm_name="Web Server", disk_device=disk, cdrom_device=_iso(), order=["cdrom", "hdd"], info=info
    )
    return PcGuest(machine), machine, disk


def test_install_reboot_login(tmp_path: Path) -> None:
    guest, machine, disk = _install(128 << 20, {layout.HOSTNAME_KEY: "web01", layout.PASSWORD_KEY: "pw1"})
    _login(guest, machine, "web01", "pw1")
    text = machine.text()
    assert "Formatting /dev/sda1" in text and "Installation complete. Rebooting." in text
    assert machine.resets == 1
    assert "An installed system was found on /dev/sda" in text  # the CD's default: boot the disk
    mark = len(machine.screen)
    guest.console_input(b"cat /etc/hostname; df -h | tail -n 1\r")
    assert run(guest, machine, lambda: machine.text().endswith("root@web01:~# "), 60)
    out = machine.screen[mark:].decode()
    assert "\r\nweb01\r\n" in out and "/dev/sda1" in out
    # the files persist on the disk: write one, reboot from the disk alone
    guest.console_input(
        b"echo kept > /root/note; dd if=/dev/zero of=/root/z bs=64K count=4 status=none; reboot\r"
    )
    machine.cdrom_device = None
    machine.order = ["hdd", "cdrom"]
    _login(guest, machine, "web01", "pw1")
    mark = len(machine.screen)
    guest.console_input(b"cat /root/note; ls -l /root/z\r")
    assert run(guest, machine, lambda: machine.text().endswith("root@web01:~# "), 60)
    out = machine.screen[mark:].decode()
    assert "\r\nkept\r\n" in out and " 262144 " in out
    guest.console_input(b"poweroff\r")
    run(guest, machine, lambda: machine.powered_off, 60)
    assert machine.powered_off
    e2fsck = shutil.which("e2fsck") or ("/sbin/e2fsck" if Path("/sbin/e2fsck").exists() else None)
    if e2fsck is None:
        pytest.skip("e2fsck is not installed")
    image = tmp_path / "sda1.img"
    image.write_bytes(disk.read(layout.PARTITION_START, disk.size - layout.PARTITION_START))
    result = subprocess.run([e2fsck, "-fn", str(image)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_install_defaults_to_vm_name_and_locked_root() -> None:
    guest, machine, _ = _install(128 << 20, {})
    assert run(guest, machine, lambda: machine.text().endswith("web-server login: "), 600)
    assert "none given: the root account is locked" in machine.text()
    guest.console_input(b"root\r")
    run(guest, machine, lambda: machine.text().endswith("Password: "), 60)
    guest.console_input(b"\r")
    assert run(guest, machine, lambda: "Login incorrect" in machine.text(), 60)


def test_install_onto_a_too_small_disk() -> None:
    guest, machine, _ = _install(16 << 20, {})
    run(guest, machine, None, 600)
    assert "Installation failed: the disk /dev/sda (16 MiB) is smaller than the 64 MiB" in machine.text()
    assert guest.step(machine.clock) is None


class _FullDisk(MemoryBlockDevice):
    """A disk on a datastore that fills up: writes fail with ENOSPC after the first few."""

    writes = 0

    def write(self, offset: int, data: bytes) -> None:
        self.writes += 1
        if self.writes > 30:
            raise OSError(28, "No space left on device")
        super().write(offset, data)


def test_install_io_error() -> None:
    disk = _FullDisk(128 << 20)
    machine = FakeMachine(disk_device=disk, cdrom_device=_iso(), order=["cdrom"])
    guest = PcGuest(machine)
    run(guest, machine, None, 600)
    assert "Installation failed: I/O error on /dev/sda: No space left on device." in machine.text()
    assert guest.step(machine.clock) is None and machine.resets == 0


def test_hdd_first_boots_the_installed_disk() -> None:
    guest, machine, disk = _install(128 << 20, {layout.PASSWORD_KEY: "x"})
    assert run(guest, machine, lambda: machine.text().endswith("login: "), 600)
    fresh = FakeMachine(vm_name="again", disk_device=disk, order=["hdd", "cdrom"], info={})
    booted = PcGuest(fresh)
    _login(booted, fresh, "web-server", "x")
    assert "Booting from Hard Disk..." in fresh.text() and "installer" not in fresh.text()

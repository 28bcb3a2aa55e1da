"""The PC: its firmware (BIOS screen, boot order, boot devices) and the GuestSoftware the VMM world drives.

``PcGuest(machine)`` powers on into the BIOS, which boots the first bootable
device of ``Machine.boot_order()``: a disk whose MBR has an active partition at
layout.PARTITION_START holding an ext2 with layout.KERNEL_PATH, or a CD whose
ISO 9660 media has layout.ISO_INSTALLER_MARKER (the installer). With nothing
bootable it prints "No operating system found." and halts until a reset.
A guest reboot calls ``Machine.reset()`` and starts the firmware again (unless
``restart_on_reset`` is False: then the VMM world starts a new PcGuest itself).
"""

from __future__ import annotations

from typing import Any

from pyesx.guestfs.api import BlockDevice, Filesystem
from vmx.guestos import layout
from vmx.guestos.kernel import Gen, Kernel
from vmx.guestos.machine import Machine
from vmx.guestos.tty import Tty

BIOS_VENDOR = "PyESX BIOS 1.0 (Phoenix-compatible), VMware Virtual Platform"


def disk_root(disk: BlockDevice) -> Filesystem | None:
    """The installed system's root file system on ``disk``, when the disk is bootable."""
    try:
        from pyesx.guestfs.blockdev import PartitionDevice
        from pyesx.guestfs.ext2 import Ext2
        from pyesx.guestfs.mbr import read_partitions

        for part in read_partitions(disk):
            if part.active and part.start == layout.PARTITION_START:
                fs: Filesystem = Ext2(PartitionDevice(disk, part.start, part.length))
                fs.stat(layout.KERNEL_PATH)
                return fs
    except Exception:  # whatever is on the disk, it does not boot
        return None
    return None


def installer_media(cdrom: BlockDevice) -> Filesystem | None:
    """The installer ISO's file system, when the CD holds one."""
    try:
        from pyesx.guestfs.iso9660 import IsoFilesystem

        fs: Filesystem = IsoFilesystem(cdrom)
        fs.stat(layout.ISO_INSTALLER_MARKER)
        return fs
    except Exception:  # not an ISO, or not ours
        return None


def _gib(size: int) -> str:
    return f"{size / (1 << 30):.1f} GiB" if size >= 1 << 30 else f"{size / (1 << 20):.0f} MiB"


def bios(kernel: Kernel) -> Gen[int]:
    """POST screen, then boot the first bootable device."""
    machine = kernel.machine
    tty = kernel.tty
    assert tty is not None
    tty.write(b"\x1b[H\x1b[2J")
    tty.write(f"{BIOS_VENDOR}\nCopyright (C) 2026 The PyESX project\n\n".encode())
    tty.write(f"CPU: {machine.num_cpus} x Virtual CPU @ host speed\n".encode())
    tty.write(f"Memory Test: {machine.memory_info().total_mb * 1024}K OK\n\n".encode())
    disk, cdrom = machine.disk(), machine.cdrom()
    tty.write(b"Detecting drives...\n")
    tty.write(f"  Hard Disk 0: {'VMware Virtual disk, ' + _gib(disk.size) if disk else 'None'}\n".encode())
    tty.write(
        f"  CD-ROM 0:    {'VMware Virtual CD-ROM, media present' if cdrom else 'no media'}\n\n".encode()
    )
    order = machine.boot_order() or ["hdd", "cdrom"]
    names = {"hdd": "Hard Disk", "cdrom": "CD-ROM"}
    tty.write(f"Boot order: {', '.join(names.get(d, d) for d in order)}\n".encode())
    yield None
    for device in order:
        if device == "hdd" and disk is not None:
            tty.write(b"Booting from Hard Disk...\n")
            root = disk_root(disk)
            if root is not None:
                from vmx.guestos.boot import boot_os

                boot_os(kernel, root, "/dev/sda1")
                return 0
            tty.write(b"  not a bootable disk\n")
        elif device == "cdrom" and cdrom is not None:
            tty.write(b"Booting from CD-ROM...\n")
            media = installer_media(cdrom)
            if media is not None:
                from vmx.guestos.installer import installer

                kernel.spawn("installer", "/install", installer(kernel, media))
                return 0
            tty.write(b"  not a bootable CD\n")
        yield None
    tty.write(b"\nNo operating system found.\n")
    kernel.halt()
    return 1


class PcGuest:
    """The GuestSoftware of a VM: firmware, then the installer or the installed OS (or an appliance root)."""

    def __init__(
        self, machine: Machine, appliance_root: Filesystem | None = None, restart_on_reset: bool = True
    ) -> None:
        self.machine = machine
        self._appliance_root = appliance_root
        self._restart_on_reset = restart_on_reset
        self.kernel = self._power_on()

    def _power_on(self) -> Kernel:
        kernel = Kernel(self.machine, hostname=self.machine.vm_name)
        kernel.tty = Tty(self.machine.console_write)
        kernel.on_action = self._on_action
        if self._appliance_root is not None:
            from vmx.guestos.boot import boot_os

            boot_os(kernel, self._appliance_root, "rootfs")
        else:
            kernel.spawn("bios", "bios", bios(kernel))
        return kernel

    def _on_action(self, action: str) -> None:
        tty = self.kernel.tty
        assert tty is not None
        if action == "reboot":
            tty.write(b"[  OK  ] Reached target reboot.target - System Reboot.\nreboot: Restarting system\n")
            self.machine.reset()
            if self._restart_on_reset:
                self.kernel = self._power_on()
        elif action == "poweroff":
            tty.write(b"reboot: Power down\n")

    def step(self, now: float) -> float | None:
        while True:
            kernel = self.kernel
            delay = kernel.step(now)
            if self.kernel is kernel:
                return delay

    def console_input(self, data: bytes) -> None:
        if not self.kernel.halted and self.kernel.tty is not None:
            self.kernel.tty.input(data)

    def tools_request(self, request: dict[str, Any]) -> None:
        if self.kernel.tools_running:
            self.kernel.tools_requests.append(request)
        else:
            self.machine.tools_send(
                {
                    "id": request.get("id"),
                    "error": "ToolsUnavailable",
                    "message": "the guest tools are not running",
                }
            )

    def media_changed(self) -> None:
        kernel = self.kernel
        kernel.media_changes += 1
        if kernel.vfs is not None and not kernel.halted:  # the OS runs: its sr driver notices
            present = self.machine.cdrom() is not None
            kernel.klog(f"sr 1:0:0:0: [sr0] {'Media changed' if present else 'Media removed'}")


def boot_appliance(machine: Machine, restart_on_reset: bool = True) -> PcGuest:
    """The preinstalled appliance: the OS booted at once from an in-memory root, tools running.

    Its host name comes from guestinfo.hostname (or the VM's name), root's password from
    guestinfo.password (locked without one).
    """
    from pyesx.guestfs.memfs import MemoryFilesystem
    from vmx.guestos.osimage import configure, os_image, populate, sanitize_hostname, shadow_field

    root = MemoryFilesystem(capacity=1 << 30)
    populate(root, os_image())
    hostname = machine.guestinfo(layout.HOSTNAME_KEY) or sanitize_hostname(machine.vm_name)
    configure(root, hostname, shadow_field(machine.guestinfo(layout.PASSWORD_KEY)))
    return PcGuest(machine, appliance_root=root, restart_on_reset=restart_on_reset)

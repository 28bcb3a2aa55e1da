"""The unattended installer booted from the installer ISO.

It reads guestinfo.hostname and guestinfo.password (cloud-init's guestinfo
source), partitions the disk (MBR, one active Linux partition at
layout.PARTITION_START), formats it ext2, copies the ISO's /os tree, writes the
machine's configuration, syncs and resets the machine. A disk that already
boots is booted instead (the CD's default entry "Boot from first hard disk").
"""

from __future__ import annotations

from collections.abc import Iterator

from pyesx.guestfs.api import Filesystem
from vmx.guestos import layout
from vmx.guestos.kernel import Gen, Kernel
from vmx.guestos.vfs import strerror

MIN_DISK_BYTES = 64 << 20
BLOCK_SIZE = 4096
LABEL = "pyesx-root"


def _walk(fs: Filesystem, top: str) -> Iterator[tuple[str, bool]]:
    """(path, is_dir) under ``top``, parents first."""
    for name in fs.listdir(top):
        path = top.rstrip("/") + "/" + name
        is_dir = fs.stat(path).is_dir
        yield path, is_dir
        if is_dir:
            yield from _walk(fs, path)


def installer(kernel: Kernel, media: Filesystem) -> Gen[int]:
    """Install the OS from ``media`` onto the first disk, then reboot into it."""
    from vmx.guestos.firmware import disk_root
    from vmx.guestos.osimage import configure, ensure_dir, sanitize_hostname, shadow_field

    machine = kernel.machine
    tty = kernel.tty
    assert tty is not None

    def say(text: str) -> None:
        tty.write(text.encode())

    say(f"\n{layout.OS_NAME} {layout.OS_VERSION} installer\n\n")
    disk = machine.disk()
    if disk is None:
        say("Installation failed: no disk found. Add a virtual disk to the VM and reboot.\n")
        kernel.halt()
        return 1
    existing = disk_root(disk)
    if existing is not None:
        say("An installed system was found on /dev/sda: booting from the hard disk.\n\n")
        from vmx.guestos.boot import boot_os

        boot_os(kernel, existing, "/dev/sda1")
        return 0
    if disk.size < MIN_DISK_BYTES:
        say(
            f"Installation failed: the disk /dev/sda ({disk.size >> 20} MiB) is smaller than the "
            f"{MIN_DISK_BYTES >> 20} MiB the system needs.\nThe system is halted.\n"
        )
        kernel.halt()
        return 1
    hostname = machine.guestinfo(layout.HOSTNAME_KEY) or sanitize_hostname(machine.vm_name)
    password = machine.guestinfo(layout.PASSWORD_KEY)
    say(f"Host name: {hostname}\n")
    say(
        "Root password: "
        + ("from guestinfo.password" if password else "none given: the root account is locked")
        + "\n"
    )
    say(f"Target disk: /dev/sda ({disk.size >> 20} MiB)\n\n")
    try:
        from pyesx.guestfs.blockdev import PartitionDevice
        from pyesx.guestfs.ext2 import Ext2, mkfs
        from pyesx.guestfs.mbr import write_single_partition

        say(f"Partitioning /dev/sda: MBR, one Linux partition from {layout.PARTITION_START >> 20} MiB... ")
        part = write_single_partition(disk, layout.PARTITION_START)
        say("done\n")
        yield None
        say(f"Formatting /dev/sda1 ({part.length >> 20} MiB) as ext2... ")
        device = PartitionDevice(disk, part.start, part.length)
        mkfs(device, LABEL, BLOCK_SIZE)
        target = Ext2(device)
        say("done\n")
        yield None
        entries = list(_walk(media, layout.ISO_OS_ROOT))
        files = sum(1 for _, is_dir in entries if not is_dir)
        copied = 0
        say(f"Copying the system: {files} files\n")
        for path, is_dir in entries:
            dest = path[len(layout.ISO_OS_ROOT) :] or "/"
            if is_dir:
                ensure_dir(target, dest)
            else:
                ensure_dir(target, dest.rsplit("/", 1)[0] or "/")
                mode = 0o755 if dest.startswith(("/bin/", "/usr/bin/")) else 0o644
                target.write_file(dest, media.read_file(path), mode=mode)
                copied += 1
                if copied % 10 == 0 or copied == files:
                    say(f"  {copied}/{files} files ({100 * copied // max(files, 1)}%)\n")
            yield None
        say(
            "Writing the configuration: /etc/hostname, /etc/hosts, /etc/passwd, /etc/shadow, "
            "/etc/os-release\n"
        )
        configure(target, hostname, shadow_field(password))
        say("Syncing disks... ")
        target.sync()
        disk.flush()
        say("done\n\nInstallation complete. Rebooting.\n")
    except OSError as exc:
        say(f"\nInstallation failed: I/O error on /dev/sda: {strerror(exc)}.\n")
        say("(Is the datastore holding the virtual disk full?) The system is halted.\n")
        kernel.halt()
        return 1
    yield from kernel.sleep(1.0)
    kernel.request("reboot")
    yield None
    return 0

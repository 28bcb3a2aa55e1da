"""The installer ISO: a real ISO 9660 image (volume PYESX_INSTALL) with the OS image under /os."""

from __future__ import annotations

from typing import BinaryIO

from vmx.guestos import layout

VOLUME_ID = "PYESX_INSTALL"
BUILD_TIME = 1767225600.0  # 2026-01-01 00:00 UTC: every date in the image (reproducible builds)

INSTALL_CFG = f"""# {layout.OS_NAME} {layout.OS_VERSION} installer
# Booted from this CD, the installer runs unattended: it reads guestinfo.hostname
# and guestinfo.password from the VM's advanced settings, partitions and formats
# the first disk (MBR, ext2), copies /os, and reboots into the installed system.
mode=unattended
target=/dev/sda
filesystem=ext2
""".encode()


def installer_files() -> dict[str, bytes]:
    """The ISO's files by absolute path."""
    from vmx.guestos.osimage import os_image

    files = {layout.ISO_INSTALLER_MARKER: INSTALL_CFG}
    for path, data in os_image().items():
        files[layout.ISO_OS_ROOT + path] = data
    return dict(sorted(files.items()))


def build_installer_iso(out: BinaryIO) -> None:
    """Write the installer ISO to ``out`` (the same bytes every build)."""
    from pyesx.guestfs.iso9660 import write_iso

    write_iso(installer_files(), VOLUME_ID, out, timestamp=BUILD_TIME)

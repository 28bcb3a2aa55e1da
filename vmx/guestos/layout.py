"""The guest OS's installed layout: what the installer ISO carries and the installer writes.

The disk is MBR-partitioned with one Linux partition (type 0x83, active) at
PARTITION_START, formatted ext2. The OS image on the ISO lives under ``/os``
and is copied to the partition's root as it is. A disk boots when its MBR has
the 0x55AA signature, an active partition, and KERNEL_PATH on that partition.
Commands are built into the guest kernel; ``/bin/<name>`` holds
``#!pyesx-builtin <name>`` (delete the file and the command is gone, as on a
real system). Passwords in ``/etc/shadow`` are PBKDF2-SHA256.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

OS_NAME = "PyESX Linux"
OS_VERSION = "1.0"
OS_FULL_NAME = f"{OS_NAME} {OS_VERSION} (64-bit)"
TOOLS_VERSION = "12.3.0"  # VMware Tools numbering
PARTITION_START = 1 << 20  # bytes: the first partition starts at 1 MiB (LBA 2048)
KERNEL_PATH = "/boot/vmlinuz-pyesx"
TOOLS_DAEMON_PATH = "/usr/bin/vmtoolsd"
ISO_OS_ROOT = "/os"  # the OS image's root on the installer ISO
ISO_INSTALLER_MARKER = "/INSTALL.CFG"  # present on an installer ISO: the firmware boots the installer
BUILTIN_PREFIX = b"#!pyesx-builtin "
INSTALLER_ISO_NAME = "guest-installer.iso"  # placed at [datastore1] iso/ at host install
HOSTNAME_KEY = "guestinfo.hostname"
PASSWORD_KEY = "guestinfo.password"
PBKDF2_ROUNDS = 20_000


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4))


def hash_password(password: str, salt: bytes | None = None) -> str:
    """A /etc/shadow password field: ``$pbkdf2-sha256$<rounds>$<salt>$<hash>`` (base64, no padding)."""
    salt = salt if salt is not None else os.urandom(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, PBKDF2_ROUNDS)
    return f"$pbkdf2-sha256${PBKDF2_ROUNDS}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, field: str) -> bool:
    """Whether ``password`` matches a shadow field made by hash_password (False for any other form)."""
    parts = field.split("$")
    if len(parts) != 5 or parts[1] != "pbkdf2-sha256" or not parts[2].isdigit():
        return False
    try:
        salt, expected = _unb64(parts[3]), _unb64(parts[4])
    except ValueError:
        return False
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, int(parts[2]))
    return hmac.compare_digest(digest, expected)

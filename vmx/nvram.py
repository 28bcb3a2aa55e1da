"""The VM's firmware settings: ``<vm>.nvram`` beside its .vmx, and which guest its firmware runs.

ESXi keeps the BIOS's settings in the VM's nvram file; ours is text in the
.vmx format (``bootOrder = "hdd,cdrom"``), written by the vmx when the VM
first powers on and read by the firmware at every boot. The .vmx key
``bios.bootOrder`` (as on ESXi) overrides it.

The .vmx key ``firmware`` chooses what runs: ``bios`` is a PC's firmware,
which boots from the disk or the CD-ROM (an empty VM says "No operating system
found"; the installer ISO installs the guest OS); absent (or ``appliance``),
the VM runs the preinstalled appliance: the same guest OS booted at once from
firmware, with its tools (what VMs created without an OS are for: workloads,
benchmarks, tests).
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from pathlib import Path

from pyesx.atomic import atomic_write
from pyesx.vmxfile import VmxConfig, VmxParseError

FIRMWARE_KEY = "firmware"
BOOT_ORDER_KEY = "bios.bootOrder"
DEVICES = ("hdd", "cdrom")
DEFAULT_BOOT_ORDER = ("hdd", "cdrom")


def runs_bios(config: Mapping[str, str]) -> bool:
    """Whether the VM's firmware is a PC BIOS (else: the preinstalled appliance)."""
    for key, value in config.items():
        if key.lower() == FIRMWARE_KEY:
            return value.strip().lower() in ("bios", "efi")
    return False


def nvram_path(vmx_path: str | Path) -> Path:
    path = Path(vmx_path)
    return path.with_name(f"{path.stem}.nvram")


def parse_boot_order(text: str) -> list[str]:
    """The known devices of a boot order ("cdrom,hdd"), in order, each once; unknown ones skipped."""
    order: list[str] = []
    for part in text.split(","):
        device = part.strip().lower()
        if device in DEVICES and device not in order:
            order.append(device)
    return order


def boot_order(vmx_path: str | Path) -> list[str]:
    """The firmware's boot order: ``bios.bootOrder`` from the .vmx, else the nvram's (written with
    the default when missing or unreadable)."""
    vmx = Path(vmx_path)
    try:
        config = VmxConfig.parse(vmx.read_text(), str(vmx))
    except (OSError, VmxParseError):
        config = VmxConfig()
    override = parse_boot_order(config.get(BOOT_ORDER_KEY, ""))
    if override:
        return override
    nvram = nvram_path(vmx)
    try:
        stored = parse_boot_order(VmxConfig.parse(nvram.read_text(), str(nvram)).get("bootOrder", ""))
    except (OSError, VmxParseError):
        stored = []
    if stored:
        return stored
    default = VmxConfig({"bootOrder": ",".join(DEFAULT_BOOT_ORDER)})
    with contextlib.suppress(OSError):  # a read-only folder: boot with the default all the same
        atomic_write(nvram, default.render())
    return list(DEFAULT_BOOT_ORDER)


def guestinfo(vmx_path: str | Path, key: str) -> str | None:
    """A ``guestinfo.*`` variable of the VM (its .vmx, read now), as VMware's rpctool reads it."""
    if not key.lower().startswith("guestinfo."):
        return None
    vmx = Path(vmx_path)
    try:
        config = VmxConfig.parse(vmx.read_text(), str(vmx))
    except (OSError, VmxParseError):
        return None
    return config.get(key)

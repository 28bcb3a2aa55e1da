"""CD/DVD drives in ESXi's .vmx keys, read by hostd and by the vmx.

A drive with an ISO file::

    ide1:0.present = "TRUE"
    ide1:0.deviceType = "cdrom-image"
    ide1:0.fileName = "/…/vmfs/volumes/datastore1/iso/x.iso"
    ide1:0.startConnected = "TRUE"

A drive with no media has ``deviceType = "atapi-cdrom"`` and an empty
``fileName``. ``fileName`` is absolute (an ISO elsewhere on a datastore) or
relative to the VM's folder, as a disk's is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from pyesx.faults import InvalidArgument
from pyesx.vmxfile import VmxConfig

ISO_IMAGE = "cdrom-image"
NO_MEDIA = "atapi-cdrom"
SLOTS = ("ide1:0", "ide1:1", "ide0:0", "ide0:1")  # where new drives go, in order
_PRESENT = re.compile(r"^(ide|sata)(\d):(\d+)\.present$", re.IGNORECASE)


def _true(value: str) -> bool:
    return value.strip().lower() in ("true", "1", "yes")


@dataclass(frozen=True)
class CdDrive:
    key: str  # "ide1:0"
    iso_path: str  # the .vmx's fileName: absolute, or relative to the VM's folder; "" = no media
    start_connected: bool
    device_type: str = ISO_IMAGE

    @property
    def no_media(self) -> bool:
        return self.device_type.lower() != ISO_IMAGE or not self.iso_path

    def media_path(self, vm_folder: Path) -> Path | None:
        """The ISO's absolute host path (None: no media)."""
        return None if self.no_media else vm_folder / self.iso_path


def _sort_key(key: str) -> tuple[str, int, int]:
    bus, _, unit = key.partition(":")
    return bus.rstrip("0123456789").lower(), int(bus[-1]), int(unit)


def cd_drives(config: VmxConfig) -> list[CdDrive]:
    """The VM's CD/DVD drives, IDE before SATA, by bus and unit."""
    found = []
    for name in config:
        match = _PRESENT.match(name)
        if not match or not _true(config[name]):
            continue
        key = f"{match[1].lower()}{match[2]}:{match[3]}"
        device_type = config.get(f"{key}.deviceType", "")
        if device_type.lower() in (ISO_IMAGE, NO_MEDIA) or device_type.lower().startswith("cdrom"):
            found.append(
                CdDrive(
                    key,
                    config.get(f"{key}.fileName", ""),
                    _true(config.get(f"{key}.startConnected", "FALSE")),
                    device_type,
                )
            )
    return sorted(found, key=lambda d: _sort_key(d.key))


def add_cd_drive(config: VmxConfig, file_name: str = "", start_connected: bool = False) -> str:
    """Add a drive at the first free IDE slot; its key. InvalidArgument when all four are taken."""
    used = {k.split(".")[0].lower() for k in config if _PRESENT.match(k) and _true(config[k])}
    key = next((slot for slot in SLOTS if slot not in used), None)
    if key is None:
        raise InvalidArgument("cdDrive", f"a VM has at most {len(SLOTS)} IDE CD/DVD drives")
    config[f"{key}.present"] = "TRUE"
    set_media(config, key, file_name)
    config[f"{key}.startConnected"] = "TRUE" if start_connected else "FALSE"
    return key


def set_media(config: VmxConfig, key: str, file_name: str) -> None:
    """An ISO file for the drive ("" = no media)."""
    config[f"{key}.deviceType"] = ISO_IMAGE if file_name else NO_MEDIA
    config[f"{key}.fileName"] = file_name


def set_start_connected(config: VmxConfig, key: str, start_connected: bool) -> None:
    config[f"{key}.startConnected"] = "TRUE" if start_connected else "FALSE"

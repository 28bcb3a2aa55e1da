"""CD/DVD drives in hostd: ISO paths checked against the datastores, drives planned into the .vmx.

The API names an ISO as ``[datastore1] iso/x.iso``; the .vmx holds its absolute
host path (as ESXi writes ``/vmfs/volumes/…``). Drives are added and removed
while the VM is powered off; the media, the connection (a running VM's) and
start-connected change at any time, a running VM's at once through its vmx.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pyesx import faults
from pyesx.cdconfig import CdDrive, add_cd_drive, cd_drives, set_media, set_start_connected
from pyesx.layout import HostLayout
from pyesx.vmxfile import VmxConfig


@dataclass(frozen=True)
class NewCdDrive:
    """A drive to add: its ISO ("" = no media) and whether it connects at power-on."""

    iso_path: str = ""
    start_connected: bool = False


@dataclass(frozen=True)
class CdDriveChange:
    """A drive's new ISO or no media, connection now (running VMs), start-connected (None: unchanged)."""

    key: str
    iso_path: str | None = None
    no_media: bool | None = None
    connected: bool | None = None
    start_connected: bool | None = None

    @property
    def live(self) -> bool:
        """Whether a running VM's vmx must hear of it."""
        return self.iso_path is not None or bool(self.no_media) or self.connected is not None


def iso_host_path(layout: HostLayout, iso_path: str) -> str:
    """The host path of ``[ds] path/x.iso``: InvalidArgument for a path that is malformed, leaves the
    datastore, or names no .iso file; NotFound for an unknown datastore; FileNotFound if it is missing."""
    target = layout.resolve(iso_path)
    if not target.name.lower().endswith(".iso"):
        raise faults.InvalidArgument("isoPath", f"'{iso_path}' is not an .iso file")
    if not target.exists():
        raise faults.FileNotFound(iso_path)
    try:
        layout.datastore_path(target.resolve())  # a symlink may not lead out of the datastores
    except ValueError:
        raise faults.InvalidArgument("isoPath", f"'{iso_path}' leaves the datastore") from None
    if not target.is_file():
        raise faults.InvalidArgument("isoPath", f"'{iso_path}' is not a file")
    return str(target)


def api_iso_path(layout: HostLayout, vm_folder: Path, drive: CdDrive) -> str:
    """A drive's ISO as the API shows it (``[ds] rel``); "" for no media."""
    path = drive.media_path(vm_folder)
    if path is None:
        return ""
    try:
        return layout.datastore_path(path)
    except ValueError:
        return str(path)  # outside every datastore (a hand-edited .vmx): shown as it is


def plan_cd_drives(
    layout: HostLayout,
    config: VmxConfig,
    vm_name: str,
    add: list[NewCdDrive],
    change: list[CdDriveChange],
    running: bool,
    running_state: str,
) -> None:
    """Apply the drive changes to ``config`` (a copy) or raise the fault."""
    for new in add:
        host_path = iso_host_path(layout, new.iso_path) if new.iso_path else ""
        add_cd_drive(config, host_path, new.start_connected)
    keys = {d.key for d in cd_drives(config)}
    for item in change:
        if item.key not in keys:
            raise faults.InvalidArgument("deviceKey", f"{vm_name} has no CD/DVD drive '{item.key}'")
        if item.iso_path is not None and item.no_media:
            raise faults.InvalidArgument("isoPath", "a drive gets an ISO file or no media, not both")
        if item.iso_path is not None:
            set_media(config, item.key, iso_host_path(layout, item.iso_path))
        elif item.no_media:
            set_media(config, item.key, "")
        if item.start_connected is not None:
            set_start_connected(config, item.key, item.start_connected)
        if item.connected is not None and not running:
            raise faults.InvalidPowerState(
                "poweredOn",
                running_state,
                "Only a powered-on VM's CD/DVD drive can be connected or disconnected.",
            )


def cd_keys(config: VmxConfig) -> set[str]:
    return {d.key for d in cd_drives(config)}


def media_host_path(config: VmxConfig, vm_folder: Path, key: str) -> str:
    drive = next(d for d in cd_drives(config) if d.key == key)
    path = drive.media_path(vm_folder)
    return "" if path is None else str(path)


def starts_connected(vm_folder: Path, drive: CdDrive) -> bool:
    """Whether the vmx connects the drive at power-on (start-connected, with an ISO that is there)."""
    path = drive.media_path(vm_folder)
    return drive.start_connected and path is not None and path.is_file()

"""The CD-ROM media as the guest on vCPU 0 sees it: the ISO file the vmx opened and handed over."""

from __future__ import annotations

from typing import Any

from pyesx.guestfs.blockdev import FileBlockDevice
from pyesx.guestfs.iso9660 import IsoFilesystem


class GuestCdrom:
    """The media in the drive (none at first); the world owns the fd it was given."""

    def __init__(self) -> None:
        self.device: FileBlockDevice | None = None
        self.volume_id = ""
        self.path = ""  # the host path, for the logs only: the guest reads the fd

    def insert(self, fd: int, path: str = "") -> None:
        """New media (the previous one is ejected); the fd is this object's to close."""
        self.eject()
        self.device = FileBlockDevice(fd, read_only=True)
        self.path = path
        try:
            self.volume_id = IsoFilesystem(self.device).volume_id
        except OSError:
            self.volume_id = ""  # not an ISO 9660 image: the guest sees the bytes, no file system

    def eject(self) -> None:
        if self.device is not None:
            self.device.close()
        self.device, self.volume_id, self.path = None, "", ""

    def status(self) -> dict[str, Any]:
        """``present``, ``size_bytes`` and ``volume_id`` of the media."""
        size = self.device.size if self.device is not None else 0
        return {"present": self.device is not None, "size_bytes": size, "volume_id": self.volume_id}

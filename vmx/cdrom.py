"""The VM's CD-ROM drives as the vmx runs them (non-critical I/O stays in the vmx).

The vmx opens a connected drive's ISO read-only and hands the open fd to the
VMM world of vCPU 0 (``media`` on its control channel, SCM_RIGHTS), where the
guest reads it as a block device. The guest sees the first drive's media.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

from pyesx import faults
from pyesx.cdconfig import CdDrive
from pyesx.logs import get_logger
from vmx.worlds import VmmWorlds

_log = get_logger("vmx")


class CdromDrives:
    def __init__(self, worlds: VmmWorlds, vm_folder: Path, drives: list[CdDrive]) -> None:
        self.worlds = worlds
        self.drives = {d.key: d for d in drives}
        self.media: dict[str, tuple[str, bool]] = {  # key -> (host path or "", connected now)
            d.key: (str(d.media_path(vm_folder) or ""), False) for d in drives
        }
        self.guest_key = drives[0].key if drives else ""

    async def power_on(self) -> None:
        """Connect the drives that start connected; a missing ISO leaves its drive disconnected."""
        for key, drive in self.drives.items():
            path, _ = self.media[key]
            if drive.start_connected and path:
                try:
                    await self.set(key, path, True)
                except faults.VimFault as fault:
                    _log.warning("vmx.cdrom_not_connected", key=key, path=path, reason=fault.message)

    def connected(self, key: str) -> bool:
        return self.media.get(key, ("", False))[1]

    async def set(self, key: str, path: str, connected: bool) -> dict[str, Any]:
        """The drive's media (path "" = none) and connection; what the guest now sees
        (``present``, ``size_bytes``, ``volume_id``). FileNotFound / InvalidArgument: nothing changed."""
        fd = _open_iso(path) if connected and path else -1
        try:
            seen: dict[str, Any] = {"present": False, "size_bytes": 0, "volume_id": ""}
            if not self.guest_key:
                self.guest_key = key
            if key == self.guest_key and self.worlds.worlds:
                world = self.worlds.worlds[0]
                if fd >= 0:
                    answer = await world.request_with_fd("media", fd, key=key, path=path)
                else:
                    answer = await world.request("media", fd=False, key=key)
                if "error" in answer:
                    raise faults.InvalidState(f"the guest refused the media: {answer['error']}")
                seen = answer.get("cdrom", seen)
        finally:
            if fd >= 0:
                os.close(fd)
        self.media[key] = (path, connected)
        _log.info("vmx.cdrom_media", key=key, path=path, connected=connected, **seen)
        return seen


def _open_iso(path: str) -> int:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        raise faults.FileNotFound(path) from None
    except OSError as exc:
        raise faults.InvalidArgument("isoPath", f"'{path}' cannot be opened: {exc.strerror}") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise faults.InvalidArgument("isoPath", f"'{path}' is not a file")
    return fd

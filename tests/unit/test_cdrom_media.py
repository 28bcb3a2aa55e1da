"""The vmx hands the ISO's open fd to vCPU 0 (SCM_RIGHTS); the guest reads the media through it."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from pyesx import faults
from pyesx.cdconfig import CdDrive
from pyesx.checkpoint import VcpuState
from pyesx.guestfs.iso9660 import IsoFilesystem, write_iso
from vmx.cdrom import CdromDrives
from vmx.guest import SimGuest
from vmx.worlds import VmmWorld, VmmWorlds

pytestmark = pytest.mark.timeout(20)


def make_iso(path: Path, volume_id: str, files: dict[str, bytes]) -> int:
    with open(path, "wb") as out:
        write_iso(files, volume_id, out)
    return path.stat().st_size


class World:
    """A SimGuest on a thread, its control channel's other end a VmmWorld."""

    def __init__(self) -> None:
        self.guest = SimGuest(VcpuState(0))
        self.changes = 0
        self.guest.media_listener = self._changed
        ours, self.theirs = socket.socketpair()
        self.thread = threading.Thread(target=self.guest.run, args=(self.theirs,), daemon=True)
        self.world = VmmWorld(0, 0, ours)

    def _changed(self) -> None:
        self.changes += 1

    async def start(self) -> None:
        self.thread.start()
        self.world.control.setblocking(False)
        self.world.reader, self.world.writer = await asyncio.open_connection(sock=self.world.control)

    async def stop(self) -> None:
        assert self.world.writer is not None
        self.world.writer.write(b'{"op": "stop"}\n')
        await self.world.writer.drain()
        await asyncio.to_thread(self.thread.join, 10)
        self.world.writer.close()
        self.guest.close_devices()
        self.theirs.close()


@pytest.fixture
async def world() -> AsyncIterator[World]:
    w = World()
    await w.start()
    yield w
    await w.stop()


async def test_media_reaches_the_guest_and_changes(world: World, tmp_path: Path) -> None:
    first = make_iso(tmp_path / "a.iso", "FIRST", {"/INSTALL.CFG": b"x", "/os/etc/hostname": b"guest\n"})
    second = make_iso(tmp_path / "b.iso", "SECOND", {"/big": bytes(100_000)})
    worlds = VmmWorlds("vm-1", "web01", str(tmp_path))
    worlds.worlds.append(world.world)
    drives = CdromDrives(worlds, tmp_path, [CdDrive("ide1:0", "a.iso", True)])
    assert world.guest.cdrom_device() is None

    await drives.power_on()
    status = await world.world.request("status")
    assert status["cdrom"] == {"present": True, "size_bytes": first, "volume_id": "FIRST"}
    media = world.guest.cdrom_device()
    assert media is not None
    assert IsoFilesystem(media).read_file("/os/etc/hostname") == b"guest\n"

    seen = await drives.set("ide1:0", str(tmp_path / "b.iso"), True)
    assert seen == {"present": True, "size_bytes": second, "volume_id": "SECOND"}
    assert (await world.world.request("status"))["cdrom"]["volume_id"] == "SECOND"
    assert drives.connected("ide1:0")

    seen = await drives.set("ide1:0", str(tmp_path / "b.iso"), False)
    assert seen["present"] is False and world.guest.cdrom_device() is None
    assert world.changes == 3

    with pytest.raises(faults.FileNotFound):
        await drives.set("ide1:0", str(tmp_path / "gone.iso"), True)
    with pytest.raises(faults.InvalidArgument):
        await drives.set("ide1:0", str(tmp_path), True)
    assert (await world.world.request("status"))["cdrom"]["present"] is False  # nothing changed


async def test_a_missing_iso_leaves_the_drive_disconnected_at_power_on(world: World, tmp_path: Path) -> None:
    worlds = VmmWorlds("vm-1", "web01", str(tmp_path))
    worlds.worlds.append(world.world)
    drives = CdromDrives(worlds, tmp_path, [CdDrive("ide1:0", "missing.iso", True)])
    await drives.power_on()
    assert not drives.connected("ide1:0")
    assert (await world.world.request("status"))["cdrom"]["present"] is False

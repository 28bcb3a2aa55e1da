"""The simulated guest's disk workload against the real storage service (in a thread of this process,
which plays the VM's world): blocks built in the shared buffer region land whole, reads check out."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

import pytest

from pyesx.guestsim import DiskWorkload
from vmkernel.storage import create_disk
from vmkernel.storage.io_service import DiskIoService, DiskSpec
from vmx.guestdisk import FILL, HEADER, GuestDiskWorkload, parse_block

pytestmark = pytest.mark.timeout(60)
MIB = 1 << 20
DISK = 8 * MIB

Run = Callable[[Coroutine[Any, Any, Any]], Any]


@pytest.fixture
def storage(tmp_path: Path) -> Iterator[Run]:
    """The storage service with VM ``vm-g``'s 8 MiB disk, its loop in a thread."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    def run(coroutine: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, loop).result(timeout=20)

    create_disk(tmp_path / "g.vmdk", DISK).close()
    io = DiskIoService(tmp_path / "storage.sock", lambda datastore: 0.0, lambda vm, pid: pid == os.getpid())

    async def start() -> None:
        await io.serve()
        await io.attach("vm-g", [DiskSpec("scsi0:0", tmp_path / "g.vmdk", "persistent", "datastore1")])

    run(start())
    yield run
    run(io.close())
    loop.call_soon_threadsafe(loop.stop)
    thread.join()
    loop.close()


def drive(guest: GuestDiskWorkload, done: Callable[[], bool], what: str) -> None:
    """Run the guest's workload (as its VMM world's loop does) until ``done``."""
    deadline = time.monotonic() + 30
    while not done():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        if guest.due() == 0.0:
            guest.step(0.01)


def blocks_in(flat: Path, size: int) -> dict[int, bytes]:
    """offset -> content of every block of ``size`` the guest wrote (a header) in the extent file."""
    data = flat.read_bytes()
    return {
        offset: data[offset : offset + size]
        for offset in range(0, len(data), size)
        if parse_block(data[offset : offset + size]) is not None
    }


def test_blocks_built_in_the_shared_region_land_whole_and_read_back_verified(
    storage: Run, tmp_path: Path
) -> None:
    guest = GuestDiskWorkload(str(tmp_path / "storage.sock"), "vm-g", DiskWorkload(-1, "randrw", 4, 8))
    try:
        drive(guest, lambda: guest.counters.reads >= 300 and guest.counters.writes >= 300, "random I/O")
        written = blocks_in(tmp_path / "g-flat.vmdk", 4096)
        assert len(written) > 100
        for offset, block in written.items():
            parsed = parse_block(block)
            assert parsed is not None and parsed[0] == offset // 4096  # at the offset its header names
            assert block[HEADER.size :] == bytes([FILL]) * (4096 - HEADER.size)  # never a read's leftovers
        guest.set_workload(DiskWorkload(-1, "seqwrite", 64, 4))
        before = guest.counters.writes
        drive(guest, lambda: guest.counters.writes >= before + DISK // (64 << 10), "a whole sweep of 64 KiB")
        guest.set_workload(DiskWorkload(-1, "seqread", 64, 4))
        before = guest.counters.reads
        drive(guest, lambda: guest.counters.reads >= before + 200, "sequential reads")
        assert (guest.counters.errors, guest.counters.verify_errors) == (0, 0)
        assert len(blocks_in(tmp_path / "g-flat.vmdk", 64 << 10)) == DISK // (64 << 10)
    finally:
        guest.close()

"""The simulated guest's disk workload (on vCPU 0): real I/Os through the VMkernel's storage stack.

Each block the guest writes starts with a header naming it, so what lands on
disk can be checked from outside::

    b"PYESXBLK" | lba u64 | seq u64 | vm id (16 bytes, padded) | then 0xA5 bytes

``lba`` is the block's number (offset / block size) and ``seq`` the write's
number in this guest's life. A read of a block checks its header (a block
never written reads as zeros). The workload is paced at ``iops`` per second
(or back to back with ``-1``), with up to ``queue_depth`` I/Os in flight; a
failed I/O (a full datastore: ENOSPC) stops the workload for a second (the VM is
stunned as ESXi stuns it), then it goes on.

The blocks live in the world's buffer region shared with the VMkernel
(``pyesx.diskio``), one slot per I/O in flight: a write is built in its slot
and the VMkernel takes it from there, a read lands in its slot and is checked
there. No block crosses the socket, and none is copied in this process.
"""

from __future__ import annotations

import errno
import os
import random
import struct
import time
from dataclasses import dataclass, field

from pyesx.diskio import OP_READ, OP_WRITE, DiskClient
from pyesx.guestsim import MAX_BLOCK_KB, MAX_QUEUE_DEPTH, DiskWorkload

MAGIC = b"PYESXBLK"
HEADER = struct.Struct("!8sQQ16s")
STUN_RETRY_S = 1.0
CONNECT_RETRY_S = 0.1
MAX_BURST = 64  # I/Os one period may issue while catching up
BUFFER_BYTES = MAX_QUEUE_DEPTH * MAX_BLOCK_KB * 1024  # a slot per I/O in flight, whatever the workload


FILL = 0xA5


def stamp_block(block: bytearray | memoryview, lba: int, seq: int, vm_id: str) -> None:
    """Write block ``lba``'s header for write number ``seq`` over a block already filled with FILL."""
    HEADER.pack_into(block, 0, MAGIC, lba, seq, vm_id.encode()[:16].ljust(16, b"\0"))


def parse_block(data: bytes | bytearray | memoryview) -> tuple[int, int] | None:
    """(lba, seq) of a block the guest wrote, or None (never written: zeros)."""
    if len(data) < HEADER.size:
        return None
    magic, lba, seq, _ = HEADER.unpack_from(data)
    return (lba, seq) if magic == MAGIC else None


@dataclass
class DiskCounters:
    reads: int = 0
    writes: int = 0
    errors: int = 0
    verify_errors: int = 0
    last_acked_seq: int = 0  # the newest write the storage stack acknowledged
    stunned: str = ""  # why the workload is held ("" when it runs)
    recent: dict[int, int] = field(default_factory=dict)  # lba -> seq of the latest acknowledged writes


class GuestDiskWorkload:
    """The workload on one VM's first disk, driven from the VMM world's loop."""

    def __init__(self, socket_path: str, vm_id: str, workload: DiskWorkload) -> None:
        self.socket_path, self.vm_id = socket_path, vm_id
        self.workload = workload
        self.counters = DiskCounters()
        self._client: DiskClient | None = None
        self._capacity = 0
        self._credit = 0.0
        self._last = time.monotonic()
        self._hold_until = 0.0
        self._seq = 0
        #: writes the storage stack refused (the VM was stunned): issued again first, as ESXi
        #: reissues a stunned VM's I/O after Retry, so the guest never loses a write it was not told of
        self._reissue: list[tuple[int, int]] = []
        self._cursor = 0
        self._inflight: dict[int, tuple[int, int, int]] = {}  # tag -> (lba, write seq or 0: a read, slot)
        self._free_slots: list[int] = []
        self._filled: list[int] = []  # per slot: the block size it holds FILL for (0: not filled)
        self._random = random.Random(os.getpid())

    def set_workload(self, workload: DiskWorkload) -> None:
        self.workload = workload
        self._credit, self._last = 0.0, time.monotonic()

    def _connect(self) -> bool:
        try:
            self._client = DiskClient(self.socket_path, self.vm_id, buffer_bytes=BUFFER_BYTES)
        except (OSError, PermissionError):  # the VMkernel does not know this world yet: try again soon
            self._hold_until = time.monotonic() + CONNECT_RETRY_S
            return False
        self._capacity = self._client.disks[0].capacity_bytes if self._client.disks else 0
        self._free_slots = list(range(MAX_QUEUE_DEPTH - 1, -1, -1))
        self._filled = [0] * MAX_QUEUE_DEPTH
        return True

    def due(self) -> float | None:
        """Seconds until the next I/O is due (None: no workload)."""
        if not self.workload.iops:
            return None
        now = time.monotonic()
        if now < self._hold_until:
            return self._hold_until - now
        if self.workload.iops < 0:
            return 0.0
        available = self._credit + (now - self._last) * self.workload.iops
        return 0.0 if available >= 1 else (1 - available) / self.workload.iops

    def step(self, budget_s: float) -> None:
        """Issue the I/Os due now, for at most ``budget_s`` seconds."""
        now = time.monotonic()
        if not self.workload.iops or now < self._hold_until:
            return
        self.counters.stunned = ""  # held long enough: try again (the user answered Retry)
        if self._client is None and not self._connect():
            return
        if not self._capacity:
            self.workload = DiskWorkload()  # a VM without a disk has nothing to do
            return
        if self.workload.iops > 0:
            self._credit = min(MAX_BURST, self._credit + (now - self._last) * self.workload.iops)
        self._last = now
        deadline = now + budget_s
        try:
            self._run_until(deadline)
        except (OSError, ConnectionError):
            self.close()  # the storage stack went away (a snapshot reopens it): reconnect
            self._inflight.clear()
            self._hold_until = time.monotonic() + CONNECT_RETRY_S

    def _run_until(self, deadline: float) -> None:
        """Keep up to the workload's queue depth of I/Os in flight while they are due, then take the
        answers; a failed I/O stops new ones (the VM is stunned) until STUN_RETRY_S later."""
        assert self._client is not None
        depth = self.workload.queue_depth
        while True:
            due = self.workload.iops < 0 or self._credit >= 1
            if (
                due
                and len(self._inflight) < depth
                and time.monotonic() < deadline
                and not self.counters.stunned
            ):
                self._credit -= 1
                self._submit_one()
                continue
            if not self._inflight:
                return
            self._complete_one()
            if self.counters.stunned and not self._inflight:
                self._hold_until = time.monotonic() + STUN_RETRY_S
                return

    def _submit_one(self) -> None:
        assert self._client is not None
        size = self.workload.block_kb * 1024
        blocks = max(1, self._capacity // size)
        pattern = self.workload.pattern
        seq = 0
        if self._reissue:
            (lba, seq), write = self._reissue.pop(0), True
        else:
            if pattern.startswith("seq"):
                lba, self._cursor = self._cursor, (self._cursor + 1) % blocks
            else:
                lba = self._random.randrange(blocks)
            write = pattern in ("randwrite", "seqwrite") or (
                pattern == "randrw" and self._random.random() < 0.5
            )
        slot = self._free_slots.pop()
        start = slot * MAX_BLOCK_KB * 1024
        if write:
            if not seq:
                self._seq += 1
                seq = self._seq
            block = self._client.buffer[start : start + size]
            if self._filled[slot] != size:  # the slot held a read, or blocks of another size
                block[:] = bytes([FILL]) * size
                self._filled[slot] = size
            stamp_block(block, lba, seq, self.vm_id)
            tag = self._client.submit(OP_WRITE, 0, lba * size, size, start)
            self._inflight[tag] = (lba, seq, slot)
        else:
            self._filled[slot] = 0
            self._inflight[self._client.submit(OP_READ, 0, lba * size, size, start)] = (lba, 0, slot)

    def _complete_one(self) -> None:
        assert self._client is not None
        tag, status = self._client.complete()
        if tag not in self._inflight:
            raise ConnectionError(f"an answer for request {tag}, which is not in flight")
        lba, seq, slot = self._inflight.pop(tag)
        self._free_slots.append(slot)
        if status < 0:
            self.counters.errors += 1
            if seq:
                self._reissue.append((lba, seq))
            self.counters.stunned = (
                "no space left on the datastore" if -status == errno.ENOSPC else os.strerror(-status)
            )
            return
        if seq:
            self.counters.writes += 1
            self.counters.last_acked_seq = max(self.counters.last_acked_seq, seq)
            self._remember(lba, seq)
        else:
            self.counters.reads += 1
            start = slot * MAX_BLOCK_KB * 1024
            self._verify(lba, self._client.buffer[start : start + self.workload.block_kb * 1024])

    def _remember(self, lba: int, seq: int) -> None:
        recent = self.counters.recent
        recent[lba] = seq
        if len(recent) > 4096:
            del recent[next(iter(recent))]

    def _verify(self, lba: int, data: memoryview) -> None:
        parsed = parse_block(data)
        if parsed is None:
            if lba in self.counters.recent or bytes(data) != bytes(len(data)):
                self.counters.verify_errors += 1
            return
        got_lba, seq = parsed
        expected = self.counters.recent.get(lba)
        if got_lba != lba or (expected is not None and seq != expected):
            self.counters.verify_errors += 1

    def status(self) -> dict[str, object]:
        c = self.counters
        return {
            "reads": c.reads,
            "writes": c.writes,
            "errors": c.errors,
            "verify_errors": c.verify_errors,
            "last_acked_seq": c.last_acked_seq,
            "stunned": c.stunned,
        }

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

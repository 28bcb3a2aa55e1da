"""Copy-on-write snapshot deltas (``-00000N-delta.vmdk``): the grains written since the snapshot.

File layout (little-endian)::

    0        header, 4 KiB: magic "PYESXCOW", format version 1, grain size 4096,
             capacity in sectors, bitmap offset and size, data offset, CRC-32
    4096     grain bitmap: bit g = byte g // 8, bit g % 8 (LSB first); 1 = the
             delta holds grain g. Padded to a multiple of 4 KiB.
    data     grain g at data_offset + g * 4096 (a sparse file: absent grains
             are holes, so the delta only takes the space of what was written)

Reads take present grains from the delta and the rest from the parent. A
write to an absent grain first copies the rest of that grain up from the
parent (read-modify-write), then writes the whole grain and marks it present.

Crash safety. A first write to a grain (an allocation):
  1. the grain's data is written in place (pwrite), then fdatasync;
  2. its bit is set and its bitmap page written (pwrite) before the write is
     acknowledged.
So a VMkernel crash (the process killed: the OS keeps what was written) loses
no acknowledged write, as a flat disk loses none; and a bit never reaches the
file before its grain's data is durable. ``flush`` (and ``close``) fdatasyncs
the rest: rewrites of present grains and the bitmap pages. A power loss before
that leaves each new bit old or new, and every new bit points at durable
data; a grain whose bit was lost reads from the parent as before the write.
Grains already present are rewritten in place, like a flat disk.
"""

from __future__ import annotations

import errno
import heapq
import os
import struct
import weakref
import zlib
from collections.abc import Iterator
from pathlib import Path

from pyesx.faults import InvalidState
from vmkernel.storage.extent import (
    FILE_MODE,
    Buffer,
    CorruptExtentError,
    Extent,
    check_range,
    pread_full,
    preadv_full,
    pwrite_full,
)
from vmkernel.storage.locks import fsync_dir, open_locked, unlink_quietly
from vmkernel.storage.vmdk import SECTOR_SIZE

MAGIC = b"PYESXCOW"
FORMAT_VERSION = 1
GRAIN_SIZE = 4096
HEADER_SIZE = 4096
PAGE_SIZE = 4096
_HEADER = struct.Struct("<8sIIQQQQ")  # magic, version, grain size, sectors, bitmap offset/bytes, data offset
_CRC = struct.Struct("<I")


def delta_layout(capacity_bytes: int) -> tuple[int, int]:
    """(bitmap bytes, data offset) of a delta for a disk of ``capacity_bytes``."""
    grains = -(-capacity_bytes // GRAIN_SIZE)
    bitmap_bytes = -(-grains // (8 * PAGE_SIZE)) * PAGE_SIZE
    return bitmap_bytes, HEADER_SIZE + bitmap_bytes


def _header(capacity_bytes: int) -> bytes:
    bitmap_bytes, data_offset = delta_layout(capacity_bytes)
    fields = _HEADER.pack(
        MAGIC,
        FORMAT_VERSION,
        GRAIN_SIZE,
        capacity_bytes // SECTOR_SIZE,
        HEADER_SIZE,
        bitmap_bytes,
        data_offset,
    )
    return (fields + _CRC.pack(zlib.crc32(fields))).ljust(HEADER_SIZE, b"\0")


class _Bitmap:
    """The grain bitmap, paged in on demand; changed pages stay in memory until ``write_dirty``."""

    def __init__(self, fd: int, offset: int, size: int, grains: int) -> None:
        self._fd, self._offset, self._size, self.grains = fd, offset, size, grains
        self._pages: dict[int, bytearray] = {}
        self._dirty: set[int] = set()

    def _page(self, index: int) -> bytearray:
        page = self._pages.get(index)
        if page is None:
            page = self._pages[index] = bytearray(
                pread_full(self._fd, PAGE_SIZE, self._offset + index * PAGE_SIZE)
            )
        return page

    def __contains__(self, grain: int) -> bool:
        byte = grain // 8
        return bool(self._page(byte // PAGE_SIZE)[byte % PAGE_SIZE] >> (grain % 8) & 1)

    def add(self, grain: int) -> None:
        byte = grain // 8
        index = byte // PAGE_SIZE
        self._page(index)[byte % PAGE_SIZE] |= 1 << (grain % 8)
        self._dirty.add(index)

    @property
    def dirty(self) -> bool:
        return bool(self._dirty)

    def write_pages(self, grains: range, path: Path) -> None:
        """Write the pages holding these grains' bits now (they stay dirty until ``write_dirty``)."""
        for index in sorted({grain // 8 // PAGE_SIZE for grain in grains}):
            pwrite_full(self._fd, self._pages[index], self._offset + index * PAGE_SIZE, path)

    def write_dirty(self, path: Path) -> None:
        for index in sorted(self._dirty):
            pwrite_full(self._fd, self._pages[index], self._offset + index * PAGE_SIZE, path)
        self._dirty.clear()

    def runs(self, first: int, last: int) -> Iterator[tuple[int, int, bool]]:
        """(start, stop, present) for the runs of grains with the same state in [first, last]."""
        start, state = first, first in self
        for grain in range(first + 1, last + 1):
            if (grain in self) != state:
                yield start, grain, state
                start, state = grain, not state
        yield start, last + 1, state

    def present_runs(self) -> Iterator[tuple[int, int]]:
        """(start, stop) of every run of present grains, skipping bitmap pages that are holes."""
        run_start = run_stop = -1
        for index in self._candidate_pages():
            value = int.from_bytes(self._page(index), "little")
            grain = index * PAGE_SIZE * 8
            while value:
                skip = (value & -value).bit_length() - 1
                value >>= skip
                grain += skip
                ones = (~value & (value + 1)).bit_length() - 1
                if grain != run_stop:
                    if run_stop > run_start:
                        yield run_start, run_stop
                    run_start = grain
                run_stop = min(grain + ones, self.grains)
                value >>= ones
                grain += ones
        if run_stop > run_start:
            yield run_start, run_stop

    def _candidate_pages(self) -> Iterator[int]:
        seen = -1
        for index in heapq.merge(self._pages_with_data(), sorted(self._pages)):
            if index != seen:
                seen = index
                yield index

    def _pages_with_data(self) -> Iterator[int]:
        """Bitmap pages that are not holes in the file (all of them where SEEK_DATA is unsupported)."""
        end = self._offset + self._size
        position = self._offset
        while position < end:
            try:
                data = os.lseek(self._fd, position, os.SEEK_DATA)
                hole = os.lseek(self._fd, data, os.SEEK_HOLE)
            except OSError as exc:
                if exc.errno == errno.ENXIO:
                    return
                data, hole = position, end
            if data >= end:
                return
            first = (data - self._offset) // PAGE_SIZE
            stop = -(-(min(hole, end) - self._offset) // PAGE_SIZE)
            yield from range(first, stop)
            position = self._offset + stop * PAGE_SIZE


class CowDelta:
    """An open delta extent over its ``parent`` (which it reads, never writes)."""

    def __init__(
        self, path: Path, fd: int, parent: Extent, data_offset: int, bitmap: _Bitmap, writable: bool
    ) -> None:
        self.path = path
        self.parent = parent
        self.writable = writable
        self._fd = fd
        self._release = weakref.finalize(self, os.close, fd)  # unlocks a disk dropped without close()
        self._capacity = parent.capacity_bytes
        self._data_offset = data_offset
        self._bitmap = bitmap
        self._data_dirty = False

    @staticmethod
    def create(path: Path, capacity_bytes: int) -> None:
        """Write a new, empty delta durably (O_EXCL: FileExistsError if the name is taken)."""
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        try:
            pwrite_full(fd, _header(capacity_bytes), 0, path)
            os.ftruncate(fd, delta_layout(capacity_bytes)[1])
            os.fsync(fd)
            fsync_dir(path.parent)
        except BaseException:
            unlink_quietly(path)
            raise
        finally:
            os.close(fd)

    @classmethod
    def open(cls, path: Path, parent: Extent, writable: bool) -> CowDelta:
        """Open and check a delta; CorruptExtentError if its header is damaged or does not fit the parent."""
        fd = open_locked(path, writable)
        try:
            raw = pread_full(fd, _HEADER.size + _CRC.size, 0)
            magic, version, grain_size, sectors, bitmap_offset, bitmap_bytes, data_offset = _HEADER.unpack(
                raw[: _HEADER.size]
            )
            if magic != MAGIC:
                raise CorruptExtentError(path.name, "is not a pyesx copy-on-write delta (bad magic)")
            if _CRC.unpack(raw[_HEADER.size :])[0] != zlib.crc32(raw[: _HEADER.size]):
                raise CorruptExtentError(path.name, "the delta header is damaged (checksum mismatch)")
            if version != FORMAT_VERSION or grain_size != GRAIN_SIZE:
                raise CorruptExtentError(
                    path.name, f"unsupported delta format {version} (grain {grain_size})"
                )
            capacity = sectors * SECTOR_SIZE
            if capacity != parent.capacity_bytes:
                raise CorruptExtentError(
                    path.name, f"holds {capacity} bytes but its parent has {parent.capacity_bytes}"
                )
            if (bitmap_offset, (bitmap_bytes, data_offset)) != (HEADER_SIZE, delta_layout(capacity)):
                raise CorruptExtentError(path.name, "the delta header's offsets are inconsistent")
        except BaseException:
            os.close(fd)
            raise
        grains = -(-capacity // GRAIN_SIZE)
        return cls(path, fd, parent, data_offset, _Bitmap(fd, HEADER_SIZE, bitmap_bytes, grains), writable)

    @property
    def capacity_bytes(self) -> int:
        return self._capacity

    @property
    def provisioned_bytes(self) -> int:
        return self._data_offset + self._capacity

    def read(self, offset: int, length: int) -> bytes:
        check_range(offset, length, self._capacity)
        if not length:
            return b""
        fd, end = self._open_fd(), offset + length
        parts: list[bytes] = []
        for first, stop, present in self._bitmap.runs(offset // GRAIN_SIZE, (end - 1) // GRAIN_SIZE):
            start, until = max(offset, first * GRAIN_SIZE), min(end, stop * GRAIN_SIZE)
            if present:
                parts.append(pread_full(fd, until - start, self._data_offset + start))
            else:
                parts.append(self.parent.read(start, until - start))
        return b"".join(parts)

    def read_into(self, offset: int, into: memoryview) -> None:
        """Read ``len(into)`` bytes at ``offset`` into ``into``: present grains from the delta, the
        rest from the parent, each straight into its part of the view."""
        length = len(into)
        check_range(offset, length, self._capacity)
        if not length:
            return
        fd, end = self._open_fd(), offset + length
        for first, stop, present in self._bitmap.runs(offset // GRAIN_SIZE, (end - 1) // GRAIN_SIZE):
            start, until = max(offset, first * GRAIN_SIZE), min(end, stop * GRAIN_SIZE)
            part = into[start - offset : until - offset]
            if present:
                preadv_full(fd, part, self._data_offset + start)
            else:
                self.parent.read_into(start, part)

    def read_cached(self, offset: int, into: memoryview) -> bool:
        """Never done without blocking here (a delta's reads take the thread path): False."""
        return False

    def write(self, offset: int, data: Buffer) -> None:
        if not self.writable:
            raise InvalidState(f"The snapshot delta '{self.path.name}' is open read-only")
        view = memoryview(data).cast("B")
        length = len(view)
        check_range(offset, length, self._capacity)
        if not length:
            return
        fd, end = self._open_fd(), offset + length
        first, last = offset // GRAIN_SIZE, (end - 1) // GRAIN_SIZE
        grains = range(first, last + 1)
        if all(grain in self._bitmap for grain in grains):
            pwrite_full(fd, view, self._data_offset + offset, self.path)
            self._data_dirty = True
            return
        start, stop = first * GRAIN_SIZE, min((last + 1) * GRAIN_SIZE, self._capacity)
        buffer = bytearray(stop - start)
        if offset > start:  # copy the head grain up (read-modify-write)
            head = self._grain(first)
            buffer[: len(head)] = head
        if end < stop and (last != first or offset == start):  # and the tail grain
            tail_start = last * GRAIN_SIZE - start
            buffer[tail_start:] = self._grain(last)
        buffer[offset - start : end - start] = view
        pwrite_full(fd, buffer, self._data_offset + start, self.path)
        os.fdatasync(fd)  # the data is durable before any bit names it
        for grain in grains:
            self._bitmap.add(grain)
        self._bitmap.write_pages(grains, self.path)  # a VMkernel crash now keeps the acknowledged write

    def present_ranges(self) -> Iterator[tuple[int, int]]:
        """(offset, length) in bytes of every run of grains this delta holds."""
        for first, stop in self._bitmap.present_runs():
            start = first * GRAIN_SIZE
            yield start, min(stop * GRAIN_SIZE, self._capacity) - start

    def flush(self) -> None:
        """Make written grains durable: their data first, then their bits (see the module docstring)."""
        fd = self._open_fd()
        if self._data_dirty:
            os.fdatasync(fd)
            self._data_dirty = False
        if self._bitmap.dirty:
            self._bitmap.write_dirty(self.path)
            os.fdatasync(fd)

    def close(self) -> None:
        if self._fd < 0:
            return
        try:
            if self.writable:
                self.flush()
        finally:
            self._release()
            self._fd = -1

    def _grain(self, grain: int) -> bytes:
        start = grain * GRAIN_SIZE
        return self.read(start, min(GRAIN_SIZE, self._capacity - start))

    def _open_fd(self) -> int:
        if self._fd < 0:
            raise InvalidState(f"The snapshot delta '{self.path.name}' is closed")
        return self._fd

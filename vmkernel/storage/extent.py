"""Flat extents (``-flat.vmdk``): the disk's bytes at their own offsets in one plain file.

Formats, as ESXi's: ``thin`` is a sparse file (truncated to size, blocks
allocated on first write); ``thick`` (lazily zeroed) reserves every block with
``posix_fallocate``; ``eagerZeroedThick`` reserves them and writes zeros.
Reads past the end of a short sparse file return zeros; any access past the
disk's capacity is InvalidArgument. Also the ``Extent`` protocol that flat
extents and copy-on-write deltas share, and whole-buffer pread/pwrite helpers.
"""

from __future__ import annotations

import errno
import os
import weakref
from pathlib import Path
from typing import Protocol

from pyesx.faults import InsufficientResourcesFault, InvalidArgument, InvalidState
from vmkernel.storage.locks import fsync_dir, lock_fd, open_locked, unlink_quietly

DISK_FORMATS = ("thin", "thick", "eagerZeroedThick")
FILE_MODE = 0o600
_ZERO_CHUNK = 1 << 20
_MAX_IO = 1 << 30

Buffer = bytes | bytearray | memoryview


class Extent(Protocol):
    """What a disk chain needs of one of its files."""

    path: Path

    @property
    def capacity_bytes(self) -> int: ...

    @property
    def provisioned_bytes(self) -> int: ...

    def read(self, offset: int, length: int) -> bytes: ...

    def read_into(self, offset: int, into: memoryview) -> None: ...

    def read_cached(self, offset: int, into: memoryview) -> bool: ...

    def write(self, offset: int, data: Buffer) -> None: ...

    def flush(self) -> None: ...

    def close(self) -> None: ...


class CorruptExtentError(InvalidArgument):
    """An extent file that is not what its descriptor says it is; names the file."""

    def __init__(self, file: str, problem: str) -> None:
        super().__init__("extent", f"{file}: {problem}")
        self.file = file


def check_range(offset: int, length: int, capacity_bytes: int) -> None:
    """InvalidArgument unless [offset, offset + length) lies inside the disk."""
    for name, value in (("offset", offset), ("length", length)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise InvalidArgument(name, f"must be a non-negative integer, not {value!r}")
    if offset + length > capacity_bytes:
        raise InvalidArgument(
            "offset", f"{length} bytes at offset {offset} go past the end of the {capacity_bytes}-byte disk"
        )


def pread_full(fd: int, length: int, offset: int) -> bytes:
    """``length`` bytes at ``offset``; zeros for whatever lies past the end of the file."""
    chunks: list[bytes] = []
    done = 0
    while done < length:
        chunk = os.pread(fd, min(length - done, _MAX_IO), offset + done)
        if not chunk:
            chunks.append(bytes(length - done))
            break
        chunks.append(chunk)
        done += len(chunk)
    return b"".join(chunks)


def preadv_full(fd: int, into: memoryview, offset: int) -> None:
    """Fill ``into`` (a writable byte view) from ``offset`` in place; zeros past the end of the file."""
    done, length = 0, len(into)
    while done < length:
        count = os.preadv(fd, [into[done : done + _MAX_IO]], offset + done)
        if not count:
            into[done:] = bytes(length - done)
            return
        done += count


def pwrite_full(fd: int, data: Buffer, offset: int, path: Path) -> None:
    """Write all of ``data`` at ``offset``; InsufficientResourcesFault when the datastore is full."""
    view = memoryview(data).cast("B")
    done = 0
    try:
        while done < len(view):
            done += os.pwrite(fd, view[done : done + _MAX_IO], offset + done)
    except OSError as exc:
        raise _no_space(exc, path, len(view) - done) from exc


def _no_space(exc: OSError, path: Path, requested: int) -> Exception:
    if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
        return exc
    stat = os.statvfs(path.parent)
    return InsufficientResourcesFault("datastore space", requested, stat.f_bavail * stat.f_frsize)


def allocate(fd: int, path: Path, start: int, end: int, disk_format: str) -> None:
    """Make the file ``end`` bytes long, reserving [start, end) as ``disk_format`` says."""
    try:
        if disk_format == "thin":
            os.ftruncate(fd, end)
            return
        os.posix_fallocate(fd, start, end - start)
    except OSError as exc:
        raise _no_space(exc, path, end - start) from exc
    if disk_format == "eagerZeroedThick":
        zeros = bytes(_ZERO_CHUNK)
        for offset in range(start, end, _ZERO_CHUNK):
            pwrite_full(fd, memoryview(zeros)[: min(_ZERO_CHUNK, end - offset)], offset, path)


def check_format(disk_format: str) -> str:
    if disk_format not in DISK_FORMATS:
        raise InvalidArgument("diskFormat", f"'{disk_format}' is not one of {', '.join(DISK_FORMATS)}")
    return disk_format


class FlatExtent:
    """A ``-flat.vmdk`` file, locked for as long as it is open (see ``locks``)."""

    def __init__(self, path: Path, fd: int, capacity_bytes: int, writable: bool) -> None:
        self.path = path
        self.writable = writable
        self._fd = fd
        self._release = weakref.finalize(self, os.close, fd)  # unlocks a disk dropped without close()
        self._capacity = capacity_bytes
        self._dirty = False
        self._nowait = True  # RWF_NOWAIT reads work here (until the file system says otherwise)

    @classmethod
    def open(cls, path: Path, capacity_bytes: int, writable: bool) -> FlatExtent:
        return cls(path, open_locked(path, writable), capacity_bytes, writable)

    @classmethod
    def create(cls, path: Path, capacity_bytes: int, disk_format: str) -> FlatExtent:
        """A new extent, allocated and durable; FileAlreadyExists-safe (O_EXCL); nothing left on failure."""
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, FILE_MODE)
        try:
            lock_fd(fd, path, exclusive=True)
            allocate(fd, path, 0, capacity_bytes, check_format(disk_format))
            os.fsync(fd)
            fsync_dir(path.parent)
        except BaseException:
            os.close(fd)
            unlink_quietly(path)
            raise
        return cls(path, fd, capacity_bytes, writable=True)

    @property
    def capacity_bytes(self) -> int:
        return self._capacity

    @property
    def provisioned_bytes(self) -> int:
        return self._capacity

    def read(self, offset: int, length: int) -> bytes:
        check_range(offset, length, self._capacity)
        return pread_full(self._open_fd(), length, offset)

    def read_into(self, offset: int, into: memoryview) -> None:
        """Read ``len(into)`` bytes at ``offset`` straight into ``into`` (one copy, by the kernel)."""
        check_range(offset, len(into), self._capacity)
        preadv_full(self._open_fd(), into, offset)

    def read_cached(self, offset: int, into: memoryview) -> bool:
        """``read_into`` if all of it is in the page cache, without ever blocking (``RWF_NOWAIT``);
        False (``into`` undefined) when the read would have to wait for the disk."""
        check_range(offset, len(into), self._capacity)
        if not self._nowait:
            return False
        try:
            return os.preadv(self._open_fd(), [into], offset, os.RWF_NOWAIT) == len(into)
        except (BlockingIOError, InterruptedError):
            return False
        except OSError as exc:
            if exc.errno in (errno.EOPNOTSUPP, errno.EINVAL):  # a file system without it: never again
                self._nowait = False
                return False
            raise

    def write(self, offset: int, data: Buffer) -> None:
        if not self.writable:
            raise InvalidState(f"The disk extent '{self.path.name}' is open read-only")
        view = memoryview(data).cast("B")
        check_range(offset, len(view), self._capacity)
        pwrite_full(self._open_fd(), view, offset, self.path)
        self._dirty = True

    def grow(self, new_capacity_bytes: int, disk_format: str) -> None:
        """Extend the file for a larger capacity and make it durable; the old size back on failure."""
        fd = self._open_fd()
        old_size = os.fstat(fd).st_size
        try:
            allocate(fd, self.path, old_size, max(old_size, new_capacity_bytes), disk_format)
            os.fsync(fd)
        except BaseException:
            os.ftruncate(fd, old_size)
            raise
        self._capacity = new_capacity_bytes

    def flush(self) -> None:
        if self._dirty:
            os.fdatasync(self._open_fd())
            self._dirty = False

    def close(self) -> None:
        if self._fd < 0:
            return
        try:
            if self.writable:
                self.flush()
        finally:
            self._release()
            self._fd = -1

    def _open_fd(self) -> int:
        if self._fd < 0:
            raise InvalidState(f"The disk extent '{self.path.name}' is closed")
        return self._fd

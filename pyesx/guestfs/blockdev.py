"""Block devices: memory, a file (or an open fd), and a partition's window onto another device."""

from __future__ import annotations

import errno
import os

from pyesx.guestfs.api import BlockDevice


def _eio(what: str) -> OSError:
    return OSError(errno.EIO, what)


class MemoryBlockDevice:
    """A zero-filled device held in memory."""

    def __init__(self, size: int) -> None:
        self._data = bytearray(size)

    @property
    def size(self) -> int:
        return len(self._data)

    def read(self, offset: int, length: int) -> bytes:
        _check_range(offset, length, self.size)
        return bytes(self._data[offset : offset + length])

    def write(self, offset: int, data: bytes) -> None:
        _check_range(offset, len(data), self.size)
        self._data[offset : offset + len(data)] = data

    def flush(self) -> None:
        pass


class FileBlockDevice:
    """A regular file (or a block device node) by path or open fd, through pread/pwrite.

    An fd passed in stays the caller's unless ``close`` is called; a path is opened here.
    ``size`` is the file's size when opened (a device does not grow).
    """

    def __init__(self, source: int | str | os.PathLike[str], read_only: bool = False) -> None:
        if isinstance(source, int):
            self._fd = source
            self._owned = False
        else:
            self._fd = os.open(source, os.O_RDONLY if read_only else os.O_RDWR)
            self._owned = True
        self.read_only = read_only
        st = os.fstat(self._fd)
        self._size = st.st_size if st.st_size else os.lseek(self._fd, 0, os.SEEK_END)

    @property
    def size(self) -> int:
        return self._size

    @property
    def fd(self) -> int:
        return self._fd

    def read(self, offset: int, length: int) -> bytes:
        _check_range(offset, length, self._size)
        chunks: list[bytes] = []
        done = 0
        while done < length:
            chunk = os.pread(self._fd, length - done, offset + done)
            if not chunk:
                raise _eio(f"short read at {offset + done}")
            chunks.append(chunk)
            done += len(chunk)
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    def write(self, offset: int, data: bytes) -> None:
        if self.read_only:
            raise OSError(errno.EROFS, "read-only device")
        _check_range(offset, len(data), self._size)
        view = memoryview(data)
        done = 0
        while done < len(view):
            done += os.pwrite(self._fd, view[done:], offset + done)

    def flush(self) -> None:
        if not self.read_only:
            os.fsync(self._fd)

    def close(self) -> None:
        """Close the fd (also one that was passed in)."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


class PartitionDevice:
    """``length`` bytes of ``device`` from ``start``: I/O outside the window fails with EIO."""

    def __init__(self, device: BlockDevice, start: int, length: int) -> None:
        if start < 0 or length < 0 or start + length > device.size:
            raise _eio(f"partition {start}+{length} beyond the device's {device.size} bytes")
        self._device = device
        self.start = start
        self._length = length

    @property
    def size(self) -> int:
        return self._length

    def read(self, offset: int, length: int) -> bytes:
        _check_range(offset, length, self._length)
        return self._device.read(self.start + offset, length)

    def write(self, offset: int, data: bytes) -> None:
        _check_range(offset, len(data), self._length)
        self._device.write(self.start + offset, data)

    def flush(self) -> None:
        self._device.flush()


def _check_range(offset: int, length: int, size: int) -> None:
    if offset < 0 or length < 0 or offset + length > size:
        raise _eio(f"I/O at {offset}+{length} outside the device's {size} bytes")

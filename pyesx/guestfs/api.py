"""What a guest file system and a block device offer (shared by ext2, ISO 9660 and the in-memory fs).

Paths are absolute, ``/``-separated and already normalised by the caller (no
``.``, ``..`` or empty components). Errors are Python's own OSError subclasses,
as a POSIX kernel would report them::

    FileNotFoundError   a component is missing            (ENOENT)
    FileExistsError     mkdir/create over an existing name (EEXIST)
    IsADirectoryError   file operation on a directory      (EISDIR)
    NotADirectoryError  a component is a file              (ENOTDIR)
    OSError(ENOTEMPTY)  rmdir of a non-empty directory
    OSError(ENOSPC)     no free block or inode
    OSError(EROFS)      a write to read-only media (ISO 9660)
    OSError(EIO)        the block device failed
"""

from __future__ import annotations

import stat
from dataclasses import dataclass
from typing import Protocol


class BlockDevice(Protocol):
    """Bytes at offsets: a virtual disk through the VMkernel, a CD-ROM's media, a file, memory."""

    @property
    def size(self) -> int:
        """Capacity in bytes."""
        ...

    def read(self, offset: int, length: int) -> bytes: ...

    def write(self, offset: int, data: bytes) -> None: ...

    def flush(self) -> None: ...


@dataclass(frozen=True)
class FileStat:
    mode: int  # st_mode: type bits (stat.S_IFDIR / S_IFREG) | permission bits
    size: int
    mtime: float  # seconds since the epoch
    uid: int = 0
    gid: int = 0
    nlink: int = 1

    @property
    def is_dir(self) -> bool:
        return stat.S_ISDIR(self.mode)


@dataclass(frozen=True)
class FsUsage:
    total_bytes: int
    free_bytes: int
    total_inodes: int
    free_inodes: int


class Filesystem(Protocol):
    """A mounted guest file system."""

    read_only: bool

    def stat(self, path: str) -> FileStat: ...

    def listdir(self, path: str) -> list[str]:
        """The names in a directory, sorted, without ``.`` and ``..``."""
        ...

    def read_file(self, path: str, offset: int = 0, length: int = -1) -> bytes: ...

    def write_file(self, path: str, data: bytes, *, append: bool = False, mode: int = 0o644) -> None:
        """Create or truncate (or append to) a regular file; its parent must exist."""
        ...

    def mkdir(self, path: str, mode: int = 0o755) -> None: ...

    def unlink(self, path: str) -> None: ...

    def rmdir(self, path: str) -> None: ...

    def rename(self, old: str, new: str) -> None: ...

    def chmod(self, path: str, mode: int) -> None: ...

    def statvfs(self) -> FsUsage: ...

    def sync(self) -> None:
        """Write every dirty block to the device and flush it."""
        ...

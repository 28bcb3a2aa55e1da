"""ESXi's on-disk locks, as advisory ``flock``s on extent files: one writer, or any number of readers.

A disk opened for writing holds an exclusive lock on its top extent and shared
locks on the extents below it, so a second writer, or an operation that must
not run under a writer (snapshot, consolidate, extend, delete), gets
InvalidState "in use" instead of corrupting the disk. Extents are locked
rather than descriptors because a descriptor is replaced on every write
(a new inode), an extent never is.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import stat
from pathlib import Path

from pyesx.faults import InvalidArgument, InvalidState, NotFound


def lock_fd(fd: int, path: Path, exclusive: bool) -> None:
    """Lock an open file without waiting; InvalidState if another opener holds a conflicting lock."""
    try:
        fcntl.flock(fd, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
    except BlockingIOError:
        raise InvalidState(f"Failed to lock the file '{path.name}': it is in use") from None


def open_locked(path: Path, writable: bool) -> int:
    """Open ``path`` read-write (exclusive lock) or read-only (shared lock); NotFound if missing.

    A symbolic link is refused: every file of a disk is a plain file in the disk's folder.
    """
    try:
        fd = os.open(path, (os.O_RDWR if writable else os.O_RDONLY) | os.O_NOFOLLOW | os.O_NONBLOCK)
    except (FileNotFoundError, NotADirectoryError):
        raise NotFound("File", path.name) from None
    except OSError as exc:
        if exc.errno != errno.ELOOP:
            raise
        raise InvalidArgument("path", f"'{path.name}' is a symbolic link, not a disk file") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise InvalidArgument("path", f"'{path.name}' is not a regular file")
        lock_fd(fd, path, exclusive=writable)
    except BaseException:
        os.close(fd)
        raise
    return fd


def fsync_dir(folder: Path) -> None:
    """Make creations, renames and deletions in ``folder`` durable."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def unlink_quietly(path: Path) -> None:
    """Remove ``path`` if it exists (cleanup after a failure, or a second run of a deletion)."""
    with contextlib.suppress(FileNotFoundError):
        path.unlink()

"""The guest kernel's view of files: path resolution, the root file system, and the ``/dev`` nodes."""

from __future__ import annotations

import errno
import os
import stat
import time
from collections.abc import Callable

from pyesx.guestfs.api import FileStat, Filesystem, FsUsage

DEVICES = ("null", "random", "urandom", "zero")
_CHAR_DEV = stat.S_IFCHR | 0o666


def normalize(cwd: str, path: str) -> str:
    """An absolute, normalised path for ``path`` seen from ``cwd`` (``..`` at the root stays there)."""
    parts: list[str] = [] if path.startswith("/") else [p for p in cwd.split("/") if p]
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts:
                parts.pop()
        else:
            parts.append(part)
    return "/" + "/".join(parts)


def strerror(exc: OSError) -> str:
    """The C library's message for an OSError ("No such file or directory")."""
    code = exc.errno
    if code is None:
        code = {
            FileNotFoundError: errno.ENOENT,
            FileExistsError: errno.EEXIST,
            IsADirectoryError: errno.EISDIR,
            NotADirectoryError: errno.ENOTDIR,
            PermissionError: errno.EACCES,
        }.get(type(exc), errno.EIO)
    return os.strerror(code)


def enoent(path: str) -> FileNotFoundError:
    return FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), path)


class Vfs:
    """The mounted root plus character devices under ``/dev``; every path given is absolute and normalised."""

    def __init__(self, root: Filesystem, proc: Callable[[], dict[str, bytes]] | None = None) -> None:
        self.root = root
        self.proc = proc  # /proc's files (name -> contents), made when read

    def _proc_file(self, path: str) -> bytes | None:
        if self.proc is None or not path.startswith("/proc/"):
            return None
        return self.proc().get(path[6:])

    @staticmethod
    def device(path: str) -> str | None:
        """The device's name when ``path`` is one of the ``/dev`` nodes."""
        if path.startswith("/dev/") and path[5:] in DEVICES:
            return path[5:]
        return None

    def stat(self, path: str) -> FileStat:
        if self.device(path):
            return FileStat(mode=_CHAR_DEV, size=0, mtime=time.time())
        if self._proc_file(path) is not None:
            return FileStat(mode=stat.S_IFREG | 0o444, size=0, mtime=time.time())
        if path == "/dev":
            try:
                return self.root.stat(path)
            except FileNotFoundError:
                return FileStat(mode=stat.S_IFDIR | 0o755, size=4096, mtime=time.time(), nlink=2)
        return self.root.stat(path)

    def exists(self, path: str) -> bool:
        try:
            self.stat(path)
        except OSError:
            return False
        return True

    def is_dir(self, path: str) -> bool:
        try:
            return self.stat(path).is_dir
        except OSError:
            return False

    def listdir(self, path: str) -> list[str]:
        if path == "/proc" and self.proc is not None:
            return sorted(self.proc())
        if path == "/dev":
            try:
                names = set(self.root.listdir(path))
            except FileNotFoundError:
                names = set()
            return sorted(names | set(DEVICES))
        return self.root.listdir(path)

    def read(self, path: str, offset: int = 0, length: int = -1) -> bytes:
        """Bytes of a file or device (a device needs a length: its stream never ends, except null's)."""
        name = self.device(path)
        if name == "null":
            return b""
        if name == "zero":
            return bytes(max(length, 0))
        if name in ("random", "urandom"):
            return os.urandom(max(length, 0))
        data = self._proc_file(path)
        if data is not None:
            return data[offset:] if length < 0 else data[offset : offset + length]
        return self.root.read_file(path, offset, length)

    def write(self, path: str, data: bytes, *, append: bool = False, mode: int = 0o644) -> None:
        if self.device(path):
            return
        self.root.write_file(path, data, append=append, mode=mode)

    def mkdir(self, path: str, mode: int = 0o755) -> None:
        self.root.mkdir(path, mode)

    def unlink(self, path: str) -> None:
        if self.device(path):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), path)
        self.root.unlink(path)

    def rmdir(self, path: str) -> None:
        self.root.rmdir(path)

    def rename(self, old: str, new: str) -> None:
        self.root.rename(old, new)

    def statvfs(self) -> FsUsage:
        return self.root.statvfs()

    def sync(self) -> None:
        self.root.sync()

"""An in-memory ``Filesystem``: for tests and the preinstalled appliance's root."""

from __future__ import annotations

import errno
import stat
import time
from dataclasses import dataclass, field

from pyesx.guestfs.api import FileStat, FsUsage


@dataclass
class _Node:
    mode: int
    mtime: float
    data: bytearray = field(default_factory=bytearray)
    children: dict[str, _Node] | None = None

    @property
    def is_dir(self) -> bool:
        return self.children is not None


def _err(cls: type[OSError], code: int, path: str) -> OSError:
    return cls(code, _STRERROR[code], path)


_STRERROR = {
    errno.ENOENT: "No such file or directory",
    errno.EEXIST: "File exists",
    errno.EISDIR: "Is a directory",
    errno.ENOTDIR: "Not a directory",
    errno.ENOTEMPTY: "Directory not empty",
    errno.ENOSPC: "No space left on device",
    errno.EROFS: "Read-only file system",
    errno.EINVAL: "Invalid argument",
}


class MemoryFilesystem:
    """A tree of directories and files held in memory, with a byte and inode capacity for ``df``."""

    def __init__(self, capacity: int = 1 << 30, inodes: int = 65536, read_only: bool = False) -> None:
        self.read_only = read_only
        self._capacity = capacity
        self._inodes = inodes
        self._used = 0
        self._count = 1
        self._root = _Node(stat.S_IFDIR | 0o755, time.time(), children={})

    def _lookup(self, path: str) -> _Node:
        node = self._root
        for name in _parts(path):
            if node.children is None:
                raise _err(NotADirectoryError, errno.ENOTDIR, path)
            child = node.children.get(name)
            if child is None:
                raise _err(FileNotFoundError, errno.ENOENT, path)
            node = child
        return node

    def _parent(self, path: str) -> tuple[_Node, str]:
        parts = _parts(path)
        if not parts:
            raise _err(OSError, errno.EINVAL, path)
        parent = self._lookup("/" + "/".join(parts[:-1]))
        if parent.children is None:
            raise _err(NotADirectoryError, errno.ENOTDIR, path)
        return parent, parts[-1]

    def _writable(self, path: str) -> None:
        if self.read_only:
            raise _err(OSError, errno.EROFS, path)

    def stat(self, path: str) -> FileStat:
        node = self._lookup(path)
        size = 4096 if node.is_dir else len(node.data)
        nlink = 2 + sum(1 for c in (node.children or {}).values() if c.is_dir) if node.is_dir else 1
        return FileStat(mode=node.mode, size=size, mtime=node.mtime, nlink=nlink)

    def listdir(self, path: str) -> list[str]:
        node = self._lookup(path)
        if node.children is None:
            raise _err(NotADirectoryError, errno.ENOTDIR, path)
        return sorted(node.children)

    def read_file(self, path: str, offset: int = 0, length: int = -1) -> bytes:
        node = self._lookup(path)
        if node.is_dir:
            raise _err(IsADirectoryError, errno.EISDIR, path)
        end = len(node.data) if length < 0 else offset + length
        return bytes(node.data[offset:end])

    def write_file(self, path: str, data: bytes, *, append: bool = False, mode: int = 0o644) -> None:
        self._writable(path)
        parent, name = self._parent(path)
        assert parent.children is not None
        node = parent.children.get(name)
        if node is not None and node.is_dir:
            raise _err(IsADirectoryError, errno.EISDIR, path)
        old = len(node.data) if node is not None else 0
        new = old + len(data) if append else len(data)
        if self._used - old + new > self._capacity:
            raise _err(OSError, errno.ENOSPC, path)
        if node is None:
            self._new_inode(path)
            node = parent.children[name] = _Node(stat.S_IFREG | (mode & 0o7777), time.time())
        if append:
            node.data += data
        else:
            node.data = bytearray(data)
        self._used += new - old
        node.mtime = parent.mtime = time.time()

    def _new_inode(self, path: str) -> None:
        if self._count >= self._inodes:
            raise _err(OSError, errno.ENOSPC, path)
        self._count += 1

    def mkdir(self, path: str, mode: int = 0o755) -> None:
        self._writable(path)
        parent, name = self._parent(path)
        assert parent.children is not None
        if name in parent.children:
            raise _err(FileExistsError, errno.EEXIST, path)
        self._new_inode(path)
        parent.children[name] = _Node(stat.S_IFDIR | (mode & 0o7777), time.time(), children={})
        parent.mtime = time.time()

    def unlink(self, path: str) -> None:
        self._writable(path)
        parent, name = self._parent(path)
        assert parent.children is not None
        node = parent.children.get(name)
        if node is None:
            raise _err(FileNotFoundError, errno.ENOENT, path)
        if node.is_dir:
            raise _err(IsADirectoryError, errno.EISDIR, path)
        del parent.children[name]
        self._used -= len(node.data)
        self._count -= 1

    def rmdir(self, path: str) -> None:
        self._writable(path)
        parent, name = self._parent(path)
        assert parent.children is not None
        node = parent.children.get(name)
        if node is None:
            raise _err(FileNotFoundError, errno.ENOENT, path)
        if node.children is None:
            raise _err(NotADirectoryError, errno.ENOTDIR, path)
        if node.children:
            raise _err(OSError, errno.ENOTEMPTY, path)
        del parent.children[name]
        self._count -= 1

    def rename(self, old: str, new: str) -> None:
        self._writable(old)
        src_parent, src_name = self._parent(old)
        dst_parent, dst_name = self._parent(new)
        assert src_parent.children is not None and dst_parent.children is not None
        node = src_parent.children.get(src_name)
        if node is None:
            raise _err(FileNotFoundError, errno.ENOENT, old)
        if node.is_dir and (new + "/").startswith(old.rstrip("/") + "/"):
            raise _err(OSError, errno.EINVAL, new)
        target = dst_parent.children.get(dst_name)
        if target is not None:
            if target.is_dir and not node.is_dir:
                raise _err(IsADirectoryError, errno.EISDIR, new)
            if not target.is_dir and node.is_dir:
                raise _err(NotADirectoryError, errno.ENOTDIR, new)
            if target.children:
                raise _err(OSError, errno.ENOTEMPTY, new)
            self._used -= len(target.data)
            self._count -= 1
        del src_parent.children[src_name]
        dst_parent.children[dst_name] = node

    def chmod(self, path: str, mode: int) -> None:
        self._writable(path)
        node = self._lookup(path)
        node.mode = stat.S_IFMT(node.mode) | (mode & 0o7777)

    def statvfs(self) -> FsUsage:
        return FsUsage(self._capacity, self._capacity - self._used, self._inodes, self._inodes - self._count)

    def sync(self) -> None:
        """Nothing to write back: the tree is the storage."""


def _parts(path: str) -> list[str]:
    return [part for part in path.split("/") if part]

"""The in-memory file system behaves as the Filesystem protocol says (POSIX errors, capacity)."""

from __future__ import annotations

import errno

import pytest

from pyesx.guestfs.memfs import MemoryFilesystem


def test_files_and_directories() -> None:
    fs = MemoryFilesystem()
    fs.mkdir("/etc")
    fs.write_file("/etc/hostname", b"web01\n")
    fs.write_file("/etc/hostname", b"more\n", append=True)
    assert fs.read_file("/etc/hostname") == b"web01\nmore\n"
    assert fs.read_file("/etc/hostname", 2, 3) == b"b01"
    assert fs.listdir("/") == ["etc"]
    assert fs.stat("/etc").is_dir and fs.stat("/etc/hostname").size == 11
    fs.rename("/etc/hostname", "/etc/name")
    assert fs.listdir("/etc") == ["name"]
    fs.unlink("/etc/name")
    fs.rmdir("/etc")
    assert fs.listdir("/") == []


def test_posix_errors() -> None:
    fs = MemoryFilesystem()
    fs.mkdir("/d")
    fs.write_file("/d/f", b"x")
    with pytest.raises(FileNotFoundError):
        fs.read_file("/nope")
    with pytest.raises(FileExistsError):
        fs.mkdir("/d")
    with pytest.raises(IsADirectoryError):
        fs.read_file("/d")
    with pytest.raises(NotADirectoryError):
        fs.listdir("/d/f")
    with pytest.raises(OSError) as excinfo:
        fs.rmdir("/d")
    assert excinfo.value.errno == errno.ENOTEMPTY
    with pytest.raises(FileNotFoundError):
        fs.write_file("/missing/f", b"")


def test_capacity_and_read_only() -> None:
    fs = MemoryFilesystem(capacity=1000)
    fs.write_file("/a", bytes(600))
    with pytest.raises(OSError) as excinfo:
        fs.write_file("/b", bytes(600))
    assert excinfo.value.errno == errno.ENOSPC
    assert fs.statvfs().free_bytes == 400
    frozen = MemoryFilesystem(read_only=True)
    with pytest.raises(OSError) as excinfo:
        frozen.mkdir("/x")
    assert excinfo.value.errno == errno.EROFS

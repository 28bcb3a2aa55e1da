"""Block devices and the MBR: memory, files and fds, a partition's window, the partition table."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from pyesx.guestfs.blockdev import FileBlockDevice, MemoryBlockDevice, PartitionDevice
from pyesx.guestfs.mbr import LINUX, read_partitions, write_single_partition

pytestmark = pytest.mark.timeout(20)


def test_memory_device_reads_back_and_refuses_outside() -> None:
    dev = MemoryBlockDevice(4096)
    dev.write(100, b"hello")
    assert dev.read(98, 9) == b"\0\0hello\0\0"
    with pytest.raises(OSError) as err:
        dev.read(4090, 10)
    assert err.value.errno == errno.EIO


def test_file_device_by_path_and_by_fd(tmp_path: Path) -> None:
    image = tmp_path / "disk.img"
    image.write_bytes(bytes(8192))
    dev = FileBlockDevice(image)
    assert dev.size == 8192
    dev.write(4096, b"abc")
    dev.flush()
    dev.close()
    assert image.read_bytes()[4096:4099] == b"abc"
    fd = os.open(image, os.O_RDONLY)
    try:
        ro = FileBlockDevice(fd, read_only=True)
        assert ro.read(4096, 3) == b"abc"
        with pytest.raises(OSError) as err:
            ro.write(0, b"x")
        assert err.value.errno == errno.EROFS
    finally:
        os.close(fd)


def test_partition_is_a_window() -> None:
    disk = MemoryBlockDevice(1 << 20)
    part = PartitionDevice(disk, 4096, 8192)
    part.write(0, b"first")
    assert disk.read(4096, 5) == b"first"
    assert part.size == 8192
    for offset, length in [(-1, 1), (8190, 4)]:
        with pytest.raises(OSError) as err:
            part.read(offset, length)
        assert err.value.errno == errno.EIO
    with pytest.raises(OSError):
        part.write(8192, b"x")
    assert disk.read(4096 + 8192, 1) == b"\0"


def test_mbr_single_active_linux_partition() -> None:
    disk = MemoryBlockDevice(64 << 20)
    assert read_partitions(disk) == []
    part = write_single_partition(disk)
    assert (part.start, part.length, part.type, part.active) == (1 << 20, 63 << 20, LINUX, True)
    assert read_partitions(disk) == [part]
    sector0 = disk.read(0, 512)
    assert sector0[510:] == b"\x55\xaa"
    assert sector0[446] == 0x80 and sector0[450] == 0x83
    assert int.from_bytes(sector0[454:458], "little") == 2048


def test_sfdisk_reads_our_table(tmp_path: Path) -> None:
    import shutil
    import subprocess

    if shutil.which("sfdisk") is None:
        pytest.skip("sfdisk (util-linux) is not installed")
    image = tmp_path / "disk.img"
    image.write_bytes(b"")
    os.truncate(image, 32 << 20)
    dev = FileBlockDevice(image)
    write_single_partition(dev)
    dev.close()
    out = subprocess.run(["sfdisk", "-d", str(image)], capture_output=True, text=True, check=True).stdout
    assert "start=        2048" in out and "type=83" in out and "bootable" in out

"""ext2: what we write, e2fsck finds clean and debugfs reads back (e2fsprogs are the reference)."""

from __future__ import annotations

import errno
import os
import shutil
import stat
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from pyesx.guestfs.api import BlockDevice
from pyesx.guestfs.blockdev import FileBlockDevice, MemoryBlockDevice, PartitionDevice
from pyesx.guestfs.ext2 import Ext2, mkfs
from pyesx.guestfs.mbr import read_partitions, write_single_partition

pytestmark = pytest.mark.timeout(60)

E2FSPROGS = shutil.which("e2fsck") is not None and shutil.which("debugfs") is not None
needs_e2fsprogs = pytest.mark.skipif(not E2FSPROGS, reason="e2fsprogs (e2fsck, debugfs) is not installed")


def image(tmp_path: Path, size: int) -> Path:
    path = tmp_path / "disk.img"
    path.write_bytes(b"")
    os.truncate(path, size)
    return path


def e2fsck(path: Path | str) -> str:
    result = subprocess.run(["e2fsck", "-fn", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def debugfs(path: Path | str, request: str) -> str:
    result = subprocess.run(["debugfs", "-R", request, str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout


class CountingDevice:
    """A device that counts its round trips (as each one to the VMkernel costs)."""

    def __init__(self, inner: BlockDevice) -> None:
        self.inner = inner
        self.reads = self.writes = 0

    @property
    def size(self) -> int:
        return self.inner.size

    def read(self, offset: int, length: int) -> bytes:
        self.reads += 1
        return self.inner.read(offset, length)

    def write(self, offset: int, data: bytes) -> None:
        self.writes += 1
        self.inner.write(offset, data)

    def flush(self) -> None:
        self.inner.flush()


def test_new_file_system_is_empty_but_for_lost_found() -> None:
    dev = MemoryBlockDevice(8 << 20)
    mkfs(dev, label="root")
    fs = Ext2(dev)
    assert fs.listdir("/") == ["lost+found"]
    assert fs.label == "root"
    root = fs.stat("/")
    assert root.is_dir and root.nlink == 3
    usage = fs.statvfs()
    assert 0 < usage.free_bytes < usage.total_bytes == 8 << 20
    assert usage.free_inodes == usage.total_inodes - 11


def test_errors_are_posix() -> None:
    dev = MemoryBlockDevice(4 << 20)
    mkfs(dev)
    fs = Ext2(dev)
    fs.mkdir("/d")
    fs.write_file("/d/f", b"x")
    cases: list[tuple[Callable[[], object], type[OSError]]] = [
        (lambda: fs.read_file("/missing"), FileNotFoundError),
        (lambda: fs.mkdir("/d"), FileExistsError),
        (lambda: fs.read_file("/d"), IsADirectoryError),
        (lambda: fs.write_file("/d", b""), IsADirectoryError),
        (lambda: fs.listdir("/d/f"), NotADirectoryError),
        (lambda: fs.write_file("/d/f/g", b""), NotADirectoryError),
        (lambda: fs.unlink("/d"), IsADirectoryError),
        (lambda: fs.rmdir("/d/f"), NotADirectoryError),
        (lambda: fs.write_file("/nodir/f", b""), FileNotFoundError),
    ]
    for call, error in cases:
        with pytest.raises(error):
            call()
    with pytest.raises(OSError) as err:
        fs.rmdir("/d")
    assert err.value.errno == errno.ENOTEMPTY
    with pytest.raises(OSError) as err:
        fs.rename("/d", "/d/inside")
    assert err.value.errno == errno.EINVAL


def test_metadata_and_append() -> None:
    dev = MemoryBlockDevice(4 << 20)
    mkfs(dev)
    fs = Ext2(dev)
    fs.write_file("/run.sh", b"echo hi\n", mode=0o755)
    fs.write_file("/run.sh", b"echo bye\n", append=True)
    fs.chmod("/run.sh", 0o700)
    fs.chown("/run.sh", 1000, 100)
    again = Ext2(dev)  # everything is on the device after each call
    st = again.stat("/run.sh")
    assert stat.S_ISREG(st.mode) and stat.S_IMODE(st.mode) == 0o700
    assert (st.uid, st.gid, st.nlink, st.size) == (1000, 100, 1, 17)
    assert again.read_file("/run.sh") == b"echo hi\necho bye\n"
    assert again.read_file("/run.sh", 5, 2) == b"hi"


@needs_e2fsprogs
@pytest.mark.parametrize("block_size", [1024, 4096])
def test_heavy_use_stays_clean_for_e2fsck(tmp_path: Path, block_size: int) -> None:
    path = image(tmp_path, 96 << 20)  # several block groups
    dev = FileBlockDevice(path)
    mkfs(dev, label="pyesx-root", block_size=block_size)
    fs = Ext2(dev)
    fs.mkdir("/etc")
    fs.write_file("/etc/hostname", b"web01\n")
    fs.mkdir("/many")
    for i in range(600):  # a directory of many blocks
        fs.write_file(f"/many/a-long-file-name-for-entry-{i:05d}.conf", b"value %d\n" % i * (i % 7))
    for i in range(0, 600, 3):
        fs.unlink(f"/many/a-long-file-name-for-entry-{i:05d}.conf")
    big = os.urandom(6 << 20)  # double-indirect blocks at 1 KiB
    fs.write_file("/big.bin", big)
    sparse = b"head" + bytes(70 << 20) + b"tail"  # triple-indirect at 1 KiB, nearly all hole
    fs.write_file("/sparse.img", sparse)
    fs.mkdir("/a")
    fs.mkdir("/a/b")
    fs.write_file("/a/b/file", b"moved")
    fs.rename("/a/b", "/b")
    fs.rename("/many/a-long-file-name-for-entry-00001.conf", "/etc/renamed")
    fs.write_file("/etc/target", b"old")
    fs.rename("/etc/renamed", "/etc/target")  # over an existing file
    fs.mkdir("/empty")
    fs.rmdir("/empty")
    fs.sync()
    dev.close()

    report = e2fsck(path)
    assert "pyesx-root" in report
    assert debugfs(path, "cat /etc/hostname") == "web01\n"
    assert debugfs(path, "cat /b/file") == "moved"
    assert debugfs(path, "cat /etc/target") == "value 1\n"
    dumped = tmp_path / "big.out"
    debugfs(path, f"dump /big.bin {dumped}")
    assert dumped.read_bytes() == big
    stat_out = debugfs(path, "stat /sparse.img")
    assert f"Size: {len(sparse)}" in stat_out
    fs = Ext2(FileBlockDevice(path))
    assert fs.read_file("/sparse.img", len(sparse) - 8) == bytes(4) + b"tail"
    assert fs.statvfs().free_bytes > 20 << 20  # the hole took no space
    assert "entry-00002.conf" in " ".join(fs.listdir("/many"))
    assert len(fs.listdir("/many")) == 399


@needs_e2fsprogs
def test_full_disk_fails_with_enospc_and_stays_clean(tmp_path: Path) -> None:
    path = image(tmp_path, 3 << 20)
    dev = FileBlockDevice(path)
    mkfs(dev)
    fs = Ext2(dev)
    written = 0
    with pytest.raises(OSError) as err:
        while True:
            fs.write_file(f"/f{written}", os.urandom(200_000))
            written += 1
    assert err.value.errno == errno.ENOSPC
    assert f"f{written}" not in fs.listdir("/")
    with pytest.raises(OSError) as err:
        fs.write_file("/f0", os.urandom(300_000), append=True)
    assert err.value.errno == errno.ENOSPC
    inodes = 0
    with pytest.raises(OSError) as err:
        while True:
            fs.write_file(f"/empty{inodes}", b"")
            inodes += 1
    assert err.value.errno == errno.ENOSPC
    fs.sync()
    dev.close()
    e2fsck(path)
    fs = Ext2(FileBlockDevice(path))
    fs.unlink("/f0")  # space comes back
    fs.write_file("/again", os.urandom(150_000))


@needs_e2fsprogs
def test_partitioned_disk(tmp_path: Path) -> None:
    path = image(tmp_path, 24 << 20)
    disk = FileBlockDevice(path)
    write_single_partition(disk)
    (part,) = read_partitions(disk)
    fs_dev = PartitionDevice(disk, part.start, part.length)
    mkfs(fs_dev, label="guest")
    fs = Ext2(fs_dev)
    fs.mkdir("/etc")
    fs.write_file("/etc/hostname", b"db01\n")
    fs.sync()
    disk.close()
    assert read_partitions(FileBlockDevice(path, read_only=True))[0].start == 1 << 20
    extracted = tmp_path / "part.img"
    with open(path, "rb") as src, open(extracted, "wb") as dst:
        src.seek(part.start)
        dst.write(src.read(part.length))
    e2fsck(extracted)
    assert debugfs(extracted, "cat /etc/hostname") == "db01\n"


@needs_e2fsprogs
def test_reads_what_mke2fs_and_debugfs_wrote(tmp_path: Path) -> None:
    path = image(tmp_path, 16 << 20)
    subprocess.run(
        ["mkfs.ext2", "-q", "-F", "-b", "1024", "-O", "^dir_index,^resize_inode,^ext_attr", str(path)],
        check=True,
        capture_output=True,
    )
    src = tmp_path / "src.txt"
    src.write_bytes(b"from debugfs\n" * 1000)
    write = ["debugfs", "-w", "-R", f"write {src} note.txt", str(path)]
    subprocess.run(write, check=True, capture_output=True)
    fs = Ext2(FileBlockDevice(path))
    assert fs.read_file("/note.txt") == src.read_bytes()
    fs.write_file("/ours", b"ours")
    fs.unlink("/note.txt")
    fs.sync()
    e2fsck(path)


def test_install_is_few_large_ios() -> None:
    """~100 small files and a few hundred KB, as the guest installer writes them over a slow device."""
    dev = MemoryBlockDevice(64 << 20)
    mkfs(dev)
    counting = CountingDevice(dev)
    fs = Ext2(counting, write_through=False)
    for d in ("/bin", "/etc", "/boot", "/usr", "/usr/bin"):
        fs.mkdir(d)
    for i in range(100):
        fs.write_file(f"/bin/cmd{i}", b"#!pyesx-builtin cmd%d\n" % i, mode=0o755)
    fs.write_file("/boot/vmlinuz-pyesx", os.urandom(400_000))
    fs.sync()
    assert counting.writes < 130  # one per file's data, metadata coalesced at sync
    again = Ext2(dev)
    assert again.read_file("/bin/cmd42") == b"#!pyesx-builtin cmd42\n"
    assert len(again.listdir("/bin")) == 100

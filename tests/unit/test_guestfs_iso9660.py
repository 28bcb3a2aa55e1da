"""ISO 9660 + Joliet: our reader round-trips, and blkid, isoinfo and bsdtar read our images."""

from __future__ import annotations

import errno
import io
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from pyesx.guestfs.blockdev import FileBlockDevice, MemoryBlockDevice
from pyesx.guestfs.iso9660 import IsoFilesystem, write_iso

pytestmark = pytest.mark.timeout(30)

FILES = {
    "/INSTALL.CFG": b"installer=1\n",
    "/os/bin/ls": b"#!pyesx-builtin ls\n",
    "/os/boot/vmlinuz-pyesx": os.urandom(300_001),
    "/os/usr/share/doc/a-rather-long-lower-case-file-name.txt": b"long name",
    "/os/etc/hostname": b"",
    "/os/Mixed.Case.tar.gz": b"upper",
    "/os/mixed.case.tar.gz": b"lower",
    **{f"/os/many/entry-{i:04d}.conf": b"v%d" % i for i in range(150)},  # a directory of several sectors
}


def make_iso(files: dict[str, bytes] = FILES, volume_id: str = "PYESX_INSTALL") -> bytes:
    out = io.BytesIO()
    write_iso(files, volume_id, out)
    return out.getvalue()


def device_of(data: bytes) -> MemoryBlockDevice:
    dev = MemoryBlockDevice(len(data))
    dev.write(0, data)
    return dev


def test_round_trip_keeps_long_mixed_case_names() -> None:
    fs = IsoFilesystem(device_of(make_iso()))
    assert fs.volume_id == "PYESX_INSTALL" and fs.joliet
    assert {path: fs.read_file(path) for path in fs.walk()} == FILES
    assert fs.listdir("/") == ["INSTALL.CFG", "os"]
    assert fs.stat("/os/boot/vmlinuz-pyesx").size == 300_001
    assert fs.stat("/os/many").is_dir
    assert fs.read_file("/os/boot/vmlinuz-pyesx", 300_000, 10) == FILES["/os/boot/vmlinuz-pyesx"][-1:]
    assert len(fs.listdir("/os/many")) == 150


def test_primary_tree_has_iso_names() -> None:
    fs = IsoFilesystem(device_of(make_iso()), joliet=False)
    assert not fs.joliet
    assert fs.read_file("/install.cfg") == FILES["/INSTALL.CFG"]
    assert fs.listdir("/os/boot") == ["vmlinuz_pyesx"]
    contents = {fs.read_file("/os/" + name) for name in fs.listdir("/os") if name.startswith("mixed")}
    assert contents == {b"upper", b"lower"}  # clashing upper-case names were made unique


def test_read_only_and_errors() -> None:
    fs = IsoFilesystem(device_of(make_iso()))
    calls: list[Callable[[], object]] = [
        lambda: fs.write_file("/x", b""),
        lambda: fs.mkdir("/d"),
        lambda: fs.unlink("/INSTALL.CFG"),
        lambda: fs.rmdir("/os"),
        lambda: fs.rename("/os", "/o"),
        lambda: fs.chmod("/os", 0),
    ]
    for call in calls:
        with pytest.raises(OSError) as err:
            call()
        assert err.value.errno == errno.EROFS
    with pytest.raises(FileNotFoundError):
        fs.stat("/nope")
    with pytest.raises(IsADirectoryError):
        fs.read_file("/os")
    with pytest.raises(NotADirectoryError):
        fs.listdir("/INSTALL.CFG")
    with pytest.raises(OSError) as err:
        IsoFilesystem(MemoryBlockDevice(64 * 2048))
    assert err.value.errno == errno.EINVAL


def test_bad_trees_are_refused() -> None:
    with pytest.raises(ValueError):
        make_iso({"/a": b"", "/a/b": b""})
    with pytest.raises(ValueError):
        make_iso({"/" + "n" * 65: b""})


@pytest.fixture
def iso_path(tmp_path: Path) -> Path:
    path = tmp_path / "installer.iso"
    path.write_bytes(make_iso())
    return path


def test_blkid_sees_iso9660_and_label(iso_path: Path) -> None:
    if shutil.which("blkid") is None:
        pytest.skip("blkid (util-linux) is not installed")
    out = subprocess.run(
        ["blkid", "-p", "-o", "export", str(iso_path)], capture_output=True, text=True, check=True
    ).stdout
    assert "TYPE=iso9660" in out.splitlines()
    assert "LABEL=PYESX_INSTALL" in out.splitlines()


def test_isoinfo_and_bsdtar_list_long_names(iso_path: Path) -> None:
    tools = [t for t in ("isoinfo", "bsdtar") if shutil.which(t)]
    if not tools:
        pytest.skip("neither isoinfo (genisoimage) nor bsdtar (libarchive-tools) is installed")
    if "isoinfo" in tools:
        listing = subprocess.run(
            ["isoinfo", "-J", "-f", "-i", str(iso_path)], capture_output=True, text=True, check=True
        ).stdout
        assert "/os/usr/share/doc/a-rather-long-lower-case-file-name.txt" in listing.splitlines()
        extract = ["isoinfo", "-J", "-x", "/os/boot/vmlinuz-pyesx", "-i", str(iso_path)]
        extracted = subprocess.run(extract, capture_output=True, check=True).stdout
        assert extracted == FILES["/os/boot/vmlinuz-pyesx"]
    if "bsdtar" in tools:
        listing = subprocess.run(["bsdtar", "tf", str(iso_path)], capture_output=True, text=True).stdout
        names = {line.rstrip("/") for line in listing.splitlines()}
        assert {p.lstrip("/") for p in FILES} <= names


def test_reads_through_a_file_device(iso_path: Path) -> None:
    fd = os.open(iso_path, os.O_RDONLY)
    try:
        fs = IsoFilesystem(FileBlockDevice(fd, read_only=True))
        assert fs.read_file("/os/bin/ls") == FILES["/os/bin/ls"]
    finally:
        os.close(fd)

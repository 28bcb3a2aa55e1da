"""Flat extents: the three ESXi formats really allocate as they say; bounds are checked."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pyesx.faults import FileAlreadyExists, InvalidArgument, InvalidState, NotFound
from vmkernel.storage import create_disk, open_disk, read_descriptor
from vmkernel.storage.extent import FlatExtent

pytestmark = pytest.mark.timeout(30)


MIB = 1 << 20


def blocks(path: Path) -> int:
    return os.stat(path).st_blocks * 512


@pytest.mark.parametrize(
    ("disk_format", "thin"), [("thin", True), ("thick", False), ("eagerZeroedThick", False)]
)
def test_formats_allocate_as_esxi_does(tmp_path: Path, disk_format: str, thin: bool) -> None:
    with create_disk(tmp_path / "web01.vmdk", 4 * MIB, disk_format) as disk:
        assert disk.capacity_bytes == 4 * MIB
        assert disk.read(0, 4 * MIB) == bytes(4 * MIB)
    flat = tmp_path / "web01-flat.vmdk"
    assert flat.stat().st_size == 4 * MIB
    if thin:
        assert blocks(flat) < 64 * 1024
    else:
        assert blocks(flat) >= 4 * MIB
    assert read_descriptor(tmp_path / "web01.vmdk").is_thin is thin
    assert sorted(p.name for p in tmp_path.iterdir()) == ["web01-flat.vmdk", "web01.vmdk"]


def test_write_and_read_through_a_base_disk(tmp_path: Path) -> None:
    with create_disk(tmp_path / "web01.vmdk", MIB) as disk:
        disk.write(1000, b"hello")
        disk.write(MIB - 3, bytearray(b"end"))
        disk.write(5000, memoryview(b"view"))
        disk.flush()
    with open_disk(tmp_path / "web01.vmdk") as disk:
        assert disk.read(998, 9) == b"\0\0hello\0\0"
        assert disk.read(MIB - 3, 3) == b"end"
        assert disk.read(5000, 4) == b"view"
        assert disk.read(MIB, 0) == b""
    raw = (tmp_path / "web01-flat.vmdk").read_bytes()
    assert raw[1000:1005] == b"hello" and len(raw) == MIB


def test_a_read_lands_in_the_callers_buffer_zeros_past_a_short_file(tmp_path: Path) -> None:
    path = tmp_path / "short-flat.vmdk"
    path.write_bytes(b"abcdef")
    extent = FlatExtent.open(path, MIB, writable=False)
    try:
        into = bytearray(b"?" * 16)
        extent.read_into(2, memoryview(into)[1:11])
        assert into == b"?cdef" + bytes(6) + b"?" * 5
        with pytest.raises(InvalidArgument):
            extent.read_into(MIB - 4, memoryview(into))
    finally:
        extent.close()


def test_a_read_that_cannot_block_is_done_only_when_all_of_it_is_at_hand(tmp_path: Path) -> None:
    path = tmp_path / "cached-flat.vmdk"
    path.write_bytes(b"cached" * 1000)  # just written: in the page cache
    extent = FlatExtent.open(path, MIB, writable=False)
    try:
        into = bytearray(12)
        assert extent.read_cached(6, memoryview(into))
        assert into == b"cachedcached"
        assert not extent.read_cached(5990, memoryview(into))  # runs past the short file: not whole
        with pytest.raises(InvalidArgument):
            extent.read_cached(MIB - 4, memoryview(into))
    finally:
        extent.close()


@pytest.mark.parametrize(("offset", "length"), [(MIB, 1), (MIB - 1, 2), (-1, 1), (0, -1), (2**70, 1)])
def test_access_past_the_end_is_refused(tmp_path: Path, offset: int, length: int) -> None:
    with create_disk(tmp_path / "web01.vmdk", MIB) as disk:
        with pytest.raises(InvalidArgument):
            disk.read(offset, length)
        if length >= 0:
            with pytest.raises(InvalidArgument):
                disk.write(offset, b"x" * length)


def test_a_short_sparse_file_reads_as_zeros(tmp_path: Path) -> None:
    path = tmp_path / "short-flat.vmdk"
    path.write_bytes(b"abc")
    extent = FlatExtent.open(path, MIB, writable=False)
    try:
        assert extent.read(0, 8) == b"abc" + bytes(5)
        assert extent.read(MIB - 10, 10) == bytes(10)
        with pytest.raises(InvalidState):
            extent.write(0, b"x")
    finally:
        extent.close()
    with pytest.raises(InvalidState):
        extent.read(0, 1)


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"capacity_bytes": 1000}, "capacity"),
        ({"capacity_bytes": 0}, "capacity"),
        ({"capacity_bytes": 63 * 2**40}, "capacity"),
        ({"disk_format": "sparse"}, "diskFormat"),
        ({"adapter_type": "nvme0"}, "adapterType"),
        ({"hw_version": 99}, "hwVersion"),
    ],
)
def test_bad_arguments_create_nothing(tmp_path: Path, kwargs: dict[str, object], argument: str) -> None:
    args: dict[str, object] = {"capacity_bytes": MIB, **kwargs}
    with pytest.raises(InvalidArgument) as raised:
        create_disk(tmp_path / "web01.vmdk", **args)  # type: ignore[arg-type]
    assert raised.value.argument == argument
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["web01", "web01.vmx", ".vmdk", "a\0.vmdk"])
def test_bad_names_are_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(InvalidArgument):
        create_disk(tmp_path / name, MIB)


@pytest.mark.parametrize("existing", ["web01.vmdk", "web01-flat.vmdk"])
def test_an_existing_file_is_never_overwritten(tmp_path: Path, existing: str) -> None:
    (tmp_path / existing).write_bytes(b"precious")
    with pytest.raises(FileAlreadyExists):
        create_disk(tmp_path / "web01.vmdk", MIB)
    assert [p.name for p in tmp_path.iterdir()] == [existing]
    assert (tmp_path / existing).read_bytes() == b"precious"


def test_a_failed_create_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(path: Path, descriptor: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("vmkernel.storage.disks.write_descriptor", fail)
    with pytest.raises(OSError):
        create_disk(tmp_path / "web01.vmdk", MIB, "eagerZeroedThick")
    assert list(tmp_path.iterdir()) == []


def test_a_missing_folder_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        create_disk(tmp_path / "nowhere" / "web01.vmdk", MIB)

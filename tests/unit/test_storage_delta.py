"""Copy-on-write deltas: grains copied up on first write, bitmap persisted, headers checked."""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from vmkernel.storage import delta as delta_module
from vmkernel.storage import extent as extent_module
from vmkernel.storage.delta import GRAIN_SIZE, HEADER_SIZE, MAGIC, CowDelta, delta_layout
from vmkernel.storage.extent import CorruptExtentError, FlatExtent

pytestmark = pytest.mark.timeout(30)


G = GRAIN_SIZE


@pytest.fixture
def base(tmp_path: Path) -> Iterator[FlatExtent]:
    """A 64 KiB + 512 B flat extent (a partial last grain) filled with a known pattern."""
    path = tmp_path / "base-flat.vmdk"
    path.write_bytes(pattern(16 * G + 512))
    extent = FlatExtent.open(path, 16 * G + 512, writable=False)
    yield extent
    extent.close()


def pattern(length: int, seed: int = 7) -> bytes:
    return bytes((i * seed + i // 251) % 256 for i in range(length))


def new_delta(base: FlatExtent, name: str = "d-delta.vmdk") -> CowDelta:
    path = base.path.with_name(name)
    CowDelta.create(path, base.capacity_bytes)
    return CowDelta.open(path, base, writable=True)


def test_the_header_is_as_documented(base: FlatExtent) -> None:
    delta = new_delta(base)
    delta.close()
    raw = delta.path.read_bytes()
    assert raw[:8] == MAGIC
    bitmap_bytes, data_offset = delta_layout(base.capacity_bytes)
    assert (bitmap_bytes, data_offset) == (4096, HEADER_SIZE + 4096)
    assert int.from_bytes(raw[16:24], "little") == base.capacity_bytes // 512
    assert len(raw) == data_offset  # nothing written yet: no data area
    assert os.stat(delta.path).st_blocks * 512 <= 2 * 4096


def test_unaligned_writes_across_grains_copy_the_rest_up(base: FlatExtent) -> None:
    model = bytearray(pattern(base.capacity_bytes))
    delta = new_delta(base)
    for offset, length in [
        (G - 3, 10),
        (3 * G + 100, 2 * G),
        (16 * G + 500, 12),
        (5 * G, G),
        (0, 1),
        (8 * G, 5),
        (10 * G, G + 7),
    ]:
        data = bytes([offset % 251 + 1]) * length
        delta.write(offset, data)
        model[offset : offset + length] = data
    assert delta.read(0, len(model)) == bytes(model)
    assert delta.read(G - 5, 9) == bytes(model[G - 5 : G + 4])
    assert list(delta.present_ranges()) == [
        (0, 2 * G),
        (3 * G, 3 * G),
        (8 * G, G),
        (10 * G, 2 * G),
        (16 * G, 512),
    ]
    delta.close()
    assert base.read(0, base.capacity_bytes) == pattern(base.capacity_bytes)  # the parent is untouched


def test_a_read_into_a_buffer_takes_grains_from_the_delta_and_the_rest_from_the_parent(
    base: FlatExtent,
) -> None:
    model = bytearray(pattern(base.capacity_bytes))
    delta = new_delta(base)
    for offset, data in [(G - 3, b"x" * 10), (4 * G, b"y" * G), (16 * G + 500, b"z" * 12)]:
        delta.write(offset, data)
        model[offset : offset + len(data)] = data
    into = bytearray(len(model) + 8)
    delta.read_into(0, memoryview(into)[4:-4])  # a part of a larger buffer, as a guest's I/O slot
    assert into[4:-4] == model and into[:4] == into[-4:] == bytes(4)
    window = memoryview(bytearray(3 * G))
    delta.read_into(G - 100, window)
    assert window == model[G - 100 : 4 * G - 100]
    delta.close()


def test_a_reopened_delta_keeps_its_grains(base: FlatExtent) -> None:
    delta = new_delta(base)
    delta.write(2 * G + 1, b"persisted")
    delta.close()
    reopened = CowDelta.open(delta.path, base, writable=False)
    try:
        assert (
            reopened.read(2 * G, 11) == pattern(2 * G + 1)[2 * G :] + b"persisted" + pattern(2 * G + 11)[-1:]
        )
        assert list(reopened.present_ranges()) == [(2 * G, G)]
    finally:
        reopened.close()


def test_a_vmkernel_crash_keeps_every_acknowledged_grain(base: FlatExtent) -> None:
    delta = new_delta(base)
    delta.write(0, b"flushed")
    delta.flush()
    delta.write(4 * G, b"kept")
    path = delta.path
    del delta  # dropped without close or flush: the file is released as by a crash of the process
    gc.collect()
    reopened = CowDelta.open(path, base, writable=False)
    try:
        assert reopened.read(0, 7) == b"flushed"
        assert reopened.read(4 * G, 4) == b"kept"  # acknowledged: the OS holds its data and its bit
        assert reopened.read(4 * G + 4, 4) == pattern(4 * G + 8)[4 * G + 4 :]  # copied up from the parent
        assert list(reopened.present_ranges()) == [(0, G), (4 * G, G)]
    finally:
        reopened.close()


def test_a_new_grains_data_is_durable_before_its_bit_is_written(
    base: FlatExtent, monkeypatch: pytest.MonkeyPatch
) -> None:
    delta = new_delta(base)
    steps: list[str] = []
    real_pwrite, real_sync = extent_module.pwrite_full, os.fdatasync

    def pwrite(fd: int, data: bytes, offset: int, path: Path) -> None:
        steps.append("bits" if offset < delta_layout(base.capacity_bytes)[1] else "data")
        real_pwrite(fd, data, offset, path)

    def sync(fd: int) -> None:
        steps.append("sync")
        real_sync(fd)

    monkeypatch.setattr(delta_module, "pwrite_full", pwrite)
    monkeypatch.setattr(os, "fdatasync", sync)
    delta.write(3 * G, b"new")
    assert steps == ["data", "sync", "bits"]
    steps.clear()
    delta.write(3 * G, b"again")  # a present grain is rewritten in place: no sync until flush
    assert steps == ["data"]
    delta.close()


def test_bitmap_pages_and_runs_across_them(tmp_path: Path) -> None:
    capacity = 40000 * G  # two bitmap pages
    path = tmp_path / "big-flat.vmdk"
    with path.open("wb") as f:
        f.truncate(capacity)
    base = FlatExtent.open(path, capacity, writable=False)
    delta = new_delta(base)
    try:
        for grain in (32767, 32768, 39999, 5):
            delta.write(grain * G, b"x" * G)
        expected = [(5 * G, G), (32767 * G, 2 * G), (39999 * G, G)]
        assert list(delta.present_ranges()) == expected
        delta.close()
        reopened = CowDelta.open(delta.path, base, writable=False)
        assert list(reopened.present_ranges()) == expected
        assert reopened.read(32767 * G - 1, 2) == b"\0x"
        reopened.close()
    finally:
        delta.close()
        base.close()


@pytest.mark.parametrize(
    ("offset", "garbage", "fragment"),
    [(0, b"NOTACOW!", "bad magic"), (20, b"\x01", "checksum"), (4000, b"", "holds")],
)
def test_damaged_headers_are_refused(base: FlatExtent, offset: int, garbage: bytes, fragment: str) -> None:
    path = base.path.with_name("d-delta.vmdk")
    CowDelta.create(path, base.capacity_bytes if garbage else base.capacity_bytes - 512)
    with path.open("r+b") as f:
        f.seek(offset)
        f.write(garbage)
    with pytest.raises(CorruptExtentError, match=fragment):
        CowDelta.open(path, base, writable=False)

"""Disk chains and the operations on them: snapshot, revert, consolidate, delete, extend, crash points."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from pyesx.faults import InvalidArgument, InvalidState, NotFound
from vmkernel.storage import (
    VirtualDisk,
    consolidate,
    create_delta,
    create_disk,
    delete_disk,
    find_children,
    grow_disk,
    open_disk,
    read_descriptor,
    write_descriptor,
)
from vmkernel.storage import disks as disks_module
from vmkernel.storage.delta import GRAIN_SIZE

pytestmark = pytest.mark.timeout(30)


MIB = 1 << 20
A = b"A" * (64 * 1024)
B = b"B" * 10000


class Crash(Exception):
    """Stands for the host dying at a step of an operation."""


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def write_file(path: Path, data: bytes, offset: int = 0) -> None:
    with open_disk(path) as disk:
        disk.write(offset, data)


def content(path: Path) -> bytes:
    with open_disk(path, read_only=True) as disk:
        return disk.read(0, disk.capacity_bytes)


@pytest.fixture
def base(tmp_path: Path) -> Path:
    """web01.vmdk, 1 MiB, holding A at offset 0."""
    path = tmp_path / "web01.vmdk"
    with create_disk(path, MIB) as disk:
        disk.write(0, A)
    return path


def expected(*writes: tuple[int, bytes]) -> bytes:
    model = bytearray(MIB)
    for offset, data in writes:
        model[offset : offset + len(data)] = data
    return bytes(model)


def test_a_snapshot_keeps_the_base_and_reads_merged(base: Path) -> None:
    delta = create_delta(base)
    assert delta.name == "web01-000001.vmdk"
    assert names(base.parent) == [
        "web01-000001-delta.vmdk",
        "web01-000001.vmdk",
        "web01-flat.vmdk",
        "web01.vmdk",
    ]
    descriptor = read_descriptor(delta)
    assert descriptor.parent_cid == read_descriptor(base).cid
    assert descriptor.parent_file_name_hint == "web01.vmdk" and descriptor.create_type == "vmfsSparse"
    with open_disk(delta) as disk:
        assert disk.chain == [delta, base]
        disk.write(3000, B)
        assert disk.read(0, MIB) == expected((0, A), (3000, B))
    assert (base.parent / "web01-flat.vmdk").read_bytes()[: len(A)] == A  # the base file still holds A
    assert content(base) == expected((0, A))
    assert find_children(base) == [delta]


def test_revert_deletes_the_delta_and_the_base_is_a_again(base: Path) -> None:
    delta = create_delta(base)
    write_file(delta, B, 3000)
    delete_disk(delta)
    assert names(base.parent) == ["web01-flat.vmdk", "web01.vmdk"]
    with open_disk(base) as disk:  # writable again: it has no child any more
        assert disk.read(0, MIB) == expected((0, A))


def test_consolidate_merges_into_the_base_and_removes_the_delta(base: Path) -> None:
    delta = create_delta(base)
    write_file(delta, B, 3000)
    cid = read_descriptor(base).cid
    assert consolidate(delta) == base
    assert names(base.parent) == ["web01-flat.vmdk", "web01.vmdk"]
    assert content(base) == expected((0, A), (3000, B))
    assert read_descriptor(base).cid == cid
    assert "ddb.pyesx.consolidating" not in read_descriptor(base).ddb


def test_a_two_level_chain(base: Path) -> None:
    first = create_delta(base)
    write_file(first, B, 3000)
    second = create_delta(first)
    assert second.name == "web01-000002.vmdk"
    write_file(second, b"C" * 5000, 60000)
    with open_disk(second) as disk:
        assert disk.chain == [second, first, base]
        assert disk.read(0, MIB) == expected((0, A), (3000, B), (60000, b"C" * 5000))
    assert content(first) == expected((0, A), (3000, B))
    consolidate(second)
    assert content(first) == expected((0, A), (3000, B), (60000, b"C" * 5000))
    consolidate(first)
    assert content(base) == expected((0, A), (3000, B), (60000, b"C" * 5000))
    assert names(base.parent) == ["web01-flat.vmdk", "web01.vmdk"]


def test_consolidating_a_middle_delta_repoints_its_children(base: Path) -> None:
    first = create_delta(base)
    write_file(first, B, 3000)
    second = create_delta(first)
    write_file(second, b"C" * 5000, 60000)
    consolidate(first)
    child = read_descriptor(second)
    assert child.parent_file_name_hint == "web01.vmdk" and child.parent_cid == read_descriptor(base).cid
    with open_disk(second) as disk:
        assert disk.chain == [second, base]
        assert disk.read(0, MIB) == expected((0, A), (3000, B), (60000, b"C" * 5000))


def test_a_snapshot_tree_numbers_on(base: Path) -> None:
    first = create_delta(base)
    second = create_delta(base)  # a second branch off the base, as after a revert in a snapshot tree
    assert (first.name, second.name) == ("web01-000001.vmdk", "web01-000002.vmdk")
    assert find_children(base) == [first, second]
    delete_disk(first)
    assert create_delta(base).name == "web01-000001.vmdk"


def test_a_parent_with_a_child_is_read_only(base: Path) -> None:
    create_delta(base)
    with pytest.raises(InvalidState, match="read-only"):
        open_disk(base)
    with open_disk(base, read_only=True) as disk, pytest.raises(InvalidState):
        disk.write(0, b"x")


def test_a_modified_parent_breaks_the_chain(base: Path) -> None:
    delta = create_delta(base)
    descriptor = read_descriptor(base)
    descriptor.cid ^= 1
    write_descriptor(base, descriptor)
    with pytest.raises(InvalidState, match="parent virtual disk has been modified"):
        open_disk(delta)


def test_a_chain_that_loops_is_refused(base: Path) -> None:
    delta = create_delta(base)
    descriptor = read_descriptor(delta)
    descriptor.parent_file_name_hint, descriptor.parent_cid = delta.name, descriptor.cid
    write_descriptor(delta, descriptor)
    with pytest.raises(InvalidArgument, match="loops"):
        open_disk(delta)


def test_a_missing_parent_is_not_found(base: Path) -> None:
    delta = create_delta(base)
    base.unlink()
    with pytest.raises(NotFound):
        open_disk(delta)


def test_a_disk_in_use_is_locked(base: Path) -> None:
    with open_disk(base) as disk:
        with pytest.raises(InvalidState, match="in use"):
            open_disk(base)
        with pytest.raises(InvalidState, match="in use"):
            create_delta(base)
        with pytest.raises(InvalidState, match="in use"):
            delete_disk(base)
        with pytest.raises(InvalidState, match="in use"):
            grow_disk(base, 2 * MIB)
        disk.write(0, b"still mine")
    with open_disk(base, read_only=True) as one, open_disk(base, read_only=True) as two:  # readers share
        assert one.read(0, 10) == two.read(0, 10) == b"still mine"


def test_a_chain_in_use_cannot_be_consolidated(base: Path) -> None:
    delta = create_delta(base)
    with open_disk(delta), pytest.raises(InvalidState, match="in use"):
        consolidate(delta)
    with pytest.raises(InvalidArgument, match="base disk"):
        consolidate(base)


def test_a_closed_disk_refuses_io(base: Path) -> None:
    disk = open_disk(base)
    disk.close()
    disk.close()
    assert disk.closed
    with pytest.raises(InvalidState, match="closed"):
        disk.read(0, 1)


def test_delete_refuses_a_disk_with_a_child(base: Path) -> None:
    create_delta(base)
    with pytest.raises(InvalidState, match=r"web01-000001\.vmdk"):
        delete_disk(base)
    with pytest.raises(NotFound):
        delete_disk(base.with_name("nothing.vmdk"))


@pytest.mark.parametrize("disk_format", ["thin", "thick"])
def test_grow_keeps_the_data_and_updates_the_descriptor(tmp_path: Path, disk_format: str) -> None:
    path = tmp_path / "web01.vmdk"
    with create_disk(path, 20 * 2**30 if disk_format == "thin" else MIB, disk_format) as disk:
        disk.write(100, b"kept")
        capacity = disk.capacity_bytes
    grow_disk(path, 2 * capacity)
    descriptor = read_descriptor(path)
    assert descriptor.extents[0].sectors == 2 * capacity // 512
    if disk_format == "thin":
        assert descriptor.ddb["ddb.geometry.cylinders"] == "5221"
    with open_disk(path) as disk:
        assert disk.capacity_bytes == 2 * capacity
        assert disk.read(100, 4) == b"kept"
        assert disk.read(2 * capacity - 4, 4) == bytes(4)
        disk.write(2 * capacity - 4, b"tail")
    with pytest.raises(InvalidArgument, match="shrink"):
        grow_disk(path, capacity)
    grow_disk(path, 2 * capacity)  # the same size: nothing to do


def test_grow_refuses_disks_with_snapshots(base: Path) -> None:
    delta = create_delta(base)
    with pytest.raises(InvalidState):
        grow_disk(base, 2 * MIB)
    with pytest.raises(InvalidState):
        grow_disk(delta, 2 * MIB)


def test_a_crash_while_growing_leaves_the_old_disk(base: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(disks_module, "_crash_point", crash_at("extent-grown"))
    with pytest.raises(Crash):
        grow_disk(base, 2 * MIB)
    assert content(base) == expected((0, A))


def test_used_and_provisioned_bytes(tmp_path: Path) -> None:
    path = tmp_path / "web01.vmdk"
    with create_disk(path, 64 * MIB) as disk:
        empty = disk.used_bytes()
        assert empty < 64 * 1024
        assert 64 * MIB < disk.provisioned_bytes() < 64 * MIB + 4096
        disk.write(0, b"x" * MIB)
        disk.flush()
        assert disk.used_bytes() >= empty + MIB
    delta = create_delta(path)
    with open_disk(delta) as disk:
        before = disk.used_bytes()
        disk.write(MIB, b"y" * MIB)
        disk.flush()
        assert disk.used_bytes() >= before + MIB
        assert disk.provisioned_bytes() > 2 * 64 * MIB


def crash_at(step: str) -> Callable[[str], None]:
    def crash_point(reached: str) -> None:
        if reached == step:
            raise Crash(step)

    return crash_point


STEPS = ["opened", "marked", "merged", "repointed", "committed", "descriptor-deleted"]


@pytest.mark.parametrize("step", STEPS)
def test_a_crash_at_any_step_of_consolidate_leaves_old_or_new(
    base: Path, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    first = create_delta(base)
    write_file(first, B, 3000)
    second = create_delta(first)  # a child of the delta being consolidated, e.g. the running VM's disk
    write_file(second, b"C" * 5000, 60000)
    want = expected((0, A), (3000, B), (60000, b"C" * 5000))
    monkeypatch.setattr(disks_module, "_crash_point", crash_at(step))
    with pytest.raises(Crash):
        consolidate(first)
    monkeypatch.undo()
    assert content(second) == want  # the running disk reads the same at every step
    if first.exists():  # the old state: finish by running consolidate again
        if step in ("marked", "merged", "repointed"):
            with pytest.raises(InvalidState, match="being consolidated"):
                open_disk(base, read_only=True)
            with pytest.raises(InvalidState):
                delete_disk(first)
        assert consolidate(first) == base
    assert not first.exists()
    assert names(base.parent) in (
        ["web01-000002-delta.vmdk", "web01-000002.vmdk", "web01-flat.vmdk", "web01.vmdk"],
        # a crash between deleting the descriptor and the extent leaves an orphan extent
        [
            "web01-000001-delta.vmdk",
            "web01-000002-delta.vmdk",
            "web01-000002.vmdk",
            "web01-flat.vmdk",
            "web01.vmdk",
        ],
    )
    assert content(second) == want
    assert read_descriptor(second).parent_file_name_hint == base.name
    assert content(base) == expected((0, A), (3000, B))


def test_a_crash_while_snapshotting_leaves_the_chain_as_it_was(
    base: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(path: Path, descriptor: object) -> None:
        raise Crash("descriptor")

    monkeypatch.setattr(disks_module, "write_descriptor", fail)
    with pytest.raises(Crash):
        create_delta(base)
    monkeypatch.undo()
    assert names(base.parent) == ["web01-flat.vmdk", "web01.vmdk"]
    with open_disk(base) as disk:
        assert isinstance(disk, VirtualDisk) and disk.read(0, len(A)) == A


def test_unaligned_writes_through_a_chain(base: Path) -> None:
    delta = create_delta(base)
    with open_disk(delta) as disk:
        disk.write(GRAIN_SIZE - 1, b"xy")
        disk.write(MIB - 1, b"z")
        assert disk.read(GRAIN_SIZE - 2, 4) == b"Axy" + b"A"
        with pytest.raises(InvalidArgument):
            disk.read(MIB - 1, 2)
        with pytest.raises(InvalidArgument):
            disk.write(MIB, b"!")
    assert os.stat(delta.with_name("web01-000001-delta.vmdk")).st_blocks > 0


def test_files_reached_through_symbolic_links_are_refused(
    base: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    outside = tmp_path_factory.mktemp("outside")
    secret = outside / "secret.txt"
    secret.write_text("root:$6$hash\n")
    delta = create_delta(base)
    descriptor = read_descriptor(delta)
    descriptor.parent_file_name_hint = "link.vmdk"
    write_descriptor(delta, descriptor)
    (base.parent / "link.vmdk").symlink_to(secret)
    with pytest.raises(InvalidArgument, match="symbolic link") as raised:
        open_disk(delta)
    assert "root" not in str(raised.value)
    flat = base.parent / "web01-flat.vmdk"
    flat.rename(outside / "moved-flat.vmdk")
    flat.symlink_to(outside / "moved-flat.vmdk")
    with pytest.raises(InvalidArgument, match="symbolic link"):
        open_disk(base, read_only=True)
    (base.parent / "dir.vmdk").mkdir()
    with pytest.raises(InvalidArgument, match="not a regular file"):
        open_disk(base.parent / "dir.vmdk", read_only=True)

"""Virtual disk operations the VMkernel calls: create, snapshot (delta), consolidate, delete, extend.

Each operation that touches several files orders its steps so that a crash at
any instant leaves the old disk or the new one: new files are written and
fsynced first, then a descriptor is replaced atomically (the commit), and only
then are old files deleted. Each function's docstring says what a crash at
each step leaves. A file left over by a crash is never part of a disk: a
reader never sees half an operation.
"""

from __future__ import annotations

import os
from pathlib import Path

from pyesx.faults import FileAlreadyExists, InvalidArgument, InvalidState, NotFound
from vmkernel.storage.chain import (
    CONSOLIDATING_KEY,
    MAX_DELTAS,
    ChainLink,
    VirtualDisk,
    check_not_consolidating,
    find_children,
    load_chain,
    open_extents,
)
from vmkernel.storage.delta import CowDelta
from vmkernel.storage.extent import Extent, FlatExtent, check_format
from vmkernel.storage.locks import fsync_dir, open_locked, unlink_quietly
from vmkernel.storage.names import base_stem, check_descriptor_name, flat_name, next_delta_names
from vmkernel.storage.vmdk import (
    SECTOR_SIZE,
    Descriptor,
    DescriptorError,
    base_descriptor,
    check_capacity,
    delta_descriptor,
    geometry,
    read_descriptor,
    write_descriptor,
)

_MERGE_CHUNK = 1 << 20


def _crash_point(step: str) -> None:
    """Does nothing: the crash tests replace it to stop an operation after ``step``."""


def create_disk(
    descriptor_path: Path | str,
    capacity_bytes: int,
    disk_format: str = "thin",
    adapter_type: str = "lsilogic",
    hw_version: int = 21,
) -> VirtualDisk:
    """Create ``<name>.vmdk`` and ``<name>-flat.vmdk`` and return the disk, open read-write.

    Steps: (1) the flat extent is created (O_EXCL), allocated and fsynced;
    (2) the descriptor is written atomically. A crash in (1) or before (2)
    leaves no disk, only an orphan flat file; on any error both files are
    removed. FileAlreadyExists if either file exists.
    """
    path = Path(descriptor_path)
    stem = check_descriptor_name(path)
    check_format(disk_format)
    flat = path.with_name(flat_name(stem))
    descriptor = base_descriptor(flat.name, capacity_bytes, adapter_type, hw_version, disk_format == "thin")
    if not path.parent.is_dir():
        raise NotFound("Folder", path.parent.name)
    for existing in (path, flat):
        if existing.exists() or existing.is_symlink():
            raise FileAlreadyExists(existing.name)
    try:
        extent = FlatExtent.create(flat, capacity_bytes, disk_format)
    except FileExistsError:
        raise FileAlreadyExists(flat.name) from None
    try:
        write_descriptor(path, descriptor)
        return VirtualDisk([ChainLink(path, descriptor)], [extent], read_only=False)
    except BaseException:
        extent.close()
        unlink_quietly(path)
        unlink_quietly(flat)
        raise


def create_delta(top_descriptor_path: Path | str) -> Path:
    """Put a new, empty snapshot delta on top of the disk and return its descriptor's path.

    The delta is ``<base>-00000N.vmdk`` with the lowest free N in the folder.
    From now on the old top is read-only (it has a child). Refused while the
    top is open for writing. Steps: (1) the delta extent is created and
    fsynced; (2) its descriptor is written atomically (the commit). A crash
    before (2) leaves the chain as it was plus an orphan delta extent, whose
    number the next snapshot skips.
    """
    top = Path(top_descriptor_path)
    check_descriptor_name(top)
    links = load_chain(top)
    check_not_consolidating(links[0])
    if len(links) > MAX_DELTAS:
        raise InvalidState(f"'{top.name}' already has {MAX_DELTAS} snapshot deltas, the maximum")
    lock = open_locked(links[0].extent_path, writable=False)  # no writer may keep writing the new parent
    try:
        descriptor_name, extent_name = next_delta_names(top.parent, base_stem(top.name))
        extent = top.with_name(extent_name)
        try:
            CowDelta.create(extent, links[0].descriptor.capacity_bytes)
        except FileExistsError:
            raise FileAlreadyExists(extent_name) from None
        try:
            write_descriptor(
                top.with_name(descriptor_name), delta_descriptor(links[0].descriptor, top.name, extent_name)
            )
        except BaseException:
            unlink_quietly(extent)
            raise
    finally:
        os.close(lock)
    return top.with_name(descriptor_name)


def consolidate(delta_descriptor_path: Path | str) -> Path:
    """Merge a delta's grains into its parent, delete the delta, return the parent's descriptor path.

    The parent must have no other child (the caller ensures); the delta's own
    children, if any, are moved onto the parent. Nothing in the chain may be
    open. The parent keeps its CID. Steps, and what a crash after each leaves:
      1. the parent's descriptor is marked ``ddb.pyesx.consolidating = "<delta>"``:
         the old state (delta over parent); the parent alone refuses to open;
      2. the delta's grains are copied into the parent, fsynced: the old state
         still, because every grain read through the delta comes from the
         delta (copying is idempotent, running consolidate again finishes);
      3. the delta's children are repointed to the parent, one atomic write each:
         every child reads the same bytes through the delta or the parent;
      4. the parent's mark is removed: the commit, the new state;
      5. the delta's descriptor, then its extent, are deleted: the new state, and a
         crash in between leaves only an orphan extent.
    """
    delta_path = Path(delta_descriptor_path)
    check_descriptor_name(delta_path)
    links = load_chain(delta_path)
    if len(links) < 2:
        raise InvalidArgument("path", f"'{delta_path.name}' is a base disk, not a snapshot delta")
    delta_link, parent_link = links[0], links[1]
    check_not_consolidating(delta_link)
    parent = parent_link.descriptor
    marker = parent.ddb.get(CONSOLIDATING_KEY)
    if marker not in (None, delta_path.name):
        raise InvalidState(f"'{parent_link.path.name}' is being consolidated with '{marker}'")
    extents = open_extents(links[1:], writable=True)
    try:
        delta = CowDelta.open(delta_link.extent_path, extents[0], writable=False)
        try:
            _crash_point("opened")
            parent.ddb[CONSOLIDATING_KEY] = delta_path.name
            write_descriptor(parent_link.path, parent)
            _crash_point("marked")
            _merge(delta, extents[0])
            _crash_point("merged")
            for child_path in find_children(delta_path):
                child = read_descriptor(child_path)
                child.parent_file_name_hint, child.parent_cid = parent_link.path.name, parent.cid
                write_descriptor(child_path, child)
                _crash_point("repointed")
            del parent.ddb[CONSOLIDATING_KEY]
            write_descriptor(parent_link.path, parent)
            _crash_point("committed")
        finally:
            delta.close()
        delta_path.unlink()
        _crash_point("descriptor-deleted")
        unlink_quietly(delta_link.extent_path)
        fsync_dir(delta_path.parent)
    finally:
        for extent in extents:
            extent.close()
    return parent_link.path


def _merge(delta: CowDelta, parent: Extent) -> None:
    for offset, length in delta.present_ranges():
        for start in range(offset, offset + length, _MERGE_CHUNK):
            size = min(_MERGE_CHUNK, offset + length - start)
            parent.write(start, delta.read(start, size))
    parent.flush()


def delete_disk(descriptor_path: Path | str) -> None:
    """Delete one disk of a chain: its descriptor, then its extent (never its parents).

    Refused (InvalidState) while it has a child delta, while it is open, or while
    its parent is being consolidated with it. A crash between the two
    deletions leaves an orphan extent, no longer part of any disk.
    """
    path = Path(descriptor_path)
    check_descriptor_name(path)
    descriptor = read_descriptor(path)
    if children := find_children(path):
        raise InvalidState(f"'{path.name}' has the snapshot delta '{children[0].name}' on top of it")
    if _being_merged_into_parent(path, descriptor):
        raise InvalidState(
            f"'{path.name}' is being consolidated into its parent; run the consolidation again to finish it"
        )
    extents = [path.parent / extent.file_name for extent in descriptor.extents if extent.file_name]
    locks: list[int] = []
    try:
        for extent_path in extents:
            try:
                locks.append(open_locked(extent_path, writable=True))
            except NotFound:
                continue
        path.unlink()
        for extent_path in extents:
            unlink_quietly(extent_path)
        fsync_dir(path.parent)
    finally:
        for fd in locks:
            os.close(fd)


def _being_merged_into_parent(path: Path, descriptor: Descriptor) -> bool:
    hint = descriptor.parent_file_name_hint
    if not descriptor.has_parent or hint is None:
        return False
    try:
        parent = read_descriptor(path.parent / hint)
    except (NotFound, DescriptorError):
        return False
    return parent.ddb.get(CONSOLIDATING_KEY) == path.name


def grow_disk(descriptor_path: Path | str, new_capacity_bytes: int) -> None:
    """Extend a base disk that has no child delta and is not open.

    Steps: (1) the extent grows (thin: truncate; otherwise fallocate) and is
    fsynced; (2) the descriptor with the new size and geometry is written
    atomically. A crash before (2) leaves the old disk (an extent longer than
    its descriptor says, the extra bytes unused).
    """
    path = Path(descriptor_path)
    check_descriptor_name(path)
    check_capacity(new_capacity_bytes)
    link = load_chain(path)[0]
    descriptor = link.descriptor
    if link.is_delta:
        raise InvalidState(f"'{path.name}' is a snapshot delta: a disk with snapshots cannot be extended")
    old_capacity = descriptor.capacity_bytes
    if new_capacity_bytes < old_capacity:
        raise InvalidArgument(
            "capacity",
            f"{new_capacity_bytes} bytes is smaller than the disk's {old_capacity}; disks cannot shrink",
        )
    if new_capacity_bytes == old_capacity:
        return
    extent = FlatExtent.open(link.extent_path, old_capacity, writable=True)
    try:
        if children := find_children(path):
            raise InvalidState(
                f"'{path.name}' has the snapshot delta '{children[0].name}'; it cannot be extended"
            )
        extent.grow(new_capacity_bytes, "thin" if descriptor.is_thin else "thick")
        _crash_point("extent-grown")
        descriptor.extents[0].sectors = new_capacity_bytes // SECTOR_SIZE
        if "ddb.geometry.cylinders" in descriptor.ddb:
            adapter = descriptor.ddb.get("ddb.adapterType", "lsilogic")
            descriptor.ddb["ddb.geometry.cylinders"] = str(geometry(new_capacity_bytes, adapter)[0])
        write_descriptor(path, descriptor)
    finally:
        extent.close()

"""Disk chains: a descriptor, its parent, its parent's parent… down to a base disk, opened as one disk.

``open_disk`` follows ``parentFileNameHint`` (always a name in the same folder)
and refuses a chain whose ``parentCID`` differs from its parent's ``CID``: the
parent changed after the child was taken, so the child's grains no longer sit
on the content they were copied from. Only the top of a chain is ever written;
a disk with a child delta opens read-only or not at all.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from pyesx.faults import InvalidArgument, InvalidState
from vmkernel.storage.delta import CowDelta
from vmkernel.storage.extent import Buffer, Extent, FlatExtent
from vmkernel.storage.names import DESCRIPTOR_SUFFIX, check_descriptor_name
from vmkernel.storage.vmdk import (
    EXTENT_DELTA,
    EXTENT_FLAT,
    Descriptor,
    DescriptorError,
    is_descriptor_file,
    read_descriptor,
)

MAX_DELTAS = 32
"""ESXi's limit of snapshots in one chain."""
CONSOLIDATING_KEY = "ddb.pyesx.consolidating"
"""Set on a parent while a delta (named by the value) is merged into it: the parent alone is incomplete."""


@dataclass(frozen=True)
class ChainLink:
    """One disk of a chain: its descriptor's path and content."""

    path: Path
    descriptor: Descriptor

    @property
    def extent_path(self) -> Path:
        name = self.descriptor.extents[0].file_name
        assert name is not None  # checked by load_chain
        return self.path.parent / name

    @property
    def is_delta(self) -> bool:
        return self.descriptor.has_parent


def load_chain(top: Path) -> list[ChainLink]:
    """The descriptors of the chain from ``top`` down to its base, checked link by link."""
    links = [_checked_link(top)]
    while links[-1].is_delta:
        child = links[-1]
        if len(links) > MAX_DELTAS:
            raise InvalidArgument(
                "path", f"the chain below '{top.name}' loops or has more than {MAX_DELTAS} deltas"
            )
        hint = child.descriptor.parent_file_name_hint
        if hint is None:
            raise InvalidArgument(
                "descriptor", f"{child.path.name}: a parentCID without a parentFileNameHint"
            )
        parent = _checked_link(child.path.parent / hint)
        if parent.descriptor.cid != child.descriptor.parent_cid:
            raise InvalidState(
                "The parent virtual disk has been modified since the child was created: "
                f"'{child.path.name}' expects parentCID {child.descriptor.parent_cid:08x}, "
                f"'{hint}' has CID {parent.descriptor.cid:08x}"
            )
        if parent.descriptor.capacity_bytes != child.descriptor.capacity_bytes:
            raise InvalidState(f"'{child.path.name}' and its parent '{hint}' differ in capacity")
        links.append(parent)
    return links


def _checked_link(path: Path) -> ChainLink:
    descriptor = read_descriptor(path)
    if len(descriptor.extents) != 1:
        raise InvalidArgument(
            "descriptor", f"{path.name}: disks of {len(descriptor.extents)} extents are not supported"
        )
    extent = descriptor.extents[0]
    expected = EXTENT_DELTA if descriptor.has_parent else EXTENT_FLAT
    flat_ok = not descriptor.has_parent and extent.kind == "FLAT" and not extent.offset
    if extent.kind != expected and not flat_ok:
        raise InvalidArgument("descriptor", f"{path.name}: a {extent.kind} extent is not supported here")
    if extent.access != "RW":
        raise InvalidArgument("descriptor", f"{path.name}: the extent is {extent.access}")
    return ChainLink(path, descriptor)


def open_extents(links: list[ChainLink], writable: bool) -> list[Extent]:
    """Open the extents of ``links`` (top→base), the top one writable if asked; closed again on failure."""
    opened: list[Extent] = []
    try:
        for depth in range(len(links) - 1, -1, -1):
            link, top_writable = links[depth], writable and depth == 0
            if link.is_delta:
                opened.append(CowDelta.open(link.extent_path, opened[-1], top_writable))
            else:
                capacity = link.descriptor.capacity_bytes
                opened.append(FlatExtent.open(link.extent_path, capacity, top_writable))
    except BaseException:
        for extent in opened:
            extent.close()
        raise
    return opened[::-1]


def find_children(descriptor_path: Path) -> list[Path]:
    """Descriptors in the same folder whose parentFileNameHint names ``descriptor_path``."""
    children: list[Path] = []
    with os.scandir(descriptor_path.parent) as entries:
        for entry in entries:
            candidate = Path(entry.path)
            if entry.name == descriptor_path.name or not entry.name.endswith(DESCRIPTOR_SUFFIX):
                continue
            if not entry.is_file(follow_symlinks=False) or not is_descriptor_file(candidate):
                continue
            try:
                hint = read_descriptor(candidate).parent_file_name_hint
            except DescriptorError:
                continue  # not ours to judge here; opening it will say what is wrong
            if hint == descriptor_path.name:
                children.append(candidate)
    return sorted(children)


def check_not_consolidating(link: ChainLink) -> None:
    marker = link.descriptor.ddb.get(CONSOLIDATING_KEY)
    if marker is not None:
        raise InvalidState(
            f"'{link.path.name}' is being consolidated with '{marker}'; "
            "run the consolidation again to finish it"
        )


def open_disk(descriptor_path: Path | str, read_only: bool = False) -> VirtualDisk:
    """Open the chain topped by ``descriptor_path``; only its top is written.

    InvalidState if the chain is broken (parentCID), if the disk has a child
    delta and ``read_only`` is false, or if any file is locked by a writer.
    """
    path = Path(descriptor_path)
    check_descriptor_name(path)
    links = load_chain(path)
    check_not_consolidating(links[0])
    extents = open_extents(links, writable=not read_only)
    try:
        # after locking: a create_delta running now holds a shared lock on the top and makes us fail above
        if not read_only and (children := find_children(path)):
            raise InvalidState(
                f"'{path.name}' has the snapshot delta '{children[0].name}' on top of it; it is read-only"
            )
    except BaseException:
        for extent in extents:
            extent.close()
        raise
    return VirtualDisk(links, extents, read_only)


class VirtualDisk:
    """An open disk chain: byte-addressed reads and writes, writes going to the top only.

    Thread-safe (one lock per disk). ``write`` is write-back: ``flush`` makes
    every completed write durable, as a guest's cache flush does.
    """

    def __init__(self, links: list[ChainLink], extents: list[Extent], read_only: bool) -> None:
        self._links = links
        self._extents = extents
        self._read_only = read_only
        self._lock = threading.Lock()
        self._closed = False

    @property
    def chain(self) -> list[Path]:
        """Descriptor paths, top first, base last."""
        return [link.path for link in self._links]

    @property
    def descriptor(self) -> Descriptor:
        """The top descriptor."""
        return self._links[0].descriptor

    @property
    def base_descriptor(self) -> Descriptor:
        """The base disk's descriptor (adapter type, geometry, uuid, hardware version)."""
        return self._links[-1].descriptor

    @property
    def capacity_bytes(self) -> int:
        return self._extents[0].capacity_bytes

    @property
    def read_only(self) -> bool:
        return self._read_only

    @property
    def closed(self) -> bool:
        return self._closed

    def read(self, offset: int, length: int) -> bytes:
        with self._lock:
            self._check_open()
            return self._extents[0].read(offset, length)

    def read_into(self, offset: int, into: memoryview) -> None:
        """Read ``len(into)`` bytes at ``offset`` straight into a writable byte view (a guest's buffer)."""
        with self._lock:
            self._check_open()
            self._extents[0].read_into(offset, into)

    def read_cached(self, offset: int, into: memoryview) -> bool:
        """``read_into`` only if it cannot block: the data is in the page cache and no other thread
        works on this disk now; False (nothing done) otherwise."""
        if not self._lock.acquire(blocking=False):
            return False
        try:
            self._check_open()
            return self._extents[0].read_cached(offset, into)
        finally:
            self._lock.release()

    def write(self, offset: int, data: Buffer) -> None:
        with self._lock:
            self._check_open()
            if self._read_only:
                raise InvalidState(f"The disk '{self._links[0].path.name}' is open read-only")
            self._extents[0].write(offset, data)

    def flush(self) -> None:
        with self._lock:
            self._check_open()
            self._extents[0].flush()

    def close(self) -> None:
        """Flush and release every file of the chain; closing twice is harmless."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            errors: list[BaseException] = []
            for extent in self._extents:
                try:
                    extent.close()
                except Exception as exc:  # close the rest, then report the first failure
                    errors.append(exc)
            if errors:
                raise errors[0]

    def provisioned_bytes(self) -> int:
        """The most the chain's files can take: base capacity, each delta's header, bitmap and capacity."""
        descriptors = sum(os.stat(link.path).st_size for link in self._links)
        return descriptors + sum(extent.provisioned_bytes for extent in self._extents)

    def used_bytes(self) -> int:
        """The space the chain's files really take (allocated blocks of descriptors and extents)."""
        paths = [p for link in self._links for p in (link.path, link.extent_path)]
        return sum(os.stat(p).st_blocks * 512 for p in paths)

    def __enter__(self) -> VirtualDisk:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else ("read-only" if self._read_only else "read-write")
        name, links = self._links[0].path.name, len(self._links)
        return f"<VirtualDisk {name} {self.capacity_bytes} bytes, {links} links, {state}>"

    def _check_open(self) -> None:
        if self._closed:
            raise InvalidState(f"The disk '{self._links[0].path.name}' is closed")

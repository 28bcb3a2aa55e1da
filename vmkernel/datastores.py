"""Datastores the VMkernel mounts: datastore1 at install, more added at a directory of the host's.

As on ESXi, every datastore is reached as ``vmfs/volumes/<name>`` under the host's root:
datastore1 is a directory there; an added datastore is a symlink there to its
directory, so unmounting one removes the link and leaves the files. Capacity and
free space are the real filesystem's; a configured capacity caps them (used =
the blocks allocated under the datastore), so that a full datastore can be
tested on a large disk.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from pyesx.api.v1 import host_pb2
from pyesx.faults import DuplicateName, InvalidArgument, InvalidState, NotFound
from pyesx.layout import HostLayout, check_entity_name
from vmkernel.config import DatastoreConfig, EsxConfig

INSTALL_DATASTORE = "datastore1"
MAX_CAPACITY_BYTES = 1 << 60  # 1 EiB: anything larger is a mistake
MAX_IOPS = 10_000_000
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._()-]*$")


@dataclass(frozen=True)
class DatastoreSpace:
    capacity_bytes: int
    free_bytes: int


def allocated_bytes(top: Path) -> int:
    """Bytes of blocks allocated to the files under ``top`` (sparse files count what they hold)."""
    total = 0
    stack = [top]
    while stack:
        with os.scandir(stack.pop()) as entries:
            for entry in entries:
                try:
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(Path(entry.path))
                    else:
                        total += entry.stat(follow_symlinks=False).st_blocks * 512
                except FileNotFoundError:
                    continue  # removed while we looked
    return total


class DatastoreTable:
    """The mounted datastores, as recorded in esx.conf (saved on every change)."""

    def __init__(self, layout: HostLayout, config: EsxConfig) -> None:
        self.layout, self.config = layout, config

    def names(self) -> list[str]:
        return [d.name for d in self.config.datastores]

    def _find(self, name: str) -> DatastoreConfig:
        for datastore in self.config.datastores:
            if datastore.name == name:
                return datastore
        raise NotFound("Datastore", name)

    def capped_free_bytes(self, name: str) -> int | None:
        """A datastore's free bytes if its capacity is configured (None: the filesystem decides)."""
        datastore = self._find(name)
        return self.space(name).free_bytes if datastore.capacity_bytes else None

    def capacity_iops(self, name: str) -> float:
        """The datastore's configured throughput in IOPS (0: as fast as its disk goes)."""
        return float(self._find(name).capacity_iops)

    def mount_all(self) -> None:
        """At boot: every added datastore's link in vmfs/volumes points at its directory."""
        for datastore in self.config.datastores:
            if datastore.path:
                self._link(datastore)

    def _link(self, datastore: DatastoreConfig) -> None:
        link = self.layout.datastore(datastore.name)
        if link.is_symlink() and os.readlink(link) == datastore.path:
            return
        if link.is_symlink():
            link.unlink()
        link.symlink_to(datastore.path, target_is_directory=True)

    def space(self, name: str) -> DatastoreSpace:
        datastore = self._find(name)
        path = self.layout.datastore(name)
        stat = os.statvfs(path)
        capacity, free = stat.f_blocks * stat.f_frsize, stat.f_bavail * stat.f_frsize
        if datastore.capacity_bytes:
            used = allocated_bytes(path.resolve())
            capacity, free = datastore.capacity_bytes, min(free, max(0, datastore.capacity_bytes - used))
        return DatastoreSpace(capacity, free)

    def to_proto(self, name: str) -> host_pb2.Datastore:
        datastore = self._find(name)
        try:
            space, accessible = self.space(name), True
        except OSError:
            space, accessible = DatastoreSpace(0, 0), False
        return host_pb2.Datastore(
            name=name,
            url=str(self.layout.datastore(name)),
            capacity_bytes=space.capacity_bytes,
            free_bytes=space.free_bytes,
            path=datastore.path or str(self.layout.datastore(name)),
            capacity_limited=bool(datastore.capacity_bytes),
            accessible=accessible,
            capacity_iops=datastore.capacity_iops,
        )

    @staticmethod
    def _check_caps(capacity_bytes: int, capacity_iops: int) -> None:
        if isinstance(capacity_bytes, bool) or not 0 <= capacity_bytes <= MAX_CAPACITY_BYTES:
            raise InvalidArgument(
                "capacityBytes", f"{capacity_bytes} is not between 0 and {MAX_CAPACITY_BYTES}"
            )
        if not 0 <= capacity_iops <= MAX_IOPS:
            raise InvalidArgument("capacityIops", f"{capacity_iops} is not between 0 and {MAX_IOPS}")

    def update(self, name: str, capacity_bytes: int | None, capacity_iops: int | None) -> host_pb2.Datastore:
        """Change a datastore's configured capacity cap and I/O throughput (None: unchanged)."""
        datastore = self._find(name)
        new_bytes = datastore.capacity_bytes if capacity_bytes is None else capacity_bytes
        new_iops = datastore.capacity_iops if capacity_iops is None else capacity_iops
        self._check_caps(new_bytes, new_iops)
        before = (datastore.capacity_bytes, datastore.capacity_iops)
        datastore.capacity_bytes, datastore.capacity_iops = new_bytes, new_iops
        try:
            self.config.save(self.layout)
        except BaseException:
            datastore.capacity_bytes, datastore.capacity_iops = before
            raise
        return self.to_proto(name)

    def add(
        self, name: str, path: str, capacity_bytes: int = 0, capacity_iops: int = 0
    ) -> host_pb2.Datastore:
        """Mount the existing directory ``path`` as datastore ``name`` (capacity 0: the filesystem's)."""
        check_entity_name(name)
        if not _NAME.match(name):
            raise InvalidArgument("name", f"'{name}': letters, digits, space and ._()- only")
        if name in self.names():
            raise DuplicateName(name)
        if isinstance(capacity_bytes, bool) or not 0 <= capacity_bytes <= MAX_CAPACITY_BYTES:
            raise InvalidArgument(
                "capacityBytes", f"{capacity_bytes} is not between 0 and {MAX_CAPACITY_BYTES}"
            )
        directory = Path(path)
        if not directory.is_absolute():
            raise InvalidArgument("path", f"'{path}' must be an absolute path")
        if not directory.is_dir():
            raise NotFound("Directory", path)
        real = directory.resolve()
        for existing in self.config.datastores:
            other = self.layout.datastore(existing.name).resolve()
            if real == other or real.is_relative_to(other) or other.is_relative_to(real):
                raise InvalidArgument("path", f"'{path}' overlaps datastore '{existing.name}'")
        if real.is_relative_to(self.layout.root.resolve()):
            raise InvalidArgument("path", f"'{path}' is inside the host's root")
        if not os.access(real, os.R_OK | os.W_OK | os.X_OK):
            raise InvalidArgument("path", f"'{path}' is not readable and writable by the host")
        datastore = DatastoreConfig(name, str(real), capacity_bytes, capacity_iops)
        self._link(datastore)
        self.config.datastores.append(datastore)
        try:
            self.config.save(self.layout)
        except BaseException:
            self.config.datastores.remove(datastore)
            self._unmount(datastore)
            raise
        return self.to_proto(name)

    def remove(self, name: str) -> None:
        """Unmount an added datastore: its link goes, its files stay. datastore1 cannot be removed."""
        datastore = self._find(name)
        if not datastore.path:
            raise InvalidState(f"Datastore '{name}' was created at install and cannot be removed.")
        index = self.config.datastores.index(datastore)
        del self.config.datastores[index]
        try:
            self.config.save(self.layout)
        except BaseException:
            self.config.datastores.insert(index, datastore)
            raise
        self._unmount(datastore)

    def _unmount(self, datastore: DatastoreConfig) -> None:
        link = self.layout.datastore(datastore.name)
        if link.is_symlink():
            link.unlink()

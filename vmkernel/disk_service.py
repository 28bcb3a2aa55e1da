"""The storage stack's virtual-disk calls, for hostd: every path is checked to lie in a datastore,
and the blocking disk work runs off the event loop."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from pyesx import faults
from pyesx.layout import HostLayout
from pyesx.vmkernel.v1 import vmkernel_pb2
from vmkernel.datastores import DatastoreTable
from vmkernel.storage import disks
from vmkernel.storage.chain import open_disk
from vmkernel.storage.delta import delta_layout
from vmkernel.storage.io_service import DiskIoService, DiskSpec
from vmkernel.storage.mclock import IoAllocation

T = TypeVar("T")
FORMATS = ("thin", "thick", "eagerZeroedThick")


class DiskService:
    def __init__(self, layout: HostLayout, datastores: DatastoreTable, io: DiskIoService) -> None:
        self.layout = layout
        self.datastores = datastores
        self.io = io
        self._lock = asyncio.Lock()  # one multi-file disk operation at a time

    def _locate(self, raw: str) -> tuple[str, Path]:
        """(datastore, path) for a path inside a datastore folder (not the datastore itself)."""
        if not raw or "\x00" in raw:
            raise faults.InvalidArgument("path", "a disk path is required")
        path = Path(raw)
        if not path.is_absolute() or ".." in path.parts:
            raise faults.InvalidArgument("path", f"'{raw}' is not an absolute path without '..'")
        resolved = path.parent.resolve() / path.name
        for name in self.datastores.names():
            root = self.layout.datastore(name).resolve()
            if resolved.is_relative_to(root) and resolved.parent != root:
                return name, resolved
        raise faults.InvalidArgument("path", f"'{raw}' is not in a VM folder of a datastore")

    def disk_spec(self, disk: vmkernel_pb2.VmDisk) -> DiskSpec:
        """A powered-on VM's disk, checked to lie in a datastore, with its mClock allocation."""
        datastore, path = self._locate(disk.path)
        try:
            allocation = IoAllocation(disk.reservation_iops, disk.shares or 1000, disk.limit_iops or None)
        except ValueError as exc:
            raise faults.InvalidArgument(f"{disk.key} I/O allocation", str(exc)) from None
        return DiskSpec(disk.key, path, disk.mode or "persistent", datastore, allocation)

    def checked(self, raw: str) -> Path:
        """raw as a path inside a datastore folder (not the datastore itself); InvalidArgument otherwise."""
        return self._locate(raw)[1]

    def _check_space(self, datastore: str, needed: int) -> None:
        """A thick allocation that cannot fit is refused before anything is written."""
        free = self.datastores.space(datastore).free_bytes
        if needed > free:
            raise faults.InsufficientResourcesFault("datastore space", needed, free)

    async def _run(self, work: Callable[[], T]) -> T:
        async with self._lock:
            return await asyncio.to_thread(work)

    def info(self, path: Path) -> vmkernel_pb2.VirtualDiskInfo:
        if not path.is_file():
            raise faults.NotFound("VirtualDisk", str(path))
        running = self.io.holding(path)
        if running is not None:  # a running VM has the chain open: describe it from there
            chain = running.chain
            below = chain[[p.resolve() for p in chain].index(path.resolve()) :]
            return vmkernel_pb2.VirtualDiskInfo(
                path=str(path),
                capacity_bytes=running.capacity_bytes,
                chain=[str(p) for p in below],
                used_bytes=sum(p.stat().st_blocks * 512 for p in below),
                provisioned_bytes=running.provisioned_bytes(),
                thin=running.base_descriptor.is_thin,
            )
        with open_disk(path, read_only=True) as disk:
            return vmkernel_pb2.VirtualDiskInfo(
                path=str(path),
                capacity_bytes=disk.capacity_bytes,
                chain=[str(p) for p in disk.chain],
                used_bytes=disk.used_bytes(),
                provisioned_bytes=disk.provisioned_bytes(),
                thin=disk.base_descriptor.is_thin,
            )

    async def create(self, request: vmkernel_pb2.CreateVirtualDiskRequest) -> vmkernel_pb2.VirtualDiskInfo:
        path = self.checked(request.path)
        disk_format = request.disk_format or "thin"
        if disk_format not in FORMATS:
            raise faults.InvalidArgument("diskFormat", f"'{disk_format}' is not one of {', '.join(FORMATS)}")
        if not path.parent.is_dir():
            raise faults.NotFound("Folder", str(path.parent))
        if disk_format != "thin":
            self._check_space(self._locate(request.path)[0], request.capacity_bytes)
        await self._run(lambda: disks.create_disk(path, request.capacity_bytes, disk_format).close())
        return self.info(path)

    async def grow(self, raw: str, capacity_bytes: int) -> vmkernel_pb2.VirtualDiskInfo:
        """Extend a disk without snapshots (a thick one only if the datastore has the room)."""
        datastore, path = self._locate(raw)
        current = self.info(path)
        if not current.thin and capacity_bytes > current.capacity_bytes:
            self._check_space(datastore, capacity_bytes - current.capacity_bytes)
        await self._run(lambda: disks.grow_disk(path, capacity_bytes))
        return self.info(path)

    async def get(self, raw: str) -> vmkernel_pb2.VirtualDiskInfo:
        return self.info(self.checked(raw))

    async def delete(self, raw: str) -> None:
        path = self.checked(raw)
        if not path.is_file():
            raise faults.NotFound("VirtualDisk", raw)
        await self._run(lambda: disks.delete_disk(path))

    async def delta(self, raw: str) -> vmkernel_pb2.VirtualDiskInfo:
        """A new delta on ``raw``; a running VM writing to ``raw`` goes on in the delta. A datastore
        without room for the delta's header and bitmap refuses it, as a full ESXi datastore does."""
        datastore, path = self._locate(raw)
        self._check_space(datastore, delta_layout(self.info(path).capacity_bytes)[1])
        async with self.io.suspended(path) as new_tops:
            made = await self._run(lambda: disks.create_delta(path))
            try:
                info = self.info(made)  # before the running VM locks it again
            except BaseException:  # a file of the chain below is gone: the new delta goes too
                await self._run(lambda: disks.delete_disk(made))
                raise
            new_tops[path] = made
            return info

    async def consolidate(self, raw: str) -> vmkernel_pb2.VirtualDiskInfo:
        """Merge the delta ``raw`` into its parent; a running VM on it goes on in the parent."""
        path = self.checked(raw)
        async with self.io.suspended(path) as new_tops:
            parent = await self._run(lambda: disks.consolidate(path))
            new_tops[path] = parent
            return self.info(parent)

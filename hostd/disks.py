"""hostd's view of the VMkernel's storage stack: create, delete and chain virtual disks of a VM."""

from __future__ import annotations

from pathlib import Path

from pyesx.rpc.channel import call
from pyesx.vmkernel.v1 import vmkernel_pb2, vmkernel_pb2_grpc

DISK_TIMEOUT = 600.0  # eager-zeroed disks and consolidations take time


class DiskOps:
    def __init__(self, vmkernel: vmkernel_pb2_grpc.VMkernelStub) -> None:
        self.vmkernel = vmkernel

    async def create_for_vm(
        self, folder: Path, capacities: list[int], disk_format: str = "thin"
    ) -> list[str]:
        """Create one disk per capacity named as ESXi names them (web01.vmdk, web01_1.vmdk, …);
        return their file names. If one fails, the ones made before it are deleted."""
        made: list[Path] = []
        try:
            for capacity in capacities:
                path = self._free_name(folder, made)
                request = vmkernel_pb2.CreateVirtualDiskRequest(
                    path=str(path), capacity_bytes=capacity, disk_format=disk_format
                )
                await call(self.vmkernel.CreateVirtualDisk, request, timeout=DISK_TIMEOUT)
                made.append(path)
        except BaseException:
            for path in made:
                await self.delete(path)
            raise
        return [path.name for path in made]

    @staticmethod
    def _free_name(folder: Path, taken: list[Path]) -> Path:
        for index in range(1000):
            path = folder / (f"{folder.name}.vmdk" if index == 0 else f"{folder.name}_{index}.vmdk")
            if path not in taken and not path.exists():
                return path
        raise FileExistsError(f"no free disk name in {folder}")

    async def grow(self, path: Path, capacity_bytes: int) -> None:
        request = vmkernel_pb2.GrowVirtualDiskRequest(path=str(path), capacity_bytes=capacity_bytes)
        await call(self.vmkernel.GrowVirtualDisk, request, timeout=DISK_TIMEOUT)

    async def info(self, path: Path) -> vmkernel_pb2.VirtualDiskInfo:
        return await call(self.vmkernel.GetVirtualDisk, vmkernel_pb2.DiskPathRequest(path=str(path)))

    async def delete(self, path: Path) -> None:
        await call(self.vmkernel.DeleteVirtualDisk, vmkernel_pb2.DiskPathRequest(path=str(path)))

    async def delta(self, path: Path) -> Path:
        info = await call(self.vmkernel.CreateDeltaDisk, vmkernel_pb2.DiskPathRequest(path=str(path)))
        return Path(info.path)

    async def consolidate(self, path: Path) -> Path:
        request = vmkernel_pb2.DiskPathRequest(path=str(path))
        return Path((await call(self.vmkernel.ConsolidateDisk, request, timeout=DISK_TIMEOUT)).path)

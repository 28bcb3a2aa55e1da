"""hostd's DatastoreService: datastores (mounted by the VMkernel) and the files on them."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TypeAlias

import grpc

from hostd.filemanager import FileManager, Located, no_space, remove_any
from hostd.vms import POWERED_ON, VmManager
from pyesx import faults
from pyesx.api.v1 import datastore_pb2, datastore_pb2_grpc, host_pb2
from pyesx.logs import get_logger
from pyesx.rpc.channel import call
from pyesx.vmkernel.v1 import vmkernel_pb2, vmkernel_pb2_grpc

Ctx: TypeAlias = grpc.aio.ServicerContext
_log = get_logger("hostd")


class DatastoreServicer(datastore_pb2_grpc.DatastoreServiceServicer):
    def __init__(self, vms: VmManager, vmkernel: vmkernel_pb2_grpc.VMkernelStub) -> None:
        self.vms, self.vmkernel = vms, vmkernel
        self.files = FileManager(vms.layout, self._running_vm_holding)

    def _running_vm_holding(self, path: Path) -> str | None:
        """The powered-on VM whose folder is, holds or lies in ``path`` (its files are locked)."""
        real = path.resolve()
        for vm in self.vms.all():
            if vm.power_state != POWERED_ON:
                continue
            folder = vm.folder.resolve()
            if real == folder or real.is_relative_to(folder) or folder.is_relative_to(real):
                return vm.name
        return None

    async def _datastores(self) -> list[host_pb2.Datastore]:
        info = await call(self.vmkernel.GetHostInfo, vmkernel_pb2.GetHostInfoRequest())
        return list(info.datastores)

    async def _datastore(self, name: str) -> host_pb2.Datastore:
        for datastore in await self._datastores():
            if datastore.name == name:
                return datastore
        raise faults.NotFound("Datastore", name)

    async def _free_bytes(self, datastore_path: str) -> int | None:
        """A capacity-limited datastore's free bytes (a copy must fit); None: the filesystem decides."""
        where = self.files.resolve(datastore_path)
        datastore = await self._datastore(where.datastore)
        return datastore.free_bytes if datastore.capacity_limited else None

    # -- datastores -------------------------------------------------------------------------------

    async def ListDatastores(
        self, request: datastore_pb2.ListDatastoresRequest, context: Ctx
    ) -> datastore_pb2.ListDatastoresResponse:
        return datastore_pb2.ListDatastoresResponse(datastores=await self._datastores())

    async def GetDatastore(
        self, request: datastore_pb2.GetDatastoreRequest, context: Ctx
    ) -> host_pb2.Datastore:
        return await self._datastore(request.name)

    async def CreateDatastore(
        self, request: datastore_pb2.CreateDatastoreRequest, context: Ctx
    ) -> host_pb2.Datastore:
        add = vmkernel_pb2.AddDatastoreRequest(
            name=request.name,
            path=request.path,
            capacity_bytes=request.capacity_bytes,
            capacity_iops=request.capacity_iops,
        )
        return await call(self.vmkernel.AddDatastore, add)

    async def UpdateDatastore(
        self, request: datastore_pb2.UpdateDatastoreRequest, context: Ctx
    ) -> host_pb2.Datastore:
        updated: host_pb2.Datastore = await call(self.vmkernel.UpdateDatastore, request)
        return updated

    async def RemoveDatastore(
        self, request: datastore_pb2.RemoveDatastoreRequest, context: Ctx
    ) -> datastore_pb2.RemoveDatastoreResponse:
        await self._datastore(request.name)
        users = [
            vm.name
            for vm in self.vms.all()
            if vm.vmx_path.is_relative_to(self.vms.layout.datastore(request.name))
        ]
        if users:
            raise faults.InvalidState(
                f"Datastore '{request.name}' holds registered VMs ({', '.join(sorted(users)[:5])}): "
                "unregister them first."
            )
        await call(self.vmkernel.RemoveDatastore, vmkernel_pb2.RemoveDatastoreRequest(name=request.name))
        return datastore_pb2.RemoveDatastoreResponse()

    # -- files ------------------------------------------------------------------------------------

    async def BrowseDatastore(
        self, request: datastore_pb2.BrowseDatastoreRequest, context: Ctx
    ) -> datastore_pb2.BrowseDatastoreResponse:
        files = await asyncio.to_thread(
            self.files.browse, request.path, request.recursive, request.match_pattern
        )
        return datastore_pb2.BrowseDatastoreResponse(files=files)

    async def MakeDirectory(
        self, request: datastore_pb2.MakeDirectoryRequest, context: Ctx
    ) -> datastore_pb2.FileOperationResponse:
        made = await asyncio.to_thread(self.files.make_directory, request.path, request.create_parents)
        return datastore_pb2.FileOperationResponse(file=made)

    async def DeleteFile(
        self, request: datastore_pb2.DatastoreFileRequest, context: Ctx
    ) -> datastore_pb2.FileOperationResponse:
        await asyncio.to_thread(self.files.delete, request.path)
        _log.info("datastore.file_deleted", path=request.path)
        return datastore_pb2.FileOperationResponse()

    async def MoveFile(
        self, request: datastore_pb2.CopyMoveFileRequest, context: Ctx
    ) -> datastore_pb2.FileOperationResponse:
        free = await self._free_bytes(request.destination)
        moved = await asyncio.to_thread(
            self.files.move, request.source, request.destination, request.force, free
        )
        _log.info("datastore.file_moved", source=request.source, destination=request.destination)
        return datastore_pb2.FileOperationResponse(file=moved)

    async def CopyFile(
        self, request: datastore_pb2.CopyMoveFileRequest, context: Ctx
    ) -> datastore_pb2.FileOperationResponse:
        free = await self._free_bytes(request.destination)
        copied = await asyncio.to_thread(
            self.files.copy, request.source, request.destination, request.force, free
        )
        _log.info("datastore.file_copied", source=request.source, destination=request.destination)
        return datastore_pb2.FileOperationResponse(file=copied)

    async def UploadFile(
        self, request_iterator: AsyncIterator[datastore_pb2.UploadChunk], context: Ctx
    ) -> datastore_pb2.FileOperationResponse:
        upload: _Upload | None = None
        try:
            async for chunk in request_iterator:
                if upload is None:
                    upload = await self._start_upload(chunk)
                await upload.write(chunk.data)
            if upload is None:
                raise faults.InvalidArgument("path", "the first message of an upload names the file")
            done = await upload.finish(self.files)
        except BaseException:
            if upload is not None:
                upload.abandon()
            raise
        _log.info("datastore.file_uploaded", path=done.path, bytes=upload.written)
        return datastore_pb2.FileOperationResponse(file=done)

    async def _start_upload(self, first: datastore_pb2.UploadChunk) -> _Upload:
        if not first.path:
            raise faults.InvalidArgument("path", "the first message of an upload names the file")
        where, partial = await asyncio.to_thread(self.files.open_upload, first.path, first.overwrite)
        free = await self._free_bytes(first.path)
        if free is not None and first.total_bytes > free:
            raise faults.InsufficientResourcesFault("datastore space", first.total_bytes, free)
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
        return _Upload(where, partial, fd, free)

    async def DownloadFile(
        self, request: datastore_pb2.DownloadFileRequest, context: Ctx
    ) -> AsyncIterator[datastore_pb2.FileChunk]:
        chunks = self.files.read_chunks(request.path, request.offset)
        try:
            while True:
                piece = await asyncio.to_thread(next, chunks, None)
                if piece is None:
                    return
                offset, data, total = piece
                yield datastore_pb2.FileChunk(offset=offset, data=data, total_bytes=total)
        finally:
            with contextlib.suppress(Exception):
                chunks.close()


class _Upload:
    """One upload in progress: the partial file it writes and the space it may use."""

    def __init__(self, where: Located, partial: Path, fd: int, free_bytes: int | None) -> None:
        self.where, self.partial, self.fd, self.free_bytes = where, partial, fd, free_bytes
        self.written = 0

    async def write(self, data: bytes) -> None:
        self.written += len(data)
        if self.free_bytes is not None and self.written > self.free_bytes:
            raise faults.InsufficientResourcesFault("datastore space", self.written, self.free_bytes)
        try:
            await asyncio.to_thread(_write_all, self.fd, data)
        except OSError as exc:
            raise no_space(exc, self.where.path, len(data)) from exc

    async def finish(self, files: FileManager) -> datastore_pb2.DatastoreFile:
        os.close(self.fd)
        self.fd = -1
        return await asyncio.to_thread(files.finish_upload, self.where, self.partial)

    def abandon(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
        remove_any(self.partial)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]

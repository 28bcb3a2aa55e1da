"""The SDK's datastore calls: datastores, and the files on them (browse, copy, move, delete,
upload, download). Mixed into ``clients.sdk.Client``."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import grpc

from pyesx.api.v1 import datastore_pb2, datastore_pb2_grpc, host_pb2
from pyesx.rpc.faultwire import fault_from_rpc_error

R = TypeVar("R")
UPLOAD_CHUNK_BYTES = 1 << 20


@dataclass(frozen=True)
class Datastore:
    """A datastore as Get-Datastore shows it."""

    name: str
    url: str  # its mount point under the host's root
    path: str  # the directory it is
    capacity_bytes: int
    free_bytes: int
    capacity_limited: bool  # capacity is a configured cap
    accessible: bool
    capacity_iops: int = 0  # guest I/O is paced at this (mClock's capacity); 0: the disk's own speed

    @property
    def capacity_gb(self) -> float:
        return self.capacity_bytes / 2**30

    @property
    def free_space_gb(self) -> float:
        return self.free_bytes / 2**30


@dataclass(frozen=True)
class DatastoreFile:
    """One entry of the datastore browser."""

    name: str
    path: str  # "[datastore1] web01/web01.vmx"
    type: str  # Folder | VmConfigFile | VmDiskFile | … | File
    size_bytes: int
    allocated_bytes: int
    modified: dt.datetime

    @property
    def is_folder(self) -> bool:
        return self.type == "Folder"


def datastore_from_proto(m: host_pb2.Datastore) -> Datastore:
    return Datastore(
        m.name,
        m.url,
        m.path,
        m.capacity_bytes,
        m.free_bytes,
        m.capacity_limited,
        m.accessible,
        m.capacity_iops,
    )


def file_from_proto(m: datastore_pb2.DatastoreFile) -> DatastoreFile:
    modified = dt.datetime.fromtimestamp(m.modified, dt.UTC)
    return DatastoreFile(m.name, m.path, m.type, m.size_bytes, m.allocated_bytes, modified)


class DatastoreCalls:
    """Datastore and file calls of a logged-in ``Client``."""

    _datastores: datastore_pb2_grpc.DatastoreServiceStub
    _call: Callable[..., Any]
    _metadata: Callable[[], list[tuple[str, str]]]

    def datastores(self) -> list[Datastore]:
        reply = self._call(self._datastores.ListDatastores, datastore_pb2.ListDatastoresRequest())
        return [datastore_from_proto(m) for m in reply.datastores]

    def get_datastore(self, name: str) -> Datastore:
        return datastore_from_proto(
            self._call(self._datastores.GetDatastore, datastore_pb2.GetDatastoreRequest(name=name))
        )

    def create_datastore(
        self, name: str, path: str, capacity_bytes: int = 0, capacity_iops: int = 0
    ) -> Datastore:
        """Mount an existing directory of the host as a datastore (capacity_bytes: a cap, 0 = none;
        capacity_iops: the throughput guest I/O is paced at, 0 = the disk's own)."""
        request = datastore_pb2.CreateDatastoreRequest(
            name=name, path=path, capacity_bytes=capacity_bytes, capacity_iops=capacity_iops
        )
        return datastore_from_proto(self._call(self._datastores.CreateDatastore, request))

    def update_datastore(
        self, name: str, capacity_bytes: int | None = None, capacity_iops: int | None = None
    ) -> Datastore:
        """Change a datastore's configured capacity cap or I/O throughput (None: unchanged)."""
        request = datastore_pb2.UpdateDatastoreRequest(
            name=name, capacity_bytes=capacity_bytes, capacity_iops=capacity_iops
        )
        return datastore_from_proto(self._call(self._datastores.UpdateDatastore, request))

    def remove_datastore(self, name: str) -> None:
        self._call(self._datastores.RemoveDatastore, datastore_pb2.RemoveDatastoreRequest(name=name))

    def browse(self, path: str, recursive: bool = False, pattern: str = "") -> list[DatastoreFile]:
        """A folder's entries ("[datastore1]" or "[datastore1] web01"), or one file's."""
        request = datastore_pb2.BrowseDatastoreRequest(path=path, recursive=recursive, match_pattern=pattern)
        return [file_from_proto(m) for m in self._call(self._datastores.BrowseDatastore, request).files]

    def make_directory(self, path: str, create_parents: bool = False) -> DatastoreFile:
        request = datastore_pb2.MakeDirectoryRequest(path=path, create_parents=create_parents)
        return file_from_proto(self._call(self._datastores.MakeDirectory, request).file)

    def delete_file(self, path: str) -> None:
        self._call(self._datastores.DeleteFile, datastore_pb2.DatastoreFileRequest(path=path))

    def move_file(self, source: str, destination: str, force: bool = False) -> DatastoreFile:
        request = datastore_pb2.CopyMoveFileRequest(source=source, destination=destination, force=force)
        return file_from_proto(self._call(self._datastores.MoveFile, request, None).file)

    def copy_file(self, source: str, destination: str, force: bool = False) -> DatastoreFile:
        request = datastore_pb2.CopyMoveFileRequest(source=source, destination=destination, force=force)
        return file_from_proto(self._call(self._datastores.CopyFile, request, None).file)

    def upload(self, local: str | os.PathLike[str], path: str, overwrite: bool = False) -> DatastoreFile:
        """Stream a local file to a datastore path; the file appears whole or not at all."""
        source = Path(local)
        total = source.stat().st_size

        def chunks() -> Iterator[datastore_pb2.UploadChunk]:
            with source.open("rb") as file:
                yield datastore_pb2.UploadChunk(path=path, overwrite=overwrite, total_bytes=total)
                while data := file.read(UPLOAD_CHUNK_BYTES):
                    yield datastore_pb2.UploadChunk(data=data)

        return file_from_proto(self._call(self._datastores.UploadFile, chunks(), None).file)

    def download(self, path: str, local: str | os.PathLike[str], resume: bool = False) -> int:
        """Stream a datastore file to a local file; resume: append from the local file's length.
        Returns the bytes written."""
        target = Path(local)
        offset = target.stat().st_size if resume and target.exists() else 0
        written = 0
        request = datastore_pb2.DownloadFileRequest(path=path, offset=offset)
        file = None  # opened at the first chunk: a refused download leaves no local file
        try:
            for chunk in self._datastores.DownloadFile(request, metadata=self._metadata()):
                if file is None:
                    file = target.open("r+b" if offset else "wb")
                    file.seek(offset)
                file.write(chunk.data)
                written += len(chunk.data)
        except grpc.RpcError as error:
            raise fault_from_rpc_error(error) from None
        finally:
            if file is not None:
                file.close()
        return written

"""The fake host's datastores: hostd's own FileManager over a temporary directory, so the shell's
datastore cmdlets meet the real file semantics (paths, faults, atomic writes) without a host."""

from __future__ import annotations

import os
import shutil
import tempfile
import weakref
from pathlib import Path

from clients.datastores import Datastore, DatastoreFile, datastore_from_proto, file_from_proto
from hostd.filemanager import FileManager
from pyesx.api.v1 import host_pb2
from pyesx.faults import DuplicateName, InvalidState, NotFound
from pyesx.layout import HostLayout


class FakeDatastores:
    """datastore1 at install; added datastores are directories mounted by name (symlinks)."""

    def __init__(self) -> None:
        self.datastore_root = Path(tempfile.mkdtemp(prefix="pyesx-fake-host-"))
        weakref.finalize(self, shutil.rmtree, self.datastore_root, True)
        self.layout = HostLayout(self.datastore_root)
        self.layout.datastore("datastore1").mkdir(parents=True)
        self.file_manager = FileManager(self.layout, lambda path: None)
        self.mounted: dict[str, str] = {}  # added datastore name -> its directory
        self.iops: dict[str, int] = {}  # configured I/O throughput by datastore

    def _datastore(self, name: str) -> Datastore:
        url = self.layout.datastore(name)
        if not url.is_dir():
            raise NotFound("Datastore", name)
        usage = shutil.disk_usage(url)
        return datastore_from_proto(
            host_pb2.Datastore(
                name=name,
                url=str(url),
                path=self.mounted.get(name, str(url)),
                capacity_bytes=usage.total,
                free_bytes=usage.free,
                accessible=True,
                capacity_iops=self.iops.get(name, 0),
            )
        )

    def datastores(self) -> list[Datastore]:
        return [self._datastore(name) for name in ("datastore1", *self.mounted)]

    def update_datastore(
        self, name: str, capacity_bytes: int | None = None, capacity_iops: int | None = None
    ) -> Datastore:
        self.iops[name] = self.iops.get(name, 0) if capacity_iops is None else capacity_iops
        return self._datastore(name)

    def create_datastore(
        self, name: str, path: str, capacity_bytes: int = 0, capacity_iops: int = 0
    ) -> Datastore:
        if name in ("datastore1", *self.mounted):
            raise DuplicateName(name)
        if not Path(path).is_dir():
            raise NotFound("Directory", path)
        self.layout.datastore(name).symlink_to(path)
        self.mounted[name] = path
        self.iops[name] = capacity_iops
        return self._datastore(name)

    def remove_datastore(self, name: str) -> None:
        if name == "datastore1":
            raise InvalidState("Datastore 'datastore1' was created at install and cannot be removed.")
        if name not in self.mounted:
            raise NotFound("Datastore", name)
        self.layout.datastore(name).unlink()
        del self.mounted[name]

    def browse(self, path: str, recursive: bool = False, pattern: str = "") -> list[DatastoreFile]:
        return [file_from_proto(m) for m in self.file_manager.browse(path, recursive, pattern)]

    def make_directory(self, path: str, create_parents: bool = False) -> DatastoreFile:
        return file_from_proto(self.file_manager.make_directory(path, create_parents))

    def delete_file(self, path: str) -> None:
        self.file_manager.delete(path)

    def move_file(self, source: str, destination: str, force: bool = False) -> DatastoreFile:
        return file_from_proto(self.file_manager.move(source, destination, force))

    def copy_file(self, source: str, destination: str, force: bool = False) -> DatastoreFile:
        return file_from_proto(self.file_manager.copy(source, destination, force))

    def upload(self, local: str | os.PathLike[str], path: str, overwrite: bool = False) -> DatastoreFile:
        where, partial = self.file_manager.open_upload(path, overwrite)
        shutil.copyfile(local, partial)
        return file_from_proto(self.file_manager.finish_upload(where, partial))

    def download(self, path: str, local: str | os.PathLike[str], resume: bool = False) -> int:
        offset = Path(local).stat().st_size if resume and Path(local).exists() else 0
        written = 0
        for _, data, _total in self.file_manager.read_chunks(path, offset):
            with open(local, "r+b" if offset or written else "wb") as file:
                file.seek(offset + written)
                file.write(data)
            written += len(data)
        return written

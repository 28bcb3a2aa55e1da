"""Files on datastores: browse, make folders, delete, move, copy, upload, download (blocking: run
these in a worker thread).

Every path is a datastore path. ``resolve`` refuses, before anything is read or
written, a path that would leave its datastore: ``..``, an absolute path, or a
symlink whose target lies outside. Writes land whole or not at all: a copied or
uploaded file is written aside (``.<name>.pyesx-partial``), flushed, then
renamed into place; a copied folder is built aside and renamed. Copies keep
thin disks thin (holes are skipped, not written as zeros).
"""

from __future__ import annotations

import contextlib
import errno
import fnmatch
import os
import shutil
import stat
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from pathlib import Path

from pyesx.api.v1 import datastore_pb2
from pyesx.faults import (
    FileAlreadyExists,
    InsufficientResourcesFault,
    InvalidArgument,
    InvalidState,
    NotFound,
)
from pyesx.layout import HostLayout

CHUNK_BYTES = 1 << 20
PARTIAL_SUFFIX = ".pyesx-partial"
_TYPES = {
    ".vmx": "VmConfigFile",
    ".nvram": "VmNvramFile",
    ".log": "VmLogFile",
    ".iso": "IsoImageFile",
    ".vmsn": "VmSnapshotFile",
    ".vmsd": "VmSnapshotFile",
}


@dataclass(frozen=True)
class Located:
    """A datastore path, resolved: its datastore's real root and the path below it."""

    datastore: str
    root: Path  # the datastore's real directory
    path: Path  # absolute, under root (not resolved: it may be a symlink that stays inside)

    @property
    def is_root(self) -> bool:
        return self.path == self.root


def file_type(path: Path, st: os.stat_result) -> str:
    if stat.S_ISDIR(st.st_mode):
        return "Folder"
    name = path.name
    if name.endswith(".vmdk"):
        return "File" if name.endswith(("-flat.vmdk", "-delta.vmdk")) else "VmDiskFile"
    return _TYPES.get(path.suffix, "File")


class FileManager:
    """Datastore file operations for hostd; ``locked(path)`` names the running VM holding a path."""

    def __init__(self, layout: HostLayout, locked: Callable[[Path], str | None]) -> None:
        self.layout = layout
        self.locked = locked

    # -- paths ------------------------------------------------------------------------------------

    def resolve(self, datastore_path: str) -> Located:
        """The path's place; InvalidArgument if it leaves its datastore, NotFound for no datastore."""
        if not isinstance(datastore_path, str):
            raise InvalidArgument("path", "must be a datastore path string")
        mounted = self.layout.resolve(datastore_path)  # the syntax, "..", absolute paths, the datastore
        datastore = datastore_path[1 : datastore_path.index("]")]
        root = self.layout.datastore(datastore).resolve()
        absolute = Path(os.path.normpath(root / mounted.relative_to(self.layout.datastore(datastore))))
        real = absolute.resolve()
        if not (real == root or real.is_relative_to(root)) or not absolute.is_relative_to(root):
            raise InvalidArgument("path", f"'{datastore_path}' leaves the datastore")
        return Located(datastore, root, absolute)

    def datastore_path(self, where: Located, path: Path | None = None) -> str:
        rel = (path or where.path).relative_to(where.root).as_posix()
        return f"[{where.datastore}] {'' if rel == '.' else rel}".rstrip()

    def _info(self, where: Located, path: Path) -> datastore_pb2.DatastoreFile:
        st = path.lstat()
        return datastore_pb2.DatastoreFile(
            name=path.name if path != where.root else where.datastore,
            path=self.datastore_path(where, path),
            type=file_type(path, st),
            size_bytes=0 if stat.S_ISDIR(st.st_mode) else st.st_size,
            allocated_bytes=st.st_blocks * 512,
            modified=st.st_mtime,
        )

    def _check_unlocked(self, path: Path, action: str) -> None:
        holder = self.locked(path)
        if holder:
            raise InvalidState(
                f"Cannot {action} '{path.name}': it is in use by the powered-on VM '{holder}'."
            )

    @staticmethod
    def _existing(where: Located, datastore_path: str) -> Path:
        if not where.path.exists() and not where.path.is_symlink():
            raise NotFound("File", datastore_path)
        return where.path

    # -- browsing ---------------------------------------------------------------------------------

    def browse(
        self, datastore_path: str, recursive: bool = False, pattern: str = ""
    ) -> list[datastore_pb2.DatastoreFile]:
        """A folder's entries (sorted; recursive: the whole tree below it), or one file's."""
        where = self.resolve(datastore_path)
        target = self._existing(where, datastore_path)
        if not target.is_dir():
            return [self._info(where, target)]
        out: list[datastore_pb2.DatastoreFile] = []
        for path in self._walk(target, recursive):
            if path.name.endswith(PARTIAL_SUFFIX) or (pattern and not fnmatch.fnmatch(path.name, pattern)):
                continue
            with contextlib.suppress(FileNotFoundError):
                out.append(self._info(where, path))
        return out

    @staticmethod
    def _walk(folder: Path, recursive: bool) -> Iterator[Path]:
        for entry in sorted(folder.iterdir()):
            yield entry
            if recursive and entry.is_dir() and not entry.is_symlink():
                yield from FileManager._walk(entry, recursive)

    # -- changes ----------------------------------------------------------------------------------

    def make_directory(
        self, datastore_path: str, create_parents: bool = False
    ) -> datastore_pb2.DatastoreFile:
        where = self.resolve(datastore_path)
        if where.is_root:
            raise FileAlreadyExists(datastore_path)
        if where.path.exists() or where.path.is_symlink():
            raise FileAlreadyExists(datastore_path)
        if not where.path.parent.is_dir() and not create_parents:
            raise NotFound("Folder", self.datastore_path(where, where.path.parent))
        where.path.mkdir(parents=create_parents)
        return self._info(where, where.path)

    def delete(self, datastore_path: str) -> None:
        """Delete a file, or a folder with everything in it (a symlink: the link only)."""
        where = self.resolve(datastore_path)
        if where.is_root:
            raise InvalidArgument("path", "a datastore's root folder cannot be deleted")
        target = self._existing(where, datastore_path)
        self._check_unlocked(target, "delete")
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        else:
            target.unlink()

    def _prepare_destination(self, source: Located, destination: str, force: bool) -> Located:
        dest = self.resolve(destination)
        if dest.is_root:
            raise InvalidArgument("destination", "a datastore's root folder cannot be replaced")
        if dest.path == source.path:
            raise InvalidArgument("destination", "is the source itself")
        if dest.path.is_relative_to(source.path):
            raise InvalidArgument("destination", "lies inside the source folder")
        if not dest.path.parent.is_dir():
            raise NotFound("Folder", self.datastore_path(dest, dest.path.parent))
        if dest.path.exists() or dest.path.is_symlink():
            if not force:
                raise FileAlreadyExists(destination)
            source_is_folder = source.path.is_dir() and not source.path.is_symlink()
            if source_is_folder and not (dest.path.is_dir() and not dest.path.is_symlink()):
                raise InvalidArgument(
                    "destination", f"'{dest.path.name}' is a file and the source is a folder"
                )
            self._check_unlocked(dest.path, "replace")
        return dest

    def move(
        self, source: str, destination: str, force: bool = False, free_bytes: int | None = None
    ) -> datastore_pb2.DatastoreFile:
        """Move (rename) a file or folder, across datastores too; ``free_bytes`` caps a copy across."""
        src = self.resolve(source)
        if src.is_root:
            raise InvalidArgument("source", "a datastore's root folder cannot be moved")
        self._check_unlocked(self._existing(src, source), "move")
        dest = self._prepare_destination(src, destination, force)
        try:
            self._replace(src.path, dest.path)
        except OSError as exc:
            if exc.errno != errno.EXDEV:
                raise
            self._copy_aside_then_rename(src.path, dest.path, free_bytes)
            self.delete(source)
        return self._info(dest, dest.path)

    def copy(
        self, source: str, destination: str, force: bool = False, free_bytes: int | None = None
    ) -> datastore_pb2.DatastoreFile:
        src = self.resolve(source)
        self._check_unlocked(self._existing(src, source), "copy")
        dest = self._prepare_destination(src, destination, force)
        self._copy_aside_then_rename(src.path, dest.path, free_bytes)
        return self._info(dest, dest.path)

    @staticmethod
    def _replace(src: Path, dest: Path) -> None:
        if dest.is_dir() and not dest.is_symlink() and src.is_dir():
            shutil.rmtree(dest)
        elif dest.is_dir() and not dest.is_symlink():
            raise InvalidArgument("destination", f"'{dest.name}' is a folder and the source is a file")
        os.replace(src, dest)

    def _copy_aside_then_rename(self, src: Path, dest: Path, free_bytes: int | None) -> None:
        needed = allocated_under(src)
        if free_bytes is not None and needed > free_bytes:
            raise InsufficientResourcesFault("datastore space", needed, free_bytes)
        partial = dest.with_name(f".{dest.name}{PARTIAL_SUFFIX}")
        remove_any(partial)
        try:
            if src.is_dir() and not src.is_symlink():
                shutil.copytree(src, partial, symlinks=True, copy_function=copy_sparse)
            else:
                copy_sparse(src, partial)
            fsync_tree(partial)
            self._replace(partial, dest)
        except OSError as exc:
            remove_any(partial)
            raise no_space(exc, dest, needed) from exc
        except BaseException:
            remove_any(partial)
            raise

    # -- transfers --------------------------------------------------------------------------------

    def open_upload(self, datastore_path: str, overwrite: bool) -> tuple[Located, Path]:
        """Where an upload goes, checked; returns (its place, the partial file to write)."""
        where = self.resolve(datastore_path)
        if where.is_root or where.path.is_dir():
            raise InvalidArgument("path", f"'{datastore_path}' is a folder")
        if not where.path.parent.is_dir():
            raise NotFound("Folder", self.datastore_path(where, where.path.parent))
        if where.path.exists() or where.path.is_symlink():
            if not overwrite:
                raise FileAlreadyExists(datastore_path)
            self._check_unlocked(where.path, "replace")
        return where, where.path.with_name(f".{where.path.name}{PARTIAL_SUFFIX}")

    def finish_upload(self, where: Located, partial: Path) -> datastore_pb2.DatastoreFile:
        fsync_tree(partial)
        os.replace(partial, where.path)
        fsync_tree(where.path.parent)
        return self._info(where, where.path)

    def read_chunks(self, datastore_path: str, offset: int) -> Generator[tuple[int, bytes, int], None, None]:
        """(offset, bytes, file length) chunks from ``offset`` to the end."""
        where = self.resolve(datastore_path)
        target = self._existing(where, datastore_path)
        if target.is_dir():
            raise InvalidArgument("path", f"'{datastore_path}' is a folder")
        if isinstance(offset, bool) or offset < 0:
            raise InvalidArgument("offset", f"{offset} must not be negative")
        with open(target, "rb") as file:
            total = os.fstat(file.fileno()).st_size
            if offset > total:
                raise InvalidArgument("offset", f"{offset} is past the end of the file ({total} bytes)")
            file.seek(offset)
            while True:
                data = file.read(CHUNK_BYTES)
                if not data and offset < total:
                    break  # the file shrank under us
                yield offset, data, total
                offset += len(data)
                if offset >= total:
                    return


def allocated_under(path: Path) -> int:
    """Blocks held by a file, or by everything under a folder (symlinks not followed)."""
    st = path.lstat()
    if not stat.S_ISDIR(st.st_mode):
        return st.st_blocks * 512
    return sum(allocated_under(entry) for entry in path.iterdir())


def copy_sparse(src: str | Path, dest: str | Path) -> None:
    """Copy a file's data segments only (SEEK_DATA / SEEK_HOLE): a thin disk stays thin."""
    with open(src, "rb") as fin, open(dest, "wb") as fout:
        size = os.fstat(fin.fileno()).st_size
        offset = 0
        while offset < size:
            try:
                start = os.lseek(fin.fileno(), offset, os.SEEK_DATA)
            except OSError as exc:
                if exc.errno == errno.ENXIO:
                    break  # only a hole is left
                raise
            end = os.lseek(fin.fileno(), start, os.SEEK_HOLE)
            fin.seek(start)
            fout.seek(start)
            remaining = end - start
            while remaining:
                data = fin.read(min(CHUNK_BYTES, remaining))
                if not data:
                    break
                fout.write(data)
                remaining -= len(data)
            offset = end
        fout.truncate(size)
    shutil.copystat(src, dest)


def fsync_tree(path: Path) -> None:
    """fsync a file, or every file and folder under a folder."""
    if path.is_dir() and not path.is_symlink():
        for entry in path.iterdir():
            fsync_tree(entry)
        flags = os.O_RDONLY | os.O_DIRECTORY
    elif path.is_symlink():
        return
    else:
        flags = os.O_RDONLY
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_any(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def no_space(exc: OSError, path: Path, needed: int) -> Exception:
    """ENOSPC as the fault a user understands; any other error as it is."""
    if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
        return exc
    st = os.statvfs(path.parent)
    return InsufficientResourcesFault("datastore space", needed, st.f_bavail * st.f_frsize)

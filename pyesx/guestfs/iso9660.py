"""ISO 9660 with Joliet: ``write_iso`` builds an image, ``IsoFilesystem`` reads one (read-only).

The image carries two directory trees over the same file data: the primary
one (upper-case ISO 9660 names, for any reader) and a Joliet one (UCS-2
names up to 64 characters, case kept) which ``IsoFilesystem`` prefers.
"""

from __future__ import annotations

import errno
import stat
import struct
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import BinaryIO

from pyesx.guestfs.api import BlockDevice, FileStat, FsUsage

SECTOR = 2048
_FIRST_DESCRIPTOR = 16
_JOLIET_ESCAPES = (b"%/@", b"%/C", b"%/E")
_JOLIET_MAX = 64
_D_CHARS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
_FLAG_DIR = 0x02


def _both16(value: int) -> bytes:
    return struct.pack("<H", value) + struct.pack(">H", value)


def _both32(value: int) -> bytes:
    return struct.pack("<I", value) + struct.pack(">I", value)


def _dir_date(when: float) -> bytes:
    t = time.gmtime(when)
    return bytes([t.tm_year - 1900, t.tm_mon, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec, 0])


def _vol_date(when: float) -> bytes:
    return time.strftime("%Y%m%d%H%M%S00", time.gmtime(when)).encode() + b"\0"


@dataclass
class _Dir:
    name: str
    children: dict[str, _Dir | bytes] = field(default_factory=dict)
    extents: dict[str, int] = field(default_factory=dict)  # tree ("p"/"j") -> first sector
    sizes: dict[str, int] = field(default_factory=dict)


def _build_tree(files: Mapping[str, bytes]) -> _Dir:
    root = _Dir("")
    for path, data in files.items():
        parts = [p for p in path.split("/") if p]
        if not parts:
            raise ValueError(f"not a file path: {path!r}")
        node = root
        for part in parts[:-1]:
            child = node.children.setdefault(part, _Dir(part))
            if not isinstance(child, _Dir):
                raise ValueError(f"{path!r}: {part!r} is a file")
            node = child
        if isinstance(node.children.get(parts[-1]), _Dir):
            raise ValueError(f"{path!r} is a directory")
        node.children[parts[-1]] = bytes(data)
    return root


def _bfs(root: _Dir, ident: Callable[[_Dir, str], bytes] | None = None) -> list[tuple[_Dir, int]]:
    """Every directory with its parent's number (1-based) in path table order: by level, parent,
    then identifier (``ident(parent, name)``; the name itself when None)."""
    order: list[tuple[_Dir, int]] = [(root, 1)]
    i = 0
    while i < len(order):
        node = order[i][0]
        subdirs = [n for n, child in node.children.items() if isinstance(child, _Dir)]
        keys = {n: ident(node, n) if ident else n.encode() for n in subdirs}
        for name in sorted(subdirs, key=keys.__getitem__):
            child = node.children[name]
            assert isinstance(child, _Dir)
            order.append((child, i + 1))
        i += 1
    return order


def _d_chars(text: str) -> str:
    return "".join(c if c in _D_CHARS else "_" for c in text.upper())


def _primary_names(names: list[str], subdirs: set[str]) -> dict[str, bytes]:
    """Unique ISO 9660 level 2 identifiers for a directory's children (``NAME.EXT;1`` for files)."""
    out: dict[str, bytes] = {}
    used: set[tuple[str, str]] = set()
    for name in sorted(names):
        is_dir = name in subdirs
        stem, dot, ext = name.rpartition(".")
        if is_dir or not dot or not stem:
            base, ext = _d_chars(name)[: 30 if is_dir else 24], ""
        else:
            base, ext = _d_chars(stem)[:24], _d_chars(ext)[:5]
        candidate, n = base, 0
        while (candidate, ext) in used:
            n += 1
            candidate = f"{base[: 23 - len(str(n))]}_{n}"
        used.add((candidate, ext))
        out[name] = (candidate if is_dir else f"{candidate}.{ext};1").encode()
    return out


def _joliet_name(name: str) -> bytes:
    if len(name) > _JOLIET_MAX:
        raise ValueError(f"{name!r}: a Joliet name holds at most {_JOLIET_MAX} characters")
    return name.encode("utf-16-be")


def _record(ident: bytes, extent: int, size: int, is_dir: bool, when: float) -> bytes:
    length = 33 + len(ident) + (1 - len(ident) % 2)
    rec = (
        bytes([length, 0])
        + _both32(extent)
        + _both32(size)
        + _dir_date(when)
        + bytes([_FLAG_DIR if is_dir else 0, 0, 0])
        + _both16(1)
        + bytes([len(ident)])
        + ident
    )
    return rec.ljust(length, b"\0")


def write_iso(
    files: Mapping[str, bytes], volume_id: str, out: BinaryIO, *, timestamp: float | None = None
) -> None:
    """Write an ISO 9660 + Joliet image of ``files`` (``/dir/name`` -> bytes); directories are implied.

    Every date in the image is ``timestamp`` (default: now); a fixed one makes the bytes reproducible.
    """
    now = time.time() if timestamp is None else timestamp
    root = _build_tree(files)
    dirs = _bfs(root)
    names: dict[str, dict[int, dict[str, bytes]]] = {"p": {}, "j": {}}
    for node, _ in dirs:
        kids = list(node.children)
        subdirs = {n for n in kids if isinstance(node.children[n], _Dir)}
        names["p"][id(node)] = _primary_names(kids, subdirs)
        names["j"][id(node)] = {n: _joliet_name(n) for n in kids}

    def dir_size(node: _Dir, tree: str) -> int:
        used, size = 34 + 34, 0
        for ident in names[tree][id(node)].values():
            length = 33 + len(ident) + (1 - len(ident) % 2)
            if used + length > SECTOR:
                size, used = size + SECTOR, 0
            used += length
        return size + SECTOR

    def path_table(tree: str, big: bool) -> bytes:
        out_pt = bytearray()
        order = _bfs(root, lambda parent, name: names[tree][id(parent)][name])
        for node, parent in order:
            parent_node = order[parent - 1][0]
            ident = b"\0" if node is root else names[tree][id(parent_node)][node.name]
            fmt = ">BBIH" if big else "<BBIH"
            out_pt += struct.pack(fmt, len(ident), 0, node.extents[tree], parent) + ident
            out_pt += b"\0" * (len(ident) % 2)
        return bytes(out_pt)

    # layout: descriptors, 4 path tables per tree, directories, file data
    for node, _ in dirs:
        node.extents = {"p": 0, "j": 0}
    pt_size = {t: len(path_table(t, False)) for t in "pj"}
    sector = _FIRST_DESCRIPTOR + 3
    pt_loc: dict[tuple[str, bool], int] = {}
    for tree in "pj":
        for big in (False, True):
            pt_loc[(tree, big)] = sector
            sector += -(-pt_size[tree] // SECTOR)
    for tree in "pj":
        for node, _ in dirs:
            node.extents[tree] = sector
            node.sizes[tree] = dir_size(node, tree)
            sector += node.sizes[tree] // SECTOR
    file_loc: dict[int, int] = {}
    file_list: list[bytes] = []
    for node, _ in dirs:
        for name in sorted(node.children):
            data = node.children[name]
            if isinstance(data, bytes):
                file_loc[id(data)] = sector if data else 0
                file_list.append(data)
                sector += -(-len(data) // SECTOR)
    total = sector

    def entry(node: _Dir, name: str, tree: str) -> bytes:
        child = node.children[name]
        ident = names[tree][id(node)][name]
        if isinstance(child, _Dir):
            return _record(ident, child.extents[tree], child.sizes[tree], True, now)
        return _record(ident, file_loc[id(child)], len(child), False, now)

    def directory(node: _Dir, parent: _Dir, tree: str) -> bytes:
        blob = bytearray()
        records = [
            _record(b"\0", node.extents[tree], node.sizes[tree], True, now),
            _record(b"\1", parent.extents[tree], parent.sizes[tree], True, now),
        ]
        idents = names[tree][id(node)]
        records += [entry(node, n, tree) for n in sorted(node.children, key=idents.__getitem__)]
        used = 0
        for rec in records:
            if used + len(rec) > SECTOR:
                blob += bytes(SECTOR - used)
                used = 0
            blob += rec
            used += len(rec)
        blob += bytes(-len(blob) % SECTOR)
        assert len(blob) == node.sizes[tree]
        return bytes(blob)

    def descriptor(tree: str) -> bytes:
        joliet = tree == "j"
        vd = bytearray(SECTOR)
        vd[0:7] = bytes([2 if joliet else 1]) + b"CD001\1"

        def text(value: str, width: int) -> bytes:
            if joliet:
                return (value.encode("utf-16-be") + b"\0 " * width)[: width & ~1].ljust(width, b"\0")
            return value.upper().encode("ascii", "replace")[:width].ljust(width)

        vd[8:40] = text("LINUX", 32)
        vd[40:72] = text(volume_id, 32)
        vd[80:88] = _both32(total)
        if joliet:
            vd[88:91] = _JOLIET_ESCAPES[2]
        vd[120:124] = _both16(1)
        vd[124:128] = _both16(1)
        vd[128:132] = _both16(SECTOR)
        vd[132:140] = _both32(pt_size[tree])
        vd[140:144] = struct.pack("<I", pt_loc[(tree, False)])
        vd[148:152] = struct.pack(">I", pt_loc[(tree, True)])
        vd[156:190] = _record(b"\0", root.extents[tree], root.sizes[tree], True, now)
        vd[190:318] = text("", 128)
        vd[318:446] = text("", 128)
        vd[446:574] = text("", 128)
        vd[574:702] = text("PYESX", 128)
        vd[702:813] = text("", 111)
        vd[813:830] = _vol_date(now)
        vd[830:847] = _vol_date(now)
        vd[847:864] = b"0" * 16 + b"\0"
        vd[864:881] = b"0" * 16 + b"\0"
        vd[881] = 1
        return bytes(vd)

    out.write(bytes(_FIRST_DESCRIPTOR * SECTOR))
    terminator = bytearray(SECTOR)
    terminator[0:7] = b"\xffCD001\1"
    out.write(descriptor("p") + descriptor("j") + bytes(terminator))
    for tree in "pj":
        for big in (False, True):
            table = path_table(tree, big)
            out.write(table + bytes(-len(table) % SECTOR))
    for tree in "pj":
        for node, parent in dirs:
            out.write(directory(node, dirs[parent - 1][0], tree))
    for data in file_list:
        out.write(data + bytes(-len(data) % SECTOR))


@dataclass(frozen=True)
class _Entry:
    name: str
    extent: int
    size: int
    is_dir: bool
    mtime: float


class IsoFilesystem:
    """An ISO 9660 image on a block device, read-only; Joliet names when the image has them."""

    read_only = True

    def __init__(self, device: BlockDevice, *, joliet: bool = True) -> None:
        self.device = device
        self.volume_id = ""
        self.joliet = False
        primary: bytes | None = None
        supplementary: bytes | None = None
        sector = _FIRST_DESCRIPTOR
        while (sector + 1) * SECTOR <= device.size:
            vd = device.read(sector * SECTOR, SECTOR)
            if vd[1:6] != b"CD001":
                break
            if vd[0] == 1 and primary is None:
                primary = vd
            elif vd[0] == 2 and vd[88:91] in _JOLIET_ESCAPES and joliet:
                supplementary = vd
            elif vd[0] == 255:
                break
            sector += 1
        if primary is None:
            raise OSError(errno.EINVAL, "not an ISO 9660 image (no primary volume descriptor)")
        self.volume_id = primary[40:72].decode("ascii", "replace").rstrip()
        self.volume_space = struct.unpack_from("<I", primary, 80)[0] * SECTOR
        chosen = supplementary if supplementary is not None else primary
        self.joliet = supplementary is not None
        self._root = self._parse_record(chosen, 156)
        self._dirs: dict[int, dict[str, _Entry]] = {}

    def _parse_record(self, raw: bytes, offset: int) -> _Entry:
        extent = struct.unpack_from("<I", raw, offset + 2)[0]
        size = struct.unpack_from("<I", raw, offset + 10)[0]
        y, mo, d, h, mi, s, tz = raw[offset + 18 : offset + 25]
        try:
            base = time.mktime((1900 + y, mo, d, h, mi, s, 0, 0, 0)) - time.timezone
        except (OverflowError, ValueError):
            base = 0.0
        mtime = base - (tz - 256 if tz > 127 else tz) * 15 * 60
        flags = raw[offset + 25]
        name_len = raw[offset + 32]
        ident = bytes(raw[offset + 33 : offset + 33 + name_len])
        if self.joliet and ident not in (b"\0", b"\1"):
            name = ident.decode("utf-16-be", "replace")
        else:
            name = ident.decode("ascii", "replace")
        if not flags & _FLAG_DIR:
            name = name.split(";")[0]
            if not self.joliet:
                name = name.rstrip(".").lower()
        elif not self.joliet:
            name = name.lower()
        return _Entry(name, extent, size, bool(flags & _FLAG_DIR), mtime)

    def _children(self, entry: _Entry) -> dict[str, _Entry]:
        cached = self._dirs.get(entry.extent)
        if cached is not None:
            return cached
        raw = self.device.read(entry.extent * SECTOR, -(-entry.size // SECTOR) * SECTOR)
        found: dict[str, _Entry] = {}
        offset = 0
        while offset < entry.size:
            length = raw[offset]
            if length == 0:
                offset = (offset // SECTOR + 1) * SECTOR
                continue
            name_len = raw[offset + 32]
            if not (name_len == 1 and raw[offset + 33] in (0, 1)):
                child = self._parse_record(raw, offset)
                found[child.name] = child
            offset += length
        self._dirs[entry.extent] = found
        return found

    def _lookup(self, path: str) -> _Entry:
        entry = self._root
        for part in (p for p in path.split("/") if p):
            if not entry.is_dir:
                raise NotADirectoryError(errno.ENOTDIR, "not a directory", path)
            child = self._children(entry).get(part)
            if child is None:
                raise FileNotFoundError(errno.ENOENT, "no such file or directory", path)
            entry = child
        return entry

    def walk(self, path: str = "/") -> Iterator[str]:
        """Every file's path under ``path`` (not in the Filesystem protocol)."""
        for name in self.listdir(path):
            child = path.rstrip("/") + "/" + name
            if self._lookup(child).is_dir:
                yield from self.walk(child)
            else:
                yield child

    def stat(self, path: str) -> FileStat:
        entry = self._lookup(path)
        if entry.is_dir:
            return FileStat(stat.S_IFDIR | 0o555, entry.size, entry.mtime, nlink=2)
        return FileStat(stat.S_IFREG | 0o444, entry.size, entry.mtime)

    def listdir(self, path: str) -> list[str]:
        entry = self._lookup(path)
        if not entry.is_dir:
            raise NotADirectoryError(errno.ENOTDIR, "not a directory", path)
        return sorted(self._children(entry))

    def read_file(self, path: str, offset: int = 0, length: int = -1) -> bytes:
        entry = self._lookup(path)
        if entry.is_dir:
            raise IsADirectoryError(errno.EISDIR, "is a directory", path)
        end = entry.size if length < 0 else min(entry.size, offset + length)
        if offset >= end:
            return b""
        return self.device.read(entry.extent * SECTOR + offset, end - offset)

    def write_file(self, path: str, data: bytes, *, append: bool = False, mode: int = 0o644) -> None:
        raise _erofs(path)

    def mkdir(self, path: str, mode: int = 0o755) -> None:
        raise _erofs(path)

    def unlink(self, path: str) -> None:
        raise _erofs(path)

    def rmdir(self, path: str) -> None:
        raise _erofs(path)

    def rename(self, old: str, new: str) -> None:
        raise _erofs(old)

    def chmod(self, path: str, mode: int) -> None:
        raise _erofs(path)

    def statvfs(self) -> FsUsage:
        return FsUsage(self.volume_space, 0, 0, 0)

    def sync(self) -> None:
        pass


def _erofs(path: str) -> OSError:
    return OSError(errno.EROFS, "read-only file system", path)

"""ext2 (revision 1, no journal): ``mkfs`` and a read/write ``Filesystem`` over a BlockDevice.

Metadata (superblocks, group descriptors, bitmaps, inode tables, directories,
indirect blocks) goes through a block cache; file data goes straight to the
device, contiguous blocks in one write. With ``write_through`` (the default)
every changing call ends with its dirty metadata on the device (coalesced
writes, no device flush); otherwise metadata reaches the device at ``sync``.
A whole file written at once leaves its all-zero blocks as holes (a sparse
file, as ``cp --sparse=auto`` makes); an append (``>>``, ``dd``) writes every
block it is given, zeros too, as a write(2) on Linux does.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import struct
import time
import uuid
from collections.abc import Iterator

from pyesx.guestfs.api import BlockDevice, FileStat, FsUsage
from pyesx.guestfs.blockcache import BlockCache
from pyesx.guestfs.ext2_layout import (
    FIRST_INO,
    FT_DIR,
    FT_REG,
    FT_UNKNOWN,
    GOOD_OLD_INODE_SIZE,
    INCOMPAT_FILETYPE,
    INDEX_FL,
    MAGIC,
    N_DIRECT,
    RO_COMPAT_LARGE_FILE,
    RO_COMPAT_SPARSE_SUPER,
    ROOT_INO,
    SUPERBLOCK_OFFSET,
    SUPPORTED_INCOMPAT,
    SUPPORTED_RO_COMPAT,
    GroupDesc,
    Inode,
    Superblock,
    has_super,
    rec_len_for,
)

_NOT_FULL = re.compile(rb"[^\xff]")
_MKFS_CHUNK = 1 << 20


def mkfs(device: BlockDevice, label: str = "", block_size: int = 1024) -> None:
    """Format ``device`` as ext2 (sparse_super, large_file, filetype) with ``/`` and ``/lost+found``."""
    if block_size not in (1024, 2048, 4096):
        raise ValueError(f"block size {block_size} is not 1024, 2048 or 4096")
    bs = block_size
    first_data = 1 if bs == 1024 else 0
    bpg = 8 * bs
    total = device.size // bs
    ratio = 4096 if device.size <= 512 << 20 else 16384 if device.size <= 4 << 30 else 65536
    per_block = bs // GOOD_OLD_INODE_SIZE
    ipg = -(-max(per_block, bpg * bs // ratio, 64) // per_block) * per_block
    ipg = min(ipg, 8 * bs)
    itable = ipg // per_block
    groups = -(-(total - first_data) // bpg)
    while True:
        if groups <= 0:
            raise ValueError(f"a {device.size}-byte device is too small for ext2")
        gdt = -(-groups * GroupDesc.SIZE // bs)
        last = total - first_data - (groups - 1) * bpg
        overhead = (1 + gdt if has_super(groups - 1) else 0) + 2 + itable
        if last >= overhead + 16:
            break
        groups -= 1
        total = first_data + groups * bpg
    if groups * ipg >= 1 << 32:
        raise ValueError("too many inodes")

    now = int(time.time())
    descs: list[GroupDesc] = []
    sb_raw = bytearray(1024)
    free_total = 0
    bitmaps: list[tuple[int, bytes]] = []
    for g in range(groups):
        start = first_data + g * bpg
        n = min(bpg, total - start)
        meta = 1 + gdt if has_super(g) else 0
        bb, ib, it = start + meta, start + meta + 1, start + meta + 2
        used = meta + 2 + itable
        block_bits = bytearray(bs)
        _set_bits(block_bits, 0, used)
        _set_bits(block_bits, n, 8 * bs)
        inode_bits = bytearray(bs)
        _set_bits(inode_bits, ipg, 8 * bs)
        reserved = FIRST_INO - 1 if g == 0 else 0
        _set_bits(inode_bits, 0, reserved)
        bitmaps += [(bb, bytes(block_bits)), (ib, bytes(inode_bits))]
        descs.append(GroupDesc(bb, ib, it, n - used, ipg - reserved, 0))
        free_total += n - used
        zeros = bytes(min(itable * bs, _MKFS_CHUNK))
        for offset in range(0, itable * bs, len(zeros)):
            chunk = min(len(zeros), itable * bs - offset)
            device.write(it * bs + offset, zeros[:chunk])
    for block, data in bitmaps:
        device.write(block * bs, data)

    struct.pack_into(
        "<13I",
        sb_raw,
        0,
        groups * ipg,
        total,
        0,
        free_total,
        groups * ipg - (FIRST_INO - 1),
        first_data,
        bs.bit_length() - 11,
        bs.bit_length() - 11,
        bpg,
        bpg,
        ipg,
        0,
        now,
    )
    # mnt_count, max_mnt_count (-1), magic, state (clean), errors (continue), minor rev
    struct.pack_into("<HhHHHH", sb_raw, 52, 0, -1, MAGIC, 1, 1, 0)
    struct.pack_into("<IIII", sb_raw, 64, now, 0, 0, 1)  # lastcheck, checkinterval, creator os, rev 1
    struct.pack_into("<HHIH", sb_raw, 80, 0, 0, FIRST_INO, GOOD_OLD_INODE_SIZE)
    struct.pack_into("<III", sb_raw, 92, 0, INCOMPAT_FILETYPE, RO_COMPAT_SPARSE_SUPER | RO_COMPAT_LARGE_FILE)
    sb_raw[104:120] = uuid.uuid4().bytes
    sb_raw[120:136] = label.encode()[:16].ljust(16, b"\0")
    gdt_raw = b"".join(d.pack() for d in descs).ljust(gdt * bs, b"\0")
    for g in range(groups):
        if not has_super(g):
            continue
        struct.pack_into("<H", sb_raw, 90, g)  # s_block_group_nr
        start = first_data + g * bpg
        sb_at = SUPERBLOCK_OFFSET if g == 0 else start * bs
        device.write(sb_at, bytes(sb_raw))
        device.write((start + 1) * bs, gdt_raw)
    struct.pack_into("<H", sb_raw, 90, 0)
    device.write(SUPERBLOCK_OFFSET, bytes(sb_raw))

    fs = Ext2(device, write_through=False)
    fs._make_root()
    fs.mkdir("/lost+found", 0o700)
    fs.sync()


def _set_bits(bitmap: bytearray, first: int, end: int) -> None:
    for bit in range(first, min(end, 8 * len(bitmap))):
        bitmap[bit >> 3] |= 1 << (bit & 7)


def _split(path: str) -> list[str]:
    if not path.startswith("/"):
        raise FileNotFoundError(errno.ENOENT, "not an absolute path", path)
    return [part for part in path.split("/") if part]


class Ext2:
    """An ext2 file system on a block device (the ``Filesystem`` protocol)."""

    def __init__(self, device: BlockDevice, *, read_only: bool = False, write_through: bool = True) -> None:
        raw = device.read(SUPERBLOCK_OFFSET, 1024)
        sb = Superblock.unpack(raw)
        if sb.magic != MAGIC:
            raise OSError(errno.EINVAL, "not an ext2 file system (bad magic)")
        if sb.feature_incompat & ~SUPPORTED_INCOMPAT:
            raise OSError(errno.EINVAL, f"unsupported ext2 features {sb.feature_incompat:#x}")
        self.device = device
        self.sb = sb
        self.read_only = read_only or bool(sb.feature_ro_compat & ~SUPPORTED_RO_COMPAT)
        self.write_through = write_through
        self.bs = sb.block_size
        self._ptrs = self.bs // 4
        self._ipb = self.bs // sb.inode_size
        self._filetype = bool(sb.feature_incompat & INCOMPAT_FILETYPE)
        self.cache = BlockCache(device, self.bs)
        self._gdt_block = sb.first_data_block + 1
        ngroups = sb.group_count
        gdt_blocks = -(-ngroups * GroupDesc.SIZE // self.bs)
        gdt_raw = device.read(self._gdt_block * self.bs, gdt_blocks * self.bs)
        self.groups = [GroupDesc.unpack(gdt_raw, g * GroupDesc.SIZE) for g in range(ngroups)]
        self._gdt_dirty = False
        self._sb_dirty = False

    # ---------------------------------------------------------------- public API

    @property
    def label(self) -> str:
        return self.sb.label

    def stat(self, path: str) -> FileStat:
        inode = self._iget(self._lookup(path))
        return FileStat(inode.mode, inode.size, float(inode.mtime), inode.uid, inode.gid, inode.links)

    def listdir(self, path: str) -> list[str]:
        ino = self._lookup(path)
        inode = self._iget(ino)
        if not stat.S_ISDIR(inode.mode):
            raise NotADirectoryError(errno.ENOTDIR, "not a directory", path)
        return sorted(e[3] for e in self._entries(inode) if e[3] not in (".", ".."))

    def read_file(self, path: str, offset: int = 0, length: int = -1) -> bytes:
        inode = self._iget(self._lookup(path))
        if stat.S_ISDIR(inode.mode):
            raise IsADirectoryError(errno.EISDIR, "is a directory", path)
        end = inode.size if length < 0 else min(inode.size, offset + length)
        if offset >= end:
            return b""
        bs = self.bs
        first, last = offset // bs, (end - 1) // bs
        out = bytearray()
        run_start, run_len = 0, 0
        for lblk in range(first, last + 1):
            phys = self._bmap(inode, lblk)
            if run_len and phys == run_start + run_len:
                run_len += 1
                continue
            if run_len:
                out += self.device.read(run_start * bs, run_len * bs)
            if phys:
                run_start, run_len = phys, 1
            else:
                run_len = 0
                out += bytes(bs)
        if run_len:
            out += self.device.read(run_start * bs, run_len * bs)
        skip = offset - first * bs
        return bytes(out[skip : skip + end - offset])

    def write_file(self, path: str, data: bytes, *, append: bool = False, mode: int = 0o644) -> None:
        self._writable()
        try:
            parent_ino, parent, name = self._parent(path)
            found = self._find(parent, name)
            if found is not None:
                ino = found[0]
                inode = self._iget(ino)
                if stat.S_ISDIR(inode.mode):
                    raise IsADirectoryError(errno.EISDIR, "is a directory", path)
                if not append:
                    self._truncate(inode)
                offset = inode.size
            else:
                # the data, its indirect blocks, and the directory's growth: all or nothing
                self._need_blocks(self._blocks_to_map(-(-len(data) // self.bs)) + 1)
                ino = self._alloc_inode(False, parent_ino)
                inode = self._new_inode(stat.S_IFREG | (mode & 0o7777))
                self._iput(ino, inode)
                try:
                    self._add_entry(parent_ino, parent, name, ino, FT_REG)
                except OSError:
                    self._release(ino, inode)
                    raise
                offset = 0
            self._write_at(ino, inode, offset, data, sparse=not append)
        finally:
            self._commit()

    def mkdir(self, path: str, mode: int = 0o755) -> None:
        self._writable()
        try:
            parent_ino, parent, name = self._parent(path)
            if self._find(parent, name) is not None:
                raise FileExistsError(errno.EEXIST, "file exists", path)
            self._need_blocks(2)
            ino = self._alloc_inode(True, parent_ino)
            inode = self._new_inode(stat.S_IFDIR | (mode & 0o7777))
            inode.links = 2
            block = self._alloc_blocks(1, self._group_goal(ino))[0]
            buf = self.cache.new(block)
            self._put_entry(buf, 0, ino, 12, ".", FT_DIR)
            self._put_entry(buf, 12, parent_ino, self.bs - 12, "..", FT_DIR)
            inode.block[0] = block
            inode.size = self.bs
            inode.sectors = self.bs // 512
            self._iput(ino, inode)
            self._add_entry(parent_ino, parent, name, ino, FT_DIR)
            parent = self._iget(parent_ino)
            parent.links += 1
            self._iput(parent_ino, parent)
        finally:
            self._commit()

    def unlink(self, path: str) -> None:
        self._writable()
        try:
            parent_ino, parent, name = self._parent(path)
            ino = self._existing(parent, name, path)
            inode = self._iget(ino)
            if stat.S_ISDIR(inode.mode):
                raise IsADirectoryError(errno.EISDIR, "is a directory", path)
            self._remove_entry(parent_ino, parent, name)
            self._drop_link(ino, inode)
        finally:
            self._commit()

    def rmdir(self, path: str) -> None:
        self._writable()
        try:
            if not _split(path):
                raise OSError(errno.EBUSY, "the root directory cannot be removed", path)
            parent_ino, parent, name = self._parent(path)
            ino = self._existing(parent, name, path)
            inode = self._iget(ino)
            if not stat.S_ISDIR(inode.mode):
                raise NotADirectoryError(errno.ENOTDIR, "not a directory", path)
            if not self._is_empty(inode):
                raise OSError(errno.ENOTEMPTY, "directory not empty", path)
            self._remove_entry(parent_ino, parent, name)
            parent = self._iget(parent_ino)
            parent.links -= 1
            self._iput(parent_ino, parent)
            self._release(ino, inode)
        finally:
            self._commit()

    def rename(self, old: str, new: str) -> None:
        self._writable()
        try:
            old_pino, old_parent, old_name = self._parent(old)
            ino = self._existing(old_parent, old_name, old)
            inode = self._iget(ino)
            is_dir = stat.S_ISDIR(inode.mode)
            new_parts = _split(new)
            if is_dir and new_parts[: len(_split(old))] == _split(old) and new != old:
                raise OSError(errno.EINVAL, "cannot move a directory into itself", new)
            new_pino, new_parent, new_name = self._parent(new)
            target = self._find(new_parent, new_name)
            ftype = FT_DIR if is_dir else FT_REG
            if target is not None:
                if target[0] == ino:
                    return
                tnode = self._iget(target[0])
                if is_dir and not stat.S_ISDIR(tnode.mode):
                    raise NotADirectoryError(errno.ENOTDIR, "not a directory", new)
                if not is_dir and stat.S_ISDIR(tnode.mode):
                    raise IsADirectoryError(errno.EISDIR, "is a directory", new)
                if is_dir and not self._is_empty(tnode):
                    raise OSError(errno.ENOTEMPTY, "directory not empty", new)
                self._retarget_entry(new_parent, new_name, ino, ftype)
                if is_dir:
                    new_parent = self._iget(new_pino)
                    new_parent.links -= 1  # the replaced directory's ".."
                    self._iput(new_pino, new_parent)
                    self._release(target[0], tnode)
                else:
                    self._drop_link(target[0], tnode)
            else:
                self._add_entry(new_pino, new_parent, new_name, ino, ftype)
            old_parent = self._iget(old_pino)
            self._remove_entry(old_pino, old_parent, old_name)
            if is_dir and old_pino != new_pino:
                self._retarget_entry(inode, "..", new_pino, FT_DIR)
                old_parent = self._iget(old_pino)
                old_parent.links -= 1
                self._iput(old_pino, old_parent)
                new_parent = self._iget(new_pino)
                new_parent.links += 1
                self._iput(new_pino, new_parent)
            inode = self._iget(ino)
            inode.ctime = int(time.time())
            self._iput(ino, inode)
        finally:
            self._commit()

    def chmod(self, path: str, mode: int) -> None:
        self._writable()
        try:
            ino = self._lookup(path)
            inode = self._iget(ino)
            inode.mode = (inode.mode & 0o170000) | (mode & 0o7777)
            inode.ctime = int(time.time())
            self._iput(ino, inode)
        finally:
            self._commit()

    def chown(self, path: str, uid: int, gid: int) -> None:
        """Set the owner and group (not in the Filesystem protocol)."""
        self._writable()
        try:
            ino = self._lookup(path)
            inode = self._iget(ino)
            inode.uid, inode.gid = uid, gid
            inode.ctime = int(time.time())
            self._iput(ino, inode)
        finally:
            self._commit()

    def statvfs(self) -> FsUsage:
        sb = self.sb
        return FsUsage(sb.blocks_count * self.bs, sb.free_blocks * self.bs, sb.inodes_count, sb.free_inodes)

    def sync(self) -> None:
        self._flush_metadata()
        if not self.read_only:
            self.device.flush()

    # ---------------------------------------------------------------- paths and inodes

    def _writable(self) -> None:
        if self.read_only:
            raise OSError(errno.EROFS, "read-only file system")

    def _lookup(self, path: str) -> int:
        ino = ROOT_INO
        for part in _split(path):
            inode = self._iget(ino)
            if not stat.S_ISDIR(inode.mode):
                raise NotADirectoryError(errno.ENOTDIR, "not a directory", path)
            found = self._find(inode, part)
            if found is None:
                raise FileNotFoundError(errno.ENOENT, "no such file or directory", path)
            ino = found[0]
        return ino

    def _parent(self, path: str) -> tuple[int, Inode, str]:
        parts = _split(path)
        if not parts:
            raise FileExistsError(errno.EEXIST, "the root directory", path)
        name = parts[-1]
        if len(name.encode()) > 255:
            raise OSError(errno.ENAMETOOLONG, "file name too long", path)
        pino = self._lookup("/" + "/".join(parts[:-1]))
        parent = self._iget(pino)
        if not stat.S_ISDIR(parent.mode):
            raise NotADirectoryError(errno.ENOTDIR, "not a directory", path)
        return pino, parent, name

    def _existing(self, parent: Inode, name: str, path: str) -> int:
        found = self._find(parent, name)
        if found is None:
            raise FileNotFoundError(errno.ENOENT, "no such file or directory", path)
        return found[0]

    def _inode_loc(self, ino: int) -> tuple[int, int]:
        group, index = divmod(ino - 1, self.sb.inodes_per_group)
        block = self.groups[group].inode_table + index // self._ipb
        return block, (index % self._ipb) * self.sb.inode_size

    def _iget(self, ino: int) -> Inode:
        block, offset = self._inode_loc(ino)
        buf = self.cache.get(block)
        return Inode.unpack(buf[offset : offset + self.sb.inode_size])

    def _iput(self, ino: int, inode: Inode) -> None:
        block, offset = self._inode_loc(ino)
        buf = self.cache.get(block)
        buf[offset : offset + self.sb.inode_size] = inode.pack()
        self.cache.mark_dirty(block)

    def _new_inode(self, mode: int) -> Inode:
        now = int(time.time())
        inode = Inode(bytearray(self.sb.inode_size), mode=mode, links=1)
        inode.atime = inode.ctime = inode.mtime = now
        inode.generation = int.from_bytes(os.urandom(4), "little")
        if self.sb.inode_size > GOOD_OLD_INODE_SIZE:
            struct.pack_into("<H", inode.raw, GOOD_OLD_INODE_SIZE, 0)  # i_extra_isize
        return inode

    def _drop_link(self, ino: int, inode: Inode) -> None:
        inode.links -= 1
        inode.ctime = int(time.time())
        if inode.links <= 0:
            self._release(ino, inode)
        else:
            self._iput(ino, inode)

    def _release(self, ino: int, inode: Inode) -> None:
        """Free an inode and its blocks; it is left zeroed with its deletion time."""
        self._truncate(inode)
        dead = Inode(bytearray(self.sb.inode_size), dtime=int(time.time()))
        self._iput(ino, dead)
        self._free_inode(ino, stat.S_ISDIR(inode.mode))

    # ---------------------------------------------------------------- block maps

    def _path(self, lblk: int) -> tuple[int, list[int]]:
        """The inode slot and the indexes through indirect blocks that lead to logical block ``lblk``."""
        p = self._ptrs
        if lblk < N_DIRECT:
            return lblk, []
        lblk -= N_DIRECT
        if lblk < p:
            return 12, [lblk]
        lblk -= p
        if lblk < p * p:
            return 13, [lblk // p, lblk % p]
        lblk -= p * p
        if lblk < p * p * p:
            return 14, [lblk // (p * p), (lblk // p) % p, lblk % p]
        raise OSError(errno.EFBIG, "file too large")

    def _bmap(self, inode: Inode, lblk: int) -> int:
        slot, indexes = self._path(lblk)
        block = inode.block[slot]
        for index in indexes:
            if not block:
                return 0
            block = int.from_bytes(self.cache.get(block)[index * 4 : index * 4 + 4], "little")
        return block

    def _set_bmap(self, inode: Inode, lblk: int, phys: int) -> None:
        """Map ``lblk`` to ``phys``, allocating the indirect blocks on the way (counted in i_blocks)."""
        slot, indexes = self._path(lblk)
        if not indexes:
            inode.block[slot] = phys
            return
        block = inode.block[slot]
        if not block:
            block = inode.block[slot] = self._new_indirect(inode, phys)
        for depth, index in enumerate(indexes):
            buf = self.cache.get(block)
            if depth == len(indexes) - 1:
                buf[index * 4 : index * 4 + 4] = phys.to_bytes(4, "little")
                self.cache.mark_dirty(block)
                return
            nxt = int.from_bytes(buf[index * 4 : index * 4 + 4], "little")
            if not nxt:
                nxt = self._new_indirect(inode, phys)
                buf[index * 4 : index * 4 + 4] = nxt.to_bytes(4, "little")
                self.cache.mark_dirty(block)
            block = nxt

    def _new_indirect(self, inode: Inode, goal: int) -> int:
        block = self._alloc_blocks(1, goal)[0]
        self.cache.new(block)
        inode.sectors += self.bs // 512
        return block

    def _mapped_blocks(self, inode: Inode) -> Iterator[tuple[int, bool]]:
        """Every block an inode holds: (block, is_indirect)."""
        for block in inode.block[:N_DIRECT]:
            if block:
                yield block, False
        for depth, block in enumerate(inode.block[N_DIRECT:], start=1):
            if block:
                yield from self._walk_indirect(block, depth)

    def _walk_indirect(self, block: int, depth: int) -> Iterator[tuple[int, bool]]:
        pointers = struct.unpack(f"<{self._ptrs}I", self.cache.get(block))
        for child in pointers:
            if child:
                if depth == 1:
                    yield child, False
                else:
                    yield from self._walk_indirect(child, depth - 1)
        yield block, True

    def _truncate(self, inode: Inode) -> None:
        """Free every block of the inode; its size becomes 0."""
        if stat.S_ISLNK(inode.mode) and inode.size < 60 and inode.sectors == 0:
            inode.block = [0] * 15  # a fast symlink keeps its target in i_block
        else:
            blocks = [block for block, _ in self._mapped_blocks(inode)]
            self._free_blocks(blocks)
            inode.block = [0] * 15
        inode.size = 0
        inode.sectors = 0
        inode.mtime = inode.ctime = int(time.time())

    def _blocks_to_map(self, nblocks: int) -> int:
        """Data plus indirect blocks of a file of ``nblocks`` blocks (an upper bound for appends)."""
        p = self._ptrs
        extra, rest = 0, max(0, nblocks - N_DIRECT)
        if rest:
            extra += 1
            rest -= p
        if rest > 0:
            extra += 1 + -(-min(rest, p * p) // p)
            rest -= p * p
        if rest > 0:
            extra += 1 + -(-rest // (p * p)) + -(-rest // p)
        return nblocks + extra

    def _write_at(self, ino: int, inode: Inode, offset: int, data: bytes, sparse: bool) -> None:
        """Write ``data`` at ``offset`` (``sparse``: unmapped all-zero blocks stay holes); ENOSPC
        before any change."""
        bs = self.bs
        end = offset + len(data)
        if data:
            first, last = offset // bs, (end - 1) // bs
            self._need_blocks(self._blocks_to_map(last + 1) - self._held_blocks(inode) // (bs // 512))
            zero = bytes(bs)
            writes: dict[int, bytes] = {}
            pending: list[tuple[int, bytes]] = []
            for lblk in range(first, last + 1):
                lo = lblk * bs
                if lo >= offset and lo + bs <= end:
                    chunk = data[lo - offset : lo - offset + bs]
                else:
                    phys = self._bmap(inode, lblk)
                    old = bytearray(self.device.read(phys * bs, bs) if phys else zero)
                    start = max(offset, lo)
                    old[start - lo : min(end, lo + bs) - lo] = data[
                        start - offset : min(end, lo + bs) - offset
                    ]
                    chunk = bytes(old)
                phys = self._bmap(inode, lblk)
                if phys:
                    writes[phys] = chunk
                elif not sparse or chunk != zero:
                    pending.append((lblk, chunk))
            if pending:
                goal = self._goal(inode, pending[0][0])
                fresh = self._alloc_blocks(len(pending), goal)
                for (lblk, chunk), phys in zip(pending, fresh, strict=True):
                    self._set_bmap(inode, lblk, phys)
                    writes[phys] = chunk
                inode.sectors += len(fresh) * (bs // 512)
            self._write_runs(writes)
        inode.size = max(inode.size, end)
        inode.mtime = inode.ctime = int(time.time())
        self._iput(ino, inode)

    def _held_blocks(self, inode: Inode) -> int:
        return inode.sectors

    def _goal(self, inode: Inode, lblk: int) -> int:
        if lblk:
            prev = self._bmap(inode, lblk - 1)
            if prev:
                return prev + 1
        return 0

    def _write_runs(self, writes: dict[int, bytes]) -> None:
        order = sorted(writes)
        i = 0
        while i < len(order):
            j = i + 1
            while j < len(order) and order[j] == order[j - 1] + 1 and j - i < 1024:
                j += 1
            self.device.write(order[i] * self.bs, b"".join(writes[b] for b in order[i:j]))
            i = j

    # ---------------------------------------------------------------- directories

    def _entries(self, dir_inode: Inode) -> Iterator[tuple[int, int, int, str, int, int]]:
        """(block, offset, inode, name, rec_len, file type) of every used entry."""
        for lblk in range(dir_inode.size // self.bs):
            block = self._bmap(dir_inode, lblk)
            if not block:
                continue
            buf = self.cache.get(block)
            offset = 0
            while offset < self.bs:
                ino, rec_len, name_len, ftype = struct.unpack_from("<IHBB", buf, offset)
                if rec_len < 8:
                    raise OSError(errno.EIO, f"corrupt directory block {block}")
                if ino:
                    name = bytes(buf[offset + 8 : offset + 8 + name_len]).decode("utf-8", "surrogateescape")
                    yield block, offset, ino, name, rec_len, ftype if self._filetype else FT_UNKNOWN
                offset += rec_len

    def _find(self, dir_inode: Inode, name: str) -> tuple[int, int] | None:
        for _, _, ino, entry, _, ftype in self._entries(dir_inode):
            if entry == name:
                return ino, ftype
        return None

    def _is_empty(self, dir_inode: Inode) -> bool:
        return all(e[3] in (".", "..") for e in self._entries(dir_inode))

    def _put_entry(self, buf: bytearray, offset: int, ino: int, rec_len: int, name: str, ftype: int) -> None:
        raw = name.encode("utf-8", "surrogateescape")
        struct.pack_into("<IHBB", buf, offset, ino, rec_len, len(raw), ftype if self._filetype else 0)
        buf[offset + 8 : offset + 8 + len(raw)] = raw

    def _add_entry(self, dir_ino: int, dir_inode: Inode, name: str, ino: int, ftype: int) -> None:
        need = rec_len_for(len(name.encode("utf-8", "surrogateescape")))
        nblocks = dir_inode.size // self.bs
        for lblk in range(nblocks):
            block = self._bmap(dir_inode, lblk)
            buf = self.cache.get(block)
            offset = 0
            while offset < self.bs:
                used_ino, rec_len, name_len = struct.unpack_from("<IHB", buf, offset)
                used = rec_len_for(name_len) if used_ino else 0
                if rec_len - used >= need:
                    if used:
                        struct.pack_into("<H", buf, offset + 4, used)
                    self._put_entry(buf, offset + used, ino, rec_len - used, name, ftype)
                    self.cache.mark_dirty(block)
                    self._touch_dir(dir_ino, dir_inode)
                    return
                offset += rec_len
        self._need_blocks(self._blocks_to_map(nblocks + 1) - self._blocks_to_map(nblocks))
        block = self._alloc_blocks(1, self._goal(dir_inode, nblocks) or self._group_goal(dir_ino))[0]
        buf = self.cache.new(block)
        self._put_entry(buf, 0, ino, self.bs, name, ftype)
        self._set_bmap(dir_inode, nblocks, block)
        dir_inode.sectors += self.bs // 512
        dir_inode.size += self.bs
        dir_inode.flags &= ~INDEX_FL
        self._touch_dir(dir_ino, dir_inode)

    def _remove_entry(self, dir_ino: int, dir_inode: Inode, name: str) -> None:
        for lblk in range(dir_inode.size // self.bs):
            block = self._bmap(dir_inode, lblk)
            if not block:
                continue
            buf = self.cache.get(block)
            offset, prev = 0, -1
            while offset < self.bs:
                ino, rec_len, name_len = struct.unpack_from("<IHB", buf, offset)
                entry = bytes(buf[offset + 8 : offset + 8 + name_len]).decode("utf-8", "surrogateescape")
                if ino and entry == name:
                    if prev >= 0:
                        prev_len = struct.unpack_from("<H", buf, prev + 4)[0]
                        struct.pack_into("<H", buf, prev + 4, prev_len + rec_len)
                    else:
                        struct.pack_into("<I", buf, offset, 0)
                    self.cache.mark_dirty(block)
                    dir_inode.flags &= ~INDEX_FL
                    self._touch_dir(dir_ino, dir_inode)
                    return
                prev, offset = offset, offset + rec_len
        raise FileNotFoundError(errno.ENOENT, "no such file or directory", name)

    def _retarget_entry(self, dir_inode: Inode, name: str, ino: int, ftype: int) -> None:
        for block, offset, _, entry, _, _ in self._entries(dir_inode):
            if entry == name:
                buf = self.cache.get(block)
                struct.pack_into("<I", buf, offset, ino)
                if self._filetype:
                    buf[offset + 7] = ftype
                self.cache.mark_dirty(block)
                return
        raise FileNotFoundError(errno.ENOENT, "no such file or directory", name)

    def _touch_dir(self, dir_ino: int, dir_inode: Inode) -> None:
        dir_inode.mtime = dir_inode.ctime = int(time.time())
        self._iput(dir_ino, dir_inode)

    # ---------------------------------------------------------------- allocation

    def _need_blocks(self, count: int) -> None:
        if count > self.sb.free_blocks:
            raise OSError(errno.ENOSPC, "no space left on device")

    def _group_goal(self, ino: int) -> int:
        group = (ino - 1) // self.sb.inodes_per_group
        return self.sb.first_data_block + group * self.sb.blocks_per_group

    def _alloc_blocks(self, count: int, goal: int) -> list[int]:
        """``count`` free blocks, as contiguous as the bitmaps allow, from ``goal`` on."""
        if count > self.sb.free_blocks:
            raise OSError(errno.ENOSPC, "no space left on device")
        sb = self.sb
        bpg = sb.blocks_per_group
        goal = max(goal - sb.first_data_block, 0)
        start_group = min(goal // bpg, len(self.groups) - 1)
        got: list[int] = []
        for step in range(len(self.groups) + 1):
            g = (start_group + step) % len(self.groups)
            desc = self.groups[g]
            if not desc.free_blocks:
                continue
            bitmap = self.cache.get(desc.block_bitmap)
            bit = goal % bpg if step == 0 else 0
            taken = 0
            while len(got) < count and bit < bpg:
                if bitmap[bit >> 3] == 0xFF:
                    match = _NOT_FULL.search(bitmap, (bit >> 3) + 1)
                    if match is None:
                        break
                    bit = match.start() * 8
                    continue
                if not bitmap[bit >> 3] & (1 << (bit & 7)):
                    bitmap[bit >> 3] |= 1 << (bit & 7)
                    got.append(sb.first_data_block + g * bpg + bit)
                    taken += 1
                bit += 1
            if taken:
                self.cache.mark_dirty(desc.block_bitmap)
                desc.free_blocks -= taken
                sb.free_blocks -= taken
                self._gdt_dirty = self._sb_dirty = True
            if len(got) == count:
                return got
        raise OSError(errno.EIO, "block bitmaps disagree with the free counts")

    def _free_blocks(self, blocks: list[int]) -> None:
        sb = self.sb
        for block in blocks:
            g, bit = divmod(block - sb.first_data_block, sb.blocks_per_group)
            desc = self.groups[g]
            bitmap = self.cache.get(desc.block_bitmap)
            bitmap[bit >> 3] &= ~(1 << (bit & 7)) & 0xFF
            self.cache.mark_dirty(desc.block_bitmap)
            desc.free_blocks += 1
            self.cache.drop(block)
        sb.free_blocks += len(blocks)
        self._gdt_dirty = self._sb_dirty = True

    def _alloc_inode(self, is_dir: bool, parent_ino: int) -> int:
        sb = self.sb
        if not sb.free_inodes:
            raise OSError(errno.ENOSPC, "no free inodes")
        n = len(self.groups)
        if is_dir:
            order = sorted(range(n), key=lambda g: (-self.groups[g].free_blocks, g))
        else:
            first = (parent_ino - 1) // sb.inodes_per_group
            order = [(first + i) % n for i in range(n)]
        for g in order:
            desc = self.groups[g]
            if not desc.free_inodes:
                continue
            bitmap = self.cache.get(desc.inode_bitmap)
            for bit in range(sb.inodes_per_group):
                if not bitmap[bit >> 3] & (1 << (bit & 7)):
                    bitmap[bit >> 3] |= 1 << (bit & 7)
                    self.cache.mark_dirty(desc.inode_bitmap)
                    desc.free_inodes -= 1
                    desc.used_dirs += is_dir
                    sb.free_inodes -= 1
                    self._gdt_dirty = self._sb_dirty = True
                    return g * sb.inodes_per_group + bit + 1
        raise OSError(errno.EIO, "inode bitmaps disagree with the free counts")

    def _free_inode(self, ino: int, is_dir: bool) -> None:
        sb = self.sb
        g, bit = divmod(ino - 1, sb.inodes_per_group)
        desc = self.groups[g]
        bitmap = self.cache.get(desc.inode_bitmap)
        bitmap[bit >> 3] &= ~(1 << (bit & 7)) & 0xFF
        self.cache.mark_dirty(desc.inode_bitmap)
        desc.free_inodes += 1
        desc.used_dirs -= is_dir
        sb.free_inodes += 1
        self._gdt_dirty = self._sb_dirty = True

    def _make_root(self) -> None:
        """The root directory in inode 2 (mkfs: its inode bit is among the reserved ones)."""
        root = self._new_inode(stat.S_IFDIR | 0o755)
        root.links = 2
        block = self._alloc_blocks(1, 0)[0]
        buf = self.cache.new(block)
        self._put_entry(buf, 0, ROOT_INO, 12, ".", FT_DIR)
        self._put_entry(buf, 12, ROOT_INO, self.bs - 12, "..", FT_DIR)
        root.block[0] = block
        root.size = self.bs
        root.sectors = self.bs // 512
        self._iput(ROOT_INO, root)
        self.groups[0].used_dirs += 1
        self._gdt_dirty = True

    # ---------------------------------------------------------------- write-back

    def _commit(self) -> None:
        if self.write_through:
            self._flush_metadata()

    def _flush_metadata(self) -> None:
        if self._sb_dirty:
            self.sb.wtime = int(time.time())
            block, offset = divmod(SUPERBLOCK_OFFSET, self.bs)
            buf = self.cache.get(block)
            buf[offset : offset + 1024] = self.sb.pack()
            self.cache.mark_dirty(block)
            self._sb_dirty = False
        if self._gdt_dirty:
            raw = b"".join(d.pack() for d in self.groups)
            for i in range(0, len(raw), self.bs):
                block = self._gdt_block + i // self.bs
                buf = self.cache.get(block)
                chunk = raw[i : i + self.bs]
                buf[: len(chunk)] = chunk
                self.cache.mark_dirty(block)
            self._gdt_dirty = False
        self.cache.flush()

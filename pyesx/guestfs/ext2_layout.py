"""ext2's on-disk structures (revision 1): superblock, group descriptors, inodes, directory entries."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

SUPERBLOCK_OFFSET = 1024
MAGIC = 0xEF53
ROOT_INO = 2
FIRST_INO = 11  # inodes 1-10 are reserved
GOOD_OLD_INODE_SIZE = 128
N_BLOCKS = 15  # 12 direct, single, double, triple indirect
N_DIRECT = 12

# feature flags
COMPAT_EXT_ATTR = 0x0008
COMPAT_RESIZE_INODE = 0x0010
COMPAT_DIR_INDEX = 0x0020
INCOMPAT_FILETYPE = 0x0002
RO_COMPAT_SPARSE_SUPER = 0x0001
RO_COMPAT_LARGE_FILE = 0x0002
SUPPORTED_INCOMPAT = INCOMPAT_FILETYPE
SUPPORTED_RO_COMPAT = RO_COMPAT_SPARSE_SUPER | RO_COMPAT_LARGE_FILE

INDEX_FL = 0x1000  # a hashed (htree) directory

FT_UNKNOWN, FT_REG, FT_DIR = 0, 1, 2


@dataclass
class Superblock:
    """The fields this implementation reads or changes; ``raw`` keeps the rest."""

    raw: bytearray
    inodes_count: int = 0
    blocks_count: int = 0
    free_blocks: int = 0
    free_inodes: int = 0
    first_data_block: int = 0
    log_block_size: int = 0
    blocks_per_group: int = 0
    inodes_per_group: int = 0
    wtime: int = 0
    magic: int = 0
    rev_level: int = 0
    first_ino: int = FIRST_INO
    inode_size: int = GOOD_OLD_INODE_SIZE
    feature_compat: int = 0
    feature_incompat: int = 0
    feature_ro_compat: int = 0

    @classmethod
    def unpack(cls, raw: bytes) -> Superblock:
        sb = cls(bytearray(raw))
        (sb.inodes_count, sb.blocks_count, _, sb.free_blocks, sb.free_inodes, sb.first_data_block) = (
            struct.unpack_from("<6I", raw, 0)
        )
        sb.log_block_size, _, sb.blocks_per_group, _, sb.inodes_per_group = struct.unpack_from("<5I", raw, 24)
        sb.wtime = struct.unpack_from("<I", raw, 48)[0]
        sb.magic = struct.unpack_from("<H", raw, 56)[0]
        sb.rev_level = struct.unpack_from("<I", raw, 76)[0]
        if sb.rev_level >= 1:
            sb.first_ino, sb.inode_size = struct.unpack_from("<IH", raw, 84)
            sb.feature_compat, sb.feature_incompat, sb.feature_ro_compat = struct.unpack_from("<3I", raw, 92)
        return sb

    def pack(self) -> bytes:
        """The superblock with the changeable fields (free counts, write time) put back."""
        struct.pack_into("<II", self.raw, 12, self.free_blocks, self.free_inodes)
        struct.pack_into("<I", self.raw, 48, self.wtime)
        return bytes(self.raw)

    @property
    def block_size(self) -> int:
        return 1024 << self.log_block_size

    @property
    def group_count(self) -> int:
        return -(-(self.blocks_count - self.first_data_block) // self.blocks_per_group)

    @property
    def label(self) -> str:
        return bytes(self.raw[120:136]).rstrip(b"\0").decode("utf-8", "replace")


@dataclass
class GroupDesc:
    block_bitmap: int
    inode_bitmap: int
    inode_table: int
    free_blocks: int
    free_inodes: int
    used_dirs: int
    rest: bytes = bytes(14)

    SIZE = 32

    @classmethod
    def unpack(cls, raw: bytes, offset: int) -> GroupDesc:
        bb, ib, it, free_blocks, free_inodes, dirs = struct.unpack_from("<3I3H", raw, offset)
        return cls(bb, ib, it, free_blocks, free_inodes, dirs, bytes(raw[offset + 18 : offset + 32]))

    def pack(self) -> bytes:
        head = struct.pack(
            "<3I3H",
            self.block_bitmap,
            self.inode_bitmap,
            self.inode_table,
            self.free_blocks,
            self.free_inodes,
            self.used_dirs,
        )
        return head + self.rest


_INODE_HEAD = struct.Struct("<HHIIIIIHHII")  # mode uid size atime ctime mtime dtime gid links blocks flags


@dataclass
class Inode:
    """An inode's fields; ``raw`` keeps what is not parsed (e.g. the extra space of large inodes)."""

    raw: bytearray
    mode: int = 0
    uid: int = 0
    size: int = 0
    atime: int = 0
    ctime: int = 0
    mtime: int = 0
    dtime: int = 0
    gid: int = 0
    links: int = 0
    sectors: int = 0  # i_blocks: 512-byte units, indirect blocks included
    flags: int = 0
    block: list[int] = field(default_factory=lambda: [0] * N_BLOCKS)
    generation: int = 0

    @classmethod
    def unpack(cls, raw: bytes | bytearray) -> Inode:
        ino = cls(bytearray(raw))
        (ino.mode, uid, size, ino.atime, ino.ctime, ino.mtime, ino.dtime, gid, ino.links, ino.sectors) = (
            _INODE_HEAD.unpack_from(raw, 0)[:10]
        )
        ino.flags = _INODE_HEAD.unpack_from(raw, 0)[10]
        ino.block = list(struct.unpack_from("<15I", raw, 40))
        ino.generation, _, size_high = struct.unpack_from("<III", raw, 100)
        uid_high, gid_high = struct.unpack_from("<HH", raw, 120)
        ino.uid = uid | uid_high << 16
        ino.gid = gid | gid_high << 16
        ino.size = size | (size_high << 32 if ino.mode & 0o170000 == 0o100000 else 0)
        return ino

    def pack(self) -> bytes:
        is_reg = self.mode & 0o170000 == 0o100000
        _INODE_HEAD.pack_into(
            self.raw,
            0,
            self.mode,
            self.uid & 0xFFFF,
            self.size & 0xFFFFFFFF,
            self.atime,
            self.ctime,
            self.mtime,
            self.dtime,
            self.gid & 0xFFFF,
            self.links,
            self.sectors,
            self.flags,
        )
        struct.pack_into("<15I", self.raw, 40, *self.block)
        struct.pack_into("<I", self.raw, 100, self.generation)
        struct.pack_into("<I", self.raw, 108, self.size >> 32 if is_reg else 0)
        struct.pack_into("<HH", self.raw, 120, self.uid >> 16, self.gid >> 16)
        return bytes(self.raw)


def has_super(group: int) -> bool:
    """Whether a group holds a superblock backup (sparse_super: 0, 1 and powers of 3, 5, 7)."""
    if group <= 1:
        return True
    for base in (3, 5, 7):
        n = base
        while n < group:
            n *= base
        if n == group:
            return True
    return False


def rec_len_for(name_len: int) -> int:
    """The smallest directory entry that holds a name of ``name_len`` bytes."""
    return (8 + name_len + 3) & ~3

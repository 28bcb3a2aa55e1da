"""The classic MBR partition table: four primary entries in sector 0, signature 0x55AA."""

from __future__ import annotations

import struct
from dataclasses import dataclass

from pyesx.guestfs.api import BlockDevice

SECTOR = 512
LINUX = 0x83
ACTIVE = 0x80
_TABLE = 446
_SIGNATURE = b"\x55\xaa"


@dataclass(frozen=True)
class Partition:
    """One primary partition; start and length in bytes (the table holds LBAs)."""

    start: int
    length: int
    type: int
    active: bool


def write_single_partition(device: BlockDevice, start: int = 2048 * SECTOR, ptype: int = LINUX) -> Partition:
    """One active primary partition from ``start`` (default LBA 2048) to the end of the disk.

    Keeps the boot code area (bytes 0-445) as it is; returns the partition.
    """
    if start % SECTOR or start >= device.size:
        raise ValueError(f"partition start {start} is not a sector inside the disk")
    first = start // SECTOR
    count = min(device.size // SECTOR - first, 0xFFFFFFFF)
    if first > 0xFFFFFFFF:
        raise ValueError("the partition starts beyond what an MBR can address")
    sector0 = bytearray(device.read(0, SECTOR))
    entry = struct.pack("<B3sB3sII", ACTIVE, _chs(first), ptype, _chs(first + count - 1), first, count)
    sector0[_TABLE : _TABLE + 64] = entry + bytes(48)
    sector0[510:512] = _SIGNATURE
    device.write(0, bytes(sector0))
    return Partition(first * SECTOR, count * SECTOR, ptype, True)


def read_partitions(device: BlockDevice) -> list[Partition]:
    """The used primary entries, in table order; an empty list when sector 0 has no 0x55AA signature."""
    if device.size < SECTOR:
        return []
    sector0 = device.read(0, SECTOR)
    if sector0[510:512] != _SIGNATURE:
        return []
    found = []
    for index in range(4):
        status, _, ptype, _, first, count = struct.unpack_from("<B3sB3sII", sector0, _TABLE + 16 * index)
        if ptype and count:
            found.append(Partition(first * SECTOR, count * SECTOR, ptype, status == ACTIVE))
    return found


def _chs(lba: int) -> bytes:
    """CHS for an LBA with 255 heads, 63 sectors; the maximum (1023/254/63) beyond cylinder 1023."""
    cylinder, rest = divmod(lba, 255 * 63)
    head, sector = divmod(rest, 63)
    if cylinder > 1023:
        cylinder, head, sector = 1023, 254, 62
    return bytes([head, ((cylinder >> 2) & 0xC0) | (sector + 1), cylinder & 0xFF])

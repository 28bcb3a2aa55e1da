"""Ethernet frames as they cross the virtual switch: parsing, 802.1Q tags, and why one is dropped.

A frame is the bytes a guest sends: destination MAC, source MAC, an optional
802.1Q tag (TPID 0x8100, then PCP/DEI/VID), the EtherType, the payload (no FCS).
Anything shorter than a header is a runt; a payload longer than the switch's
MTU is oversized; a tag with VID 4095 (reserved) is a bad tag.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import StrEnum

HEADER = 14
TAG = 4
TPID_8021Q = 0x8100
BROADCAST = b"\xff" * 6
RESERVED_VID = 4095


class Drop(StrEnum):
    """Why the switch dropped a frame (the per-port drop counters)."""

    RUNT = "runt"
    OVERSIZE = "oversize"
    BAD_VLAN = "bad_vlan"
    FORGED_SOURCE = "forged_source"
    MAC_CHANGED = "mac_changed"
    SHAPED = "shaped"
    PORT_DOWN = "port_down"
    NO_ROUTE = "no_route"


class FrameError(Exception):
    def __init__(self, reason: Drop) -> None:
        super().__init__(reason.value)
        self.reason = reason


@dataclass(frozen=True)
class Frame:
    dst: bytes
    src: bytes
    vid: int | None  # the 802.1Q VLAN id, None when untagged
    ethertype: int
    payload: bytes

    @property
    def is_multicast(self) -> bool:
        """Broadcast or multicast: the I/G bit of the destination is set."""
        return bool(self.dst[0] & 1)

    def to_bytes(self, vid: int | None = None) -> bytes:
        """The frame on the wire, tagged with ``vid`` (None: untagged)."""
        tag = struct.pack("!HH", TPID_8021Q, vid) if vid is not None else b""
        return self.dst + self.src + tag + struct.pack("!H", self.ethertype) + self.payload


def parse(data: bytes, mtu: int) -> Frame:
    """The frame in ``data``; FrameError(RUNT / OVERSIZE / BAD_VLAN) when it is malformed."""
    if len(data) < HEADER:
        raise FrameError(Drop.RUNT)
    dst, src = data[0:6], data[6:12]
    (ethertype,) = struct.unpack_from("!H", data, 12)
    offset, vid = HEADER, None
    if ethertype == TPID_8021Q:
        if len(data) < HEADER + TAG:
            raise FrameError(Drop.RUNT)
        tci, ethertype = struct.unpack_from("!HH", data, 14)
        vid, offset = tci & 0x0FFF, HEADER + TAG
        if vid == RESERVED_VID:
            raise FrameError(Drop.BAD_VLAN)
    payload = data[offset:]
    if len(payload) > mtu:
        raise FrameError(Drop.OVERSIZE)
    return Frame(dst, src, vid, ethertype, payload)


def mac_text(mac: bytes) -> str:
    return ":".join(f"{b:02x}" for b in mac)


def mac_bytes(text: str) -> bytes:
    parts = text.split(":")
    if len(parts) != 6:
        raise ValueError(f"'{text}' is not a MAC address")
    return bytes(int(p, 16) for p in parts)

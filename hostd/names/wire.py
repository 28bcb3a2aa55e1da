"""DNS messages (RFC 1035): an A or AAAA query, and the addresses, rcode and truncation of a reply."""

from __future__ import annotations

import ipaddress
import struct
from dataclasses import dataclass

HEADER = struct.Struct("!HHHHHH")
TYPE_A, TYPE_AAAA, CLASS_IN = 1, 28, 1
FLAG_QR, FLAG_TC, FLAG_RD = 0x8000, 0x0200, 0x0100
NOERROR, SERVFAIL, NXDOMAIN, REFUSED = 0, 2, 3, 5
RCODE_NAMES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED"}


class BadMessage(ValueError):
    """A datagram that is not a well-formed answer to our query."""


def encode_name(name: str) -> bytes:
    """``www.example.com`` as length-prefixed labels ending with the root's empty label."""
    out = bytearray()
    for label in name.rstrip(".").split("."):
        raw = label.encode("ascii")
        if not 0 < len(raw) < 64:
            raise ValueError(f"bad label in {name!r}")
        out += bytes([len(raw)]) + raw
    return bytes(out + b"\0")


def build_query(query_id: int, name: str, qtype: int) -> bytes:
    """A recursive query for ``name``'s ``qtype`` records."""
    return (
        HEADER.pack(query_id, FLAG_RD, 1, 0, 0, 0) + encode_name(name) + struct.pack("!HH", qtype, CLASS_IN)
    )


def _skip_name(data: bytes, at: int) -> int:
    """The offset after the (possibly compressed) name starting at ``at``."""
    while True:
        if at >= len(data):
            raise BadMessage("a name runs past the end of the message")
        length = data[at]
        if length & 0xC0 == 0xC0:
            return at + 2
        if length & 0xC0:
            raise BadMessage("unknown label type")
        at += 1 + length
        if length == 0:
            return at


@dataclass(frozen=True)
class Answer:
    rcode: int
    truncated: bool
    addresses: tuple[str, ...]

    @property
    def rcode_name(self) -> str:
        return RCODE_NAMES.get(self.rcode, f"RCODE{self.rcode}")


def parse_answer(data: bytes, query_id: int, qtype: int) -> Answer:
    """The rcode, TC flag and ``qtype`` addresses of a reply to query ``query_id``."""
    if len(data) < HEADER.size:
        raise BadMessage("shorter than a DNS header")
    reply_id, flags, qdcount, ancount, _ns, _ar = HEADER.unpack_from(data)
    if reply_id != query_id or not flags & FLAG_QR:
        raise BadMessage("not the answer to our query")
    at = HEADER.size
    addresses: list[str] = []
    try:
        for _ in range(qdcount):
            at = _skip_name(data, at) + 4
        for _ in range(ancount):
            at = _skip_name(data, at)
            rtype, rclass, _ttl, length = struct.unpack_from("!HHIH", data, at)
            at += 10
            rdata = data[at : at + length]
            at += length
            if len(rdata) != length:
                raise BadMessage("a record runs past the end of the message")
            if rclass == CLASS_IN and rtype == qtype == TYPE_A and length == 4:
                addresses.append(str(ipaddress.IPv4Address(rdata)))
            elif rclass == CLASS_IN and rtype == qtype == TYPE_AAAA and length == 16:
                addresses.append(str(ipaddress.IPv6Address(rdata)))
    except struct.error as error:
        if not flags & FLAG_TC:
            raise BadMessage(str(error)) from None
    return Answer(flags & 0xF, bool(flags & FLAG_TC), tuple(addresses))

"""The NTP packet (RFC 5905, section 7.3) in client mode, and what a reply tells.

Timestamps on the wire are 64-bit NTP times: seconds since 1900 in the high 32 bits, the fraction
in the low 32. Here they are floats of seconds since the Unix epoch, as ``time.time()`` gives.
"""

from __future__ import annotations

import ipaddress
import struct
from dataclasses import dataclass

NTP_EPOCH_OFFSET = 2208988800  # seconds from 1900-01-01 to 1970-01-01
PACKET = struct.Struct("!BBbbII4sQQQQ")  # 48 bytes: the header without extensions or MAC
VERSION = 4
MODE_CLIENT, MODE_SERVER = 3, 4
LEAP_ALARM = 3  # the server's clock is not synchronized
MAX_STRATUM = 15  # 16 means unsynchronized


class BadReply(ValueError):
    """A datagram that is not a usable answer to our query."""


def to_ntp(unix_time: float) -> int:
    """A Unix time as a 64-bit NTP timestamp."""
    ntp = unix_time + NTP_EPOCH_OFFSET
    seconds = int(ntp)
    return (seconds << 32) | int((ntp - seconds) * (1 << 32))


def from_ntp(timestamp: int) -> float:
    """A 64-bit NTP timestamp as a Unix time."""
    return (timestamp >> 32) - NTP_EPOCH_OFFSET + (timestamp & 0xFFFFFFFF) / (1 << 32)


def client_request(transmit: int) -> bytes:
    """A client-mode query whose transmit timestamp is ``transmit`` (an NTP timestamp)."""
    first = (0 << 6) | (VERSION << 3) | MODE_CLIENT
    return PACKET.pack(first, 0, 0, 0, 0, 0, b"\0\0\0\0", 0, 0, 0, transmit)


@dataclass(frozen=True)
class Reply:
    """A server's answer: its stratum and reference, and our four timestamps (Unix times).

    t1 we sent, t2 the server received, t3 the server sent, t4 we received.
    """

    leap: int
    stratum: int
    reference_id: str
    t1: float
    t2: float
    t3: float
    t4: float

    @property
    def offset(self) -> float:
        """The server's clock minus ours (RFC 5905: ((t2 - t1) + (t3 - t4)) / 2)."""
        return ((self.t2 - self.t1) + (self.t3 - self.t4)) / 2

    @property
    def delay(self) -> float:
        """The round trip less the server's time: (t4 - t1) - (t3 - t2), never negative."""
        return max(0.0, (self.t4 - self.t1) - (self.t3 - self.t2))


def _reference_id(stratum: int, raw: bytes) -> str:
    if stratum <= 1:  # a kiss code or a reference clock's ASCII name
        return raw.rstrip(b"\0").decode("ascii", "replace")
    return str(ipaddress.IPv4Address(raw))


def parse_reply(data: bytes, sent: int, received: float) -> Reply:
    """The reply to the query sent with transmit timestamp ``sent``, received at Unix ``received``.

    Raises BadReply for a short or foreign packet, a kiss-o'-death, or an unsynchronized server.
    """
    if len(data) < PACKET.size:
        raise BadReply(f"a {len(data)}-byte datagram is not an NTP packet")
    first, stratum, _poll, _precision, _rdelay, _rdisp, ref, _reft, origin, receive, transmit = (
        PACKET.unpack_from(data)
    )
    leap, mode = first >> 6, first & 7
    if mode != MODE_SERVER:
        raise BadReply(f"mode {mode} is not a server reply")
    if origin != sent:
        raise BadReply("the reply does not answer our query (origin timestamp differs)")
    if stratum == 0:
        raise BadReply(f"kiss-o'-death {_reference_id(0, ref)!r}")
    if leap == LEAP_ALARM or stratum > MAX_STRATUM:
        raise BadReply("the server is not synchronized")
    if transmit == 0:
        raise BadReply("the reply has no transmit timestamp")
    return Reply(
        leap,
        stratum,
        _reference_id(stratum, ref),
        from_ntp(sent),
        from_ntp(receive),
        from_ntp(transmit),
        received,
    )

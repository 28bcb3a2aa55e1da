"""The NTP packet in client mode (RFC 5905): timestamps, the query, and what a reply tells."""

from __future__ import annotations

import struct

import pytest

from hostd.timesync.wire import (
    NTP_EPOCH_OFFSET,
    PACKET,
    BadReply,
    client_request,
    from_ntp,
    parse_reply,
    to_ntp,
)

SENT = to_ntp(1_700_000_000.25)


def reply(
    *, leap: int = 0, mode: int = 4, stratum: int = 2, ref: bytes = bytes([192, 0, 2, 1]),
    origin: int = SENT, receive: float = 1_700_000_000.30, transmit: float = 1_700_000_000.31,
) -> bytes:  # fmt: skip
    first = (leap << 6) | (4 << 3) | mode
    return PACKET.pack(first, stratum, 6, -20, 0, 0, ref, 0, origin, to_ntp(receive), to_ntp(transmit))


def test_timestamps_are_seconds_since_1900_with_a_32_bit_fraction() -> None:
    assert to_ntp(0.0) == NTP_EPOCH_OFFSET << 32
    assert to_ntp(0.5) == (NTP_EPOCH_OFFSET << 32) | (1 << 31)
    assert from_ntp(to_ntp(1_700_000_000.123456)) == pytest.approx(1_700_000_000.123456, abs=1e-9)


def test_the_query_is_48_bytes_version_4_client_mode_with_our_transmit_timestamp() -> None:
    query = client_request(SENT)
    assert len(query) == 48
    assert (query[0] >> 6, (query[0] >> 3) & 7, query[0] & 7) == (0, 4, 3)
    assert struct.unpack_from("!Q", query, 40)[0] == SENT
    assert query[1:40] == bytes(39)


def test_offset_and_delay_from_the_four_timestamps() -> None:
    # t1 = .25 sent, t2 = .30 received there, t3 = .31 sent back, t4 = .36 received here
    got = parse_reply(reply(), SENT, 1_700_000_000.36)
    assert (got.stratum, got.reference_id, got.leap) == (2, "192.0.2.1", 0)
    assert got.offset == pytest.approx(0.0, abs=1e-6)  # ((.30-.25) + (.31-.36)) / 2
    assert got.delay == pytest.approx(0.10, abs=1e-6)  # (.36-.25) - (.31-.30)

    ahead = parse_reply(reply(receive=1_700_000_002.30, transmit=1_700_000_002.31), SENT, 1_700_000_000.36)
    assert ahead.offset == pytest.approx(2.0, abs=1e-6)


def test_a_stratum_1_reference_is_its_ascii_name() -> None:
    assert parse_reply(reply(stratum=1, ref=b"GPS\0"), SENT, 1_700_000_000.36).reference_id == "GPS"


@pytest.mark.parametrize(
    ("packet", "reason"),
    [
        (b"\x24" * 47, "not an NTP packet"),
        (reply(mode=3), "mode 3"),
        (reply(origin=SENT + 1), "does not answer our query"),
        (reply(stratum=0, ref=b"RATE"), "kiss-o'-death 'RATE'"),
        (reply(leap=3), "not synchronized"),
        (reply(stratum=16), "not synchronized"),
    ],
)
def test_unusable_replies_are_refused(packet: bytes, reason: str) -> None:
    with pytest.raises(BadReply, match=reason):
        parse_reply(packet, SENT, 1_700_000_000.36)

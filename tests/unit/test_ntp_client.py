"""One NTP query over real UDP sockets on loopback, against small servers in the test's loop."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from hostd.timesync.client import NtpQueryError, query
from hostd.timesync.wire import PACKET, to_ntp

pytestmark = pytest.mark.timeout(30)
Answer = Callable[[bytes], bytes | None]


class _Server(asyncio.DatagramProtocol):
    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.transport: Any = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # a DatagramTransport (uvloop's is not a subclass)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        out = self.answer(data)
        if out is not None and self.transport is not None:
            self.transport.sendto(out, addr)


def stratum_3(data: bytes) -> bytes:
    """A server whose clock is ours: it echoes the transmit timestamp as the origin."""
    now = to_ntp(time.time())
    transmit = data[40:48]
    return PACKET.pack(
        (4 << 3) | 4, 3, 6, -20, 0, 0, b"\x0a\0\0\x01", now, int.from_bytes(transmit), now, now
    )


async def serve(answer: Answer) -> tuple[asyncio.DatagramTransport, int]:
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(lambda: _Server(answer), local_addr=("127.0.0.1", 0))
    return transport, transport.get_extra_info("sockname")[1]


@pytest.fixture
async def server() -> AsyncIterator[int]:
    transport, port = await serve(stratum_3)
    yield port
    transport.close()


async def test_a_query_gets_stratum_offset_and_delay(server: int) -> None:
    got = await query("127.0.0.1", server, 2.0)
    assert (got.stratum, got.reference_id) == (3, "10.0.0.1")
    assert abs(got.offset) < 1.0 and got.delay >= 0


async def test_a_silent_server_times_out() -> None:
    transport, port = await serve(lambda data: None)
    try:
        with pytest.raises(NtpQueryError, match=r"no answer within 0\.05 s"):
            await query("127.0.0.1", port, 0.05)
    finally:
        transport.close()


async def test_a_reply_to_someone_else_is_refused() -> None:
    transport, port = await serve(lambda data: stratum_3(data[:40] + bytes(8)))
    try:
        with pytest.raises(NtpQueryError, match="does not answer our query"):
            await query("127.0.0.1", port, 2.0)
    finally:
        transport.close()


async def test_a_closed_port_is_refused_or_silent() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(NtpQueryError, match=r"connection refused|no answer"):
        await query("127.0.0.1", port, 1.0)

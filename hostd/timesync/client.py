"""One NTP query in client mode over UDP (asyncio datagram endpoint): send, wait for the answer."""

from __future__ import annotations

import asyncio
import secrets
import time

from hostd.timesync.wire import BadReply, Reply, client_request, parse_reply, to_ntp


class NtpQueryError(Exception):
    """The server did not give a usable answer; the message says why."""


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, sent: int, answer: asyncio.Future[Reply]) -> None:
        self.sent, self.answer = sent, answer

    def datagram_received(self, data: bytes, addr: object) -> None:
        if self.answer.done():
            return
        try:
            self.answer.set_result(parse_reply(data, self.sent, time.time()))
        except BadReply as error:
            self.answer.set_exception(NtpQueryError(str(error)))

    def error_received(self, exc: Exception) -> None:
        if not self.answer.done():
            reason = "connection refused" if isinstance(exc, ConnectionRefusedError) else str(exc)
            self.answer.set_exception(NtpQueryError(reason))


async def query(host: str, port: int, timeout: float) -> Reply:
    """Ask ``host:port`` (an IP address) for the time; NtpQueryError when it does not answer well.

    The transmit timestamp carries random low bits (RFC 5905's advice), so a reply must echo
    exactly our query to count.
    """
    loop = asyncio.get_running_loop()
    answer: asyncio.Future[Reply] = loop.create_future()
    sent = (to_ntp(time.time()) & ~0xFFFF) | secrets.randbits(16)
    transport, _ = await loop.create_datagram_endpoint(
        lambda: _Protocol(sent, answer), remote_addr=(host, port)
    )
    try:
        transport.sendto(client_request(sent))
        return await asyncio.wait_for(answer, timeout)
    except TimeoutError:
        raise NtpQueryError(f"no answer within {timeout:g} s") from None
    finally:
        transport.close()

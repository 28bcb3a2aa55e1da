"""The host's resolver against small DNS servers in the test's loop (real UDP and TCP on loopback):
A and AAAA, TCP after truncation, search domains, several servers, NXDOMAIN, SERVFAIL, silence."""

from __future__ import annotations

import asyncio
import struct
from collections.abc import AsyncIterator, Callable
from ipaddress import ip_address
from typing import Any

import pytest

from hostd.names.endpoints import Endpoint
from hostd.names.resolver import Resolver, candidates
from hostd.names.wire import HEADER, TYPE_A, TYPE_AAAA, BadMessage, build_query, encode_name, parse_answer
from pyesx.faults import InvalidArgument, NotFound, Timedout

pytestmark = pytest.mark.timeout(30)
ZONE: dict[tuple[str, int], list[bytes]] = {
    ("ntp.lab.lan", TYPE_A): [ip_address("10.0.0.1").packed],
    ("v6.lab.lan", TYPE_AAAA): [ip_address("fd00::1").packed],
    ("big.lab.lan", TYPE_A): [ip_address(f"10.1.0.{i}").packed for i in range(40)],  # past 512 bytes
}


def answer_for(query: bytes, rcode: int | None = None, udp: bool = True) -> bytes:
    """A reply from ZONE, compressed names pointing at the question; truncated over UDP past 512 bytes."""
    query_id, _flags = struct.unpack_from("!HH", query)
    at, labels = HEADER.size, []
    while query[at]:
        labels.append(query[at + 1 : at + 1 + query[at]].decode())
        at += 1 + query[at]
    qtype = struct.unpack_from("!H", query, at + 1)[0]
    question = query[HEADER.size : at + 5]
    records = ZONE.get((".".join(labels).lower(), qtype))
    if rcode is None:
        known = any(name == ".".join(labels).lower() for name, _ in ZONE)
        rcode = 0 if known else 3
    body = b""
    for rdata in records or []:
        body += struct.pack("!HHHIH", 0xC00C, qtype, 1, 60, len(rdata)) + rdata
    flags = 0x8180 | rcode
    count = len(records or [])
    message = HEADER.pack(query_id, flags, 1, count, 0, 0) + question + body
    if udp and len(message) > 512:
        return HEADER.pack(query_id, flags | 0x0200, 1, 0, 0, 0) + question
    return message


class _Udp(asyncio.DatagramProtocol):
    def __init__(self, reply: Callable[[bytes], bytes | None], seen: list[str]) -> None:
        self.reply, self.seen, self.transport = reply, seen, None

    def connection_made(self, transport: Any) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.seen.append("udp")
        out = self.reply(data)
        if out is not None and self.transport is not None:
            self.transport.sendto(out, addr)


class FakeDns:
    """A DNS server on 127.0.0.1 (UDP and TCP on one port) answering with ``reply``."""

    def __init__(self, reply: Callable[[bytes], bytes | None] = answer_for) -> None:
        self.reply, self.seen = reply, []  # type: ignore[var-annotated]
        self.udp: Any = None
        self.tcp: asyncio.Server | None = None
        self.port = 0

    async def __aenter__(self) -> FakeDns:
        loop = asyncio.get_running_loop()
        self.tcp = await asyncio.start_server(self._tcp, "127.0.0.1", 0)
        self.port = self.tcp.sockets[0].getsockname()[1]
        self.udp, _ = await loop.create_datagram_endpoint(
            lambda: _Udp(self.reply, self.seen), local_addr=("127.0.0.1", self.port)
        )
        return self

    async def _tcp(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.seen.append("tcp")
        (length,) = struct.unpack("!H", await reader.readexactly(2))
        out = answer_for(await reader.readexactly(length), udp=False)
        writer.write(struct.pack("!H", len(out)) + out)
        await writer.drain()
        writer.close()

    async def __aexit__(self, *exc: object) -> None:
        self.udp.close()
        assert self.tcp is not None
        self.tcp.close()
        await self.tcp.wait_closed()

    @property
    def endpoint(self) -> Endpoint:
        return Endpoint("127.0.0.1", self.port)


@pytest.fixture
async def dns() -> AsyncIterator[FakeDns]:
    async with FakeDns() as server:
        yield server


def test_wire_query_and_answer() -> None:
    query = build_query(0x1234, "ntp.lab.lan", TYPE_A)
    assert query[:12] == HEADER.pack(0x1234, 0x0100, 1, 0, 0, 0)
    assert encode_name("ntp.lab.lan.") == b"\x03ntp\x03lab\x03lan\x00"
    got = parse_answer(answer_for(query), 0x1234, TYPE_A)
    assert (got.rcode, got.truncated, got.addresses) == (0, False, ("10.0.0.1",))
    with pytest.raises(BadMessage):
        parse_answer(answer_for(query), 0x4321, TYPE_A)
    with pytest.raises(BadMessage):
        parse_answer(b"\x12\x34", 0x1234, TYPE_A)
    big = parse_answer(answer_for(build_query(7, "big.lab.lan", TYPE_A)), 7, TYPE_A)
    assert big.truncated and big.addresses == ()


def test_search_candidates_follow_ndots_1() -> None:
    assert candidates("ntp", ["lab.lan", "corp.lan"]) == ["ntp.lab.lan", "ntp.corp.lan", "ntp"]
    assert candidates("ntp.lab", ["lan"]) == ["ntp.lab", "ntp.lab.lan"]
    assert candidates("ntp.lab.lan.", ["lan"]) == ["ntp.lab.lan"]


async def test_a_and_aaaa_through_the_configured_server(dns: FakeDns) -> None:
    resolver = Resolver([dns.endpoint], [])
    found = await resolver.resolve("NTP.lab.lan")
    assert (found.addresses, found.server) == (("10.0.0.1",), f"127.0.0.1:{dns.port}")
    assert (await resolver.resolve("v6.lab.lan")).addresses == ("fd00::1",)  # no A: AAAA asked next


async def test_a_truncated_answer_is_asked_again_over_tcp(dns: FakeDns) -> None:
    found = await Resolver([dns.endpoint], []).resolve("big.lab.lan")
    assert len(found.addresses) == 40 and dns.seen == ["udp", "tcp"]


async def test_search_domains_complete_short_names(dns: FakeDns) -> None:
    found = await Resolver([dns.endpoint], ["corp.lan", "lab.lan"]).resolve("ntp")
    assert found.name == "ntp.lab.lan"


async def test_unknown_names_are_not_found(dns: FakeDns) -> None:
    with pytest.raises(
        NotFound, match=f"'nosuch.lab.lan' is not known to the DNS servers \\(127.0.0.1:{dns.port}\\)"
    ):
        await Resolver([dns.endpoint], ["lab.lan"]).resolve("nosuch.lab.lan")


async def test_a_silent_server_is_skipped_and_silence_everywhere_times_out(dns: FakeDns) -> None:
    async with FakeDns(lambda query: None) as silent:
        found = await Resolver([silent.endpoint, dns.endpoint], [], timeout=0.05).resolve("ntp.lab.lan")
        assert found.server == f"127.0.0.1:{dns.port}"
        with pytest.raises(Timedout, match=r"no DNS server answered for 'ntp\.lab\.lan'"):
            await Resolver([silent.endpoint], [], timeout=0.05).resolve("ntp.lab.lan")


async def test_servfail_everywhere_is_not_found_with_the_reason() -> None:
    async with FakeDns(lambda query: answer_for(query, rcode=2)) as failing:
        with pytest.raises(NotFound, match="SERVFAIL"):
            await Resolver([failing.endpoint], []).resolve("ntp.lab.lan")


async def test_addresses_localhost_and_no_servers() -> None:
    resolver = Resolver([], ["lab.lan"])
    assert (await resolver.resolve("192.0.2.7")).addresses == ("192.0.2.7",)
    assert (await resolver.resolve("localhost")).addresses == ("127.0.0.1", "::1")
    with pytest.raises(NotFound, match="no DNS servers are configured"):
        await resolver.resolve("ntp.lab.lan")
    with pytest.raises(InvalidArgument):
        await resolver.resolve("not a name")

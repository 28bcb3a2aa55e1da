"""The host's resolver: A and AAAA queries to ITS configured DNS servers (never the machine's
resolv.conf) over UDP, again over TCP when the answer is truncated; search domains as resolv.conf's
``ndots:1``; each server in turn until one answers.

Faults: NotFound("HostName", name) when the servers say the name does not exist (or none is
configured), Timedout when no server answers.
"""

from __future__ import annotations

import asyncio
import secrets
import struct
from collections.abc import Sequence
from dataclasses import dataclass

from hostd.names.endpoints import Endpoint, is_ip
from hostd.names.hostnames import check_domain_name
from hostd.names.wire import (
    NOERROR,
    NXDOMAIN,
    TYPE_A,
    TYPE_AAAA,
    Answer,
    BadMessage,
    build_query,
    parse_answer,
)
from pyesx.faults import NotFound, Timedout
from pyesx.logs import get_logger

DEFAULT_TIMEOUT = 2.0
LOCALHOST = ("127.0.0.1", "::1")


@dataclass(frozen=True)
class Resolution:
    name: str  # the name that answered (after search domains)
    addresses: tuple[str, ...]
    server: str  # the DNS server that answered ("" for an address or localhost)


class _ServerFailed(Exception):
    """This server gave no usable answer; try the next. ``replied``: it answered with an error rcode
    (SERVFAIL, REFUSED), rather than not at all (timeout, port closed)."""

    def __init__(self, reason: str, replied: bool = False) -> None:
        super().__init__(reason)
        self.replied = replied


class _UdpProtocol(asyncio.DatagramProtocol):
    def __init__(self, answer: asyncio.Future[bytes]) -> None:
        self.answer = answer

    def datagram_received(self, data: bytes, addr: object) -> None:
        if not self.answer.done():
            self.answer.set_result(data)

    def error_received(self, exc: Exception) -> None:
        if not self.answer.done():
            self.answer.set_exception(exc)


async def _udp(server: Endpoint, query: bytes, timeout: float) -> bytes:
    loop = asyncio.get_running_loop()
    answer: asyncio.Future[bytes] = loop.create_future()
    transport, _ = await loop.create_datagram_endpoint(
        lambda: _UdpProtocol(answer), remote_addr=(server.host, server.port)
    )
    try:
        transport.sendto(query)
        return await asyncio.wait_for(answer, timeout)
    finally:
        transport.close()


async def _tcp(server: Endpoint, query: bytes, timeout: float) -> bytes:
    async def exchange() -> bytes:
        reader, writer = await asyncio.open_connection(server.host, server.port)
        try:
            writer.write(struct.pack("!H", len(query)) + query)
            await writer.drain()
            (length,) = struct.unpack("!H", await reader.readexactly(2))
            return await reader.readexactly(length)
        finally:
            writer.close()

    return await asyncio.wait_for(exchange(), timeout)


async def ask(server: Endpoint, name: str, qtype: int, timeout: float) -> Answer:
    """One question to one server: UDP, then TCP if the answer came truncated."""
    query_id = secrets.randbits(16)
    query = build_query(query_id, name, qtype)
    try:
        answer = parse_answer(await _udp(server, query, timeout), query_id, qtype)
        if answer.truncated:
            answer = parse_answer(await _tcp(server, query, timeout), query_id, qtype)
    except TimeoutError:
        raise _ServerFailed("timed out") from None
    except ConnectionRefusedError:
        raise _ServerFailed("connection refused") from None
    except (OSError, BadMessage, asyncio.IncompleteReadError) as error:
        raise _ServerFailed(str(error) or type(error).__name__) from None
    if answer.rcode not in (NOERROR, NXDOMAIN):
        raise _ServerFailed(answer.rcode_name, replied=True)
    return answer


def candidates(name: str, search: Sequence[str]) -> list[str]:
    """The names to try, as resolv.conf's ndots:1: a name with a dot first as given, a single label
    first with each search domain; a trailing dot means exactly that name."""
    if name.endswith("."):
        return [name[:-1]]
    searched = [f"{name}.{domain.rstrip('.')}" for domain in search]
    return [name, *searched] if "." in name else [*searched, name]


class Resolver:
    """Resolves names through ``servers`` with ``search`` domains; ``timeout`` per question."""

    def __init__(
        self, servers: Sequence[Endpoint], search: Sequence[str], timeout: float = DEFAULT_TIMEOUT
    ) -> None:
        self.servers, self.search, self.timeout = list(servers), list(search), timeout

    async def _lookup(self, name: str, failures: dict[str, _ServerFailed]) -> tuple[str, Answer] | None:
        """(server, answer) from the first server that answers for ``name`` (None: none did)."""
        for server in self.servers:
            try:
                answer = await ask(server, name, TYPE_A, self.timeout)
                if answer.rcode == NOERROR and not answer.addresses:
                    answer = await ask(server, name, TYPE_AAAA, self.timeout)
                return str(server), answer
            except _ServerFailed as error:
                failures[str(server)] = error
        return None

    async def resolve(self, name: str) -> Resolution:
        """The addresses of ``name``; an IP address is itself, ``localhost`` is loopback."""
        if is_ip(name):
            return Resolution(name, (name,), "")
        check_domain_name(name, "name")
        if name.rstrip(".").lower() == "localhost":
            return Resolution("localhost", LOCALHOST, "")
        if not self.servers:
            raise NotFound("HostName", name, f"cannot resolve '{name}': no DNS servers are configured")
        failures: dict[str, _ServerFailed] = {}
        answered = ""
        for candidate in candidates(name, self.search):
            found = await self._lookup(candidate, failures)
            if found is None:
                continue
            answered, answer = found
            if answer.addresses:
                get_logger("hostd").info(
                    "dns.resolved", name=candidate, server=answered, addresses=answer.addresses
                )
                return Resolution(candidate, answer.addresses, answered)
        if not answered:
            detail = "; ".join(f"{server}: {why}" for server, why in failures.items())
            if not any(why.replied for why in failures.values()):
                raise Timedout(f"no DNS server answered for '{name}' ({detail})")
            raise NotFound("HostName", name, f"cannot resolve '{name}': {detail}")
        servers = ", ".join(str(s) for s in self.servers)
        raise NotFound("HostName", name, f"'{name}' is not known to the DNS servers ({servers})")

"""The host's ntpd: while running, polls every configured server each poll interval (names resolved
through the host's DNS servers on every poll, so a DNS change takes effect at the next one), keeps
ntpq-style state per server and picks the server the host is synchronized to.

Reading of the state: a server is *reachable* when its last poll was answered; ``reach`` is ntpq's
8-poll shift register. The host is *synchronized* to the reachable server of lowest stratum (then
lowest delay); its stratum is that server's + 1. With no reachable server it is unsynchronized
(stratum 16) at once: there is no holdover. The machine's clock is measured, never stepped or
slewed (hostd does not own it), like ``chronyd -x``.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import structlog

from hostd.names.endpoints import parse_endpoint
from hostd.names.resolver import Resolver
from hostd.timesync.client import NtpQueryError, query
from hostd.timesync.config import NTP_PORT, NtpConfigStore
from hostd.timesync.wire import Reply
from pyesx.faults import VimFault
from pyesx.logs import get_logger

UNSYNCHRONIZED_STRATUM = 16
QUERY_TIMEOUT = 2.0  # per query, whatever the poll interval (a busy machine answers late)
Query = Callable[[str, int, float], Awaitable[Reply]]


@dataclass
class NtpServerStatus:
    server: str
    address: str = ""
    reachable: bool = False
    reach: int = 0
    stratum: int = 0
    offset_seconds: float = 0.0
    delay_seconds: float = 0.0
    reference_id: str = ""
    last_poll_time: float = 0.0
    error: str = ""
    selected: bool = False


@dataclass(frozen=True)
class NtpStatus:
    running: bool
    synchronized: bool
    sync_server: str
    stratum: int
    offset_seconds: float
    servers: list[NtpServerStatus] = field(default_factory=list)


class NtpDaemon:
    """Started and stopped by the ntpd host service; ``status()`` at any time."""

    def __init__(
        self,
        config: NtpConfigStore,
        resolver: Callable[[], Resolver],
        query_fn: Query = query,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config, self._resolver, self._query, self._clock = config, resolver, query_fn, clock
        self._states: dict[str, NtpServerStatus] = {}
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._polled = asyncio.Condition()
        self.polls = 0  # completed poll rounds

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        if not self.running:
            self._states = {}
            self._task = asyncio.create_task(self._run(), name="ntpd")
            get_logger("hostd").info("ntpd.started", servers=list(self.config.current.servers))

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            get_logger("hostd").info("ntpd.stopped")
        self._states = {}

    def wake(self) -> None:
        """Poll now (the servers or the DNS configuration changed)."""
        self._wake.set()

    async def _run(self) -> None:
        # the task copied the context of the RPC that started it: its polls are no part of that request
        structlog.contextvars.unbind_contextvars("request_id")
        structlog.contextvars.bind_contextvars(service="ntpd")
        while True:
            self._wake.clear()
            await self.poll_once()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.config.current.poll_interval_seconds)

    async def poll_once(self) -> None:
        """Query every configured server once, concurrently, and select the sync source."""
        servers = self.config.current.servers
        self._states = {s: self._states.get(s) or NtpServerStatus(s) for s in servers}
        before = self._selected()
        await asyncio.gather(*(self._poll(self._states[s]) for s in servers))
        after = self._selected()
        if before != after:
            get_logger("hostd").info("ntpd.sync_changed", server=after or "", synchronized=after is not None)
        self.polls += 1
        async with self._polled:
            self._polled.notify_all()

    async def wait_polled(self) -> None:
        """Until the next poll round completes."""
        async with self._polled:
            await self._polled.wait()

    async def _poll(self, state: NtpServerStatus) -> None:
        was = (state.reachable, state.error)
        await self._query_server(state)
        self._select()  # before any await: a status read never sees a lost server still selected
        if (state.reachable, state.error) != was:
            get_logger("hostd").info(
                "ntpd.server",
                server=state.server,
                address=state.address,
                reachable=state.reachable,
                error=state.error,
            )

    async def _query_server(self, state: NtpServerStatus) -> None:
        timeout = QUERY_TIMEOUT
        state.last_poll_time = self._clock()
        try:
            endpoint = parse_endpoint(state.server, NTP_PORT, "servers")
            host = endpoint.host
            if not endpoint.is_address:
                host = (await self._resolver().resolve(endpoint.host)).addresses[0]
            state.address = f"[{host}]:{endpoint.port}" if ":" in host else f"{host}:{endpoint.port}"
            reply = await self._query(host, endpoint.port, timeout)
        except Exception as error:  # any failure is this server's state, never the end of ntpd
            state.reach = (state.reach << 1) & 0xFF
            state.reachable = False
            state.error = error.message if isinstance(error, VimFault) else str(error) or type(error).__name__
            if isinstance(error, VimFault):
                state.address = ""
            if not isinstance(error, VimFault | NtpQueryError | OSError):
                get_logger("hostd").exception("ntpd.poll_failed", server=state.server)
            return
        state.reach = ((state.reach << 1) | 1) & 0xFF
        state.reachable, state.error = True, ""
        state.stratum, state.reference_id = reply.stratum, reply.reference_id
        state.offset_seconds, state.delay_seconds = reply.offset, reply.delay

    def _selected(self) -> str | None:
        return next((s.server for s in self._states.values() if s.selected), None)

    def _select(self) -> None:
        usable = [s for s in self._states.values() if s.reachable]
        best = min(usable, key=lambda s: (s.stratum, s.delay_seconds), default=None)
        for state in self._states.values():
            state.selected = state is best

    def status(self) -> NtpStatus:
        running = self.running
        states = [self._states.get(s) or NtpServerStatus(s) for s in self.config.current.servers]
        best = next((s for s in states if s.selected), None) if running else None
        if best is None:
            return NtpStatus(running, False, "", UNSYNCHRONIZED_STRATUM, 0.0, states)
        return NtpStatus(running, True, best.server, best.stratum + 1, best.offset_seconds, states)

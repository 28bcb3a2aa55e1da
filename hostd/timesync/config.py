"""The NTP servers and poll interval (``etc/hostd/ntp.json``), checked whole, written atomically."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from hostd.names.endpoints import parse_endpoint
from pyesx.atomic import atomic_write
from pyesx.faults import DuplicateName, InvalidArgument, NotFound

NTP_PORT = 123
DEFAULT_POLL_INTERVAL = 64.0  # NTP's minpoll 6
MIN_POLL_INTERVAL, MAX_POLL_INTERVAL = 0.1, 1024.0
MAX_SERVERS = 16


@dataclass(frozen=True)
class NtpConfig:
    servers: tuple[str, ...] = ()
    poll_interval_seconds: float = DEFAULT_POLL_INTERVAL


class NtpConfigStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.current = NtpConfig()
        if path.exists():
            raw = json.loads(path.read_text())
            self.current = NtpConfig(
                tuple(raw.get("servers", ())), float(raw.get("poll_interval_seconds", DEFAULT_POLL_INTERVAL))
            )

    def _save(self, config: NtpConfig) -> NtpConfig:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        body = {"servers": list(config.servers), "poll_interval_seconds": config.poll_interval_seconds}
        atomic_write(self.path, json.dumps(body, indent=2) + "\n")
        self.current = config
        return config

    def add(self, servers: Sequence[str]) -> NtpConfig:
        """Append ``servers`` (``host[:port]``); DuplicateName for one already there, nothing changed."""
        if not servers:
            raise InvalidArgument("servers", "name at least one NTP server")
        known = {s.lower() for s in self.current.servers}
        for server in servers:
            parse_endpoint(server, NTP_PORT, "servers")
            if server.lower() in known:
                raise DuplicateName(server, f"The NTP server '{server}' is already configured.")
            known.add(server.lower())
        if len(known) > MAX_SERVERS:
            raise InvalidArgument("servers", f"at most {MAX_SERVERS} NTP servers are allowed")
        return self._save(replace(self.current, servers=(*self.current.servers, *servers)))

    def remove(self, servers: Sequence[str]) -> NtpConfig:
        """Drop ``servers``; NotFound for one that is not configured, nothing changed."""
        wanted = {s.lower() for s in servers}
        for server in servers:
            if server.lower() not in {s.lower() for s in self.current.servers}:
                raise NotFound("NtpServer", server, f"The NTP server '{server}' is not configured.")
        kept = tuple(s for s in self.current.servers if s.lower() not in wanted)
        return self._save(replace(self.current, servers=kept))

    def set_poll_interval(self, seconds: float) -> NtpConfig:
        if not math.isfinite(seconds) or not MIN_POLL_INTERVAL <= seconds <= MAX_POLL_INTERVAL:
            raise InvalidArgument(
                "pollIntervalSeconds", f"must be from {MIN_POLL_INTERVAL:g} to {MAX_POLL_INTERVAL:g} seconds"
            )
        return self._save(replace(self.current, poll_interval_seconds=seconds))

"""The event log: vSphere events for every state change, kept across hostd restarts."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from hostd.fanout import fan_out
from pyesx.logs import get_logger

HISTORY = 10_000
QUEUE_LIMIT = 50_000  # events a watcher may have unread before it is cut off (as the change feed's)
_log = get_logger("events")


@dataclass(frozen=True)
class Event:
    key: int
    type: str
    created_time: float
    message: str
    user: str = ""
    vm_id: str = ""
    vm_name: str = ""


@dataclass(frozen=True)
class EventFilter:
    """Which events a query or watch wants (empty fields match everything)."""

    vm_id: str = ""
    types: frozenset[str] = frozenset()
    begin: float = 0.0  # unix seconds
    end: float = 0.0

    def matches(self, event: Event) -> bool:
        return (
            (not self.vm_id or event.vm_id == self.vm_id)
            and (not self.types or event.type in self.types)
            and (not self.begin or event.created_time >= self.begin)
            and (not self.end or event.created_time <= self.end)
        )


_SHARED = ("type", "user", "vm_id", "vm_name")


def _loaded(record: dict[str, Any]) -> Event:
    """An event from the log file. Its type, user and VM share one string each with every other
    event (as the events recorded at run time do): a full history loaded at start-up holds one
    copy of "VmPoweredOnEvent", not 10,000."""
    for key in _SHARED:
        if isinstance(record.get(key), str):
            record[key] = sys.intern(record[key])
    return Event(**record)


class EventLog:
    """Appends to ``log/events.jsonl``, keeps the newest events in memory, and feeds watchers."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.events: deque[Event] = deque(maxlen=HISTORY)
        if path.exists():
            for line in path.read_text().splitlines()[-HISTORY:]:
                try:
                    self.events.append(_loaded(json.loads(line)))
                except (ValueError, TypeError, AttributeError):
                    continue
        self._next_key = (self.events[-1].key + 1) if self.events else 1
        self._file = open(path, "a", buffering=1, encoding="utf-8")  # noqa: SIM115 - lives with hostd
        self._watchers: set[asyncio.Queue[Event | None]] = set()

    def record(
        self, type_: str, message: str, *, user: str = "", vm_id: str = "", vm_name: str = ""
    ) -> Event:
        event = Event(self._next_key, type_, time.time(), message, user, vm_id, vm_name)
        self._next_key += 1
        self.events.append(event)
        self._file.write(json.dumps(asdict(event)) + "\n")
        _log.info("event", type=type_, event_message=message, vm_id=vm_id)
        fan_out(self._watchers, event, QUEUE_LIMIT)  # a watcher that does not read is cut off
        return event

    def query(self, wanted: EventFilter = EventFilter(), max_count: int = 0) -> list[Event]:
        """Newest first, as Get-VIEvent returns them."""
        matches = [e for e in reversed(self.events) if wanted.matches(e)]
        return matches[:max_count] if max_count else matches

    async def watch(self, wanted: EventFilter, after_key: int = 0) -> AsyncIterator[Event]:
        """Recorded events newer than after_key (0: none), then each new one, as they match; the
        stream ends when the watcher falls ``QUEUE_LIMIT`` events behind (it may watch again)."""
        queue: asyncio.Queue[Event | None] = asyncio.Queue()
        backlog = [e for e in self.events if after_key and e.key > after_key]
        self._watchers.add(queue)
        try:
            for event in backlog:
                if wanted.matches(event):
                    yield event
            while True:
                live = await queue.get()
                if live is None:
                    return
                if wanted.matches(live):
                    yield live
        finally:
            self._watchers.discard(queue)

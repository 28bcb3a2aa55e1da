"""The event log: vSphere events for every state change, kept across hostd restarts."""

from __future__ import annotations

import json
import time
from collections import deque
from dataclasses import asdict, dataclass
from pathlib import Path

from pyesx.logs import get_logger

HISTORY = 10_000
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


class EventLog:
    """Appends to ``log/events.jsonl`` and keeps the newest events in memory."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.events: deque[Event] = deque(maxlen=HISTORY)
        if path.exists():
            for line in path.read_text().splitlines()[-HISTORY:]:
                try:
                    self.events.append(Event(**json.loads(line)))
                except (ValueError, TypeError):
                    continue
        self._next_key = (self.events[-1].key + 1) if self.events else 1
        self._file = open(path, "a", buffering=1, encoding="utf-8")  # noqa: SIM115 - lives with hostd

    def record(
        self, type_: str, message: str, *, user: str = "", vm_id: str = "", vm_name: str = ""
    ) -> Event:
        event = Event(self._next_key, type_, time.time(), message, user, vm_id, vm_name)
        self._next_key += 1
        self.events.append(event)
        self._file.write(json.dumps(asdict(event)) + "\n")
        _log.info("event", type=type_, event_message=message, vm_id=vm_id)
        return event

    def query(self, vm_id: str = "", types: list[str] | None = None, max_count: int = 0) -> list[Event]:
        """Newest first, as Get-VIEvent returns them."""
        wanted = set(types or ())
        matches = [
            e
            for e in reversed(self.events)
            if (not vm_id or e.vm_id == vm_id) and (not wanted or e.type in wanted)
        ]
        return matches[:max_count] if max_count else matches

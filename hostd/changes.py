"""The change feed: every change to a VM or task gets the next version and goes to watchers.

A watcher that asks for changes since a version the feed still remembers gets
those first; one that asks from 0 (or from too long ago) gets every current
object as ENTER instead, then an ``initial_done`` marker, then live changes.
Nothing is awaited between taking that snapshot and subscribing, so no change
falls between the two.
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import AsyncIterator, Callable, Iterable

from hostd.fanout import fan_out
from pyesx.api.v1 import changes_pb2

HISTORY = 10_000
QUEUE_LIMIT = 50_000
Snapshot = Callable[[], Iterable[changes_pb2.Change]]


class ChangeFeed:
    def __init__(self) -> None:
        self.version = 0
        self._history: collections.deque[changes_pb2.Change] = collections.deque(maxlen=HISTORY)
        self._watchers: set[asyncio.Queue[changes_pb2.Change | None]] = set()

    def publish(self, change: changes_pb2.Change) -> int:
        """Stamp change with the next version and hand it to every watcher; return the version."""
        self.version += 1
        change.version = self.version
        self._history.append(change)
        fan_out(self._watchers, change, QUEUE_LIMIT)  # a watcher that does not read is cut off
        return self.version

    async def watch(
        self, since_version: int, snapshot: Snapshot, wanted: Callable[[changes_pb2.Change], bool]
    ) -> AsyncIterator[changes_pb2.Change]:
        queue: asyncio.Queue[changes_pb2.Change | None] = asyncio.Queue()
        oldest = self._history[0].version if self._history else self.version + 1
        if since_version and since_version >= oldest - 1:
            backlog = [c for c in self._history if c.version > since_version]
        else:
            backlog = [c for c in snapshot()]
            for change in backlog:
                change.version = self.version
            backlog.append(changes_pb2.Change(version=self.version, initial_done=True))
        self._watchers.add(queue)
        try:
            for change in backlog:
                if change.initial_done or wanted(change):
                    yield change
            while True:
                live = await queue.get()
                if live is None:
                    return
                if wanted(live):
                    yield live
        finally:
            self._watchers.discard(queue)

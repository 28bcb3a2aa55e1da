"""World events for hostd (vmx exits, hostd restarts), kept until a hostd is listening."""

from __future__ import annotations

import asyncio
import collections
import time
from collections.abc import AsyncIterator

from pyesx.vmkernel.v1 import vmkernel_pb2

PENDING_LIMIT = 1000


class WorldEventBus:
    def __init__(self) -> None:
        self._subscribers: list[asyncio.Queue[vmkernel_pb2.WorldEvent]] = []
        self._pending: collections.deque[vmkernel_pb2.WorldEvent] = collections.deque(maxlen=PENDING_LIMIT)

    def publish(self, event: vmkernel_pb2.WorldEvent) -> None:
        if not self._subscribers:
            self._pending.append(event)
        for queue in self._subscribers:
            queue.put_nowait(event)

    async def subscribe(self) -> AsyncIterator[vmkernel_pb2.WorldEvent]:
        """Events as they come: first an empty event (the subscription is live), then those no
        subscriber has seen yet, then new ones."""
        queue: asyncio.Queue[vmkernel_pb2.WorldEvent] = asyncio.Queue()
        queue.put_nowait(vmkernel_pb2.WorldEvent(time=time.time()))
        while self._pending:
            queue.put_nowait(self._pending.popleft())
        self._subscribers.append(queue)
        try:
            while True:
                yield await queue.get()
        finally:
            self._subscribers.remove(queue)

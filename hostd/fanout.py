"""Handing one item to many watchers' queues without ever waiting for a slow one."""

from __future__ import annotations

import asyncio
from typing import TypeVar

T = TypeVar("T")


def fan_out(watchers: set[asyncio.Queue[T | None]], item: T, limit: int) -> None:
    """Put item on every watcher's queue; a watcher with ``limit`` unread items is cut off instead
    (removed, and told so with None), not waited for."""
    for queue in list(watchers):
        if queue.qsize() >= limit:
            watchers.discard(queue)
            queue.put_nowait(None)
        else:
            queue.put_nowait(item)

"""The storage stack's I/O threads: guest reads and writes run here, off the VMkernel's event loop.

A plain queue and a few threads that each take a job, run it and hand the
result back to the loop with one ``call_soon_threadsafe``: no future, no task
and no context copy per I/O (``asyncio.to_thread`` costs several event-loop
turns per call; a guest I/O is short enough for that to matter). Threads are
started as jobs need them, up to ``max_threads``.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import Callable
from typing import Any


class IoWorkers:
    """Run ``work(job)`` in a thread, then ``done(job, result)`` in the event loop's thread."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        work: Callable[[Any], Any],
        done: Callable[[Any, Any], None],
        max_threads: int = 8,
    ) -> None:
        self._loop, self._work, self._done = loop, work, done
        self._jobs: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._max_threads = max_threads
        self._idle = 0  # threads waiting for a job, and jobs no thread took yet (under _lock)
        self._queued = 0
        self._lock = threading.Lock()

    def submit(self, job: Any) -> None:
        """Queue ``job`` (never None); a thread takes it as soon as one is free."""
        with self._lock:
            self._queued += 1
            start = self._queued > self._idle and len(self._threads) < self._max_threads
            if start:
                thread = threading.Thread(target=self._serve, name="pyesx-io", daemon=True)
                self._threads.append(thread)
        if start:
            thread.start()
        self._jobs.put(job)

    def _serve(self) -> None:
        while True:
            with self._lock:
                self._idle += 1
            job = self._jobs.get()
            with self._lock:
                self._idle -= 1
                if job is None:
                    return
                self._queued -= 1
            result = self._work(job)
            with contextlib.suppress(RuntimeError):  # the loop closed under a late job: nobody waits
                self._loop.call_soon_threadsafe(self._done, job, result)

    def stop(self) -> None:
        """Let every thread finish its job and end (jobs queued after this never run)."""
        for _ in self._threads:
            self._jobs.put(None)
        for thread in self._threads:
            thread.join()
        self._threads.clear()

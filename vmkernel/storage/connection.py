"""One VMM world's request stream, once it is greeted: fixed-size requests in, status answers out.

An asyncio buffered protocol reads: every readable event parses all the
complete requests it brought (a guest with several I/Os in flight sends them
back to back), checks each against the world's buffer region and its VM's
disks, and hands it on. A world that keeps more than MAX_OUTSTANDING requests
on their way is not read from until some are answered.

Answers go out through ``Answers``, from any thread: the I/O thread that did a
request answers it the moment it is done (the guest goes on while the event
loop does the bookkeeping). Answers are whole records, in one locked writer on
a duplicate of the socket (so a transport closing the socket can never leave a
thread writing into a reused descriptor).
"""

from __future__ import annotations

import asyncio
import errno
import socket
import threading
from collections.abc import Callable, Sequence
from typing import Any, cast

from pyesx import diskio
from vmkernel.storage.regions import BufferRegion

MAX_OUTSTANDING = 256
_OPS = (diskio.OP_READ, diskio.OP_WRITE, diskio.OP_FLUSH)
_SIZE = diskio.REQUEST.size

Submit = Callable[[Any, int, int, int, memoryview, "WorldConnection", int], None]
"""(disk, op, offset, length, buffer, connection, tag): start one request; when it is done,
``connection.answers.send(tag, status)`` (any thread) and ``connection.done()`` (the loop's)."""


class Answers:
    """The answers to one world, sent whole and in the order given, from any thread."""

    def __init__(self, sock: socket.socket, loop: asyncio.AbstractEventLoop) -> None:
        self._sock = sock.dup()
        self._sock.setblocking(False)
        self._loop = loop
        self._lock = threading.Lock()
        self._backlog = bytearray()  # what the socket did not take yet
        self._watching = False  # the loop waits for room in the socket
        self._closed = False

    def send(self, tag: int, status: int) -> None:
        """Answer request ``tag`` with ``status`` (0 or -errno); dropped once the world is gone."""
        record = diskio.RESPONSE.pack(tag, status)
        with self._lock:
            if self._closed:
                return
            if not self._backlog:
                try:
                    sent = self._sock.send(record)
                except BlockingIOError:
                    sent = 0
                except OSError:  # the world went away: its connection ends on its own
                    self._closed = True
                    return
                if sent == len(record):
                    return
                record = record[sent:]
            self._backlog += record
            if not self._watching:
                self._watching = True
                self._loop.call_soon_threadsafe(self._watch)

    def _watch(self) -> None:
        with self._lock:
            if not self._closed:
                self._loop.add_writer(self._sock.fileno(), self._flush)

    def _flush(self) -> None:
        with self._lock:
            try:
                sent = self._sock.send(self._backlog)
            except BlockingIOError:
                return
            except OSError:
                sent, self._closed = len(self._backlog), True
            del self._backlog[:sent]
            if not self._backlog:
                self._loop.remove_writer(self._sock.fileno())
                self._watching = False

    def close(self) -> None:
        """No more answers (in the loop's thread)."""
        with self._lock:
            if self._watching:
                self._loop.remove_writer(self._sock.fileno())
                self._watching = False
            self._closed = True
            self._sock.close()


class WorldConnection(asyncio.BufferedProtocol):
    """A greeted world's connection: requests over ``disks`` with buffers in ``region``, answered
    through ``answers``."""

    def __init__(
        self, sock: socket.socket, region: BufferRegion, disks: Sequence[Any], submit: Submit
    ) -> None:
        self.region, self.disks, self._submit = region, disks, submit
        self.answers = Answers(sock, asyncio.get_running_loop())
        self._buffer = bytearray(64 * _SIZE)
        self._filled = 0
        self._outstanding = 0
        self._paused = False
        self._transport: asyncio.Transport | None = None
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None
        self.answers.close()
        if not self.closed.done():
            self.closed.set_result(None)

    def get_buffer(self, sizehint: int) -> memoryview:
        return memoryview(self._buffer)[self._filled :]

    def buffer_updated(self, nbytes: int) -> None:
        self._filled += nbytes
        whole = self._filled - self._filled % _SIZE
        for start in range(0, whole, _SIZE):
            self._request(*diskio.REQUEST.unpack_from(self._buffer, start))
        if whole:
            self._buffer[: self._filled - whole] = self._buffer[whole : self._filled]
            self._filled -= whole

    def _request(
        self, op: int, index: int, _flags: int, tag: int, offset: int, length: int, start: int
    ) -> None:
        buffer = self.region.slice(start, length if op != diskio.OP_FLUSH else 0)
        self._outstanding += 1
        if buffer is None or op not in _OPS or index >= len(self.disks) or length > diskio.MAX_IO_BYTES:
            self.answer(tag, -errno.EINVAL)
            return
        if self._outstanding > MAX_OUTSTANDING and not self._paused and self._transport is not None:
            self._paused = True
            self._transport.pause_reading()
        self._submit(self.disks[index], op, offset, length, buffer, self, tag)

    def answer(self, tag: int, status: int) -> None:
        """Answer request ``tag`` and count it done (in the loop's thread)."""
        self.answers.send(tag, status)
        self.done()

    def done(self) -> None:
        """A request was answered (in the loop's thread): reading resumes once few are left."""
        self._outstanding -= 1
        if self._paused and self._outstanding <= MAX_OUTSTANDING // 2 and self._transport is not None:
            self._paused = False
            self._transport.resume_reading()

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()
        self.answers.close()

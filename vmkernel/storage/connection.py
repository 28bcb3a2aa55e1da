"""One VMM world's request stream, once it is greeted: fixed-size requests in, status answers out.

An asyncio buffered protocol: every readable event parses all the complete
requests it brought (a guest with several I/Os in flight sends them back to
back), checks each against the world's buffer region and its VM's disks, and
hands it on; an answer is written as soon as its I/O is done. A world that
keeps more than MAX_OUTSTANDING requests on their way is not read from until
some are answered.
"""

from __future__ import annotations

import asyncio
import errno
from collections.abc import Callable, Sequence
from typing import Any, cast

from pyesx import diskio
from vmkernel.storage.regions import BufferRegion

MAX_OUTSTANDING = 256
_OPS = (diskio.OP_READ, diskio.OP_WRITE, diskio.OP_FLUSH)
_SIZE = diskio.REQUEST.size

Submit = Callable[[Any, int, int, int, memoryview, "WorldConnection", int], None]
"""(disk, op, offset, length, buffer, connection, tag): start one request; its answer comes through
``connection.answer(tag, status)``."""


class WorldConnection(asyncio.BufferedProtocol):
    """A greeted world's connection: requests over ``disks`` with buffers in ``region``."""

    def __init__(self, region: BufferRegion, disks: Sequence[Any], submit: Submit) -> None:
        self.region, self.disks, self._submit = region, disks, submit
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
        """Request ``tag`` is done (0 or -errno); nothing is sent once the world is gone."""
        self._outstanding -= 1
        if self._transport is None or self._transport.is_closing():
            return
        self._transport.write(diskio.RESPONSE.pack(tag, status))
        if self._paused and self._outstanding <= MAX_OUTSTANDING // 2:
            self._paused = False
            self._transport.resume_reading()

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()

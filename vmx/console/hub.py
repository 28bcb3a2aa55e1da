"""The console hub: the guest's console channel, its screen, and the viewers watching it.

Output from the guest feeds the screen and every viewer's queue. A viewer starts with a repaint of
the screen; one that falls more than ``VIEWER_QUEUE_BYTES`` behind loses its queue and gets a fresh
repaint instead, so a slow viewer never holds up the guest or the others. Input from any viewer is
written to the guest with backpressure (one writer at a time, waiting for the channel to drain).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections import deque
from collections.abc import Awaitable, Callable

from vmx.console.screen import Screen

VIEWER_QUEUE_BYTES = 1 << 20
CHUNK_BYTES = 64 << 10  # at most this much per message to a viewer (more when one repaint is longer)
READ_BYTES = 64 << 10


class Viewer:
    """One attached viewer: a bounded queue of output chunks, each flagged when it is a repaint."""

    def __init__(self, repaint: bytes, limit: int = VIEWER_QUEUE_BYTES) -> None:
        self.limit = limit
        self._chunks: deque[tuple[bool, bytes]] = deque([(True, repaint)])
        self._size = len(repaint)
        self._ready = asyncio.Event()
        self._ready.set()
        self.closed = False
        self.overflows = 0

    def push(self, data: bytes, repaint: Callable[[], bytes]) -> None:
        if self._size + len(data) > self.limit:
            self.overflows += 1
            full = repaint()
            self._chunks = deque([(True, full)])
            self._size = len(full)
        else:
            self._chunks.append((False, data))
            self._size += len(data)
        self._ready.set()

    def close(self) -> None:
        self.closed = True
        self._ready.set()

    async def next(self) -> tuple[bool, bytes] | None:
        """The next output (repaint?, bytes), the queued chunks joined; None once closed."""
        while not self._chunks:
            if self.closed:
                return None
            self._ready.clear()
            await self._ready.wait()
        is_repaint, data = self._chunks.popleft()
        parts = [data]
        size = len(data)
        while self._chunks and not self._chunks[0][0] and size + len(self._chunks[0][1]) <= CHUNK_BYTES:
            part = self._chunks.popleft()[1]
            parts.append(part)
            size += len(part)
        self._size -= size
        return is_repaint, b"".join(parts)


def mouse_report(screen: Screen, row: int, col: int, button: int, pressed: bool) -> bytes:
    """The bytes an xterm sends for a mouse event on this screen (b"" when the guest asked for none)."""
    if not screen.mouse_reports or button not in (0, 1, 2, 64, 65):
        return b""
    row, col = max(0, min(screen.rows - 1, row)), max(0, min(screen.cols - 1, col))
    if screen.mouse_sgr:
        return f"\x1b[<{button};{col + 1};{row + 1}{'M' if pressed else 'm'}".encode()
    code = button if pressed else 3  # the X10 encoding does not say which button was released
    return bytes([0x1B, 0x5B, 0x4D, 32 + code, 33 + col, 33 + row])


class ConsoleHub:
    """The screen and the viewers of one VM's console."""

    def __init__(self, send: Callable[[bytes], Awaitable[None]], screen: Screen | None = None) -> None:
        self.screen = screen or Screen()
        self.viewers: set[Viewer] = set()
        self._send = send
        self._input_lock = asyncio.Lock()
        self.bytes_out = 0

    def output(self, data: bytes) -> None:
        """The guest wrote data to its screen."""
        self.bytes_out += len(data)
        self.screen.feed(data)
        for viewer in self.viewers:
            viewer.push(data, self.screen.repaint)

    def attach(self, limit: int = VIEWER_QUEUE_BYTES) -> Viewer:
        viewer = Viewer(self.screen.repaint(), limit)
        self.viewers.add(viewer)
        return viewer

    def detach(self, viewer: Viewer) -> None:
        viewer.close()
        self.viewers.discard(viewer)

    def close(self) -> None:
        """The guest's console is gone: every viewer's stream ends."""
        for viewer in list(self.viewers):
            self.detach(viewer)

    async def mouse(self, row: int, col: int, button: int, pressed: bool) -> None:
        """A mouse event to the guest as an xterm report, if the guest asked for reports."""
        report = mouse_report(self.screen, row, col, button, pressed)
        if report:
            await self.input(report)

    async def input(self, data: bytes) -> None:
        """Keys to the guest, in order, waiting while the guest's channel is full."""
        if data:
            async with self._input_lock:
                await self._send(data)


class GuestConsole:
    """The vmx's end of vCPU 0's console channel, feeding a hub."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.hub = ConsoleHub(self._send)
        self._pump: asyncio.Task[None] | None = None

    @classmethod
    async def open(cls, sock: socket.socket) -> GuestConsole:
        reader, writer = await asyncio.open_connection(sock=sock)
        console = cls(reader, writer)
        console._pump = asyncio.create_task(console._read())
        return console

    async def _send(self, data: bytes) -> None:
        if self.writer.is_closing():
            return
        try:
            self.writer.write(data)
            await self.writer.drain()
        except (ConnectionError, OSError):
            pass  # the world is gone; the vmx is ending

    async def _read(self) -> None:
        try:
            while data := await self.reader.read(READ_BYTES):
                self.hub.output(data)
        except (ConnectionError, OSError):
            pass
        finally:
            self.hub.close()

    async def close(self) -> None:
        if self._pump is not None:
            self._pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pump
        self.hub.close()
        self.writer.close()

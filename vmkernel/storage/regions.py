"""A VMM world's buffer region in the VMkernel: the memfd it handed over at connect, sealed and mapped.

The guest's I/O buffers are where its requests point (``pyesx.diskio``): the
VMkernel reads a write's bytes from there and puts a read's there, as a device
DMAs from and to guest memory. Before mapping, the memfd is sealed against
shrinking (``F_SEAL_SHRINK``): the world can never cut pages away from under
the mapping (an access there would be SIGBUS, a crash of the VMkernel). Every
request's range is checked against the region (``view``); nothing outside is
ever touched. Each connection has its own region: a world's requests address
only the memory that world sent.
"""

from __future__ import annotations

import array
import asyncio
import contextlib
import fcntl
import mmap
import os
import socket
import stat

from pyesx import diskio

MAX_FDS = 4  # more in one greeting is refused (and all of them closed)
_SEAL_FUTURE_WRITE = 0x0010  # Linux ≥ 5.1; not in every Python's fcntl


class RegionError(ValueError):
    """A buffer region the VMkernel will not map (the reason is told to the world)."""


class BufferRegion:
    """A world's buffer region, mapped shared; unmapped once the last view of it is gone."""

    def __init__(self, fd: int) -> None:
        """Seal and map the memfd ``fd`` (the caller still closes ``fd``); RegionError if it is not fit."""
        try:
            mode = os.fstat(fd).st_mode
            if not stat.S_ISREG(mode):
                raise RegionError("the buffer region is not a memfd")
            with contextlib.suppress(PermissionError):  # already sealed (F_SEAL_SEAL): checked below
                fcntl.fcntl(fd, fcntl.F_ADD_SEALS, fcntl.F_SEAL_SHRINK)
            seals = fcntl.fcntl(fd, fcntl.F_GET_SEALS)
        except OSError as exc:
            raise RegionError(f"the buffer region is not a sealable memfd ({exc.strerror})") from exc
        if not seals & fcntl.F_SEAL_SHRINK:
            raise RegionError("the buffer region cannot be sealed against shrinking")
        if seals & (fcntl.F_SEAL_WRITE | _SEAL_FUTURE_WRITE):
            raise RegionError("the buffer region is sealed against writes")
        size = os.fstat(fd).st_size
        if not 0 < size <= diskio.MAX_BUFFER_BYTES:
            raise RegionError(f"a buffer region of {size} bytes (1 to {diskio.MAX_BUFFER_BYTES})")
        try:
            self._map = mmap.mmap(fd, size, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
        except OSError as exc:
            raise RegionError(f"the buffer region cannot be mapped ({exc.strerror})") from exc
        self.view = memoryview(self._map)
        self.size = size

    def slice(self, start: int, length: int) -> memoryview | None:
        """The region's bytes [start, start + length), or None when that goes outside the region."""
        if start < 0 or length < 0 or start + length > self.size:
            return None
        return self.view[start : start + length]


async def recv_greeting(conn: socket.socket, limit: int = 256) -> tuple[bytes, list[int]]:
    """The world's greeting line and the file descriptors passed with it (the caller owns them)."""
    loop = asyncio.get_running_loop()
    while True:
        try:
            data, ancdata, flags, _ = conn.recvmsg(limit, socket.CMSG_SPACE(MAX_FDS * 4))
            break
        except BlockingIOError:
            readable: asyncio.Future[None] = loop.create_future()
            loop.add_reader(conn.fileno(), _set_once, readable)
            try:
                await readable
            finally:
                loop.remove_reader(conn.fileno())
    fds = array.array("i")
    for level, kind, payload in ancdata:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(payload[: len(payload) - len(payload) % fds.itemsize])
    if flags & socket.MSG_CTRUNC:  # more descriptors than room: refuse (the ones that came get closed)
        for fd in fds:
            os.close(fd)
        return b"", []
    return data, list(fds)


def _set_once(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)

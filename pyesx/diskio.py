"""The guest's disk I/O path between a VMM world and the VMkernel's storage stack (run/storage.sock).

DMA-style, as a real device model works: the bytes never cross the socket. A
stream unix socket per VMM world; the world first says which VM it runs
(``PYESX-IO2 <vm-id>``) and hands over, with SCM_RIGHTS on that same message,
a memfd holding its I/O buffers (the *buffer region*). The VMkernel checks with
the kernel's SO_PEERCRED that the caller's pid is one of that VM's worlds (a
world of one VM can never reach another VM's disks), seals the memfd against
shrinking, maps it shared, and answers ``OK`` and the VM's disks, one
``<key> <capacity-bytes>`` line each, then an empty line (or ``ERR <reason>``).
Then binary requests, answered in any order (match them by tag)::

    request   op u8 | disk u8 | flags u16 | tag u32 | offset u64 | length u32 | buffer u64
    response  tag u32 | status i32 (0 or -errno)

``buffer`` is where the I/O's bytes are in the region: a write's data is taken
from there, a read's lands there (the VMkernel ``pwrite``s from / ``preadv``s
into its mapping: one copy, done by the kernel). A buffer range outside the
region is answered EINVAL. The region is the world's own memfd, not guest
memory: the balloon and hypervisor swap never touch it, so a buffer in flight
stays put.

``DiskClient`` is the blocking client a VMM world uses: ``read`` and ``write``
(which copy through the region's start), ``flush``; or, with no copy at all,
bytes built in ``buffer`` and several requests in flight (``submit``,
``complete``).
"""

from __future__ import annotations

import array
import contextlib
import errno
import mmap
import os
import socket
import struct
from dataclasses import dataclass

HELLO = b"PYESX-IO2"
REQUEST = struct.Struct("!BBHIQIQ")
RESPONSE = struct.Struct("!Ii")
OP_READ, OP_WRITE, OP_FLUSH = 1, 2, 3
MAX_IO_BYTES = 4 << 20  # one request moves at most this much
DEFAULT_BUFFER_BYTES = MAX_IO_BYTES  # a client's region: any single I/O fits
MAX_BUFFER_BYTES = 64 << 20  # the largest region the VMkernel maps (32 I/Os of 1 MiB in flight fit)


class DiskIoError(OSError):
    """A guest I/O the storage stack failed (errno: ENOSPC for a full datastore, EIO, EINVAL …)."""


@dataclass(frozen=True)
class GuestDisk:
    key: str  # "scsi0:0"
    capacity_bytes: int


SOCKET_BUFFER = 256 << 10  # requests and answers only: no data crosses the socket


def recv_exactly(sock: socket.socket, size: int) -> bytearray:
    """``size`` bytes from the socket (received in place, no joining); ConnectionError if it closes first."""
    buffer = bytearray(size)
    view, got = memoryview(buffer), 0
    while got < size:
        count = sock.recv_into(view[got:], size - got)
        if not count:
            raise ConnectionError("the storage stack closed the connection")
        got += count
    return buffer


class DiskClient:
    """A VMM world's connection to its VM's disks, with its buffer region (``buffer``, shared with
    the VMkernel; ``buffer_bytes`` long)."""

    def __init__(
        self, socket_path: str, vm_id: str, timeout: float = 30.0, buffer_bytes: int = DEFAULT_BUFFER_BYTES
    ) -> None:
        fd = os.memfd_create("pyesx-iobuf", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
        try:
            os.ftruncate(fd, buffer_bytes)
            self._region = mmap.mmap(fd, buffer_bytes, mmap.MAP_SHARED)
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                self.sock.settimeout(timeout)
                self.sock.connect(socket_path)
                hello = HELLO + b" " + vm_id.encode() + b"\n"
                self.sock.sendmsg([hello], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [fd]))])
                self.disks = self._read_greeting()
            except BaseException:
                self.sock.close()
                self._region.close()
                raise
        finally:
            os.close(fd)  # the VMkernel holds its own copy; our mapping stays
        self.buffer = memoryview(self._region)
        self._response = bytearray(RESPONSE.size)
        self._next_tag = 0

    def _read_line(self) -> bytes:
        line = bytearray()
        while not line.endswith(b"\n"):
            line += recv_exactly(self.sock, 1)
        return bytes(line[:-1])

    def _read_greeting(self) -> list[GuestDisk]:
        first = self._read_line()
        if not first.startswith(b"OK"):
            raise PermissionError(first.decode(errors="replace"))
        disks = []
        while line := self._read_line():
            key, capacity = line.decode().split()
            disks.append(GuestDisk(key, int(capacity)))
        return disks

    def submit(self, op: int, disk: int, offset: int, length: int, buffer_offset: int = 0) -> int:
        """Send a request without waiting for its answer; returns its tag (see ``complete``). A
        write's bytes must already be at ``buffer_offset`` of ``buffer``; a read's land there, and
        that part of the buffer must stay untouched until the answer came."""
        self._next_tag = (self._next_tag + 1) & 0xFFFFFFFF
        tag = self._next_tag
        self.sock.sendall(REQUEST.pack(op, disk, 0, tag, offset, length, buffer_offset))
        return tag

    def complete(self) -> tuple[int, int]:
        """The next answer to come: (tag, status 0 or -errno)."""
        view, got = memoryview(self._response), 0
        while got < RESPONSE.size:
            count = self.sock.recv_into(view[got:])
            if not count:
                raise ConnectionError("the storage stack closed the connection")
            got += count
        tag, status = RESPONSE.unpack(self._response)
        return tag, status

    def _call(self, op: int, disk: int, offset: int, length: int) -> None:
        tag = self.submit(op, disk, offset, length, 0)
        got_tag, status = self.complete()
        if got_tag != tag:
            raise ConnectionError(f"answer for request {got_tag}, expected {tag}")
        if status < 0:
            raise DiskIoError(-status, os.strerror(-status))

    def _check_size(self, length: int) -> None:
        if length > min(MAX_IO_BYTES, len(self.buffer)):
            raise DiskIoError(
                errno.EINVAL, f"an I/O moves at most {min(MAX_IO_BYTES, len(self.buffer))} bytes"
            )

    def read(self, disk: int, offset: int, length: int) -> bytearray:
        """``length`` bytes of disk ``disk`` at ``offset`` (through the start of the buffer region)."""
        self._check_size(length)
        self._call(OP_READ, disk, offset, length)
        return bytearray(self.buffer[:length])

    def write(self, disk: int, offset: int, data: bytes | bytearray | memoryview) -> None:
        """Write ``data`` at ``offset`` of disk ``disk`` (copied to the start of the buffer region)."""
        view = memoryview(data).cast("B")
        self._check_size(len(view))
        self.buffer[: len(view)] = view
        self._call(OP_WRITE, disk, offset, len(view))

    def flush(self, disk: int) -> None:
        self._call(OP_FLUSH, disk, 0, 0)

    def close(self) -> None:
        self.sock.close()
        self.buffer.release()
        with contextlib.suppress(BufferError):  # views of it still held: unmapped once they go
            self._region.close()

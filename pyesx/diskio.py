"""The guest's disk I/O path between a VMM world and the VMkernel's storage stack (run/storage.sock).

A stream unix socket per VMM world. The world says which VM it runs
(``PYESX-IO1 <vm-id>``); the VMkernel checks with the kernel's SO_PEERCRED that
the caller's pid is one of that VM's worlds (a world of one VM can never reach
another VM's disks) and answers ``OK`` and the VM's disks, one
``<key> <capacity-bytes>`` line each, then an empty line (or ``ERR <reason>``).
Then binary requests, answered in any order (match them by tag)::

    request   op u8 | disk u8 | flags u16 | tag u32 | offset u64 | length u32 | data (writes)
    response  tag u32 | status i32 (0 or -errno) | length u32 | data (reads)

``DiskClient`` is the blocking client a VMM world uses: one request at a time
(``read``, ``write``, ``flush``), or several in flight (``submit``, ``complete``).
"""

from __future__ import annotations

import errno
import os
import socket
import struct
from dataclasses import dataclass

HELLO = b"PYESX-IO1"
REQUEST = struct.Struct("!BBHIQI")
RESPONSE = struct.Struct("!IiI")
OP_READ, OP_WRITE, OP_FLUSH = 1, 2, 3
MAX_IO_BYTES = 4 << 20  # one request moves at most this much


class DiskIoError(OSError):
    """A guest I/O the storage stack failed (errno: ENOSPC for a full datastore, EIO, EINVAL …)."""


@dataclass(frozen=True)
class GuestDisk:
    key: str  # "scsi0:0"
    capacity_bytes: int


SOCKET_BUFFER = 4 << 20  # a whole large I/O in flight without many wake-ups


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
    """A VMM world's connection to its VM's disks."""

    def __init__(self, socket_path: str, vm_id: str, timeout: float = 30.0) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        for option in (socket.SO_SNDBUF, socket.SO_RCVBUF):
            self.sock.setsockopt(socket.SOL_SOCKET, option, SOCKET_BUFFER)
        try:
            self.sock.connect(socket_path)
            self.sock.sendall(HELLO + b" " + vm_id.encode() + b"\n")
            self.disks = self._read_greeting()
        except BaseException:
            self.sock.close()
            raise
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

    def submit(self, op: int, disk: int, offset: int, length: int, data: bytes | bytearray = b"") -> int:
        """Send a request without waiting for its answer; returns its tag (see ``complete``)."""
        self._next_tag = (self._next_tag + 1) & 0xFFFFFFFF
        tag = self._next_tag
        header = REQUEST.pack(op, disk, 0, tag, offset, length)
        if len(data) > 65536:  # no copy of a large write into one buffer
            self.sock.sendall(header)
            self.sock.sendall(data)
        else:
            self.sock.sendall(header + data)
        return tag

    def complete(self) -> tuple[int, int, bytearray]:
        """The next answer to come: (tag, status 0 or -errno, data read)."""
        tag, status, size = RESPONSE.unpack(recv_exactly(self.sock, RESPONSE.size))
        return tag, status, recv_exactly(self.sock, size) if size else bytearray()

    def _call(self, op: int, disk: int, offset: int, length: int, data: bytes | bytearray = b"") -> bytearray:
        tag = self.submit(op, disk, offset, length, data)
        got_tag, status, payload = self.complete()
        if got_tag != tag:
            raise ConnectionError(f"answer for request {got_tag}, expected {tag}")
        if status < 0:
            raise DiskIoError(-status, os.strerror(-status))
        return payload

    def read(self, disk: int, offset: int, length: int) -> bytearray:
        return self._call(OP_READ, disk, offset, length)

    def write(self, disk: int, offset: int, data: bytes | bytearray) -> None:
        if len(data) > MAX_IO_BYTES:
            raise DiskIoError(errno.EINVAL, "an I/O moves at most 4 MiB")
        self._call(OP_WRITE, disk, offset, len(data), data)

    def flush(self, disk: int) -> None:
        self._call(OP_FLUSH, disk, 0, 0)

    def close(self) -> None:
        self.sock.close()

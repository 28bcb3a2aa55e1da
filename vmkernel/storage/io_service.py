"""The guest disk I/O path in the VMkernel: a powered-on VM's disks, opened and scheduled.

At power-on the VMkernel opens the VM's disk chains (locking them: a second
writer is refused), creating a redo log on each independent-nonpersistent disk
(discarded at power-off, so its writes vanish as on ESXi). The VM's VMM worlds
connect to run/storage.sock (``pyesx.diskio``), each handing over its buffer
region (``regions``); a caller whose pid is not one of the VM's worlds is
refused. Requests queue per datastore under mClock
(``mclock``): reservations first, then shares, limits exact, and dispatch paced
at the datastore's configured capacity in IOPS (if any). The reads and writes
themselves run in worker threads on the open chains, straight between the
world's buffer region and the extent files (``pwrite`` from it, ``preadv`` into
it: the only copy, done by the kernel); what the guest wrote is at its offset of
the top extent.

A snapshot or consolidation on a disk in use first drains and closes it, then
reopens the chain at its new top: the running VM carries on writing into the
new delta.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import errno
import os
import socket
import struct
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

from pyesx import diskio, faults
from pyesx.api.v1 import performance_pb2
from pyesx.logs import get_logger
from vmkernel.storage import disks as disk_ops
from vmkernel.storage.chain import VirtualDisk, find_children, open_disk
from vmkernel.storage.mclock import IoAllocation, MClock
from vmkernel.storage.regions import BufferRegion, RegionError, recv_greeting

_log = get_logger("storage")
MAX_INFLIGHT = 4  # requests a datastore works on at once
SPACE_REFRESH_S = 1.0  # how often a capped datastore's free space is measured again
CATCH_UP_SLOTS = 4  # dispatch slots a paced datastore may make up after the event loop was late
DEFAULT_CAPACITY_IOPS = 5000.0  # scales shares when a datastore has no configured capacity
NONPERSISTENT = "independent-nonpersistent"
_PEERCRED = struct.Struct("3i")


@dataclass(frozen=True)
class DiskSpec:
    """One disk of a VM being powered on."""

    key: str
    path: Path  # the top descriptor (absolute)
    mode: str  # the .vmx's: persistent | independent-persistent | independent-nonpersistent
    datastore: str
    allocation: IoAllocation = field(default_factory=IoAllocation)


@dataclass
class DiskStats:
    reads: int = 0
    writes: int = 0
    bytes_read: int = 0
    bytes_written: int = 0
    read_latency_s: float = 0.0  # summed over reads: arrival to completion
    write_latency_s: float = 0.0
    errors: int = 0


@dataclass
class OpenVmDisk:
    vm_id: str
    spec: DiskSpec
    top: Path
    disk: VirtualDisk
    redo: Path | None = None
    stats: DiskStats = field(default_factory=DiskStats)
    inflight: int = 0
    open_for_io: asyncio.Event = field(default_factory=asyncio.Event)
    drained: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def client_id(self) -> tuple[str, str]:
        return self.vm_id, self.spec.key


@dataclass
class _Pending:
    disk: OpenVmDisk
    op: int
    offset: int
    length: int
    buffer: memoryview  # the I/O's bytes in the world's buffer region (empty for a flush)
    arrival: float
    done: asyncio.Future[int]


@dataclass
class _IoWait:
    """A VM's time with at least one disk request outstanding."""

    outstanding: int = 0
    since: float = 0.0
    seconds: float = 0.0

    def begin(self, now: float) -> None:
        if not self.outstanding:
            self.since = now
        self.outstanding += 1

    def end(self, now: float) -> None:
        self.outstanding -= 1
        if not self.outstanding:
            self.seconds += now - self.since

    def total(self, now: float) -> float:
        return self.seconds + (now - self.since if self.outstanding else 0.0)


class _DatastoreQueue:
    """mClock over one datastore's disks, dispatched at most ``capacity_iops`` per second.

    On a datastore with a configured capacity, ``free_bytes`` is what guest writes may still
    take: measured every SPACE_REFRESH_S and counted down by every write in between (a rewrite
    counts too, so the datastore fills early rather than late)."""

    def __init__(self, name: str, capacity_iops: float) -> None:
        self.name, self.capacity_iops = name, capacity_iops
        self.free_bytes: int | None = None
        self.free_measured = -SPACE_REFRESH_S
        self.mclock: MClock[_Pending] = MClock(capacity_iops or DEFAULT_CAPACITY_IOPS)
        self.wakeup = asyncio.Event()
        self.inflight = 0
        self.next_slot = 0.0
        self.task: asyncio.Task[None] | None = None


def _execute(pending: _Pending) -> int:
    """One guest I/O on the open chain (a worker thread), between the extent and the world's buffer
    region: 0 or -errno."""
    disk = pending.disk.disk
    try:
        if pending.op == diskio.OP_READ:
            disk.read_into(pending.offset, pending.buffer)
        elif pending.op == diskio.OP_WRITE:
            disk.write(pending.offset, pending.buffer)
        else:
            disk.flush()
        return 0
    except faults.InsufficientResourcesFault:
        return -errno.ENOSPC
    except faults.InvalidArgument:
        return -errno.EINVAL
    except faults.VimFault:
        return -errno.EIO
    except OSError as exc:
        return -(exc.errno or errno.EIO)


def _same_file(a: Path, b: Path) -> bool:
    return a.resolve() == b.resolve()


def _chain_holds(disk: OpenVmDisk, path: Path) -> bool:
    target = path.resolve()
    return any(link.resolve() == target for link in disk.disk.chain)


class DiskIoService:
    """Open disks of powered-on VMs, the I/O socket, and the per-datastore schedulers."""

    def __init__(
        self,
        socket_path: Path,
        capacity_iops: Callable[[str], float],
        authorize: Callable[[str, int], bool],
        capped_free_bytes: Callable[[str], int | None] = lambda datastore: None,
        on_question: Callable[[str, str, str], None] = lambda vm_id, question_id, text: None,
    ) -> None:
        self.socket_path = socket_path
        self.capacity_iops = capacity_iops
        self.authorize = authorize
        self.capped_free_bytes = capped_free_bytes
        self.on_question = on_question
        self.stunned: dict[str, str] = {}  # vm id -> the id of the question it waits on
        self.vms: dict[str, list[OpenVmDisk]] = {}
        self.queues: dict[str, _DatastoreQueue] = {}
        self._listening: socket.socket | None = None
        self._accepting: asyncio.Task[None] | None = None
        self._running: set[asyncio.Task[None]] = set()
        self._io_wait: dict[str, _IoWait] = {}

    # -- power-on / power-off ---------------------------------------------------------------------

    async def attach(self, vm_id: str, specs: list[DiskSpec]) -> None:
        """Open the VM's disks for its worlds; on a failure nothing stays open."""
        opened: list[OpenVmDisk] = []
        try:
            for spec in specs:
                opened.append(await asyncio.to_thread(self._open, vm_id, spec))
        except BaseException:
            for disk in opened:
                await asyncio.to_thread(self._close, disk)
            raise
        for disk in opened:
            queue = self._queue(disk.spec.datastore)
            queue.mclock.set_client(disk.client_id, disk.spec.allocation)
            disk.open_for_io.set()
        self.vms[vm_id] = opened

    def _open(self, vm_id: str, spec: DiskSpec) -> OpenVmDisk:
        top, redo = spec.path, None
        if spec.mode == NONPERSISTENT:
            for stale in find_children(top):  # a redo log left by a crash: its writes were never kept
                disk_ops.delete_disk(stale)
            redo = top = disk_ops.create_delta(spec.path)
        try:
            return OpenVmDisk(vm_id, spec, top, open_disk(top), redo)
        except BaseException:
            if redo is not None:
                disk_ops.delete_disk(redo)
            raise

    @staticmethod
    def _close(disk: OpenVmDisk) -> None:
        disk.disk.close()
        if disk.redo is not None:
            disk_ops.delete_disk(disk.redo)  # independent-nonpersistent: the writes go

    async def detach(self, vm_id: str) -> None:
        """The VM powered off (or died): drain and close its disks, drop their redo logs."""
        self._io_wait.pop(vm_id, None)
        self.stunned.pop(vm_id, None)
        for disk in self.vms.pop(vm_id, []):
            await self._drain(disk)
            queue = self.queues.get(disk.spec.datastore)
            if queue is not None:
                for pending in queue.mclock.remove_client(disk.client_id):
                    pending.done.set_result(-errno.EIO)
            try:
                await asyncio.to_thread(self._close, disk)
            except Exception as exc:
                _log.error("storage.close_failed", vm_id=vm_id, disk=disk.spec.key, error=str(exc))

    async def _drain(self, disk: OpenVmDisk) -> None:
        """Stop taking the disk's requests and wait for those on their way."""
        disk.open_for_io.clear()
        while disk.inflight or self._backlog(disk):
            disk.drained.clear()
            await disk.drained.wait()

    def _backlog(self, disk: OpenVmDisk) -> int:
        queue = self.queues.get(disk.spec.datastore)
        return queue.mclock.backlog(disk.client_id) if queue else 0

    @contextlib.asynccontextmanager
    async def suspended(self, path: Path) -> AsyncIterator[dict[Path, Path]]:
        """Close every open disk whose chain holds ``path`` for the body, then reopen each; the body
        puts the new top of a disk whose top changed in the mapping it gets (old top -> new top)."""
        touched = [d for disks in self.vms.values() for d in disks if _chain_holds(d, path)]
        for disk in touched:
            await self._drain(disk)
            await asyncio.to_thread(disk.disk.close)
        new_tops: dict[Path, Path] = {}
        try:
            yield new_tops
        finally:
            for disk in touched:
                disk.top = next((new for old, new in new_tops.items() if _same_file(old, disk.top)), disk.top)
                if disk.redo is not None:
                    disk.redo = disk.top
                disk.disk = await asyncio.to_thread(open_disk, disk.top)
                disk.open_for_io.set()

    def holding(self, path: Path) -> VirtualDisk | None:
        """The open chain of a running VM that holds ``path``, if any."""
        for disks in self.vms.values():
            for disk in disks:
                if _chain_holds(disk, path) and not disk.disk.closed:
                    return disk.disk
        return None

    def stats(self) -> list[performance_pb2.DiskStat]:
        """Every open disk's counters since its VM powered on."""
        out = []
        for disks in self.vms.values():
            for d in disks:
                s, alloc = d.stats, d.spec.allocation
                out.append(
                    performance_pb2.DiskStat(
                        vm_id=d.vm_id,
                        key=d.spec.key,
                        path=str(d.top),
                        datastore=d.spec.datastore,
                        reads=s.reads,
                        writes=s.writes,
                        bytes_read=s.bytes_read,
                        bytes_written=s.bytes_written,
                        read_latency_ms=s.read_latency_s * 1000,
                        write_latency_ms=s.write_latency_s * 1000,
                        errors=s.errors,
                        shares=alloc.shares,
                        reservation_iops=alloc.reservation_iops,
                        limit_iops=alloc.limit_iops or 0,
                    )
                )
        return out

    def disks_of(self, vm_id: str) -> list[OpenVmDisk]:
        return list(self.vms.get(vm_id, []))

    def set_allocation(self, vm_id: str, key: str, allocation: IoAllocation) -> None:
        """A running VM's disk gets a new I/O allocation, from its next request on."""
        for disk in self.vms.get(vm_id, []):
            if disk.spec.key == key:
                disk.spec = dataclasses.replace(disk.spec, allocation=allocation)
                self._queue(disk.spec.datastore).mclock.set_client(disk.client_id, allocation)
                return
        raise faults.NotFound("VirtualDisk", f"{vm_id} {key}")

    # -- scheduling -------------------------------------------------------------------------------

    def _queue(self, datastore: str) -> _DatastoreQueue:
        queue = self.queues.get(datastore)
        if queue is None:
            queue = self.queues[datastore] = _DatastoreQueue(datastore, self.capacity_iops(datastore))
            queue.task = asyncio.create_task(self._dispatch(queue))
        return queue

    def refresh_capacity(self, datastore: str) -> None:
        """The datastore's configured IOPS changed."""
        queue = self.queues.get(datastore)
        if queue is not None:
            queue.capacity_iops = self.capacity_iops(datastore)
            queue.mclock.capacity_iops = queue.capacity_iops or DEFAULT_CAPACITY_IOPS
            queue.wakeup.set()

    def _stun(self, disk: OpenVmDisk) -> None:
        """A write failed for space: the VM is stunned (its I/O refused) until its question is answered."""
        if disk.vm_id in self.stunned:
            return
        question_id = f"{disk.vm_id}-nospace-{int(time.time() * 1000)}"
        self.stunned[disk.vm_id] = question_id
        text = (
            f"There is no more space for virtual disk {disk.top.name} on datastore {disk.spec.datastore}. "
            "You might be able to continue this session by freeing disk space on the relevant volume, "
            "and clicking Retry. Click Cancel to terminate this session."
        )
        _log.error("storage.vm_stunned", vm_id=disk.vm_id, disk=disk.spec.key, datastore=disk.spec.datastore)
        self.on_question(disk.vm_id, question_id, text)

    def answer(self, vm_id: str, question_id: str) -> None:
        """The VM's question was answered: its I/O goes on (a write that still does not fit stuns it
        again, with a new question)."""
        if self.stunned.get(vm_id) != question_id:
            raise faults.InvalidArgument("questionId", f"{vm_id} has no question '{question_id}' pending")
        del self.stunned[vm_id]

    async def _submit(self, disk: OpenVmDisk, op: int, offset: int, length: int, buffer: memoryview) -> int:
        if disk.vm_id in self.stunned:
            return -errno.ENOSPC  # stunned: nothing moves until the question is answered
        waiting = self._io_wait.setdefault(disk.vm_id, _IoWait())
        waiting.begin(time.monotonic())
        try:
            await disk.open_for_io.wait()
            loop = asyncio.get_running_loop()
            pending = _Pending(disk, op, offset, length, buffer, loop.time(), loop.create_future())
            queue = self._queue(disk.spec.datastore)
            queue.mclock.submit(disk.client_id, pending, loop.time())
            queue.wakeup.set()
            return await pending.done
        finally:
            waiting.end(time.monotonic())

    def io_wait_seconds(self, vm_id: str) -> float:
        """Time the VM has had a disk request on its way (its guest waiting on I/O), since power-on."""
        waiting = self._io_wait.get(vm_id)
        return waiting.total(time.monotonic()) if waiting else 0.0

    async def _dispatch(self, queue: _DatastoreQueue) -> None:
        loop = asyncio.get_running_loop()
        while True:
            now = loop.time()
            if queue.capacity_iops and now < queue.next_slot:
                await asyncio.sleep(queue.next_slot - now)  # the datastore's pace, not a readiness wait
                continue
            picked = queue.mclock.dispatch(now) if queue.inflight < MAX_INFLIGHT else None
            if picked is None:
                eligible = queue.mclock.next_eligible()
                queue.wakeup.clear()
                timeout = (
                    None if eligible is None or queue.inflight >= MAX_INFLIGHT else max(0.0, eligible - now)
                )
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(queue.wakeup.wait(), timeout)
                continue
            _, pending = picked
            if pending.op == diskio.OP_WRITE and not await self._room_for(queue, pending.length, now):
                pending.done.set_result(-errno.ENOSPC)  # the datastore is full (its configured size)
                pending.disk.stats.errors += 1
                self._stun(pending.disk)
                self._wake_drain(pending.disk)
                continue
            if queue.capacity_iops:  # a late dispatch catches up (a few slots at most): the pace holds
                slot = 1 / queue.capacity_iops
                queue.next_slot = max(queue.next_slot, now - CATCH_UP_SLOTS * slot) + slot
            queue.inflight += 1
            pending.disk.inflight += 1
            running = asyncio.create_task(self._run(queue, pending))
            self._running.add(running)
            running.add_done_callback(self._running.discard)

    async def _room_for(self, queue: _DatastoreQueue, size: int, now: float) -> bool:
        """Whether a write of ``size`` fits a datastore with a configured capacity (others: the
        filesystem answers ENOSPC itself)."""
        if now - queue.free_measured >= SPACE_REFRESH_S:
            queue.free_bytes = await asyncio.to_thread(self.capped_free_bytes, queue.name)
            queue.free_measured = now
        if queue.free_bytes is None:
            return True
        if size > queue.free_bytes:
            queue.free_measured = -SPACE_REFRESH_S  # look again at the next write: space may have come
            return False
        queue.free_bytes -= size
        return True

    def _wake_drain(self, disk: OpenVmDisk) -> None:
        if not disk.inflight and not self._backlog(disk):
            disk.drained.set()

    async def _run(self, queue: _DatastoreQueue, pending: _Pending) -> None:
        disk = pending.disk
        try:
            status = await asyncio.to_thread(_execute, pending)
        finally:
            queue.inflight -= 1
            disk.inflight -= 1
            queue.wakeup.set()
            self._wake_drain(disk)
        latency = asyncio.get_running_loop().time() - pending.arrival
        stats = disk.stats
        if status < 0:
            stats.errors += 1
            if status == -errno.ENOSPC:
                self._stun(disk)
        elif pending.op == diskio.OP_READ:
            stats.reads, stats.bytes_read, stats.read_latency_s = (
                stats.reads + 1,
                stats.bytes_read + pending.length,
                stats.read_latency_s + latency,
            )
        elif pending.op == diskio.OP_WRITE:
            stats.writes, stats.bytes_written, stats.write_latency_s = (
                stats.writes + 1,
                stats.bytes_written + pending.length,
                stats.write_latency_s + latency,
            )
        if not pending.done.done():
            pending.done.set_result(status)

    # -- the socket -------------------------------------------------------------------------------

    async def serve(self) -> None:
        """Listen on the I/O socket (requests and answers only: the bytes stay in the worlds' buffer
        regions)."""
        self.socket_path.unlink(missing_ok=True)
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(str(self.socket_path))
        self.socket_path.chmod(0o600)
        server.listen(64)
        server.setblocking(False)
        self._listening = server
        self._accepting = asyncio.create_task(self._accept_loop(server))

    async def close(self) -> None:
        if self._accepting is not None:
            self._accepting.cancel()
        if self._listening is not None:
            self._listening.close()
        for vm_id in list(self.vms):
            await self.detach(vm_id)
        for queue in self.queues.values():
            if queue.task is not None:
                queue.task.cancel()

    async def _accept_loop(self, server: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        while True:
            conn, _ = await loop.sock_accept(server)
            conn.setblocking(False)
            for option in (socket.SO_SNDBUF, socket.SO_RCVBUF):
                conn.setsockopt(socket.SOL_SOCKET, option, diskio.SOCKET_BUFFER)
            task = asyncio.create_task(self._connection(conn))
            self._running.add(task)
            task.add_done_callback(self._running.discard)

    async def _connection(self, conn: socket.socket) -> None:
        try:
            greeted = await self._greet(conn)
            if greeted is not None:
                await self._serve_requests(conn, *greeted)
        except (EOFError, OSError):
            pass  # the world went away
        finally:
            conn.close()

    async def _greet(self, conn: socket.socket) -> tuple[list[OpenVmDisk], BufferRegion] | None:
        """Check who is calling and map the buffer region it handed over; None when refused."""
        loop = asyncio.get_running_loop()
        data, fds = await recv_greeting(conn)
        try:
            pid, _, _ = _PEERCRED.unpack(
                conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _PEERCRED.size)
            )
            hello = data.strip().split()
            if len(hello) != 2 or hello[0] != diskio.HELLO or len(fds) != 1:
                await loop.sock_sendall(conn, b"ERR bad greeting (a hello line and one memfd)\n")
                return None
            vm_id = hello[1].decode(errors="replace")
            if vm_id not in self.vms or not self.authorize(vm_id, pid):
                _log.error("storage.refused", vm_id=vm_id, pid=pid)
                await loop.sock_sendall(conn, f"ERR pid {pid} is not a world of {vm_id}\n".encode())
                return None
            try:
                region = BufferRegion(fds[0])
            except RegionError as exc:
                await loop.sock_sendall(conn, f"ERR {exc}\n".encode())
                return None
        finally:
            for fd in fds:
                os.close(fd)  # the mapping keeps what it needs
        disks = self.vms[vm_id]
        lines = [b"OK"] + [f"{d.spec.key} {d.disk.capacity_bytes}".encode() for d in disks] + [b"", b""]
        await loop.sock_sendall(conn, b"\n".join(lines))
        return disks, region

    async def _serve_requests(
        self, conn: socket.socket, disks: list[OpenVmDisk], region: BufferRegion
    ) -> None:
        """Read requests as they come and answer each when it is done: a guest may keep several in
        flight (its queue depth); their answers may come in any order, matched by tag. A request
        whose buffer is not inside the world's region, or too large, is answered EINVAL."""
        loop = asyncio.get_running_loop()
        sending = asyncio.Lock()  # answers go out whole, one after the other
        answering: set[asyncio.Task[None]] = set()
        header = bytearray(diskio.REQUEST.size)
        try:
            while True:
                await _recv_into(loop, conn, memoryview(header))
                op, index, _, tag, offset, length, start = diskio.REQUEST.unpack(header)
                buffer = region.slice(start, length if op != diskio.OP_FLUSH else 0)
                valid = (
                    index < len(disks)
                    and op in (diskio.OP_READ, diskio.OP_WRITE, diskio.OP_FLUSH)
                    and length <= diskio.MAX_IO_BYTES
                    and buffer is not None
                )
                if not valid or buffer is None:
                    async with sending:
                        await loop.sock_sendall(conn, diskio.RESPONSE.pack(tag, -errno.EINVAL))
                    continue
                task = asyncio.create_task(
                    self._answer(conn, sending, disks[index], tag, op, offset, length, buffer)
                )
                answering.add(task)
                task.add_done_callback(answering.discard)
        finally:
            for task in answering:
                task.cancel()

    async def _answer(
        self,
        conn: socket.socket,
        sending: asyncio.Lock,
        disk: OpenVmDisk,
        tag: int,
        op: int,
        offset: int,
        length: int,
        buffer: memoryview,
    ) -> None:
        status = await self._submit(disk, op, offset, length, buffer)
        loop = asyncio.get_running_loop()
        with contextlib.suppress(OSError):
            async with sending:
                await loop.sock_sendall(conn, diskio.RESPONSE.pack(tag, status))


async def _recv_into(loop: asyncio.AbstractEventLoop, conn: socket.socket, view: memoryview) -> None:
    """Fill ``view`` from the socket; EOFError when the world closed it."""
    while view:
        count = await loop.sock_recv_into(conn, view)
        if not count:
            raise EOFError
        view = view[count:]

"""The guest disk I/O path in the VMkernel: a powered-on VM's disks, opened and scheduled.

At power-on the VMkernel opens the VM's disk chains (locking them: a second
writer is refused), creating a redo log on each independent-nonpersistent disk
(discarded at power-off, so its writes vanish as on ESXi). The VM's VMM worlds
connect to run/storage.sock (``pyesx.diskio``), each handing over its buffer
region (``regions``); a caller whose pid is not one of the VM's worlds is
refused. Requests queue per datastore under mClock
(``mclock``): reservations first, then shares, limits exact, and dispatch paced
at the datastore's configured capacity in IOPS (if any). The reads and writes
themselves run in I/O threads (``workers``) on the open chains, straight between
the world's buffer region and the extent files (``pwrite`` from it, ``preadv``
into it: the only copy, done by the kernel); what the guest wrote is at its
offset of the top extent.

Per request, the event loop does little: the connection (``connection``) parses
it and checks its buffer, mClock tags it and, when the datastore may take it
now, it goes to an I/O thread in the same turn; its completion comes back as
one callback that counts it, answers the world and dispatches the next. Only
what must wait (a paced datastore's next slot, a limit, a capped datastore's
free-space measurement) goes through the datastore's dispatcher task.

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
from vmkernel.storage.connection import WorldConnection
from vmkernel.storage.mclock import IoAllocation, MClock
from vmkernel.storage.regions import BufferRegion, RegionError, recv_greeting
from vmkernel.storage.workers import IoWorkers

_log = get_logger("storage")
MAX_INFLIGHT = 4  # requests a datastore works on at once
SPACE_REFRESH_S = 1.0  # how often a capped datastore's free space is measured again
CATCH_UP_SLOTS = 4  # dispatch slots a paced datastore may make up after the event loop was late
INLINE_READ_BYTES = 64 << 10  # a read this small and in the page cache is done without a thread
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
    parked: list[_Pending] = field(default_factory=list)  # came while the disk was closed for a snapshot
    detached: bool = False  # the VM powered off: its requests fail

    @property
    def client_id(self) -> tuple[str, str]:
        return self.vm_id, self.spec.key


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


@dataclass(eq=False, slots=True)
class _Pending:
    disk: OpenVmDisk
    op: int
    offset: int
    length: int
    buffer: memoryview  # the I/O's bytes in the world's buffer region (empty for a flush)
    arrival: float
    waiting: _IoWait  # its VM's
    connection: WorldConnection | None  # where the answer goes
    tag: int
    answered: bool = False  # by the I/O thread that did it


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


def _execute_and_answer(pending: _Pending) -> int:
    """``_execute`` in an I/O thread, and answer the world at once (the loop counts it later)."""
    status = _execute(pending)
    if pending.connection is not None:
        pending.connection.answers.send(pending.tag, status)
        pending.answered = True
    return status


def _execute(pending: _Pending) -> int:
    """One guest I/O on the open chain, between the extent and the world's buffer region: 0 or
    -errno."""
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
    except Exception as exc:  # a bug: the guest sees EIO, the log says what it was, the thread lives on
        _log.exception(
            "storage.io_failed", vm_id=pending.disk.vm_id, disk=pending.disk.spec.key, error=str(exc)
        )
        return -errno.EIO


def _read_cached(pending: _Pending) -> bool:
    """Do the read in the event loop's thread if it cannot block (``VirtualDisk.read_cached``);
    anything unusual is left to an I/O thread, which reports it."""
    try:
        return pending.disk.disk.read_cached(pending.offset, pending.buffer)
    except (faults.VimFault, OSError):
        return False


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
        self._loop: asyncio.AbstractEventLoop | None = None
        self._workers: IoWorkers | None = None

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
            self._reopened(disk)
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
            disk.detached = True
            queue = self.queues.get(disk.spec.datastore)
            left = queue.mclock.remove_client(disk.client_id) if queue is not None else []
            for pending in [*left, *disk.parked]:
                self._finish(pending, -errno.EIO)
            disk.parked.clear()
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

    def _reopened(self, disk: OpenVmDisk) -> None:
        """The disk takes requests again, first those that came while it was closed."""
        disk.open_for_io.set()
        parked, disk.parked = disk.parked, []
        for pending in parked:
            self._enqueue(pending)

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
                self._reopened(disk)

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
            self._start_workers()
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

    def submit(
        self,
        disk: OpenVmDisk,
        op: int,
        offset: int,
        length: int,
        buffer: memoryview,
        connection: WorldConnection | None,
        tag: int,
    ) -> None:
        """A world's request (its buffer already checked against the world's region): queued under
        mClock, started at once if the datastore may take it, answered through ``connection``."""
        refused = -errno.EIO if disk.detached else -errno.ENOSPC if disk.vm_id in self.stunned else 0
        if refused:  # powered off; or stunned: nothing moves until the question is answered
            if connection is not None:
                connection.answer(tag, refused)
            return
        waiting = self._io_wait.get(disk.vm_id)
        if waiting is None:
            waiting = self._io_wait[disk.vm_id] = _IoWait()
        waiting.begin(time.monotonic())
        pending = _Pending(disk, op, offset, length, buffer, self._now(), waiting, connection, tag)
        if not disk.open_for_io.is_set():
            disk.parked.append(pending)  # a snapshot is being taken: it goes once the disk is back
            return
        self._enqueue(pending)

    def _now(self) -> float:
        assert self._loop is not None
        return self._loop.time()

    def _enqueue(self, pending: _Pending) -> None:
        queue = self._queue(pending.disk.spec.datastore)
        queue.mclock.submit(pending.disk.client_id, pending, self._now())
        self._pump(queue)

    def _pump(self, queue: _DatastoreQueue) -> None:
        """Start what may go now; the dispatcher task takes care of what must wait."""
        if self._dispatch_ready(queue, self._now()) is not None:
            queue.wakeup.set()

    def _finish(self, pending: _Pending, status: int) -> None:
        pending.waiting.end(time.monotonic())
        if pending.connection is None:
            return
        if pending.answered:
            pending.connection.done()
        else:
            pending.connection.answer(pending.tag, status)

    def io_wait_seconds(self, vm_id: str) -> float:
        """Time the VM has had a disk request on its way (its guest waiting on I/O), since power-on."""
        waiting = self._io_wait.get(vm_id)
        return waiting.total(time.monotonic()) if waiting else 0.0

    def _space_due(self, queue: _DatastoreQueue, now: float) -> bool:
        return bool(queue.mclock.queued) and now - queue.free_measured >= SPACE_REFRESH_S

    def _dispatch_ready(self, queue: _DatastoreQueue, now: float) -> float | None:
        """Start every request that may go at ``now`` (mClock's order, at most MAX_INFLIGHT at once,
        at the datastore's pace); when to look again, or None: at the next arrival or completion."""
        while queue.inflight < MAX_INFLIGHT:
            if queue.capacity_iops and now < queue.next_slot:
                return queue.next_slot  # the datastore's pace
            if self._space_due(queue, now):
                return now  # the dispatcher measures the free space first
            picked = queue.mclock.dispatch(now)
            if picked is None:
                return queue.mclock.next_eligible()  # a limit holds them back (None: nothing queued)
            _, pending = picked
            if pending.op == diskio.OP_WRITE and not self._room_for(queue, pending.length):
                pending.disk.stats.errors += 1  # the datastore is full (its configured size)
                self._stun(pending.disk)
                self._finish(pending, -errno.ENOSPC)
                self._wake_drain(pending.disk)
                continue
            if queue.capacity_iops:  # a late dispatch catches up (a few slots at most): the pace holds
                slot = 1 / queue.capacity_iops
                queue.next_slot = max(queue.next_slot, now - CATCH_UP_SLOTS * slot) + slot
            queue.inflight += 1
            pending.disk.inflight += 1
            if pending.op == diskio.OP_READ and pending.length <= INLINE_READ_BYTES and _read_cached(pending):
                self._account(pending, 0)  # it was in the page cache: done in this turn, no thread
                continue
            assert self._workers is not None
            self._workers.submit(pending)
        return None

    async def _dispatch(self, queue: _DatastoreQueue) -> None:
        """What cannot go at once: requests waiting for a paced slot or a limit, and the free-space
        measurement of a datastore with a configured capacity (every SPACE_REFRESH_S)."""
        loop = asyncio.get_running_loop()
        while True:
            if self._space_due(queue, loop.time()):
                queue.free_bytes = await asyncio.to_thread(self._measure_free, queue.name)
                queue.free_measured = loop.time()
            queue.wakeup.clear()
            again = self._dispatch_ready(queue, loop.time())
            timeout = None if again is None else max(0.0, again - loop.time())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(queue.wakeup.wait(), timeout)

    def _measure_free(self, datastore: str) -> int | None:
        try:
            return self.capped_free_bytes(datastore)
        except Exception as exc:  # a datastore removed under a running VM: the filesystem decides
            _log.error("storage.space_unknown", datastore=datastore, error=str(exc))
            return None

    def _room_for(self, queue: _DatastoreQueue, size: int) -> bool:
        """Whether a write of ``size`` fits a datastore with a configured capacity (others: the
        filesystem answers ENOSPC itself)."""
        if queue.free_bytes is None:
            return True
        if size > queue.free_bytes:
            queue.free_measured = -SPACE_REFRESH_S  # look again before the next: space may have come
            return False
        queue.free_bytes -= size
        return True

    def _wake_drain(self, disk: OpenVmDisk) -> None:
        if not disk.inflight and not self._backlog(disk):
            disk.drained.set()

    def _completed(self, pending: _Pending, status: int) -> None:
        """An I/O thread finished ``pending`` (called in the loop's thread): count it, answer it, and
        start what may go next."""
        self._account(pending, status)
        self._pump(self.queues[pending.disk.spec.datastore])

    def _account(self, pending: _Pending, status: int) -> None:
        """A dispatched request is done: its disk's counters, its answer, a drain waiting on it."""
        disk = pending.disk
        queue = self.queues[disk.spec.datastore]
        queue.inflight -= 1
        disk.inflight -= 1
        stats = disk.stats
        if status < 0:
            stats.errors += 1
            if status == -errno.ENOSPC:
                self._stun(disk)
        elif pending.op == diskio.OP_READ:
            stats.reads += 1
            stats.bytes_read += pending.length
            stats.read_latency_s += self._now() - pending.arrival
        elif pending.op == diskio.OP_WRITE:
            stats.writes += 1
            stats.bytes_written += pending.length
            stats.write_latency_s += self._now() - pending.arrival
        self._finish(pending, status)
        self._wake_drain(disk)

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
        self._start_workers()
        self._accepting = asyncio.create_task(self._accept_loop(server))

    def _start_workers(self) -> None:
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
            self._workers = IoWorkers(self._loop, _execute_and_answer, self._completed)

    async def close(self) -> None:
        if self._accepting is not None:
            self._accepting.cancel()
        if self._listening is not None:
            self._listening.close()
        for task in list(self._running):  # the worlds' connections
            task.cancel()
        for vm_id in list(self.vms):
            await self.detach(vm_id)
        for queue in self.queues.values():
            if queue.task is not None:
                queue.task.cancel()
        if self._workers is not None:
            await asyncio.to_thread(self._workers.stop)

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
        """Greet the world, then serve its requests (``connection``) until it goes away."""
        try:
            greeted = await self._greet(conn)
            if greeted is None:
                return
            disks, region = greeted
            loop = asyncio.get_running_loop()
            _, world = await loop.connect_accepted_socket(
                lambda: WorldConnection(conn, region, disks, self.submit), conn
            )
            try:
                await world.closed
            finally:
                world.close()
        except (EOFError, OSError):
            pass  # the world went away
        finally:
            conn.close()  # (a transport that took it over has already let it go)

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

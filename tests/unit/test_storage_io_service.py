"""The VMkernel's guest I/O service with a real socket and real worlds' buffer regions (this process
plays the VMM world): bytes move between the region and the extent, bad ranges are refused."""

from __future__ import annotations

import array
import asyncio
import errno
import fcntl
import os
import socket
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from pyesx import diskio
from pyesx.diskio import DiskClient, DiskIoError
from vmkernel.storage import create_disk
from vmkernel.storage.io_service import DiskIoService, DiskSpec

pytestmark = pytest.mark.timeout(30)
MIB = 1 << 20


class Host:
    """The service's view of the host: which VM this process is a world of, and datastore space."""

    def __init__(self) -> None:
        self.worlds_of = {"vm-1", "vm-2"}
        self.free_bytes: int | None = None
        self.questions: list[tuple[str, str]] = []

    def authorize(self, vm_id: str, pid: int) -> bool:
        return vm_id in self.worlds_of and pid == os.getpid()

    def question(self, vm_id: str, question_id: str, text: str) -> None:
        self.questions.append((vm_id, question_id))


@pytest.fixture
def host() -> Host:
    return Host()


@pytest.fixture
async def service(tmp_path: Path, host: Host) -> AsyncIterator[DiskIoService]:
    io = DiskIoService(
        tmp_path / "storage.sock",
        capacity_iops=lambda datastore: 0.0,
        authorize=host.authorize,
        capped_free_bytes=lambda datastore: host.free_bytes,
        on_question=host.question,
    )
    await io.serve()
    for vm in ("vm-1", "vm-2"):
        create_disk(tmp_path / f"{vm}.vmdk", 4 * MIB).close()
        await io.attach(vm, [DiskSpec("scsi0:0", tmp_path / f"{vm}.vmdk", "persistent", "datastore1")])
    yield io
    await io.close()


async def connect(io: DiskIoService, vm: str = "vm-1", buffer_bytes: int = 2 * MIB) -> DiskClient:
    return await asyncio.to_thread(DiskClient, str(io.socket_path), vm, 10.0, buffer_bytes)


async def call(client: DiskClient, op: int, offset: int, length: int, buffer_offset: int = 0) -> int:
    """One request through the client's region; its status."""

    def roundtrip() -> int:
        tag = client.submit(op, 0, offset, length, buffer_offset)
        got, status = client.complete()
        assert got == tag
        return status

    return await asyncio.to_thread(roundtrip)


async def test_a_write_goes_from_the_worlds_buffer_to_the_extent_and_a_read_comes_back_into_it(
    service: DiskIoService, tmp_path: Path
) -> None:
    client = await connect(service)
    try:
        assert [(d.key, d.capacity_bytes) for d in client.disks] == [("scsi0:0", 4 * MIB)]
        block = os.urandom(MIB)
        client.buffer[MIB : 2 * MIB] = block
        assert await call(client, diskio.OP_WRITE, 3 * MIB, MIB, buffer_offset=MIB) == 0
        assert await call(client, diskio.OP_FLUSH, 0, 0) == 0
        with (tmp_path / "vm-1-flat.vmdk").open("rb") as flat:
            flat.seek(3 * MIB)
            assert flat.read(MIB) == block  # at its offset of the extent file
        assert await call(client, diskio.OP_READ, 3 * MIB + 10, 100, buffer_offset=7) == 0
        assert client.buffer[7:107] == block[10:110]  # landed where the request pointed
        assert await asyncio.to_thread(client.read, 0, 3 * MIB, 16) == block[:16]  # the copying API
        await asyncio.to_thread(client.write, 0, 5, b"hello")
        assert await asyncio.to_thread(client.read, 0, 0, 12) == bytes(5) + b"hello" + bytes(2)
    finally:
        client.close()
    [stat] = [s for s in service.stats() if s.vm_id == "vm-1"]
    assert (stat.writes, stat.bytes_written, stat.reads, stat.bytes_read) == (2, MIB + 5, 3, 128)


@pytest.mark.parametrize(
    ("op", "length", "buffer_offset"),
    [
        (diskio.OP_WRITE, 4096, 2 * MIB - 4095),  # runs past the region's end
        (diskio.OP_READ, 1, 2 * MIB),  # starts at its end
        (diskio.OP_READ, 4096, 2**64 - 1),  # wraps around
        (diskio.OP_WRITE, diskio.MAX_IO_BYTES + 1, 0),  # larger than one I/O may be
    ],
)
async def test_a_buffer_outside_the_worlds_region_is_answered_einval(
    service: DiskIoService, op: int, length: int, buffer_offset: int
) -> None:
    client = await connect(service)
    try:
        assert await call(client, op, 0, length, buffer_offset) == -errno.EINVAL
        client.buffer[:4] = b"next"
        assert await call(client, diskio.OP_WRITE, 0, 4) == 0  # the connection goes on
        assert await call(client, diskio.OP_READ, 0, 4, buffer_offset=100) == 0
        assert bytes(client.buffer[100:104]) == b"next"
    finally:
        client.close()
    assert [s.errors for s in service.stats()] == [0, 0]


async def test_each_world_addresses_only_its_own_region_and_its_own_vms_disks(
    service: DiskIoService, host: Host, tmp_path: Path
) -> None:
    first, second = await connect(service, "vm-1"), await connect(service, "vm-2")
    try:
        first.buffer[:8] = b"vm-1 mem"
        second.buffer[:8] = b"vm-2 mem"
        assert await call(first, diskio.OP_WRITE, 0, 8) == 0
        assert await call(second, diskio.OP_WRITE, 0, 8) == 0  # the same buffer offset, its own memory
        assert (tmp_path / "vm-1-flat.vmdk").read_bytes()[:8] == b"vm-1 mem"
        assert (tmp_path / "vm-2-flat.vmdk").read_bytes()[:8] == b"vm-2 mem"
    finally:
        first.close()
        second.close()
    host.worlds_of = {"vm-1"}
    with pytest.raises(PermissionError, match="not a world of vm-2"):
        await connect(service, "vm-2")
    with pytest.raises(PermissionError, match="not a world of vm-9"):
        await connect(service, "vm-9")


def greet_raw(path: Path, fds: list[int], vm: str = "vm-1") -> tuple[socket.socket, bytes]:
    """Greet by hand, passing ``fds``; the socket and the first answer line."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(10)
    sock.connect(str(path))
    hello = diskio.HELLO + b" " + vm.encode() + b"\n"
    ancillary = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))] if fds else []
    sock.sendmsg([hello], ancillary)
    answer = b""
    while not answer.endswith(b"\n"):
        chunk = sock.recv(1)
        if not chunk:
            break
        answer += chunk
    return sock, answer


def _memfd(size: int, flags: int = os.MFD_ALLOW_SEALING) -> int:
    fd = os.memfd_create("test-region", os.MFD_CLOEXEC | flags)
    os.ftruncate(fd, size)
    return fd


def _write_sealed(size: int) -> int:
    fd = _memfd(size)
    fcntl.fcntl(fd, fcntl.F_ADD_SEALS, fcntl.F_SEAL_WRITE)
    return fd


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda tmp: [], "bad greeting"),
        (lambda tmp: [_memfd(MIB, 0)], "cannot be sealed"),  # no MFD_ALLOW_SEALING: it could shrink
        (lambda tmp: [os.open(tmp / "vm-1.vmdk", os.O_RDWR)], "not a sealable memfd"),
        (lambda tmp: [os.pipe()[0]], "not a memfd"),
        (lambda tmp: [_memfd(0)], "buffer region of 0 bytes"),
        (lambda tmp: [_write_sealed(MIB)], "sealed against writes"),
        (lambda tmp: [_memfd(MIB), _memfd(MIB)], "bad greeting"),
    ],
)
async def test_a_region_the_vmkernel_cannot_safely_map_is_refused(
    service: DiskIoService, tmp_path: Path, make: Callable[[Path], list[int]], reason: str
) -> None:
    fds = make(tmp_path)
    try:
        sock, answer = await asyncio.to_thread(greet_raw, service.socket_path, fds)
        sock.close()
    finally:
        for fd in fds:
            os.close(fd)
    assert answer.startswith(b"ERR") and reason.encode() in answer


async def test_a_mapped_region_can_no_longer_be_shrunk_by_the_world(service: DiskIoService) -> None:
    fd = _memfd(MIB)
    try:
        sock, answer = await asyncio.to_thread(greet_raw, service.socket_path, [fd])
        sock.close()
        assert answer == b"OK\n"
        with pytest.raises(PermissionError):
            os.ftruncate(fd, 4096)  # the VMkernel's mapping would fault past the new end
        os.ftruncate(fd, 2 * MIB)  # growing is harmless
    finally:
        os.close(fd)


async def test_a_full_datastore_answers_enospc_stuns_the_vm_and_retry_resumes(
    service: DiskIoService, host: Host
) -> None:
    client = await connect(service)
    try:
        host.free_bytes = 100
        assert await call(client, diskio.OP_WRITE, 0, 4096) == -errno.ENOSPC
        [(vm, question_id)] = host.questions
        assert vm == "vm-1" and service.stunned == {"vm-1": question_id}
        assert await call(client, diskio.OP_READ, 0, 4096) == -errno.ENOSPC  # stunned: nothing moves
        host.free_bytes = 64 * MIB
        service.answer("vm-1", question_id)
        assert await call(client, diskio.OP_WRITE, 0, 4096) == 0
    finally:
        client.close()


async def test_a_world_that_goes_away_with_writes_in_flight_leaves_the_service_working(
    service: DiskIoService,
) -> None:
    client = await connect(service)
    client.buffer[: 2 * MIB] = b"\x5a" * (2 * MIB)
    for block in range(4):
        client.submit(diskio.OP_WRITE, 0, block * 512 * 1024, 512 * 1024, block * 512 * 1024)
    client.close()  # unmapped on the world's side; the VMkernel's mapping lives until they are done
    again = await connect(service)
    try:
        with pytest.raises(DiskIoError) as failed:
            await asyncio.to_thread(again.read, 0, 0, diskio.MAX_IO_BYTES + 1)
        assert failed.value.errno == errno.EINVAL
        assert await asyncio.to_thread(again.read, 0, 4 * MIB - 8, 8) == bytes(8)
    finally:
        again.close()


async def until(predicate: Callable[[], object], what: str) -> None:
    """Let the loop run until ``predicate`` holds (a deadline, never a fixed sleep)."""
    deadline = asyncio.get_running_loop().time() + 10
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.001)


async def test_a_request_during_a_snapshot_waits_for_the_reopened_disk_and_lands_there(
    service: DiskIoService, tmp_path: Path
) -> None:
    client = await connect(service)
    [disk] = service.disks_of("vm-1")
    try:
        client.buffer[:6] = b"parked"
        async with service.suspended(tmp_path / "vm-1.vmdk"):
            waiting = asyncio.create_task(call(client, diskio.OP_WRITE, 4096, 6))
            await until(lambda: disk.parked, "the request parked")
            assert not waiting.done() and disk.disk.closed
        assert await waiting == 0
        assert (tmp_path / "vm-1-flat.vmdk").read_bytes()[4096:4102] == b"parked"
    finally:
        client.close()


async def test_a_request_parked_when_the_vm_powers_off_fails_with_eio(
    service: DiskIoService, tmp_path: Path
) -> None:
    client = await connect(service)
    [disk] = service.disks_of("vm-1")
    try:
        disk.open_for_io.clear()  # as during a snapshot
        waiting = asyncio.create_task(call(client, diskio.OP_READ, 0, 512))
        await until(lambda: disk.parked, "the request parked")
        await service.detach("vm-1")
        assert await waiting == -errno.EIO
        assert await call(client, diskio.OP_READ, 0, 512) == -errno.EIO  # its disks are gone
    finally:
        client.close()

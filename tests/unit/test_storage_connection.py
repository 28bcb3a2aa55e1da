"""A world's request stream in the VMkernel: whole answers from any thread, a world that floods
requests is read no further until some are answered, and the I/O threads' handoff."""

from __future__ import annotations

import asyncio
import os
import socket
import threading
from collections.abc import Callable
from typing import Any

import pytest

from pyesx import diskio
from vmkernel.storage.connection import MAX_OUTSTANDING, Answers, WorldConnection
from vmkernel.storage.regions import BufferRegion
from vmkernel.storage.workers import IoWorkers

pytestmark = pytest.mark.timeout(30)


async def until(predicate: Callable[[], object], what: str) -> None:
    """Let the loop run until ``predicate`` holds (a deadline, never a fixed sleep)."""
    deadline = asyncio.get_running_loop().time() + 10
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.001)


def read_answers(sock: socket.socket, count: int) -> list[tuple[int, int]]:
    data = bytearray()
    while len(data) < count * diskio.RESPONSE.size:
        chunk = sock.recv(65536)
        assert chunk, "closed early"
        data += chunk
    return [diskio.RESPONSE.unpack_from(data, i * diskio.RESPONSE.size) for i in range(count)]


async def test_answers_from_many_threads_arrive_whole_even_when_the_world_reads_late() -> None:
    ours, world = socket.socketpair()
    ours.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)  # fills up: the rest waits in a backlog
    answers = Answers(ours, asyncio.get_running_loop())
    per_thread, threads = 2000, 4

    def answer_many(first: int) -> None:
        for tag in range(first, first + per_thread):
            answers.send(tag, -tag % 7)

    try:
        await asyncio.gather(*(asyncio.to_thread(answer_many, n * per_thread) for n in range(threads)))
        world.settimeout(10)
        got = await asyncio.to_thread(read_answers, world, per_thread * threads)
        assert sorted(got) == [(tag, -tag % 7) for tag in range(per_thread * threads)]
        from_one = [tag for tag, _ in got if tag < per_thread]
        assert from_one == sorted(from_one)  # one thread's answers keep their order
    finally:
        answers.close()
        ours.close()
        world.close()
    answers.send(1, 0)  # after close: dropped, no error


async def test_a_world_that_floods_requests_is_not_read_until_it_has_answers() -> None:
    loop = asyncio.get_running_loop()
    fd = os.memfd_create("region", os.MFD_ALLOW_SEALING)
    os.ftruncate(fd, 4096)
    region = BufferRegion(fd)
    os.close(fd)
    ours, world = socket.socketpair()
    ours.setblocking(False)
    started: list[int] = []
    connection: WorldConnection | None = None

    def submit(disk: Any, op: int, offset: int, length: int, buffer: memoryview, conn: Any, tag: int) -> None:
        started.append(tag)

    def make() -> WorldConnection:
        nonlocal connection
        connection = WorldConnection(ours, region, ["scsi0:0"], submit)
        return connection

    await loop.connect_accepted_socket(make, ours)
    assert connection is not None
    total = MAX_OUTSTANDING + 200
    world.sendall(b"".join(diskio.REQUEST.pack(diskio.OP_READ, 0, 0, t, 0, 512, 0) for t in range(total)))
    await until(lambda: len(started) > MAX_OUTSTANDING, "requests read")
    assert len(started) < total  # paused: what is left stays in the socket
    for tag in list(started):
        connection.answer(tag, 0)
    await until(lambda: len(started) == total, "the rest read once answers went out")
    for tag in started[-(total - MAX_OUTSTANDING) :]:
        connection.answer(tag, 0)
    world.settimeout(10)
    assert len(await asyncio.to_thread(read_answers, world, total)) == total
    connection.close()
    world.close()


async def test_io_threads_run_jobs_off_the_loop_and_report_back_in_it() -> None:
    loop = asyncio.get_running_loop()
    results: list[tuple[int, int, bool]] = []
    workers = IoWorkers(
        loop,
        lambda job: (job, threading.get_ident()),
        lambda job, result: results.append((job, result[0] * 2, result[1] != threading.get_ident())),
        max_threads=3,
    )
    for job in range(50):
        workers.submit(job)
    await until(lambda: len(results) == 50, "every job done")
    assert sorted(results) == [(job, job * 2, True) for job in range(50)]
    await asyncio.to_thread(workers.stop)

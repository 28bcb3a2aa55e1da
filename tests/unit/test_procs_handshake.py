"""Reading a child's readiness handshake from its pipe: the first line, EOF, a deadline, and the fd
closed once, by us (a second close of a reused number closes someone else's fd)."""

from __future__ import annotations

import asyncio
import gc
import os

import pytest
import uvloop

from pyesx.procs import read_line

pytestmark = pytest.mark.timeout(20)


def _closed(fd: int) -> bool:
    try:
        os.fstat(fd)
    except OSError:
        return True
    return False


async def test_the_first_line_and_the_fd_is_closed() -> None:
    read_fd, write_fd = os.pipe()
    os.write(write_fd, b'{"pid": 1}\n{"more": 2}\n')
    assert await read_line(read_fd, 5) == b'{"pid": 1}\n'
    assert _closed(read_fd)
    os.close(write_fd)


async def test_eof_first_gives_what_came_before_it() -> None:
    for written, expected in ((b"", b""), (b'{"partial"', b'{"partial"')):
        read_fd, write_fd = os.pipe()
        os.write(write_fd, written)
        os.close(write_fd)
        assert await read_line(read_fd, 5) == expected


async def test_no_line_within_the_deadline() -> None:
    read_fd, write_fd = os.pipe()
    with pytest.raises(TimeoutError):
        await read_line(read_fd, 0.05)
    assert _closed(read_fd)
    os.close(write_fd)


def test_a_cancelled_read_never_closes_the_number_again_under_uvloop() -> None:
    """The number, once ours is closed, may be given to any new fd: it must stay open."""

    async def scenario() -> None:
        for _ in range(50):
            read_fd, write_fd = os.pipe()
            reading = asyncio.ensure_future(read_line(read_fd, 5))
            await asyncio.sleep(0)
            reading.cancel()
            with pytest.raises(asyncio.CancelledError):
                await reading
            reused = os.open(os.devnull, os.O_RDONLY)  # takes the lowest free number: read_fd's
            del reading
            gc.collect()
            for _ in range(3):
                await asyncio.sleep(0)
            assert not _closed(reused), "a closed fd's number was closed again"
            os.close(reused)
            os.close(write_fd)

    uvloop.run(scenario())

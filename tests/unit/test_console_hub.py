"""The vmx's console hub: repaint on attach, fan-out, slow viewers, input backpressure, detaching."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import pytest

from pyesx.vmx.v1 import vmx_pb2
from vmx.console import rpc
from vmx.console.hub import ConsoleHub, GuestConsole
from vmx.console.screen import Screen


async def _no_input(data: bytes) -> None:
    raise AssertionError("no input expected")


async def test_a_viewer_gets_a_repaint_then_the_output() -> None:
    hub = ConsoleHub(_no_input)
    hub.output(b"before\r\n")
    viewer = hub.attach()
    repaint, data = await viewer.next() or (False, b"")
    assert repaint and _replay(data).text().rows[:2] == ["before", ""]
    hub.output(b"after")
    hub.output(b" more")
    assert await viewer.next() == (False, b"after more")  # queued chunks come joined


def _replay(data: bytes) -> Screen:
    screen = Screen()
    screen.feed(data)
    return screen


async def test_a_slow_viewer_gets_a_fresh_repaint_and_holds_nobody_up() -> None:
    hub = ConsoleHub(_no_input)
    slow, fast = hub.attach(limit=4096), hub.attach()
    await slow.next()
    await fast.next()
    lines = [b"line %d %s\r\n" % (i, b"." * 60) for i in range(100)]
    for line in lines:
        hub.output(line)
    assert slow.overflows > 0 and fast.overflows == 0
    repaint, data = await slow.next() or (False, b"")
    assert repaint and _replay(data).text() == hub.screen.text()
    fast_seen = b""
    while len(fast_seen) < len(b"".join(lines)):
        _, chunk = await fast.next() or (False, b"")
        fast_seen += chunk
    assert fast_seen == b"".join(lines)


async def test_detach_ends_the_stream_and_forgets_the_viewer() -> None:
    hub = ConsoleHub(_no_input)
    viewer = hub.attach()
    await viewer.next()
    waiting = asyncio.create_task(viewer.next())
    await asyncio.sleep(0)
    hub.detach(viewer)
    assert await waiting is None and not hub.viewers


async def test_input_waits_for_a_full_guest_channel() -> None:
    ours, theirs = socket.socketpair()
    ours.setblocking(False)
    console = await GuestConsole.open(ours)
    try:
        big = b"k" * (4 << 20)  # far more than the socket buffers hold
        sending = asyncio.create_task(console.hub.input(big))
        for _ in range(20):
            await asyncio.sleep(0)
        assert not sending.done()  # backpressure: it cannot all fit before the guest reads
        received = 0
        theirs.setblocking(False)
        loop = asyncio.get_running_loop()
        while received < len(big):
            received += len(await loop.sock_recv(theirs, 1 << 20))
        await asyncio.wait_for(sending, 10)
        assert received == len(big)
    finally:
        await console.close()
        theirs.close()


async def test_guest_output_reaches_the_screen_and_eof_closes_viewers() -> None:
    ours, theirs = socket.socketpair()
    ours.setblocking(False)
    console = await GuestConsole.open(ours)
    viewer = console.hub.attach()
    await viewer.next()
    theirs.sendall(b"guest says hi")
    assert await viewer.next() == (False, b"guest says hi")
    assert console.hub.screen.text().rows[0] == "guest says hi"
    theirs.close()
    assert await asyncio.wait_for(viewer.next(), 10) is None
    await console.close()


async def test_the_attach_rpc_leaves_no_viewer_when_cancelled() -> None:
    sent: list[bytes] = []

    async def record(data: bytes) -> None:
        sent.append(data)

    hub = ConsoleHub(record)
    gate = asyncio.Event()

    async def keys() -> AsyncIterator[vmx_pb2.ConsoleKeys]:
        yield vmx_pb2.ConsoleKeys(keys=b"ls\r")
        await gate.wait()

    stream = rpc.attach(hub, keys())
    first = await anext(stream)
    assert first.repaint and len(hub.viewers) == 1
    hub.output(b"x")
    assert (await anext(stream)).data == b"x"
    for _ in range(100):  # the keys are pumped by a task of their own
        if sent:
            break
        await asyncio.sleep(0)
    assert sent == [b"ls\r"]
    await stream.aclose()  # what a cancelled RPC does to the generator
    assert not hub.viewers


async def test_a_viewer_done_sending_gets_its_output_then_the_end() -> None:
    sent: list[bytes] = []

    async def record(data: bytes) -> None:
        sent.append(data)

    hub = ConsoleHub(record)

    async def keys() -> AsyncIterator[vmx_pb2.ConsoleKeys]:
        yield vmx_pb2.ConsoleKeys(keys=b"ls\r")  # then done sending: the stream ends, not cancelled

    stream = rpc.attach(hub, keys())
    assert (await anext(stream)).repaint
    got = [message async for message in stream]  # ends by itself once the keys have ended
    assert sent == [b"ls\r"] and all(not m.repaint for m in got) and not hub.viewers


@pytest.mark.parametrize("bad", ["relative.png", "/no/such/folder/x.png"])
async def test_screenshot_path_must_be_absolute_in_a_folder(bad: str) -> None:
    from pyesx import faults

    with pytest.raises(faults.InvalidArgument):
        await rpc.screenshot(ConsoleHub(_no_input), bad)


@pytest.mark.parametrize(
    ("modes", "expected"),
    [
        (b"", []),  # the guest asked for no reports: the event is dropped
        (b"\x1b[?1000h", [b"\x1b[M" + bytes([32, 33 + 4, 33 + 2]), b"\x1b[M" + bytes([35, 37, 35])]),
        (b"\x1b[?1000h\x1b[?1006h", [b"\x1b[<0;5;3M", b"\x1b[<0;5;3m"]),
        (b"\x1b[?1000h\x1b[?1000l", []),
    ],
)
async def test_mouse_events_become_xterm_reports_when_asked_for(modes: bytes, expected: list[bytes]) -> None:
    sent: list[bytes] = []

    async def record(data: bytes) -> None:
        sent.append(data)

    hub = ConsoleHub(record)
    hub.output(modes)
    await hub.mouse(2, 4, 0, True)
    await hub.mouse(2, 4, 0, False)
    assert sent == expected
    assert _replay(hub.screen.repaint()).mouse_reports == hub.screen.mouse_reports

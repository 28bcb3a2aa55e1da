"""The console's internal RPCs in the vmx (called by hostd): attach a viewer, screenshot, screen text."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator
from pathlib import Path

from pyesx import faults
from pyesx.logs import get_logger
from pyesx.vmx.v1 import vmx_pb2
from vmx.console.hub import ConsoleHub
from vmx.console.screenshot import CELL_H, CELL_W, write_screenshot

_log = get_logger("vmx.console")


async def _pump_keys(hub: ConsoleHub, requests: AsyncIterator[vmx_pb2.ConsoleKeys]) -> None:
    async for message in requests:
        await hub.input(message.keys)
        if message.HasField("mouse"):
            m = message.mouse
            await hub.mouse(m.row, m.col, m.button, m.pressed)


async def attach(
    hub: ConsoleHub, requests: AsyncIterator[vmx_pb2.ConsoleKeys]
) -> AsyncGenerator[vmx_pb2.ConsoleScreenData, None]:
    """One viewer's stream: its keys go to the guest while the screen's output comes back. When the
    caller goes away, or the guest's console ends, the viewer is gone with it. A caller that is done
    sending (half-closes its keys) has its queued output, then the end of the stream: it detaches
    without cancelling the call (grpc.aio leaks native memory for every call cancelled while a read
    is in flight, grpc/grpc#43360 — one per console viewer)."""
    viewer = hub.attach()
    keys = asyncio.create_task(_pump_keys(hub, requests))
    keys.add_done_callback(lambda pump: None if pump.cancelled() or pump.exception() else viewer.close())
    _log.info("console.attached", viewers=len(hub.viewers))
    try:
        while (item := await viewer.next()) is not None:
            repaint, data = item
            yield vmx_pb2.ConsoleScreenData(data=data, repaint=repaint)
    finally:
        hub.detach(viewer)
        keys.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await keys
        _log.info("console.detached", viewers=len(hub.viewers))


async def screenshot(hub: ConsoleHub, path: str) -> vmx_pb2.ScreenshotResponse:
    """The screen as a PNG at path (drawn in a thread: the guest's console keeps flowing)."""
    target = Path(path)
    if not target.is_absolute() or not target.parent.is_dir():
        raise faults.InvalidArgument("path", f"'{path}' is not an absolute path in an existing folder")
    cells = hub.screen.snapshot()
    size = await asyncio.to_thread(write_screenshot, cells, target)
    _log.info("console.screenshot", path=path, bytes=size)
    return vmx_pb2.ScreenshotResponse(
        bytes=size, width=hub.screen.cols * CELL_W, height=hub.screen.rows * CELL_H
    )


def text(hub: ConsoleHub) -> vmx_pb2.ConsoleTextResponse:
    shown = hub.screen.text()
    return vmx_pb2.ConsoleTextResponse(
        rows=shown.rows,
        cursor_row=shown.cursor_row,
        cursor_col=shown.cursor_col,
        viewers=len(hub.viewers),
        columns=hub.screen.cols,
    )

"""``pyesx console``'s terminal pump: keys out, output in, Ctrl-] detaches; and the screenshot PNG."""

from __future__ import annotations

import os
import queue
import struct
from collections.abc import Iterator

from clients.consoleterm import pump
from vmx.console.screen import Screen
from vmx.console.screenshot import render_png


class FakeConsole:
    def __init__(self) -> None:
        self.sent: list[bytes] = []
        self.output: queue.Queue[bytes | None] = queue.Queue()
        self.closed = False

    def send(self, keys: str | bytes) -> None:
        self.sent.append(keys if isinstance(keys, bytes) else keys.encode())
        self.output.put(b"echo:" + self.sent[-1])

    def __iter__(self) -> Iterator[bytes]:
        while (chunk := self.output.get()) is not None:
            yield chunk

    def close(self) -> None:
        self.closed = True
        self.output.put(None)


def test_ctrl_close_bracket_detaches_after_sending_what_came_before() -> None:
    keys_r, keys_w = os.pipe()
    out_r, out_w = os.pipe()
    console = FakeConsole()
    os.write(keys_w, b"ls\r")
    os.write(keys_w, b"x\x1dnot sent")
    try:
        assert pump(console, keys_r, out_w) == "detached"
        assert b"".join(console.sent) == b"ls\rx" and console.closed
        os.close(out_w)
        assert b"echo:ls\r" in os.read(out_r, 4096)
    finally:
        for fd in (keys_r, keys_w, out_r):
            os.close(fd)


def test_end_of_input_detaches() -> None:
    keys_r, keys_w = os.pipe()
    out_r, out_w = os.pipe()
    os.close(keys_w)
    try:
        assert pump(FakeConsole(), keys_r, out_w) == "eof"
    finally:
        for fd in (keys_r, out_r, out_w):
            os.close(fd)


def test_screenshot_png_has_the_screen_size_and_colours() -> None:
    screen = Screen()
    screen.feed(b"\x1b[41mred\x1b[0m plain")
    data = render_png(screen.snapshot())
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", data[16:24]) == (640, 400)
    import io

    from PIL import Image  # only to read the picture back

    image = Image.open(io.BytesIO(data)).convert("RGB")
    assert image.getpixel((0, 0)) == (170, 0, 0)  # a red background cell
    assert image.getpixel((639, 399)) == (0, 0, 0)
    assert len({image.getpixel((x, y)) for x in range(24, 80) for y in range(16)}) > 1  # glyphs drawn

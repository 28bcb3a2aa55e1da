"""Running the DCUI on a terminal: raw mode, the alternate screen, a redraw after each key."""

from __future__ import annotations

import contextlib
import os
import select
import shutil
import signal
import sys
import termios
import tty
from collections.abc import Iterator
from types import FrameType

from clients.dcui.app import App
from clients.dcui.keys import decode

REFRESH_SECONDS = 2.0  # the front screen's facts are redrawn this often while no key comes
ESC_WAIT = 0.05  # how long after ESC the rest of an escape sequence may take to arrive


@contextlib.contextmanager
def raw_terminal(fd: int) -> Iterator[None]:
    """Raw input, the alternate screen and a hidden cursor, all undone on the way out."""
    saved = termios.tcgetattr(fd)
    tty.setraw(fd)
    sys.stdout.write("\x1b[?1049h\x1b[?25l\x1b[2J")
    sys.stdout.flush()
    try:
        yield
    finally:
        sys.stdout.write("\x1b[0m\x1b[2J\x1b[?25h\x1b[?1049l")
        sys.stdout.flush()
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def _read_keys(fd: int, timeout: float) -> list[str]:
    ready, _, _ = select.select([fd], [], [], timeout)
    if not ready:
        return []
    data = os.read(fd, 1024)
    if not data:
        raise EOFError
    text = data.decode(errors="replace")
    if text.endswith("\x1b") or (text.startswith("\x1b") and len(text) < 3):
        more, _, _ = select.select([fd], [], [], ESC_WAIT)  # the rest of an escape sequence
        if more:
            text += os.read(fd, 1024).decode(errors="replace")
    return decode(text)


def run(app: App) -> int:
    """Drive ``app`` on this process's terminal until Ctrl-C (or the terminal goes away)."""
    fd = sys.stdin.fileno()
    resized = [True]

    def on_resize(signum: int, frame: FrameType | None) -> None:
        resized[0] = True

    previous = signal.signal(signal.SIGWINCH, on_resize)
    last = ""
    try:
        with raw_terminal(fd):
            while not app.done:
                size = shutil.get_terminal_size((80, 25))
                frame = app.draw(size.columns, size.lines).ansi()
                if frame != last or resized[0]:
                    if resized[0]:
                        sys.stdout.write("\x1b[2J")
                        resized[0] = False
                    sys.stdout.write(frame)
                    sys.stdout.flush()
                    last = frame
                try:
                    keys = _read_keys(fd, REFRESH_SECONDS)
                except EOFError:
                    break
                for key in keys:
                    app.key(key)
    finally:
        signal.signal(signal.SIGWINCH, previous)
    return 0

"""A program on a pseudo-terminal of a given size, its screen read through our terminal emulator.

Tests drive full-screen programs (``pyesx dcui``) as a user at a terminal would: keys in, and the
screen's text out, waited for with a deadline (never a sleep).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import select
import struct
import subprocess
import termios
import time
from collections.abc import Sequence

from vmx.console.screen import Screen


class PtyProgram:
    """``argv`` with a ``cols`` × ``rows`` pseudo-terminal as its stdin, stdout and stderr."""

    def __init__(self, argv: Sequence[str], env: dict[str, str], cols: int = 80, rows: int = 25) -> None:
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.process = subprocess.Popen(
            argv, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True, close_fds=True
        )
        os.close(slave)
        self.screen = Screen(cols, rows)

    def text(self) -> str:
        """The screen as it is now (rows joined with newlines)."""
        return "\n".join(self.screen.text().rows)

    def pump(self, timeout: float) -> None:
        """Read what the program wrote within ``timeout`` seconds onto the screen."""
        ready, _, _ = select.select([self.master], [], [], timeout)
        if ready:
            with contextlib.suppress(OSError):  # OSError: the program closed the terminal
                self.screen.feed(os.read(self.master, 65536))

    def wait_for(self, *texts: str, timeout: float = 20.0) -> str:
        """The screen once it shows every one of ``texts``; fails with the screen after ``timeout``."""
        deadline = time.monotonic() + timeout
        while True:
            shown = self.text()
            if all(t in shown for t in texts):
                return shown
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise AssertionError(f"the screen never showed {texts!r}; it shows:\n{shown}")
            self.pump(0.1)

    def send(self, data: str) -> None:
        os.write(self.master, data.encode())

    def close(self, timeout: float = 10.0) -> int:
        """Stop the program (Ctrl-C, then SIGKILL after ``timeout``) and return its exit code."""
        if self.process.poll() is None:
            self.send("\x03")
            deadline = time.monotonic() + timeout
            while self.process.poll() is None and time.monotonic() < deadline:
                self.pump(0.1)
            if self.process.poll() is None:
                self.process.kill()
        code = self.process.wait()
        os.close(self.master)
        return code

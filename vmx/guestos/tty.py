"""The console terminal's line discipline: echo, line editing, Ctrl-C / Ctrl-D, bounded input.

Keyboard bytes land in a bounded raw buffer (what overflows is dropped and
counted, so a 10 MB paste neither stalls the VM nor grows its memory). Each
kernel step cooks at most CHUNK bytes into completed lines, and only while the
completed lines waiting for a reader stay under COOKED_MAX.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

EOF = "eof"  # Ctrl-D at the start of a line
INTR = "intr"  # Ctrl-C with no foreground job to interrupt

RAW_MAX = 64 * 1024
CHUNK = 4096
LINE_MAX = 4095
COOKED_MAX = 16 * 1024


class Tty:
    """The console: ``write`` to the screen, keyboard input cooked into lines for readers."""

    def __init__(self, screen: Callable[[bytes], None]) -> None:
        self._screen = screen
        self.echo = True
        self.dropped = 0  # input bytes lost to overflow
        self.interrupt: Callable[[], bool] | None = None  # Ctrl-C: True when it hit a foreground job
        self._raw = bytearray()
        self._line = bytearray()
        self._lines: deque[bytes | str] = deque()
        self._cooked = 0
        self._esc = 0  # 0 none, 1 after ESC, 2 inside CSI
        self._last = 0

    def write(self, data: bytes) -> None:
        """Text to the screen: line ends become CR LF."""
        if b"\n" in data:
            data = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        self._screen(data)

    def input(self, data: bytes) -> None:
        """Keyboard bytes (from the vmx): buffered up to RAW_MAX, the rest dropped."""
        room = RAW_MAX - len(self._raw)
        if len(data) > room:
            self.dropped += len(data) - max(room, 0)
            data = data[: max(room, 0)]
        self._raw += data

    def pending_input(self) -> bool:
        """Whether raw input waits and can be cooked now."""
        return bool(self._raw) and self._cooked < COOKED_MAX

    def process_input(self) -> bool:
        """Cook up to CHUNK raw bytes; whether more can be cooked now (not when readers lag behind)."""
        if not self.pending_input():
            return False
        chunk = bytes(self._raw[:CHUNK])
        done = 0
        echo = bytearray()
        for byte in chunk:
            done += 1
            self._char(byte, echo)
            if self._cooked >= COOKED_MAX:
                break
        del self._raw[:done]
        if echo:
            self._screen(bytes(echo))
        return self.pending_input()

    def flush_input(self) -> None:
        """Forget typed-ahead input (on Ctrl-C, as N_TTY does)."""
        self._line.clear()
        self._lines.clear()
        self._cooked = 0

    def has_line(self) -> bool:
        return bool(self._lines)

    def take_line(self) -> bytes | str:
        """The next completed line (with its ``\\n``), or EOF / INTR."""
        item = self._lines.popleft()
        if isinstance(item, bytes):
            self._cooked -= len(item)
        return item

    def _push(self, item: bytes | str) -> None:
        self._lines.append(item)
        if isinstance(item, bytes):
            self._cooked += len(item)

    def _char(self, byte: int, echo: bytearray) -> None:
        last, self._last = self._last, byte
        if self._esc == 1:
            self._esc = 2 if byte in (0x5B, 0x4F) else 0
            return
        if self._esc == 2:
            if 0x40 <= byte <= 0x7E:
                self._esc = 0
            return
        if byte == 0x1B:
            self._esc = 1
        elif byte in (0x0D, 0x0A):
            if byte == 0x0A and last == 0x0D:
                return
            self._push(bytes(self._line) + b"\n")
            self._line.clear()
            if self.echo:
                echo += b"\r\n"
        elif byte in (0x7F, 0x08):
            if self._line:
                while self._line and (self._line.pop() & 0xC0) == 0x80:
                    pass
                if self.echo:
                    echo += b"\b \b"
        elif byte == 0x15:  # Ctrl-U
            if self.echo:
                echo += b"\b \b" * _width(self._line)
            self._line.clear()
        elif byte == 0x17:  # Ctrl-W
            text = bytes(self._line).rstrip(b" ")
            keep = text.rfind(b" ") + 1
            if self.echo:
                echo += b"\b \b" * _width(self._line[keep:])
            del self._line[keep:]
        elif byte == 0x03:  # Ctrl-C
            self._screen(bytes(echo) + b"^C\r\n")
            echo.clear()
            self.flush_input()
            if self.interrupt is None or not self.interrupt():
                self._push(INTR)
        elif byte == 0x04:  # Ctrl-D
            if self._line:
                self._push(bytes(self._line))
                self._line.clear()
            else:
                self._push(EOF)
        elif byte == 0x09 or byte >= 0x20:
            if len(self._line) < LINE_MAX:
                self._line.append(byte)
                if self.echo:
                    echo.append(byte)
            else:
                self.dropped += 1


def _width(data: bytes | bytearray) -> int:
    return sum(1 for b in data if (b & 0xC0) != 0x80)

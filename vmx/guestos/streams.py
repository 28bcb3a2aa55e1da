"""A process's standard streams: the console, a capture buffer, a file, or bytes already at hand."""

from __future__ import annotations

from typing import TYPE_CHECKING

from vmx.guestos.kernel import Gen, Wait

if TYPE_CHECKING:
    from vmx.guestos.tty import Tty
    from vmx.guestos.vfs import Vfs


class Output:
    """Where a process writes."""

    is_tty = False

    def write(self, data: bytes) -> None:
        raise NotImplementedError


class NullOutput(Output):
    def write(self, data: bytes) -> None:
        pass


class BufferOutput(Output):
    """Collected output, capped (what goes past the cap is dropped and counted)."""

    def __init__(self, cap: int = 1 << 20) -> None:
        self.data = bytearray()
        self.cap = cap
        self.dropped = 0

    def write(self, data: bytes) -> None:
        room = self.cap - len(self.data)
        if room >= len(data):
            self.data += data
        else:
            self.data += data[: max(room, 0)]
            self.dropped += len(data) - max(room, 0)


class ConsoleOutput(Output):
    """The console: ``\\n`` becomes ``\\r\\n``."""

    is_tty = True

    def __init__(self, tty: Tty) -> None:
        self.tty = tty

    def write(self, data: bytes) -> None:
        self.tty.write(data)


class FileOutput(Output):
    """A file opened for writing: truncated (or created) when opened, appended to by each write."""

    def __init__(self, vfs: Vfs, path: str, append: bool = False) -> None:
        self.vfs, self.path = vfs, path
        if append:
            vfs.write(path, b"", append=True)
        else:
            vfs.write(path, b"")

    def write(self, data: bytes) -> None:
        self.vfs.write(self.path, data, append=True)


class Input:
    """Where a process reads from: ``read`` returns the next bytes, b"" at end of input."""

    is_tty = False

    def read(self) -> Gen[bytes]:
        raise NotImplementedError
        yield  # pragma: no cover


class BytesInput(Input):
    def __init__(self, data: bytes = b"") -> None:
        self._data: bytes | None = data

    def read(self) -> Gen[bytes]:
        data, self._data = self._data or b"", None
        return data
        yield  # pragma: no cover


class TtyInput(Input):
    """The console in canonical mode: a line at a time; Ctrl-D at the line's start is end of input."""

    is_tty = True

    def __init__(self, tty: Tty) -> None:
        self.tty = tty

    def read(self) -> Gen[bytes]:
        while not self.tty.has_line():
            yield Wait(self.tty.has_line)
        line = self.tty.take_line()
        return line if isinstance(line, bytes) else b""

"""Process plumbing: readiness handshakes, parent-death signals, subreaping, titles, pidfd waits.

A parent gives a child the write end of a pipe (``--ready-fd N`` when exec'd, or
the fd itself when forked); the child writes one JSON line (pid, protocol
version, addresses…) when it is ready to serve and closes it. The parent waits
on that line with a deadline; EOF first means the child died.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import json
import os
import select
import signal
import sys
import threading
from pathlib import Path
from typing import Any, Protocol

import setproctitle

from pyesx import PROTOCOL_VERSION
from pyesx.logs import get_logger

_log = get_logger("procs")
#: the VMkernel to hostd: shut the host down your way (the VMs' autostart stop actions, then the
#: VMkernel's ShutdownHost), as ESXi does on a host shutdown; sent when ``pyesx boot`` is signalled
HOST_SHUTDOWN_SIGNAL = signal.SIGUSR1
_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36


class ChildFailed(Exception):
    """A child process exited or stalled before its handshake."""


class Child(Protocol):
    """What a parent needs of a child, however it was started."""

    @property
    def pid(self) -> int: ...

    @property
    def returncode(self) -> int | None: ...

    async def wait(self) -> int: ...

    def kill(self) -> None: ...


def _prctl(option: int, value: int) -> None:
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(option, value, 0, 0, 0)


def die_with_parent(expected_parent: int, sig: int = signal.SIGKILL) -> None:
    """Ask the kernel to signal us when our parent dies; exit now if it already has."""
    _prctl(_PR_SET_PDEATHSIG, sig)
    if os.getppid() != expected_parent:
        os._exit(1)


def become_subreaper() -> None:
    """Orphaned descendants (the vmx processes the factory double-forks) become our children."""
    _prctl(_PR_SET_CHILD_SUBREAPER, 1)


def set_title(title: str) -> None:
    """What ps shows for this process."""
    setproctitle.setproctitle(title)


def report_ready(fd: int | None, **info: Any) -> None:
    """Child side: write the handshake line and close the fd."""
    if fd is None:
        return
    line = json.dumps({"pid": os.getpid(), "protocol": PROTOCOL_VERSION, **info}) + "\n"
    with os.fdopen(fd, "w") as pipe:
        pipe.write(line)


def python_argv(module: str, *args: str) -> list[str]:
    """argv that execs ``python -m module args`` with this interpreter."""
    return [sys.executable, "-m", module, *args]


def tail(path: Path, lines: int = 3) -> str:
    """The last lines of a file, for error messages ("" when missing)."""
    try:
        text = path.read_text(errors="replace").strip().splitlines()
    except OSError:
        return ""
    return " | ".join(text[-lines:])


MAX_HANDSHAKE = 64 * 1024


async def read_line(read_fd: int, timeout: float) -> bytes:
    """The first line written on the pipe (with its newline; what came before EOF, if none), read
    with the loop's reader on the raw fd, which this closes. TimeoutError after timeout seconds.

    Not a transport over a file object: uvloop's closes such an fd twice (libuv, then the file
    object; or the file object when garbage-collected, if the transport failed to open), and a
    second close of a number already given to another fd closes that one under its owner."""
    loop = asyncio.get_running_loop()
    received = bytearray()
    line: asyncio.Future[bytes] = loop.create_future()

    def readable() -> None:
        try:
            chunk = os.read(read_fd, MAX_HANDSHAKE)
        except BlockingIOError:
            return
        except OSError:
            chunk = b""
        received.extend(chunk)
        end = received.find(b"\n")
        if not line.done() and (end >= 0 or not chunk or len(received) > MAX_HANDSHAKE):
            line.set_result(bytes(received[: end + 1] if end >= 0 else received))

    try:
        os.set_blocking(read_fd, False)
        loop.add_reader(read_fd, readable)
        try:
            return await asyncio.wait_for(line, timeout)
        finally:
            loop.remove_reader(read_fd)
    finally:
        os.close(read_fd)


async def await_handshake(
    read_fd: int, child: Child, *, name: str, timeout: float, stderr_path: Path
) -> dict[str, Any]:
    """Parent side: the child's handshake line, or ChildFailed (the child is reaped). Closes read_fd."""
    try:
        line = await read_line(read_fd, timeout)
    except TimeoutError:
        child.kill()
        await child.wait()
        raise ChildFailed(f"{name} gave no readiness handshake within {timeout:.0f}s") from None
    if not line:
        code = await child.wait()
        raise ChildFailed(f"{name} exited with code {code} before it was ready: {tail(stderr_path)}")
    info: dict[str, Any] = json.loads(line)
    if info.get("protocol") != PROTOCOL_VERSION:
        child.kill()
        await child.wait()
        raise ChildFailed(f"{name} speaks protocol {info.get('protocol')}, expected {PROTOCOL_VERSION}")
    return info


async def spawn_with_handshake(
    argv: list[str],
    *,
    stderr_path: Path,
    timeout: float,
    pass_fds: tuple[int, ...] = (),
) -> tuple[asyncio.subprocess.Process, dict[str, Any]]:
    """Exec argv (with ``--ready-fd N`` appended) and wait for its handshake line."""
    read_fd, write_fd = os.pipe()
    stderr_path.parent.mkdir(parents=True, exist_ok=True)
    with open(stderr_path, "ab") as stderr:  # noqa: ASYNC230 - opening a log file does not block
        try:
            proc = await asyncio.create_subprocess_exec(
                *argv,
                "--ready-fd",
                str(write_fd),
                pass_fds=(write_fd, *pass_fds),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=stderr,
                start_new_session=True,  # Ctrl-C reaches the VMkernel only; it stops the rest in order
            )
        finally:
            os.close(write_fd)
    info = await await_handshake(read_fd, proc, name=argv[2], timeout=timeout, stderr_path=stderr_path)
    return proc, info


class ForkedChild:
    """A child not started through asyncio (forked, or adopted as subreaper), waited on with a pidfd.

    The pidfd is opened at once, so the pid cannot be recycled under us. If the
    process is someone else's child by the time it exits, its exit code is -1.
    """

    def __init__(self, pid: int) -> None:
        self._pid = pid
        self._returncode: int | None = None
        self._exited = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        self._pidfd = os.pidfd_open(pid)
        self._watched_by_loop = True
        try:
            self._loop.add_reader(self._pidfd, self._on_exit)
        except RuntimeError as exc:
            # uvloop still counts this fd number as a live transport's, whose fd was closed under
            # it. The handshake pipe's transport did that (read_line says how; it no longer uses
            # one), but a refusal here would fail the power-on and orphan the vmx, so should any
            # other code ever do it: that transport will close the number again one day, so leave
            # it to it and wait on a copy, in a thread.
            _log.warning("procs.pidfd_in_thread", pid=pid, pidfd=self._pidfd, reason=str(exc))
            self._watched_by_loop = False
            self._pidfd = os.dup(self._pidfd)
            threading.Thread(target=self._wait_in_thread, name=f"pidfd-{pid}", daemon=True).start()

    def _wait_in_thread(self) -> None:
        select.select([self._pidfd], [], [])
        self._loop.call_soon_threadsafe(self._on_exit)

    @property
    def pid(self) -> int:
        return self._pid

    @property
    def returncode(self) -> int | None:
        return self._returncode

    def _on_exit(self) -> None:
        if self._watched_by_loop:
            self._loop.remove_reader(self._pidfd)
        os.close(self._pidfd)
        try:
            _, status = os.waitpid(self._pid, 0)
            self._returncode = os.waitstatus_to_exitcode(status)
        except ChildProcessError:
            self._returncode = -1
        self._exited.set()

    async def wait(self) -> int:
        await self._exited.wait()
        assert self._returncode is not None
        return self._returncode

    def send_signal(self, sig: int) -> None:
        """Signal the process (ProcessLookupError once it has exited, as asyncio's Process raises)."""
        if self._exited.is_set():
            raise ProcessLookupError(self._pid)
        signal.pidfd_send_signal(self._pidfd, sig)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            self.send_signal(signal.SIGKILL)

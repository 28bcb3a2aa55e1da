"""Process plumbing: readiness handshake over an inherited pipe, parent-death signal, process names.

A parent execs a child with ``--ready-fd N``; the child writes one JSON line
(address, pid, protocol version…) when it is ready to serve and closes the fd.
The parent waits on that line with a deadline; EOF first means the child died.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

from pyesx import PROTOCOL_VERSION

_PR_SET_PDEATHSIG = 1


class ChildFailed(Exception):
    """A child process exited or stalled before its handshake."""


def die_with_parent(expected_parent: int, sig: int = signal.SIGKILL) -> None:
    """Ask the kernel to signal us when our parent dies; exit now if it already has."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, sig, 0, 0, 0)
    if os.getppid() != expected_parent:
        os._exit(1)


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


async def spawn_with_handshake(
    argv: list[str], *, stderr_path: Path, timeout: float, env: dict[str, str] | None = None
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
                pass_fds=(write_fd,),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=stderr,
                env=env,
                start_new_session=True,  # Ctrl-C reaches the VMkernel only; it stops the rest in order
            )
        finally:
            os.close(write_fd)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    transport, _ = await loop.connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(read_fd, "rb", buffering=0)
    )
    try:
        line = await asyncio.wait_for(reader.readline(), timeout)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise ChildFailed(f"{argv[2]} gave no readiness handshake within {timeout:.0f}s") from None
    finally:
        transport.close()
    if not line:
        code = await proc.wait()
        raise ChildFailed(f"{argv[2]} exited with code {code} before it was ready: {tail(stderr_path)}")
    info: dict[str, Any] = json.loads(line)
    if info.get("protocol") != PROTOCOL_VERSION:
        proc.kill()
        raise ChildFailed(f"{argv[2]} speaks protocol {info.get('protocol')}, expected {PROTOCOL_VERSION}")
    return proc, info


def tail(path: Path, lines: int = 3) -> str:
    """The last lines of a file, for error messages ("" when missing)."""
    try:
        text = path.read_text(errors="replace").strip().splitlines()
    except OSError:
        return ""
    return " | ".join(text[-lines:])


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True

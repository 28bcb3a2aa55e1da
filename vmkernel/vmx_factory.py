"""The VMkernel's end of the vmx factory: exec it at boot, ask it for vmx processes, adopt them."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
from dataclasses import asdict
from pathlib import Path
from typing import Any

from pyesx.layout import HostLayout
from pyesx.logs import get_logger
from pyesx.procs import ChildFailed, ForkedChild, await_handshake, python_argv, spawn_with_handshake
from vmx.main import VmxSpec

_log = get_logger("vmx_factory")
FACTORY_TIMEOUT = 60.0


class VmxFactory:
    """Starts vmx processes by asking the factory to fork them; restarts the factory if it died."""

    def __init__(self, layout: HostLayout) -> None:
        self.layout = layout
        self.process: asyncio.subprocess.Process | None = None
        self._control: socket.socket | None = None
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            argv = python_argv(
                "vmx.factory",
                "--root", str(self.layout.root),
                "--parent-pid", str(os.getpid()),
                "--control-fd", str(theirs.fileno()),
            )  # fmt: skip
            self.process, _ = await spawn_with_handshake(
                argv,
                stderr_path=self.layout.log / "vmx-factory.stderr.log",
                timeout=FACTORY_TIMEOUT,
                pass_fds=(theirs.fileno(),),
            )
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        ours.setblocking(False)
        self._control = ours
        _log.info("vmx_factory.started", factory_pid=self.process.pid)

    async def spawn(
        self, spec: VmxSpec, *, stderr_path: Path, timeout: float
    ) -> tuple[ForkedChild, dict[str, Any]]:
        """A running vmx for spec, adopted as our child, and its handshake."""
        read_fd, write_fd = os.pipe()
        try:
            async with self._lock:
                if self.process is None or self.process.returncode is not None:
                    _log.warning("vmx_factory.restarting")
                    await self.start()
                pid = await self._request(spec, write_fd, stderr_path)
        except BaseException:
            os.close(read_fd)
            raise
        finally:
            os.close(write_fd)
        try:
            child = ForkedChild(pid)
        except BaseException:  # not adopted: never leave a vmx running that no one watches
            os.close(read_fd)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            raise
        info = await await_handshake(read_fd, child, name="vmx", timeout=timeout, stderr_path=stderr_path)
        return child, info

    async def _request(self, spec: VmxSpec, ready_fd: int, stderr_path: Path) -> int:
        assert self._control is not None
        loop = asyncio.get_running_loop()
        stderr_fd = os.open(stderr_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            socket.send_fds(self._control, [json.dumps(asdict(spec)).encode()], [ready_fd, stderr_fd])
        finally:
            os.close(stderr_fd)
        reply = json.loads(await loop.sock_recv(self._control, 4096) or b'{"error": "the factory exited"}')
        if "pid" not in reply:
            raise ChildFailed(f"the vmx factory could not fork: {reply.get('error')}")
        return int(reply["pid"])

    async def stop(self, timeout: float = 5.0) -> None:
        if self._control:
            self._control.close()  # EOF: the factory exits
        if self.process and self.process.returncode is None:
            try:
                await asyncio.wait_for(self.process.wait(), timeout)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    self.process.kill()
                await self.process.wait()

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
from vmkernel.zygote import ForkedFactory
from vmx.main import VmxSpec

_log = get_logger("vmx_factory")
FACTORY_TIMEOUT = 60.0


class VmxFactory:
    """Starts vmx processes and hostd by asking the factory to fork them; restarts the factory if it
    died."""

    def __init__(self, layout: HostLayout, forked: ForkedFactory | None = None) -> None:
        self.layout = layout
        self.forked = forked  # the factory forked at boot, adopted by start()
        self.process: ForkedChild | asyncio.subprocess.Process | None = None
        self._control: socket.socket | None = None
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        """Adopt the factory forked at boot, or exec one (it died, or there was none)."""
        forked, self.forked = self.forked, None
        if forked is not None:
            self.process = ForkedChild(forked.pid)
            forked.control.setblocking(False)
            self._control = forked.control
            _log.info("vmx_factory.adopted", factory_pid=forked.pid)
            return
        if self._control is not None:  # the dead factory's end
            self._control.close()
            self._control = None
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
        return await self._spawn(json.dumps(asdict(spec)), (), "vmx", stderr_path, timeout)

    async def spawn_hostd(
        self, argv: list[str], credential_fd: int, *, stderr_path: Path, timeout: float
    ) -> tuple[ForkedChild, dict[str, Any]]:
        """hostd (``python -m hostd argv``, its credential read from credential_fd) forked from the
        factory, so that its imported modules' pages are shared with every vmx and VMM world; adopted
        as our child, and its handshake."""
        return await self._spawn(json.dumps({"hostd": argv}), (credential_fd,), "hostd", stderr_path, timeout)

    async def _spawn(
        self, request: str, extra_fds: tuple[int, ...], name: str, stderr_path: Path, timeout: float
    ) -> tuple[ForkedChild, dict[str, Any]]:
        read_fd, write_fd = os.pipe()
        try:
            async with self._lock:
                if self.process is None or self.process.returncode is not None:
                    _log.warning("vmx_factory.restarting")
                    await self.start()
                pid = await self._request(request, (write_fd, *extra_fds), stderr_path)
        except BaseException:
            os.close(read_fd)
            raise
        finally:
            os.close(write_fd)
        try:
            child = ForkedChild(pid)
        except BaseException:  # not adopted: never leave a child running that no one watches
            os.close(read_fd)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            raise
        info = await await_handshake(read_fd, child, name=name, timeout=timeout, stderr_path=stderr_path)
        return child, info

    async def _request(self, request: str, fds: tuple[int, ...], stderr_path: Path) -> int:
        """Send one request (the handshake pipe's write end first, then stderr, then extra_fds)."""
        assert self._control is not None
        loop = asyncio.get_running_loop()
        stderr_fd = os.open(stderr_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            socket.send_fds(self._control, [request.encode()], [fds[0], stderr_fd, *fds[1:]])
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

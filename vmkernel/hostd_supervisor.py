"""The watchdog of hostd: start it, wait for its handshake, restart it with backoff when it dies.

hostd is forked from the vmx factory (as ``python -m hostd …`` would run), so the pages of the
modules it shares with every vmx and VMM world (grpc, asyncio, protobuf, structlog, pyesx) are
one copy for the whole host.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time

from pyesx.layout import HostLayout
from pyesx.logs import get_logger
from pyesx.procs import HOST_SHUTDOWN_SIGNAL, ChildFailed, ForkedChild
from pyesx.vmkernel.v1 import vmkernel_pb2
from vmkernel.events import WorldEventBus
from vmkernel.vmx_factory import VmxFactory
from vmkernel.worlds import WorldTable

_log = get_logger("watchdog")
HANDSHAKE_TIMEOUT = 60.0
BACKOFF_FIRST, BACKOFF_MAX, STABLE_AFTER = 0.25, 30.0, 60.0


class HostdSupervisor:
    def __init__(
        self,
        layout: HostLayout,
        listen: str,
        worlds: WorldTable,
        events: WorldEventBus,
        factory: VmxFactory,
        stats_interval: int = 20,
        credential: str = "",
    ) -> None:
        self.credential = credential  # hostd's for the VMkernel's API, given through a pipe
        self.layout = layout
        self.stats_interval = stats_interval
        self.listen = listen
        self.worlds = worlds
        self.events = events
        self.factory = factory
        self.process: ForkedChild | None = None
        self.address = ""
        self.thumbprint = ""  # of the certificate hostd serves, from its handshake
        self.restart_count = 0
        self._stopping = False
        self._restart_requested_by: str | None = None  # set while a requested restart is under way
        self._watch_task: asyncio.Task[None] | None = None

    async def start(self) -> str:
        """Start hostd and return its public address (HOST:PORT) once it serves."""
        await self._spawn()
        self._watch_task = asyncio.create_task(self._watch())
        return self.address

    async def _spawn(self) -> None:
        argv = [
            "--root", str(self.layout.root),
            "--listen", self.address or self.listen,
            "--vmkernel-socket", str(self.layout.vmkernel_socket),
            "--parent-pid", str(os.getpid()),
            "--stats-interval", str(self.stats_interval),
        ]  # fmt: skip
        # the credential goes through a pipe: neither argv nor /proc/PID/environ shows it
        read_fd, write_fd = os.pipe()
        os.write(write_fd, self.credential.encode())
        os.close(write_fd)
        try:
            self.process, info = await self.factory.spawn_hostd(
                argv, read_fd, stderr_path=self.layout.log / "hostd.stderr.log", timeout=HANDSHAKE_TIMEOUT
            )
        finally:
            os.close(read_fd)
        self.address = info["address"]
        self.thumbprint = info.get("thumbprint", "")
        self.worlds.add(vmkernel_pb2.HOSTD, self.process.pid, "hostd")
        _log.info("hostd.started", hostd_pid=self.process.pid, address=self.address)

    async def _watch(self) -> None:
        backoff = BACKOFF_FIRST
        while not self._stopping:
            assert self.process is not None
            started = time.monotonic()
            code = await self.process.wait()
            old_pid = self.process.pid
            self.worlds.remove_pid(old_pid)
            if self._stopping:
                return
            user, self._restart_requested_by = self._restart_requested_by, None
            if user is None:
                _log.warning("hostd.died", hostd_pid=old_pid, exit_code=code)
            else:
                _log.info("hostd.restarting", hostd_pid=old_pid, exit_code=code, requested_by=user)
            if time.monotonic() - started > STABLE_AFTER or user is not None:
                backoff = BACKOFF_FIRST
            at_once = user is not None  # a requested restart starts hostd again without waiting
            while not self._stopping:
                if not at_once:
                    await asyncio.sleep(backoff)  # restart backoff, not a wait for readiness
                    backoff = min(backoff * 2, BACKOFF_MAX)
                at_once = False  # a retry after a failed start backs off
                try:
                    await self._spawn()
                    break
                except (ChildFailed, OSError) as exc:
                    _log.error("hostd.restart_failed", reason=str(exc))
            if self._stopping:
                return
            self.restart_count += 1
            assert self.process is not None
            self.events.publish(
                vmkernel_pb2.WorldEvent(
                    time=time.time(),
                    hostd_restarted=vmkernel_pb2.HostdRestarted(
                        old_pid=old_pid,
                        exit_code=code,
                        new_pid=self.process.pid,
                        restart_count=self.restart_count,
                        requested_by=user or "",
                    ),
                )
            )

    def request_shutdown(self) -> ForkedChild | None:
        """Ask the serving hostd to shut the host down its way (the VMs' autostart stop actions, then
        the VMkernel's ShutdownHost); the process asked, or None when no hostd serves now."""
        process = self.process
        if self._stopping or process is None or process.returncode is not None:
            return None
        try:
            process.send_signal(HOST_SHUTDOWN_SIGNAL)
        except ProcessLookupError:
            return None
        return process

    def restart(self, requested_by: str) -> None:
        """Stop hostd gracefully (its in-flight calls finish) and start it again at once."""
        if self._stopping or self.process is None or self.process.returncode is not None:
            return
        self._restart_requested_by = requested_by
        with contextlib.suppress(ProcessLookupError):
            self.process.terminate()

    async def stop(self, timeout: float = 10.0) -> None:
        self._stopping = True
        if self.process and self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), timeout)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        if self._watch_task:
            self._watch_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watch_task

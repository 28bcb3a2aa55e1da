"""One host root under fault: boot it, kill -9 its hostd, a vmx or the VMkernel, boot it again, and
give clients that reconnect across all of that."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from clients import Client
from pyesx import faults
from tests.harness import BootedHost, children_of, pyesx_processes, wait_until

T = TypeVar("T")
RECONNECT_TIMEOUT_S = 90.0


def descendants(pid: int) -> set[int]:
    """Every process below pid, from /proc."""
    found: set[int] = set()
    todo = [pid]
    while todo:
        for kid in children_of(todo.pop()):
            if kid not in found:
                found.add(kid)
                todo.append(kid)
    return found


class HostLink:
    """A host on ``root`` that survives being killed: ``call`` retries through a hostd restart or a
    VMkernel reboot (on the same root), reconnecting as needed."""

    def __init__(self, root: Path, memory_mb: int = 0) -> None:
        self.root = root
        self.memory_mb = memory_mb
        self._lock = threading.Lock()
        self._up = threading.Event()
        self.generation = 0  # bumped by every reboot: clients of an older one reconnect
        self.host = BootedHost(root, memory_mb=memory_mb)
        self._up.set()
        self._local = threading.local()
        self._clients: list[Client] = []

    # -- processes ------------------------------------------------------------------------------

    def processes(self) -> dict[int, str]:
        """This root's live processes (each names its root on its command line)."""
        pattern = re.compile(re.escape(str(self.root)) + r"(\s|$)")
        return {pid: cmd for pid, cmd in pyesx_processes().items() if pattern.search(cmd + " ")}

    def orphans(self) -> dict[int, str]:
        """This root's processes that are not the live VMkernel's tree."""
        tree = {self.host.pid} | descendants(self.host.pid) if self.host.process.poll() is None else set()
        return {pid: cmd for pid, cmd in self.processes().items() if pid not in tree}

    # -- faults ---------------------------------------------------------------------------------

    def kill_hostd(self) -> int:
        pid = wait_until(
            lambda: self.host.hostd_pid(), RECONNECT_TIMEOUT_S, "a hostd to kill"
        )  # maybe restarting
        os.kill(pid, signal.SIGKILL)
        return pid

    def kill_vmkernel_and_boot(self) -> None:
        """kill -9 of the VMkernel; wait until every world of this root is gone; boot again."""
        with self._lock:
            self._up.clear()
            self.generation += 1
            self.host.process.kill()
            self.host.process.wait()
            self.host.stop()
            wait_until(lambda: not self.processes(), 30.0, "every world of the killed host gone")
            self.host = BootedHost(self.root, memory_mb=self.memory_mb)
            self._up.set()

    def stop(self) -> int:
        for client in self._clients:
            with contextlib.suppress(Exception):
                client.close()
        return self.host.stop()

    # -- clients --------------------------------------------------------------------------------

    def client(self) -> Client:
        """This thread's client of the live host (reconnected after a reboot)."""
        cached: tuple[int, Client] | None = getattr(self._local, "client", None)
        if cached is not None and cached[0] == self.generation:
            return cached[1]
        self._up.wait(RECONNECT_TIMEOUT_S)
        generation = self.generation
        client = wait_until(lambda: self.host.client(), RECONNECT_TIMEOUT_S, "a connection to hostd")
        self._clients.append(client)
        self._local.client = (generation, client)
        return client

    def _reconnect(self) -> None:
        self._local.client = None

    def call(self, fn: Callable[[Client], T], timeout: float = RECONNECT_TIMEOUT_S) -> T:
        """fn(client), retried while hostd is unreachable or has forgotten our session."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                return fn(self.client())
            except (faults.HostCommunication, faults.NotAuthenticated, AssertionError):
                if time.monotonic() > deadline:
                    raise
                self._reconnect()
                self._up.wait(RECONNECT_TIMEOUT_S)
                time.sleep(0.05)  # hostd is restarting: poll again shortly (a deadline bounds it)

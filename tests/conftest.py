"""Fixtures for every layer: a booted host, and a guard that no test leaves a process behind."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from clients import Client
from clients.tls import KNOWN_HOSTS_ENV
from tests.harness import BootedHost, pyesx_processes


@pytest.fixture(autouse=True, scope="session")
def user_config(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Clients keep their known hosts (pinned thumbprints), credential store and settings in this run's
    own ``XDG_CONFIG_HOME``, never the user's; shells started by tests inherit it."""
    path = tmp_path_factory.getbasetemp() / "config"
    saved = {name: os.environ.get(name) for name in ("XDG_CONFIG_HOME", KNOWN_HOSTS_ENV)}
    os.environ["XDG_CONFIG_HOME"] = str(path)
    os.environ.pop(KNOWN_HOSTS_ENV, None)
    yield path
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture(autouse=True)
def no_stray_processes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Fail a test that leaves a vmkernel, hostd, vmx or VMM process running (and reap them).

    Only this run's processes count: every one names its root, which lies under pytest's basetemp."""
    ours = str(tmp_path_factory.getbasetemp())
    before = set(pyesx_processes())
    yield
    strays = {pid: cmd for pid, cmd in pyesx_processes().items() if pid not in before and ours in cmd}
    for pid in strays:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            continue
    assert not strays, f"processes left behind: {strays}"


@pytest.fixture
def host(tmp_path: Path) -> Iterator[BootedHost]:
    """A real host booted in a temporary root on a free port; stopped after the test."""
    booted = BootedHost(tmp_path / "host")
    try:
        yield booted
    finally:
        booted.stop()


@pytest.fixture
def client(host: BootedHost) -> Iterator[Client]:
    with host.client() as connected:
        yield connected

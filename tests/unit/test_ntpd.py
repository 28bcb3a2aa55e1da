"""The host's ntpd without a network: queries and names answered by fakes, polls driven by the test."""

from __future__ import annotations

from pathlib import Path

import pytest

from hostd.names.resolver import Resolution
from hostd.timesync.client import NtpQueryError
from hostd.timesync.config import NtpConfigStore
from hostd.timesync.daemon import UNSYNCHRONIZED_STRATUM, NtpDaemon
from hostd.timesync.wire import Reply
from pyesx.faults import NotFound

pytestmark = pytest.mark.timeout(30)


class FakeNet:
    """NTP servers by address (their stratum and offset) and DNS names; ``down`` ones do not answer."""

    def __init__(self) -> None:
        self.servers: dict[str, tuple[int, float]] = {"10.0.0.1": (2, 0.004), "10.0.0.2": (1, -0.002)}
        self.names = {"ntp.lab.lan": "10.0.0.2"}
        self.down: set[str] = set()
        self.asked: list[tuple[str, int]] = []

    async def query(self, host: str, port: int, timeout: float) -> Reply:
        self.asked.append((host, port))
        if host in self.down or host not in self.servers:
            raise NtpQueryError(f"no answer within {timeout:g} s")
        stratum, offset = self.servers[host]
        return Reply(0, stratum, "192.0.2.1", 100.0, 100.001 + offset, 100.002 + offset, 100.003)

    def resolver(self) -> FakeNet:
        return self

    async def resolve(self, name: str) -> Resolution:
        if name not in self.names:
            raise NotFound("HostName", name, f"'{name}' is not known to the DNS servers (10.0.0.53:53)")
        return Resolution(name, (self.names[name],), "10.0.0.53:53")


@pytest.fixture
def net() -> FakeNet:
    return FakeNet()


def daemon(tmp_path: Path, net: FakeNet, servers: list[str]) -> NtpDaemon:
    store = NtpConfigStore(tmp_path / "ntp.json")
    if servers:
        store.add(servers)
    return NtpDaemon(store, net.resolver, net.query, clock=lambda: 1234.5)  # type: ignore[arg-type]


async def started(ntpd: NtpDaemon) -> None:
    """Start it and wait for its first poll round (the next is a poll interval away: 64 s)."""
    ntpd.start()
    await ntpd.wait_polled()


async def test_the_reachable_server_of_lowest_stratum_is_selected(tmp_path: Path, net: FakeNet) -> None:
    ntpd = daemon(tmp_path, net, ["10.0.0.1", "ntp.lab.lan:1123"])
    await started(ntpd)
    status = ntpd.status()
    assert (status.running, status.synchronized, status.sync_server) == (True, True, "ntp.lab.lan:1123")
    assert status.stratum == 2 and status.offset_seconds == pytest.approx(-0.002)
    first, second = status.servers
    assert (first.address, first.stratum, first.reach, first.selected) == ("10.0.0.1:123", 2, 1, False)
    assert (second.address, second.stratum, second.selected, second.last_poll_time) == (
        "10.0.0.2:1123", 1, True, 1234.5,
    )  # fmt: skip
    assert first.offset_seconds == pytest.approx(0.004) and first.delay_seconds == pytest.approx(0.002)
    assert ("10.0.0.2", 1123) in net.asked
    await ntpd.stop()


async def test_reach_shifts_and_a_silent_server_loses_the_sync(tmp_path: Path, net: FakeNet) -> None:
    ntpd = daemon(tmp_path, net, ["10.0.0.1"])
    await started(ntpd)
    for _ in range(2):
        await ntpd.poll_once()
    assert ntpd.status().servers[0].reach == 0b111
    net.down.add("10.0.0.1")
    await ntpd.poll_once()
    status = ntpd.status()
    peer = status.servers[0]
    assert (peer.reach, peer.reachable, peer.selected, peer.error) == (
        0b1110,
        False,
        False,
        "no answer within 2 s",
    )
    assert (status.synchronized, status.sync_server, status.stratum) == (False, "", UNSYNCHRONIZED_STRATUM)
    net.down.clear()
    await ntpd.poll_once()
    assert ntpd.status().synchronized and ntpd.status().servers[0].reach == 0b11101
    await ntpd.stop()


async def test_a_name_dns_does_not_know_is_reported_not_synchronized(tmp_path: Path, net: FakeNet) -> None:
    ntpd = daemon(tmp_path, net, ["nosuch.lab.lan"])
    await started(ntpd)
    peer = ntpd.status().servers[0]
    assert (peer.address, peer.reachable, ntpd.status().synchronized) == ("", False, False)
    assert peer.error == "'nosuch.lab.lan' is not known to the DNS servers (10.0.0.53:53)"
    net.names["nosuch.lab.lan"] = "10.0.0.1"  # the DNS server learns it: the next poll resolves
    await ntpd.poll_once()
    assert ntpd.status().synchronized and ntpd.status().servers[0].address == "10.0.0.1:123"
    await ntpd.stop()


async def test_stopped_it_reports_the_servers_and_no_sync(tmp_path: Path, net: FakeNet) -> None:
    ntpd = daemon(tmp_path, net, ["10.0.0.1"])
    status = ntpd.status()
    assert (status.running, status.synchronized, status.stratum) == (False, False, 16)
    assert [s.server for s in status.servers] == ["10.0.0.1"] and status.servers[0].reach == 0


async def test_it_polls_by_itself_and_a_wake_polls_again(tmp_path: Path, net: FakeNet) -> None:
    ntpd = daemon(tmp_path, net, ["10.0.0.1"])
    ntpd.config.set_poll_interval(1024)
    ntpd.start()
    while ntpd.polls < 1:  # the first round runs at start
        await ntpd.wait_polled()
    ntpd.config.add(["10.0.0.2"])
    ntpd.wake()
    while ntpd.polls < 2:
        await ntpd.wait_polled()
    assert ntpd.status().sync_server == "10.0.0.2"
    await ntpd.stop()
    assert not ntpd.running

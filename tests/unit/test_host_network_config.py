"""The host's name, domain, DNS servers and search domains: validation, endpoints, persistence;
and the NTP server list."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hostd.names.config import HostNetwork, HostNetworkStore
from hostd.names.endpoints import Endpoint, parse_endpoint
from hostd.timesync.config import NtpConfigStore
from pyesx.faults import DuplicateName, InvalidArgument, NotFound


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10.0.0.1", Endpoint("10.0.0.1", 53)),
        ("10.0.0.1:5353", Endpoint("10.0.0.1", 5353)),
        ("::1", Endpoint("::1", 53)),
        ("[::1]:5353", Endpoint("::1", 5353)),
        ("[fd00::1]", Endpoint("fd00::1", 53)),
        ("NTP.Lab.lan:1123", Endpoint("ntp.lab.lan", 1123)),
    ],
)
def test_endpoints(text: str, expected: Endpoint) -> None:
    assert parse_endpoint(text, 53, "x") == expected
    assert str(Endpoint("::1", 53)) == "[::1]:53" and str(Endpoint("10.0.0.1", 53)) == "10.0.0.1:53"


@pytest.mark.parametrize(
    "text",
    [
        "",
        " 10.0.0.1",
        "10.0.0.1:0",
        "10.0.0.1:70000",
        "10.0.0.1:x",
        "[::1",
        "[10.0.0.1]:53",
        "a_b",
        "-a.lan",
        "1.2.3",
    ],
)
def test_bad_endpoints(text: str) -> None:
    with pytest.raises(InvalidArgument):
        parse_endpoint(text, 53, "x")


def test_names_are_refused_where_only_addresses_go() -> None:
    with pytest.raises(InvalidArgument, match="not an IP address"):
        parse_endpoint("dns.lan", 53, "dnsAddress", names=False)


def test_update_validates_everything_first_and_persists_atomically(tmp_path: Path) -> None:
    path = tmp_path / "etc" / "network.json"
    store = HostNetworkStore(path, "machine")
    assert store.current == HostNetwork("machine")
    for bad in (
        {"host_name": "esx_01"},
        {"host_name": "esx01.lab.lan"},  # the domain goes in domain_name
        {"host_name": "a" * 64},
        {"domain_name": "lab..lan"},
        {"dns_servers": ["10.0.0.1", "10.0.0.1"]},
        {"dns_servers": [f"10.0.0.{i}" for i in range(9)]},
        {"host_name": "esx01", "search_domains": ["ok.lan", "not ok"]},
    ):
        with pytest.raises(InvalidArgument):
            store.update(**bad)
        assert store.current == HostNetwork("machine") and not path.exists()
    store.update(host_name="esx01", domain_name="lab.lan", dns_servers=["10.0.0.53", "[::1]:5353"])
    assert json.loads(path.read_text()) == {
        "host_name": "esx01",
        "domain_name": "lab.lan",
        "dns_servers": ["10.0.0.53", "[::1]:5353"],
        "search_domains": [],
    }
    again = HostNetworkStore(path, "machine")
    assert again.current == HostNetwork("esx01", "lab.lan", ("10.0.0.53", "[::1]:5353"))
    assert again.search_list() == ["lab.lan"]  # the domain, as resolv.conf does without a search list
    again.update(search_domains=["a.lan", "b.lan"], dns_servers=[])
    assert again.search_list() == ["a.lan", "b.lan"] and again.resolver().servers == []
    assert [str(e) for e in HostNetworkStore(path, "x").resolver().search] == ["a.lan", "b.lan"]


def test_ntp_servers_add_remove_and_poll_interval(tmp_path: Path) -> None:
    store = NtpConfigStore(tmp_path / "ntp.json")
    assert store.current.servers == () and store.current.poll_interval_seconds == 64
    store.add(["10.0.0.1", "ntp.lab.lan:1123"])
    with pytest.raises(DuplicateName):
        store.add(["192.0.2.1", "NTP.lab.lan:1123"])
    with pytest.raises(InvalidArgument):
        store.add(["192.0.2.1", "bad name"])
    with pytest.raises(InvalidArgument):
        store.add([])
    with pytest.raises(NotFound):
        store.remove(["10.0.0.1", "192.0.2.9"])
    assert NtpConfigStore(tmp_path / "ntp.json").current.servers == ("10.0.0.1", "ntp.lab.lan:1123")
    store.remove(["10.0.0.1"])
    for bad in (0.0, -1.0, 2000.0, float("nan")):
        with pytest.raises(InvalidArgument):
            store.set_poll_interval(bad)
    store.set_poll_interval(0.5)
    reloaded = NtpConfigStore(tmp_path / "ntp.json").current
    assert (reloaded.servers, reloaded.poll_interval_seconds) == (("ntp.lab.lan:1123",), 0.5)

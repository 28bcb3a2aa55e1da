"""The host service table: policies, running states, what a boot and a hostd restart start."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hostd.hostservices import HostServiceTable, Runner, catalogue
from pyesx.faults import InvalidArgument, NotFound


class FakeNtpd:
    def __init__(self) -> None:
        self.running, self.starts = False, 0
        self.servers: list[str] = []

    def start(self) -> None:
        self.running, self.starts = True, self.starts + 1

    async def stop(self) -> None:
        self.running = False


def table(tmp_path: Path, ntpd: FakeNtpd) -> HostServiceTable:
    runner = Runner(ntpd.start, ntpd.stop, lambda: bool(ntpd.servers))
    return HostServiceTable(
        catalogue(runner), tmp_path / "etc" / "services.json", tmp_path / "run" / "services.json"
    )


def test_the_catalogue_in_esxi_s_words(tmp_path: Path) -> None:
    services = table(tmp_path, FakeNtpd()).all()
    assert [(s.key, s.label, s.policy, s.running, s.state_only) for s in services] == [
        ("TSM", "ESXi Shell", "off", False, True),
        ("TSM-SSH", "SSH", "off", False, True),
        ("ntpd", "NTP Daemon", "off", False, False),
    ]


async def test_start_stop_restart_run_what_stands_behind(tmp_path: Path) -> None:
    ntpd = FakeNtpd()
    services = table(tmp_path, ntpd)
    assert services.start("NTPD").running and ntpd.running  # keys are case-insensitive
    services.start("ntpd")  # already running: nothing more
    assert ntpd.starts == 1
    await services.restart("ntpd")
    assert ntpd.starts == 2 and ntpd.running
    assert not (await services.stop("ntpd")).running and not ntpd.running
    assert services.start("TSM-SSH").running  # state only
    recorded = json.loads((tmp_path / "run" / "services.json").read_text())["running"]
    assert recorded == {"TSM": False, "TSM-SSH": True, "ntpd": False}


def test_bad_keys_and_policies_change_nothing(tmp_path: Path) -> None:
    services = table(tmp_path, FakeNtpd())
    with pytest.raises(NotFound, match="no service 'httpd'"):
        services.start("httpd")
    with pytest.raises(InvalidArgument, match="'sometimes' is not one of on, off, automatic"):
        services.set_policy("ntpd", "sometimes")
    assert services.get("ntpd").policy == "off"
    assert not (tmp_path / "etc" / "services.json").exists()


@pytest.mark.parametrize(
    ("policy", "servers", "runs"),
    [
        ("on", [], True),
        ("off", ["10.0.0.1"], False),
        ("automatic", ["10.0.0.1"], True),
        ("automatic", [], False),
    ],
)
def test_a_boot_applies_the_policies(tmp_path: Path, policy: str, servers: list[str], runs: bool) -> None:
    table(tmp_path, FakeNtpd()).set_policy("ntpd", policy)
    ntpd = FakeNtpd()
    ntpd.servers = servers
    booted = table(tmp_path, ntpd)
    booted.boot()
    assert booted.get("ntpd").policy == policy
    assert (booted.get("ntpd").running, ntpd.running) == (runs, runs)


async def test_a_hostd_restart_restores_what_ran_whatever_the_policy(tmp_path: Path) -> None:
    first = table(tmp_path, FakeNtpd())
    first.boot()
    first.set_policy("TSM-SSH", "on")
    first.start("ntpd")  # policy off, started by hand
    await first.shutdown()  # hostd stops: the record stays
    ntpd = FakeNtpd()
    second = table(tmp_path, ntpd)
    second.boot()
    assert {s.key: s.running for s in second.all()} == {"TSM": False, "TSM-SSH": False, "ntpd": True}
    assert ntpd.running

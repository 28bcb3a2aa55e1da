"""Time and name resolution against real servers: a booted host's ntpd syncs with chronyd on loopback,
finding it by name through dnsmasq, the DNS server the host is configured with (not the machine's
resolv.conf). The servers come from Debian's packages (tools/install-test-services.sh)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from clients import Client
from clients.hostconfig import NtpStatus
from pyesx import faults
from tests.harness import BootedHost, wait_until
from tests.netservers import CHRONYD, DNSMASQ, SKIP_CHRONY, SKIP_DNSMASQ, ChronyServer, DnsmasqServer

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]
needs_chrony = pytest.mark.skipif(CHRONYD is None, reason=SKIP_CHRONY)
needs_dnsmasq = pytest.mark.skipif(DNSMASQ is None, reason=SKIP_DNSMASQ)
POLL = 0.2  # seconds between ntpd's polls in these tests
PYESX = str(Path(sys.executable).with_name("pyesx"))


def shell(host: BootedHost, text: str) -> subprocess.CompletedProcess[str]:
    """``pyesx shell -c TEXT`` logged in as root."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYESX_")}
    env |= {"PYESX_SERVER": host.address, "PYESX_USER": "root", "PYESX_PASSWORD": host.password}
    return subprocess.run(
        [PYESX, "shell", "-c", text], env=env, capture_output=True, text=True, timeout=60, check=False
    )


@pytest.fixture
def chrony(tmp_path: Path) -> Iterator[ChronyServer]:
    if CHRONYD is None:
        pytest.skip(SKIP_CHRONY)
    with ChronyServer(tmp_path / "chrony", stratum=8) as server:
        yield server


@pytest.fixture
def dns(tmp_path: Path) -> Iterator[DnsmasqServer]:
    if DNSMASQ is None:
        pytest.skip(SKIP_DNSMASQ)
    with DnsmasqServer(tmp_path / "dnsmasq", {"ntp.test.lan": "127.0.0.1"}) as server:
        yield server


def synchronized(client: Client) -> NtpStatus | None:
    status = client.ntp_status()
    return status if status.synchronized else None


def first_server_down(client: Client) -> NtpStatus | None:
    """The status once the first server's last poll failed."""
    status = client.ntp_status()
    return status if status.servers[0].error else None


@needs_chrony
@needs_dnsmasq
def test_ntpd_syncs_to_a_server_found_through_the_hosts_dns(
    client: Client, chrony: ChronyServer, dns: DnsmasqServer
) -> None:
    client.update_host_network(dns_servers=[dns.address], search_domains=["test.lan"])
    client.set_ntp_poll_interval(POLL)
    client.add_ntp_servers([f"ntp:{chrony.port}"])  # a short name: the search domain completes it
    assert client.ntp_status() == NtpStatus(False, False, "", 16, 0.0, client.ntp_status().servers)

    ntpd = client.start_host_service("ntpd")
    assert (ntpd.key, ntpd.label, ntpd.running, ntpd.state_only) == ("ntpd", "NTP Daemon", True, False)
    status = wait_until(lambda: synchronized(client), what="the host to synchronize")
    (peer,) = status.servers
    assert (status.sync_server, status.stratum) == (f"ntp:{chrony.port}", chrony.stratum + 1)
    assert (peer.address, peer.reachable, peer.stratum, peer.selected) == (chrony.address, True, 8, True)
    assert peer.reach & 1 and peer.error == "" and peer.delay_seconds >= 0
    assert abs(peer.offset_seconds) < 1.0  # the same machine's clock on both sides
    assert "ntp.test.lan" in dns.queries()  # resolved by the host's DNS server

    chrony.stop()
    gone = wait_until(lambda: first_server_down(client), what="the server to become unreachable")
    assert not gone.servers[0].reachable and gone.servers[0].reach & 1 == 0
    assert (gone.running, gone.synchronized, gone.sync_server, gone.stratum) == (True, False, "", 16)
    assert gone.servers[0].error in ("connection refused", "no answer within 2 s")

    stopped = client.stop_host_service("ntpd")
    assert not stopped.running and not client.ntp_status().running


@needs_dnsmasq
def test_names_resolve_through_the_configured_dns_servers(
    tmp_path: Path, client: Client, dns: DnsmasqServer
) -> None:
    with pytest.raises(faults.NotFound, match="no DNS servers are configured"):
        client.resolve_name("ntp.test.lan")
    client.update_host_network(dns_servers=[dns.address])
    found = client.resolve_name("ntp.test.lan")
    assert (found.name, found.addresses, found.dns_server) == ("ntp.test.lan", ("127.0.0.1",), dns.address)
    with pytest.raises(faults.NotFound, match=r"'nosuch\.test\.lan' is not known to the DNS servers"):
        client.resolve_name("nosuch.test.lan")

    # an NTP server the DNS server does not know: a clear error, never synchronized
    client.set_ntp_poll_interval(POLL)
    client.add_ntp_servers(["nosuch.test.lan"])
    client.start_host_service("ntpd")
    status = wait_until(lambda: first_server_down(client), what="a poll")
    assert (status.synchronized, status.servers[0].reachable, status.servers[0].address) == (False, False, "")
    assert "'nosuch.test.lan' is not known to the DNS servers" in status.servers[0].error

    # another DNS server that knows other names: the change takes effect at once
    with DnsmasqServer(tmp_path / "dnsmasq2", {"time.test.lan": "127.0.0.2"}) as other:
        client.update_host_network(dns_servers=[other.address])
        assert client.resolve_name("time.test.lan").addresses == ("127.0.0.2",)
        assert client.resolve_name("time.test.lan").dns_server == other.address
        with pytest.raises(faults.NotFound):
            client.resolve_name("ntp.test.lan")
        assert "time.test.lan" in other.queries() and "time.test.lan" not in dns.queries()

    # a DNS server that does not answer (stopped): Timedout, naming it
    client.update_host_network(dns_servers=[other.address])
    with pytest.raises(faults.Timedout, match="no DNS server answered"):
        client.resolve_name("time.test.lan")


def test_configuration_is_validated_persisted_and_applied_at_boot(tmp_path: Path) -> None:
    host = BootedHost(tmp_path / "host")
    try:
        with host.client() as client:
            before = client.host_network()
            for bad in (
                {"host_name": "bad_name"},
                {"host_name": "-esx"},
                {"dns_servers": ["10.0.0.300"]},
                {"dns_servers": ["10.0.0.1:99999"]},
                {"dns_servers": ["dns.lan"]},
                {"search_domains": ["a..b"]},
                {"host_name": "esx01", "dns_servers": ["not an ip"]},  # one bad value: nothing changes
            ):
                with pytest.raises(faults.InvalidArgument):
                    client.update_host_network(**bad)
                assert client.host_network() == before
            for bad_server in ("", "bad name", "host:0", "[::1"):
                with pytest.raises(faults.InvalidArgument):
                    client.add_ntp_servers([bad_server])
            with pytest.raises(faults.InvalidArgument, match="policy"):
                client.set_host_service_policy("ntpd", "sometimes")
            with pytest.raises(faults.NotFound):
                client.start_host_service("httpd")

            client.update_host_network(
                host_name="esx01", domain_name="lab.lan", dns_servers=["127.0.0.1:5353", "[::1]:53"]
            )
            client.add_ntp_servers(["10.0.0.1", "ntp.lab.lan:1123"])
            with pytest.raises(faults.DuplicateName):
                client.add_ntp_servers(["10.0.0.1"])
            client.set_host_service_policy("ntpd", "automatic")
            client.set_host_service_policy("TSM-SSH", "on")
            assert client.host().name == "esx01"
            ssh = next(s for s in client.host_services() if s.key == "TSM-SSH")
            assert (ssh.label, ssh.policy, ssh.running, ssh.state_only) == ("SSH", "on", False, True)
            client.start_host_service("TSM")  # started by hand, policy off

            # a hostd restart (the watchdog's) restores what ran
            os.kill(host.hostd_pid(), signal.SIGKILL)
            wait_until(lambda: host.client().host_services(), timeout=30, what="hostd back")
        with host.client() as client:
            running = {s.key: s.running for s in client.host_services()}
            assert running == {"TSM": True, "TSM-SSH": False, "ntpd": False}
    finally:
        host.stop()

    # a host boot applies the policies: on and automatic (ntpd has servers) start, off does not
    host = BootedHost(tmp_path / "host")
    try:
        with host.client() as client:
            services = {s.key: (s.policy, s.running) for s in client.host_services()}
            assert services == {"TSM": ("off", False), "TSM-SSH": ("on", True), "ntpd": ("automatic", True)}
            network = client.host_network()
            assert (network.host_name, network.domain_name, network.dns_servers) == (
                "esx01",
                "lab.lan",
                ("127.0.0.1:5353", "[::1]:53"),
            )
            assert client.ntp_config().servers == ("10.0.0.1", "ntp.lab.lan:1123")
            assert client.host().name == "esx01"
    finally:
        host.stop()


@needs_chrony
@needs_dnsmasq
def test_the_shell_walk(host: BootedHost, chrony: ChronyServer, dns: DnsmasqServer) -> None:
    with host.client() as client:
        client.set_ntp_poll_interval(POLL)  # the SDK's; the shell has no cmdlet for it
    script = (
        f"Set-VMHostNetwork -DnsAddress {dns.address} -SearchDomain test.lan | Out-Null; "
        f"Add-VMHostNtpServer ntp:{chrony.port} | Out-Null; "
        "Get-VMHostService | Where-Object Key -eq ntpd | Set-VMHostService -Policy Automatic "
        "| Start-VMHostService | ConvertTo-Json -Compress; "
        "Resolve-VMHostName ntp | ConvertTo-Json -Compress"
    )
    first = shell(host, script)
    assert (first.returncode, first.stderr) == (0, "")
    with host.client() as client:
        wait_until(lambda: synchronized(client), what="the host to synchronize")
    second = shell(
        host,
        "Get-VMHostNtpStatus -Peer | ConvertTo-Json -Compress; Get-VMHostNetwork | ConvertTo-Json -Compress",
    )
    assert (second.returncode, second.stderr) == (0, "")
    lines = first.stdout.splitlines() + second.stdout.splitlines()
    service, resolved, peer, network = (json.loads(line) for line in lines)
    assert (service["Key"], service["Policy"], service["Running"]) == ("ntpd", "automatic", True)
    assert (resolved["Name"], resolved["Address"], resolved["DnsServer"]) == (
        "ntp.test.lan",
        ["127.0.0.1"],
        dns.address,
    )
    assert (peer["Server"], peer["Address"], peer["Stratum"], peer["Selected"]) == (
        f"ntp:{chrony.port}", chrony.address, 8, True,
    )  # fmt: skip
    assert (network["DnsAddress"], network["SearchDomain"]) == ([dns.address], ["test.lan"])

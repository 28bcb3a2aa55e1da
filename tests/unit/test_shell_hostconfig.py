"""Host services, NTP and name resolution cmdlets against the fake host (hostd's own domain objects;
ntpd's queries answered by the fake: 127.0.0.1 is a stratum-3 server, anything else is refused)."""

from __future__ import annotations

import json

import pytest

from tests.unit.shell_fake import FakeConnector, run

pytestmark = pytest.mark.timeout(30)


def _lines(out: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in out.splitlines()]


def test_services_table_start_stop_and_policy(capsys: pytest.CaptureFixture[str]) -> None:
    fake = FakeConnector()
    table = run(capsys, "Get-VMHostService", fake)
    assert (table.code, table.err) == (0, "")
    assert table.out.split("\n")[1].split() == ["Key", "Label", "Policy", "Running", "Required"]
    assert "ntpd    NTP Daemon off    False   False" in table.out

    script = (
        "Get-VMHostService | Where-Object Key -eq 'ntpd' | Start-VMHostService | ConvertTo-Json -Compress; "
        "Set-VMHostService TSM-SSH -Policy Automatic -Confirm:$false | ConvertTo-Json -Compress; "
        "Stop-VMHostService 'NTP Daemon' -Confirm:$false | ConvertTo-Json -Compress"
    )
    result = run(capsys, script, fake)
    assert (result.code, result.err) == (0, "")
    started, ssh, stopped = _lines(result.out)
    assert (started["Key"], started["Running"], started["StateOnly"], started["VMHost"]) == (
        "ntpd", True, False, "fakehost",
    )  # fmt: skip
    assert (ssh["Label"], ssh["Policy"], ssh["StateOnly"]) == ("SSH", "automatic", True)
    assert stopped["Running"] is False

    bad = run(capsys, "Set-VMHostService ntpd -Policy Sometimes", fake)
    assert bad.code == 1 and "Cannot convert value 'Sometimes' to type ServicePolicy" in bad.err
    missing = run(capsys, "Start-VMHostService httpd", fake)
    assert missing.code == 1 and "NotFound: The host has no service 'httpd'." in missing.err
    assert run(capsys, "Restart-VMHostService ntpd -WhatIf", fake).out == (
        'What if: Performing the operation "Restart" on target "ntpd".\n'
    )


def test_ntp_servers_and_status(capsys: pytest.CaptureFixture[str]) -> None:
    fake = FakeConnector()
    script = (
        "Add-VMHostNtpServer 127.0.0.1, '10.9.9.9:1123' | Out-Null; Get-VMHostNtpServer; "
        "Start-VMHostService ntpd | Out-Null; Get-VMHostNtpStatus | ConvertTo-Json -Compress -Depth 3"
    )
    result = run(capsys, script, fake)
    assert (result.code, result.err) == (0, "")
    lines = result.out.splitlines()
    assert lines[:2] == ["127.0.0.1", "10.9.9.9:1123"]
    status = json.loads(lines[2])
    assert (status["Running"], status["Synchronized"], status["SyncServer"], status["Stratum"]) == (
        True, True, "127.0.0.1", 4,
    )  # fmt: skip
    good, bad = status["Servers"]
    assert (good["Address"], good["Reach"], good["Stratum"], good["Selected"]) == (
        "127.0.0.1:123",
        "3",
        3,
        True,
    )
    assert (bad["Reachable"], bad["Error"]) == (False, "connection refused")

    peers = run(capsys, "Get-VMHostNtpStatus -Peer", fake).out
    assert peers.split("\n")[1].split()[:4] == ["Server", "Address", "Reach", "Stratum"]

    dup = run(capsys, "Add-VMHostNtpServer 127.0.0.1", fake)
    assert dup.code == 1 and "DuplicateName: The NTP server '127.0.0.1' is already configured." in dup.err
    assert run(capsys, "Add-VMHostNtpServer 10.0.0.7 -WhatIf", fake).out == (
        'What if: Performing the operation "Add" on target "10.0.0.7".\n'
    )
    assert (
        run(
            capsys, "Get-VMHostNtpServer | Remove-VMHostNtpServer -Confirm:$false; Get-VMHostNtpServer", fake
        ).out
        == ""
    )
    after = run(capsys, "Get-VMHostNtpStatus | ConvertTo-Json -Compress", fake).json()
    assert (after["Synchronized"], after["Stratum"], after["Servers"]) == (False, 16, [])


def test_host_network_get_set_and_resolve(capsys: pytest.CaptureFixture[str]) -> None:
    fake = FakeConnector()
    shown = run(capsys, "Get-VMHostNetwork | ConvertTo-Json -Compress", fake).json()
    assert shown == {
        "HostName": "fakehost",
        "DomainName": "",
        "DnsAddress": [],
        "SearchDomain": [],
        "DnsFromDhcp": False,
    }
    script = (
        "Get-VMHostNetwork | Set-VMHostNetwork -HostName esx01 -DomainName lab.lan "
        "-DnsAddress 127.0.0.1:5353, 10.0.0.53 -SearchDomain lab.lan | ConvertTo-Json -Compress"
    )
    changed = run(capsys, script, fake).json()
    assert (changed["HostName"], changed["DnsAddress"], changed["SearchDomain"]) == (
        "esx01", ["127.0.0.1:5353", "10.0.0.53"], ["lab.lan"],
    )  # fmt: skip

    bad = run(capsys, "Set-VMHostNetwork -HostName 'bad_name' -DnsAddress 10.0.0.1", fake)
    assert bad.code == 1 and "InvalidArgument" in bad.err and "'bad_name' is not a valid host name" in bad.err
    assert run(capsys, "(Get-VMHostNetwork).HostName", fake).out == "esx01\n"  # nothing changed
    cleared = run(
        capsys, "Set-VMHostNetwork -DnsAddress @() -DomainName $null | ConvertTo-Json -Compress", fake
    )
    assert (cleared.json()["DnsAddress"], cleared.json()["DomainName"]) == ([], "")

    resolved = run(capsys, "Resolve-VMHostName 192.0.2.1, localhost | ConvertTo-Json -Compress", fake)
    assert [r["Address"] for r in json.loads(resolved.out)] == [["192.0.2.1"], ["127.0.0.1", "::1"]]
    unknown = run(capsys, "Resolve-VMHostName ntp.lab.lan", fake)
    assert unknown.code == 1 and "no DNS servers are configured" in unknown.err

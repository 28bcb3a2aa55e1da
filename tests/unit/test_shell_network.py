"""The network cmdlets against the fake host (whose switches are the VMkernel's own table)."""

from __future__ import annotations

import json

import pytest

from tests.unit.shell_fake import FakeConnector, run

pytestmark = pytest.mark.timeout(30)


def _lines(out: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in out.splitlines()]


def test_switches_and_port_groups(capsys: pytest.CaptureFixture[str]) -> None:
    fake = FakeConnector()
    script = (
        "New-VirtualSwitch -Name vSwitch1 -NumPorts 64 -Mtu 9000 -Nic vmnic1 | Out-Null; "
        "Get-VirtualSwitch -Name vSwitch1 | New-VirtualPortGroup -Name Storage -VLanId 20 | Out-Null; "
        "Get-VirtualSwitch vSwitch1 | ConvertTo-Json -Compress; "
        "Get-VirtualPortGroup -VirtualSwitch vSwitch1 | ConvertTo-Json -Compress"
    )
    result = run(capsys, script, fake)
    assert (result.code, result.err) == (0, "")
    vswitch, port_group = _lines(result.out)
    assert (vswitch["Name"], vswitch["NumPorts"], vswitch["Mtu"], vswitch["Nic"]) == (
        "vSwitch1",
        64,
        9000,
        ["vmnic1"],
    )
    assert (port_group["Name"], port_group["VLanId"], port_group["VirtualSwitchName"]) == (
        "Storage",
        20,
        "vSwitch1",
    )

    script = "Get-VirtualPortGroup Storage | Set-VirtualPortGroup -VLanId 4095 | ConvertTo-Json -Compress"
    assert run(capsys, script, fake).json()["VLanId"] == 4095
    assert (
        run(capsys, "Get-VirtualPortGroup Storage | Remove-VirtualPortGroup -Confirm:$false", fake).code == 0
    )
    assert run(capsys, "Remove-VirtualSwitch vSwitch1 -Confirm:$false", fake).code == 0
    assert run(capsys, "Get-VirtualSwitch | ConvertTo-Json -Compress", fake).json()["Name"] == "vSwitch0"


def test_security_policy_overrides_and_inheritance(capsys: pytest.CaptureFixture[str]) -> None:
    fake = FakeConnector()
    script = (
        "Get-VirtualPortGroup 'VM Network' | Get-SecurityPolicy | Set-SecurityPolicy -AllowPromiscuous $true "
        "| ConvertTo-Json -Compress"
    )
    shown = run(capsys, script, fake).json()
    assert (shown["AllowPromiscuous"], shown["AllowPromiscuousInherited"]) == (True, False)
    assert (shown["MacChanges"], shown["MacChangesInherited"]) == (True, True)
    script = (
        "Get-VirtualSwitch vSwitch0 | Get-SecurityPolicy | Set-SecurityPolicy -ForgedTransmits $false "
        "| Out-Null; Get-SecurityPolicy -VirtualPortGroup 'VM Network' "
        "| Set-SecurityPolicy -AllowPromiscuousInherited $true | ConvertTo-Json -Compress"
    )
    shown = run(capsys, script, fake).json()
    assert (shown["AllowPromiscuous"], shown["ForgedTransmits"], shown["ForgedTransmitsInherited"]) == (
        False,
        False,
        True,
    )


def test_host_network_adapters(capsys: pytest.CaptureFixture[str]) -> None:
    result = run(capsys, "Get-VMHostNetworkAdapter -VMKernel | ConvertTo-Json -Compress")
    shown = result.json()
    assert (shown["Name"], shown["IP"], shown["PortGroupName"]) == (
        "vmk0",
        "192.168.1.10",
        "Management Network",
    )
    adapters = run(capsys, "Get-VMHostNetworkAdapter -Physical | ConvertTo-Json -Compress").json()
    assert [a["Name"] for a in adapters] == ["vmnic0", "vmnic1", "vmnic2", "vmnic3"]


@pytest.mark.parametrize(
    ("script", "fault"),
    [
        ("New-VirtualPortGroup -VirtualSwitch vSwitch0 -Name X -VLanId 4096", "InvalidArgument"),
        ("New-VirtualSwitch -Name vSwitch1 -Nic vmnic0", "InvalidState"),
        ("New-VirtualSwitch -Name vSwitch0", "DuplicateName"),
        ("Get-VirtualSwitch nope", "NotFound"),
        ("Remove-VirtualPortGroup 'Management Network' -Confirm:$false", "InvalidState"),
    ],
)
def test_bad_network_commands_name_the_fault(
    capsys: pytest.CaptureFixture[str], script: str, fault: str
) -> None:
    result = run(capsys, script)
    assert result.code == 1 and len(result.err_lines) == 1 and f": {fault}:" in result.err


def test_a_physical_nic_wired_to_a_udp_endpoint(capsys: pytest.CaptureFixture[str]) -> None:
    fake = FakeConnector()
    script = (
        "Set-VMHostNetworkAdapter vmnic1 -UdpEndpoint 127.0.0.1:4789 -UdpPeer 127.0.0.1:4790 | ConvertTo-Json"
    )
    shown = run(capsys, script, fake).json()
    assert (shown["Name"], shown["UdpEndpoint"], shown["UdpPeer"]) == (
        "vmnic1",
        "127.0.0.1:4789",
        "127.0.0.1:4790",
    )
    result = run(
        capsys, "Set-VMHostNetworkAdapter vmnic1 -UdpEndpoint 192.168.0.1:1 -UdpPeer 127.0.0.1:2", fake
    )
    assert result.code == 1 and "InvalidArgument" in result.err

"""The frame path on a booted host: guests ping each other across the vSwitch, VLANs isolate, the
security policy holds on real frames, ports run out (issue 5, network)."""

from __future__ import annotations

import csv
import io
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from clients import Client
from clients.model import PerfSample
from pyesx import faults
from pyesx.api.v1.performance_pb2 import NetPortStat
from tests.harness import BootedHost, wait_until
from tests.integration.test_shell_host import ok, shell

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


def _vm(client: Client, name: str, network: str, **settings: str) -> str:
    task = client.create_vm(name, memory_mb=64, network_names=[network])
    vm = client.wait_for_task(task.id).result_entity_id
    client.wait_for_task(client.reconfigure_vm(vm, set_extra_config=settings).id)
    client.wait_for_task(client.power_on(vm).id)
    return vm


def _counter(client: Client, vm: str, name: str) -> float:
    return client.guest_info(vm).counters.get(name, 0.0)


def _port(client: Client, vm: str) -> NetPortStat:
    [port] = [p for p in client.net_stats().ports if p.vm_id == vm]
    return port


def test_one_guest_pings_another_across_the_vswitch(host: BootedHost, client: Client) -> None:
    target = _vm(client, "b", "VM Network", **{"sim.net.ip": "10.0.0.2/24"})
    pinger = _vm(client, "a", "VM Network", **{"sim.net.ip": "10.0.0.1/24", "sim.net.ping": "10.0.0.2"})
    wait_until(lambda: _counter(client, pinger, "net.pings_received") >= 2, what="two echo replies")
    assert client.guest_info(pinger).ip_address == "10.0.0.1"
    assert 0 < _counter(client, pinger, "net.last_rtt_ms") < 1000
    sent, received = _port(client, pinger), _port(client, target)
    assert sent.packets_in >= 3 and received.packets_out >= 3  # ARP, then echo requests


def test_vlans_isolate_and_a_promiscuous_port_sees_its_vlans_traffic(
    host: BootedHost, client: Client
) -> None:
    for name, vlan in (("VLAN10", 10), ("VLAN20", 20)):
        client.create_port_group("vSwitch0", name, vlan_id=vlan)
    client.create_port_group("vSwitch0", "Sniff10", vlan_id=10)
    client.update_port_group("Sniff10", security={"allow_promiscuous": True})
    _vm(client, "same", "VLAN10", **{"sim.net.ip": "10.1.0.2/24"})
    _vm(client, "other", "VLAN20", **{"sim.net.ip": "10.1.0.3/24"})
    sniffer = _vm(
        client, "sniffer", "Sniff10", **{"sim.net.ip": "10.1.0.9/24", "sim.net.promiscuous": "TRUE"}
    )
    blind = _vm(client, "blind", "VLAN10", **{"sim.net.ip": "10.1.0.8/24", "sim.net.promiscuous": "TRUE"})
    near = _vm(client, "near", "VLAN10", **{"sim.net.ip": "10.1.0.1/24", "sim.net.ping": "10.1.0.2"})
    far = _vm(client, "far", "VLAN10", **{"sim.net.ip": "10.1.0.4/24", "sim.net.ping": "10.1.0.3"})
    wait_until(lambda: _counter(client, near, "net.pings_received") >= 2, what="pings within VLAN 10")
    wait_until(lambda: _counter(client, sniffer, "net.others_seen") >= 2, what="the sniffer seeing unicast")
    assert _counter(client, far, "net.pings_received") == 0  # 10.1.0.3 is on VLAN 20: never answers
    assert _counter(client, blind, "net.others_seen") == 0  # promiscuous, but its port group rejects it


def test_forged_transmits_rejected_drops_a_spoofed_source(host: BootedHost, client: Client) -> None:
    client.create_port_group("vSwitch0", "Strict")
    client.update_port_group("Strict", security={"forged_transmits": False})
    _vm(client, "honest", "Strict", **{"sim.net.ip": "10.2.0.2/24"})
    settings = {"sim.net.ip": "10.2.0.1/24", "sim.net.ping": "10.2.0.2", "sim.net.spoof": "00:50:56:3f:ff:01"}
    liar = _vm(client, "liar", "Strict", **settings)
    wait_until(lambda: _port(client, liar).drops.get("forged_source", 0) >= 2, what="spoofed frames dropped")
    assert _counter(client, liar, "net.pings_received") == 0


def test_the_ports_of_a_switch_run_out(host: BootedHost, client: Client) -> None:
    client.create_virtual_switch("vSwitch1", num_ports=8)
    client.create_port_group("vSwitch1", "Small")
    for i in range(8):
        _vm(client, f"p{i}", "Small")
    task = client.create_vm("p8", memory_mb=64, network_names=["Small"])
    ninth = client.wait_for_task(task.id).result_entity_id
    with pytest.raises(faults.InsufficientResourcesFault) as raised:
        client.wait_for_task(client.power_on(ninth).id)
    assert "vSwitch1" in raised.value.resource
    assert client.get_vm(ninth).power_state == "poweredOff"


def test_only_the_vms_own_worlds_reach_its_port(host: BootedHost, client: Client) -> None:
    from pyesx import netio

    vm = _vm(client, "mine", "VM Network")
    with pytest.raises(PermissionError, match="may not use"):
        netio.connect(str(host.root / "run/net.sock"), vm, "ethernet0")  # this process is no world of it


def test_network_counters_in_esxtop_and_get_stat(tmp_path: Path) -> None:
    host = BootedHost(tmp_path / "host", args=["--stats-interval", "1"])
    try:
        with host.client() as client:
            _vm(client, "echo", "VM Network", **{"sim.net.ip": "10.3.0.2/24"})
            pinger = _vm(
                client, "ping", "VM Network", **{"sim.net.ip": "10.3.0.1/24", "sim.net.ping": "10.3.0.2"}
            )

            def sampled() -> list[PerfSample] | None:
                samples = client.query_perf(pinger, ["net.packetsTx.summation"], instance="ethernet0")
                return samples if sum(s.value for s in samples) >= 2 else None

            wait_until(sampled, timeout=30, what="packets in the net counters")
            env = {k: v for k, v in os.environ.items() if not k.startswith("PYESX_")}
            env |= {"PYESX_SERVER": host.address, "PYESX_USER": "root", "PYESX_PASSWORD": host.password}
            done = subprocess.run(
                [
                    str(Path(sys.executable).with_name("pyesx")),
                    "esxtop",
                    "-b",
                    "--view",
                    "network",
                    "-n",
                    "1",
                    "-d",
                    "2.5",
                ],
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert (done.returncode, done.stderr) == (0, "")
            rows = {row["VM"]: row for row in csv.DictReader(io.StringIO(done.stdout))}
            assert float(rows[pinger]["PKTTX/s"]) > 0 and float(rows[pinger]["PKTRX/s"]) > 0
            assert float(rows[pinger]["%DRPTX"]) == 0
    finally:
        host.stop()


def test_a_running_nic_disconnects_reconnects_and_moves(host: BootedHost, client: Client) -> None:
    client.create_port_group("vSwitch0", "Isolated", vlan_id=99)
    _vm(client, "peer", "VM Network", **{"sim.net.ip": "10.4.0.2/24"})
    vm = _vm(client, "mover", "VM Network", **{"sim.net.ip": "10.4.0.1/24", "sim.net.ping": "10.4.0.2"})

    def replies() -> float:
        return _counter(client, vm, "net.pings_received")

    wait_until(lambda: replies() >= 1, what="a first reply")
    client.wait_for_task(client.reconfigure_vm(vm, change_nics=[{"key": "ethernet0", "connected": False}]).id)
    assert client.get_vm(vm).network_adapters[0].connected is False
    before = replies()
    wait_until(lambda: _port(client, vm).drops.get("port_down", 0) >= 2, what="pings into a down port")
    assert replies() == before
    client.wait_for_task(client.reconfigure_vm(vm, change_nics=[{"key": "ethernet0", "connected": True}]).id)
    wait_until(lambda: replies() > before, what="replies once connected again")
    client.wait_for_task(
        client.reconfigure_vm(vm, change_nics=[{"key": "ethernet0", "network_name": "Isolated"}]).id
    )
    assert client.get_vm(vm).network_adapters[0].network_name == "Isolated"
    assert _port(client, vm).port_group == "Isolated"
    moved = replies()
    wait_until(lambda: _port(client, vm).packets_in >= 2, what="frames on the new port")
    wait_until(lambda: _counter(client, vm, "net.pings_sent") >= 2, what="pings keep going")
    assert replies() == moved  # VLAN 99 holds no 10.4.0.2


def test_network_adapters_through_the_shell(host: BootedHost, client: Client) -> None:
    client.wait_for_task(client.create_vm("nics", memory_mb=64).id)
    [nic] = ok(
        host,
        "Get-VM nics | New-NetworkAdapter -NetworkName 'VM Network' -Type e1000 "
        "-MacAddress 00:50:56:00:12:34 -StartConnected | ConvertTo-Json -Compress -Depth 3",
    )
    assert (nic["Name"], nic["Type"], nic["MacAddress"]) == (
        "Network adapter 2",
        "E1000",
        "00:50:56:00:12:34",
    )
    result = shell(
        host, "Get-VM nics | New-NetworkAdapter -NetworkName 'VM Network' -MacAddress 00:50:56:7f:00:01"
    )
    assert result.returncode == 1 and "InvalidArgument" in result.stderr  # outside VMware's static range
    ok(host, "Get-NetworkAdapter nics 'Network adapter 2' | Remove-NetworkAdapter -Confirm:$false")
    [vm] = client.list_vms(["nics"])
    assert [n.key for n in vm.network_adapters] == ["ethernet0"]


def test_mac_changes_rejected_keeps_frames_from_a_guest_that_took_another_mac(
    host: BootedHost, client: Client
) -> None:
    client.create_port_group("vSwitch0", "NoMacChange")
    client.update_port_group("NoMacChange", security={"mac_changes": False})
    changer = _vm(
        client, "changer", "NoMacChange", **{"sim.net.ip": "10.5.0.2/24", "sim.net.mac": "00:50:56:00:aa:01"}
    )
    pinger = _vm(client, "asker", "NoMacChange", **{"sim.net.ip": "10.5.0.1/24", "sim.net.ping": "10.5.0.2"})
    wait_until(
        lambda: _port(client, changer).drops.get("mac_changed", 0) >= 1, what="frames to the new MAC dropped"
    )
    assert _counter(client, pinger, "net.pings_received") == 0


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_two_hosts_switches_form_one_segment_over_a_udp_wire(tmp_path: Path) -> None:
    """vmnic0 of host A and of host B wired to each other on loopback: a VM on A pings a VM on B."""
    ports = [_free_udp_port(), _free_udp_port()]
    hosts = [BootedHost(tmp_path / "a"), BootedHost(tmp_path / "b")]
    try:
        clients = [h.client() for h in hosts]
        for client, (mine, theirs) in zip(clients, (ports, ports[::-1]), strict=True):
            wired = client.set_physical_nic_link("vmnic0", f"127.0.0.1:{mine}", f"127.0.0.1:{theirs}")
            assert wired.udp_endpoint == f"127.0.0.1:{mine}"
        _vm(clients[1], "far", "VM Network", **{"sim.net.ip": "10.6.0.2/24"})
        near = _vm(
            clients[0], "near", "VM Network", **{"sim.net.ip": "10.6.0.1/24", "sim.net.ping": "10.6.0.2"}
        )
        wait_until(
            lambda: _counter(clients[0], near, "net.pings_received") >= 2, what="replies from the other host"
        )
        with pytest.raises(faults.InvalidArgument):
            clients[0].set_physical_nic_link("vmnic1", "10.0.0.1:4789", "127.0.0.1:4790")  # not loopback
        for client in clients:
            client.close()
    finally:
        for host in hosts:
            host.stop()

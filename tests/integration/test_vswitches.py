"""Standard vSwitches and port groups through the public API (issue 5, network configuration)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from clients import Client
from clients.network import ShapingPolicy
from pyesx import faults
from tests.harness import BootedHost

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]


def test_the_install_network_and_esxi_defaults(client: Client) -> None:
    [vswitch0] = client.virtual_switches()
    assert (vswitch0.name, vswitch0.num_ports, vswitch0.mtu, vswitch0.uplinks) == (
        "vSwitch0",
        128,
        1500,
        ("vmnic0",),
    )
    assert (
        vswitch0.security.allow_promiscuous,
        vswitch0.security.mac_changes,
        vswitch0.security.forged_transmits,
    ) == (
        False,
        True,
        True,
    )
    management = next(p for p in vswitch0.port_groups if p.name == "Management Network")
    assert management.vmkernel_nics == ("vmk0",) and management.security.allow_promiscuous is None
    adapters = {a.name: a for a in client.host_network_adapters()}
    assert adapters["vmnic0"].virtual_switch == "vSwitch0" and adapters["vmnic1"].virtual_switch == ""
    assert (adapters["vmk0"].kind, adapters["vmk0"].port_group, adapters["vmk0"].ip) == (
        "vmkernel",
        "Management Network",
        "127.0.0.1",
    )


def test_switches_and_port_groups_change_and_survive_a_restart(tmp_path: Path) -> None:
    host = BootedHost(tmp_path / "host")
    try:
        with host.client() as client:
            client.create_virtual_switch("vSwitch1", num_ports=64, mtu=9000, uplinks=["vmnic1"])
            client.create_port_group("vSwitch1", "Storage", vlan_id=20)
            changed = client.update_port_group(
                "Storage",
                security={"allow_promiscuous": True},
                shaping=ShapingPolicy(True, 10**6, 2 * 10**6, 65536),
            )
            assert changed.effective_security.allow_promiscuous is True
            assert changed.effective_security.mac_changes is True  # inherited from the switch
            assert changed.shaping_override and changed.shaping.average_bps == 10**6
            client.update_virtual_switch("vSwitch1", security={"mac_changes": False})
            vm = client.wait_for_task(client.create_vm("db01", network_names=["Storage"]).id).result_entity_id
            assert client.get_vm(vm).network_adapters[0].network_name == "Storage"
        host.stop()
        config = json.loads((tmp_path / "host/etc/esx.conf.json").read_text())
        assert [v["name"] for v in config["vswitches"]] == ["vSwitch0", "vSwitch1"]
        host = BootedHost(tmp_path / "host")
        with host.client() as client:
            [storage] = [p for p in client.port_groups() if p.name == "Storage"]
            assert (storage.vlan_id, storage.virtual_switch) == (20, "vSwitch1")
            assert storage.effective_security.mac_changes is False  # the switch's new policy
            with pytest.raises(faults.InvalidState):
                client.remove_port_group("Storage")  # db01's NIC is on it
            with pytest.raises(faults.InvalidState):
                client.remove_virtual_switch("vSwitch1")
            client.update_port_group("Storage", inherit_security=["allow_promiscuous"], inherit_shaping=True)
            [storage] = [p for p in client.port_groups() if p.name == "Storage"]
            assert storage.effective_security.allow_promiscuous is False and not storage.shaping_override
    finally:
        host.stop()


def test_removing_what_is_free(client: Client) -> None:
    client.create_virtual_switch("vSwitch9", uplinks=["vmnic3"])
    client.create_port_group("vSwitch9", "Lab", vlan_id=4095)
    client.remove_port_group("Lab")
    client.remove_virtual_switch("vSwitch9")
    assert [v.name for v in client.virtual_switches()] == ["vSwitch0"]
    with pytest.raises(faults.InvalidState):
        client.remove_port_group("Management Network")  # vmk0 is on it
    with pytest.raises(faults.InvalidState):
        client.remove_virtual_switch("vSwitch0")


@pytest.mark.parametrize(
    "attempt",
    [
        lambda c: c.create_port_group("vSwitch0", "Bad", vlan_id=4096),
        lambda c: c.create_port_group("vSwitch0", "Bad", vlan_id=-1),
        lambda c: c.create_port_group("vSwitch0", "VM Network"),
        lambda c: c.create_port_group("nope", "Bad"),
        lambda c: c.create_port_group("vSwitch0", "../x"),
        lambda c: c.create_virtual_switch("vSwitch0"),
        lambda c: c.create_virtual_switch("vSwitch1", num_ports=4097),
        lambda c: c.create_virtual_switch("vSwitch1", num_ports=4000),  # 4096 ports per host
        lambda c: c.create_virtual_switch("vSwitch1", mtu=100),
        lambda c: c.create_virtual_switch("vSwitch1", uplinks=["vmnic0"]),  # vSwitch0's
        lambda c: c.create_virtual_switch("vSwitch1", uplinks=["vmnic7"]),
        lambda c: c.update_virtual_switch("vSwitch0", shaping=ShapingPolicy(True, 10**6, 10**5, 1)),
        lambda c: c.update_port_group("VM Network", inherit_security=["bogus"]),
    ],
)
def test_bad_network_changes_are_refused_and_change_nothing(client: Client, attempt: object) -> None:
    before = client.virtual_switches()
    with pytest.raises((faults.InvalidArgument, faults.DuplicateName, faults.NotFound, faults.InvalidState)):
        attempt(client)  # type: ignore[operator]
    assert client.virtual_switches() == before

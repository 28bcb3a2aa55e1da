"""The network stack's configuration: standard vSwitches, their port groups and policies.

Everything is kept in esx.conf (saved on every change; a change that cannot be
saved is undone). Validation follows ESXi's configuration maximums: 127
standard switches and 4096 ports per host, 256 port groups per switch, VLAN ids
0-4095, MTU 1280-9000; port group names are unique on the host; a physical NIC
is the uplink of at most one switch.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Iterator
from typing import Literal

from pyesx.api.v1 import host_pb2, network_pb2
from pyesx.faults import DuplicateName, InvalidArgument, InvalidState, NotFound
from pyesx.layout import HostLayout, check_entity_name
from vmkernel.config import EsxConfig, PortGroupConfig, SecurityPolicy, ShapingPolicy, VSwitchConfig

MAX_VSWITCHES = 127
MAX_HOST_PORTS = 4096
MAX_PORT_GROUPS = 256
MIN_PORTS, MAX_PORTS = 8, 4096
MIN_MTU, MAX_MTU = 1280, 9000
MAX_VLAN = 4095
MAX_RATE = 10**13  # bits/s (10 Tb/s) and bytes: anything larger is a mistake
PHYSICAL_NICS = ("vmnic0", "vmnic1", "vmnic2", "vmnic3")
PHYSICAL_SPEED_MB = 10_000
SecurityField = Literal["allow_promiscuous", "mac_changes", "forged_transmits"]
SECURITY_FIELDS: tuple[SecurityField, ...] = ("allow_promiscuous", "mac_changes", "forged_transmits")


def physical_mac(hostname: str, nic: str) -> str:
    """A stable MAC for a simulated physical NIC (locally administered, so never VMware's ranges)."""
    digest = hashlib.sha256(f"{hostname}/{nic}".encode()).digest()
    return ":".join(f"{b:02x}" for b in (0x02, *digest[:5]))


def _security_proto(policy: SecurityPolicy) -> host_pb2.SecurityPolicy:
    out = host_pb2.SecurityPolicy()
    for name in SECURITY_FIELDS:
        value = getattr(policy, name)
        if value is not None:
            setattr(out, name, value)
    return out


def _shaping_proto(policy: ShapingPolicy) -> host_pb2.ShapingPolicy:
    return host_pb2.ShapingPolicy(
        enabled=policy.enabled,
        average_bps=policy.average_bps,
        peak_bps=policy.peak_bps,
        burst_bytes=policy.burst_bytes,
    )


def _check_shaping(spec: host_pb2.ShapingPolicy) -> ShapingPolicy:
    for name in ("average_bps", "peak_bps", "burst_bytes"):
        value = getattr(spec, name)
        if not 0 < value <= MAX_RATE:
            raise InvalidArgument(f"shaping.{name}", f"{value} is not between 1 and {MAX_RATE}")
    if spec.peak_bps < spec.average_bps:
        raise InvalidArgument("shaping.peak_bps", "the peak bandwidth is lower than the average")
    return ShapingPolicy(spec.enabled, spec.average_bps, spec.peak_bps, spec.burst_bytes)


def _loopback(address: str, argument: str) -> str:
    """A "127.x.x.x:port" UDP address; InvalidArgument otherwise (uplinks stay on this machine)."""
    host, _, port = address.rpartition(":")
    if not host.startswith("127.") or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise InvalidArgument(argument, f"'{address}' is not a loopback address and port like 127.0.0.1:4789")
    return f"{host}:{int(port)}"


def _check_vlan(vlan_id: int) -> int:
    if not 0 <= vlan_id <= MAX_VLAN:
        raise InvalidArgument("vlanId", f"{vlan_id} is not a VLAN id (0 none, 1-4094, 4095 all)")
    return vlan_id


class VirtualSwitchTable:
    """The host's standard vSwitches, as esx.conf records them."""

    def __init__(self, layout: HostLayout, config: EsxConfig, management_ip: str = "") -> None:
        self.layout, self.config, self.management_ip = layout, config, management_ip

    # -- lookup -----------------------------------------------------------------------------------

    def _switch(self, name: str) -> VSwitchConfig:
        for vswitch in self.config.vswitches:
            if vswitch.name == name:
                return vswitch
        raise NotFound("VirtualSwitch", name)

    def _port_groups(self) -> Iterator[tuple[VSwitchConfig, PortGroupConfig]]:
        for vswitch in self.config.vswitches:
            for port_group in vswitch.port_groups:
                yield vswitch, port_group

    def _port_group(self, name: str) -> tuple[VSwitchConfig, PortGroupConfig]:
        for vswitch, port_group in self._port_groups():
            if port_group.name == name:
                return vswitch, port_group
        raise NotFound("PortGroup", name)

    # -- views ------------------------------------------------------------------------------------

    def port_group_proto(self, vswitch: VSwitchConfig, port_group: PortGroupConfig) -> host_pb2.PortGroup:
        effective = SecurityPolicy(
            *(
                getattr(port_group.security, f)
                if getattr(port_group.security, f) is not None
                else getattr(vswitch.security, f)
                for f in SECURITY_FIELDS
            )
        )
        return host_pb2.PortGroup(
            name=port_group.name,
            vlan_id=port_group.vlan_id,
            virtual_switch=vswitch.name,
            security=_security_proto(port_group.security),
            effective_security=_security_proto(effective),
            shaping=_shaping_proto(port_group.shaping or vswitch.shaping),
            shaping_override=port_group.shaping is not None,
            vmkernel_nics=port_group.vmkernel_nics,
        )

    def switch_proto(self, vswitch: VSwitchConfig) -> host_pb2.VirtualSwitch:
        return host_pb2.VirtualSwitch(
            name=vswitch.name,
            num_ports=vswitch.num_ports,
            uplinks=vswitch.uplinks,
            port_groups=[self.port_group_proto(vswitch, p) for p in vswitch.port_groups],
            mtu=vswitch.mtu,
            security=_security_proto(vswitch.security),
            shaping=_shaping_proto(vswitch.shaping),
        )

    def switches(self) -> list[host_pb2.VirtualSwitch]:
        return [self.switch_proto(v) for v in self.config.vswitches]

    def adapters(self) -> list[host_pb2.HostNetworkAdapter]:
        """The physical NICs, then the VMkernel NICs."""
        uplink_of = {nic: v.name for v in self.config.vswitches for nic in v.uplinks}
        out = [
            host_pb2.HostNetworkAdapter(
                name=nic,
                kind="physical",
                mac=physical_mac(self.config.hostname, nic),
                mtu=self._switch(uplink_of[nic]).mtu if nic in uplink_of else 1500,
                speed_mb=PHYSICAL_SPEED_MB,
                virtual_switch=uplink_of.get(nic, ""),
                udp_endpoint=(self.nic_link(nic) or ("", ""))[0],
                udp_peer=(self.nic_link(nic) or ("", ""))[1],
            )
            for nic in PHYSICAL_NICS
        ]
        for vswitch, port_group in self._port_groups():
            for vmk in port_group.vmkernel_nics:
                out.append(
                    host_pb2.HostNetworkAdapter(
                        name=vmk,
                        kind="vmkernel",
                        mac=physical_mac(self.config.hostname, vmk),
                        mtu=vswitch.mtu,
                        virtual_switch=vswitch.name,
                        port_group=port_group.name,
                        ip=self.management_ip,
                        subnet_mask="255.0.0.0" if self.management_ip.startswith("127.") else "255.255.255.0",
                    )
                )
        return out

    # -- physical NICs' wires ----------------------------------------------------------------------

    def set_nic_link(self, nic: str, local: str, peer: str) -> None:
        """Wire a physical NIC to a UDP endpoint on loopback (``local`` bound here, frames sent to
        ``peer``), or unwire it (both empty): two hosts' switches then form one segment."""
        if nic not in PHYSICAL_NICS:
            raise NotFound("PhysicalNic", nic)
        before = dict(self.config.nic_links)
        if not local and not peer:
            self.config.nic_links.pop(nic, None)
        else:
            ends = [_loopback(local, "udpEndpoint"), _loopback(peer, "udpPeer")]
            for other, (bound, _) in self.config.nic_links.items():
                if other != nic and bound == ends[0]:
                    raise InvalidState(f"{ends[0]} is already the endpoint of {other}")
            self.config.nic_links[nic] = ends
        try:
            self.config.save(self.layout)
        except BaseException:
            self.config.nic_links = before
            raise

    def nic_link(self, nic: str) -> tuple[str, str] | None:
        ends = self.config.nic_links.get(nic)
        return (ends[0], ends[1]) if ends else None

    # -- changes ----------------------------------------------------------------------------------

    def _commit(self, before: list[VSwitchConfig]) -> None:
        """Save the configuration; restore ``before`` if it cannot be saved."""
        try:
            self.config.save(self.layout)
        except BaseException:
            self.config.vswitches[:] = before
            raise

    def _check_uplinks(self, uplinks: list[str], vswitch: str) -> list[str]:
        taken = {nic: v.name for v in self.config.vswitches for nic in v.uplinks if v.name != vswitch}
        for nic in uplinks:
            if nic not in PHYSICAL_NICS:
                raise NotFound("PhysicalNic", nic)
            if nic in taken:
                raise InvalidState(f"Physical NIC '{nic}' is already an uplink of '{taken[nic]}'.")
        if len(set(uplinks)) != len(uplinks):
            raise InvalidArgument("uplinks", "a physical NIC is listed twice")
        return list(uplinks)

    def _check_ports(self, num_ports: int, vswitch: str) -> int:
        if not MIN_PORTS <= num_ports <= MAX_PORTS:
            raise InvalidArgument("numPorts", f"{num_ports} is not between {MIN_PORTS} and {MAX_PORTS}")
        others = sum(v.num_ports for v in self.config.vswitches if v.name != vswitch)
        if others + num_ports > MAX_HOST_PORTS:
            raise InvalidArgument(
                "numPorts",
                f"the host's switches would have {others + num_ports} ports; at most {MAX_HOST_PORTS}",
            )
        return num_ports

    @staticmethod
    def _check_mtu(mtu: int) -> int:
        if not MIN_MTU <= mtu <= MAX_MTU:
            raise InvalidArgument("mtu", f"{mtu} is not between {MIN_MTU} and {MAX_MTU}")
        return mtu

    @staticmethod
    def _apply_switch_spec(vswitch: VSwitchConfig, spec: network_pb2.VirtualSwitchSpec) -> None:
        for name in SECURITY_FIELDS:
            if spec.security.HasField(name):
                setattr(vswitch.security, name, getattr(spec.security, name))
        if spec.HasField("shaping"):
            vswitch.shaping = _check_shaping(spec.shaping)

    def add_switch(self, spec: network_pb2.VirtualSwitchSpec) -> host_pb2.VirtualSwitch:
        name = check_entity_name(spec.name)
        if any(v.name == name for v in self.config.vswitches):
            raise DuplicateName(name)
        if len(self.config.vswitches) >= MAX_VSWITCHES:
            raise InvalidArgument("name", f"the host has the maximum of {MAX_VSWITCHES} standard switches")
        vswitch = VSwitchConfig(
            name,
            num_ports=self._check_ports(spec.num_ports if spec.HasField("num_ports") else 128, name),
            uplinks=self._check_uplinks(list(spec.uplinks), name),
            mtu=self._check_mtu(spec.mtu if spec.HasField("mtu") else 1500),
        )
        self._apply_switch_spec(vswitch, spec)
        before = copy.deepcopy(self.config.vswitches)
        self.config.vswitches.append(vswitch)
        self._commit(before)
        return self.switch_proto(vswitch)

    def update_switch(self, spec: network_pb2.VirtualSwitchSpec) -> host_pb2.VirtualSwitch:
        before = copy.deepcopy(self.config.vswitches)
        vswitch = copy.deepcopy(self._switch(spec.name))
        if spec.HasField("num_ports"):
            vswitch.num_ports = self._check_ports(spec.num_ports, vswitch.name)
        if spec.HasField("mtu"):
            vswitch.mtu = self._check_mtu(spec.mtu)
        if spec.set_uplinks:
            vswitch.uplinks = self._check_uplinks(list(spec.uplinks), vswitch.name)
        self._apply_switch_spec(vswitch, spec)
        self.config.vswitches[[v.name for v in self.config.vswitches].index(spec.name)] = vswitch
        self._commit(before)
        return self.switch_proto(vswitch)

    def remove_switch(self, name: str) -> None:
        vswitch = self._switch(name)
        vmks = [vmk for p in vswitch.port_groups for vmk in p.vmkernel_nics]
        if vmks:
            raise InvalidState(f"Virtual switch '{name}' carries VMkernel NICs ({', '.join(vmks)}).")
        before = copy.deepcopy(self.config.vswitches)
        self.config.vswitches.remove(vswitch)
        self._commit(before)

    def port_group_names(self, vswitch: str) -> list[str]:
        return [p.name for p in self._switch(vswitch).port_groups]

    def _check_port_group_name(self, name: str) -> str:
        check_entity_name(name)
        if any(p.name == name for _, p in self._port_groups()):
            raise DuplicateName(name)
        return name

    @staticmethod
    def _apply_port_group_spec(port_group: PortGroupConfig, spec: network_pb2.PortGroupSpec) -> None:
        if spec.HasField("vlan_id"):
            port_group.vlan_id = _check_vlan(spec.vlan_id)
        for name in spec.inherit_security:
            if name not in SECURITY_FIELDS:
                raise InvalidArgument(
                    "inheritSecurity", f"'{name}' is not one of {', '.join(SECURITY_FIELDS)}"
                )
            setattr(port_group.security, name, None)
        for name in SECURITY_FIELDS:
            if spec.security.HasField(name):
                setattr(port_group.security, name, getattr(spec.security, name))
        if spec.inherit_shaping:
            port_group.shaping = None
        if spec.HasField("shaping"):
            port_group.shaping = _check_shaping(spec.shaping)

    def add_port_group(self, spec: network_pb2.PortGroupSpec) -> host_pb2.PortGroup:
        vswitch = self._switch(spec.virtual_switch)
        port_group = PortGroupConfig(self._check_port_group_name(spec.name))
        if len(vswitch.port_groups) >= MAX_PORT_GROUPS:
            raise InvalidArgument(
                "name", f"'{vswitch.name}' has the maximum of {MAX_PORT_GROUPS} port groups"
            )
        self._apply_port_group_spec(port_group, spec)
        before = copy.deepcopy(self.config.vswitches)
        vswitch.port_groups.append(port_group)
        self._commit(before)
        return self.port_group_proto(vswitch, port_group)

    def update_port_group(self, spec: network_pb2.PortGroupSpec) -> host_pb2.PortGroup:
        vswitch, current = self._port_group(spec.name)
        port_group = copy.deepcopy(current)
        if spec.HasField("new_name") and spec.new_name != spec.name:
            port_group.name = self._check_port_group_name(spec.new_name)
        self._apply_port_group_spec(port_group, spec)
        before = copy.deepcopy(self.config.vswitches)
        vswitch.port_groups[vswitch.port_groups.index(current)] = port_group
        self._commit(before)
        return self.port_group_proto(vswitch, port_group)

    def remove_port_group(self, name: str) -> None:
        vswitch, port_group = self._port_group(name)
        if port_group.vmkernel_nics:
            raise InvalidState(
                f"Port group '{name}' carries VMkernel NICs ({', '.join(port_group.vmkernel_nics)})."
            )
        before = copy.deepcopy(self.config.vswitches)
        vswitch.port_groups.remove(port_group)
        self._commit(before)

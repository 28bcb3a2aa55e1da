"""The SDK's network calls: standard vSwitches, port groups, security and shaping policies, and the
host's network adapters. Mixed into ``clients.sdk.Client``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pyesx.api.v1 import host_pb2, network_pb2, network_pb2_grpc

SECURITY_FIELDS = ("allow_promiscuous", "mac_changes", "forged_transmits")


@dataclass(frozen=True)
class SecurityPolicy:
    """Promiscuous mode, MAC address changes, forged transmits: True accepts; None inherits."""

    allow_promiscuous: bool | None
    mac_changes: bool | None
    forged_transmits: bool | None


@dataclass(frozen=True)
class ShapingPolicy:
    enabled: bool
    average_bps: int
    peak_bps: int
    burst_bytes: int


@dataclass(frozen=True)
class PortGroup:
    name: str
    vlan_id: int
    virtual_switch: str
    security: SecurityPolicy  # the overrides (None: inherited from the switch)
    effective_security: SecurityPolicy
    shaping: ShapingPolicy
    shaping_override: bool
    vmkernel_nics: tuple[str, ...]


@dataclass(frozen=True)
class VirtualSwitch:
    name: str
    num_ports: int
    mtu: int
    uplinks: tuple[str, ...]
    port_groups: tuple[PortGroup, ...]
    security: SecurityPolicy
    shaping: ShapingPolicy


@dataclass(frozen=True)
class HostNetworkAdapter:
    name: str
    kind: str  # physical | vmkernel
    mac: str
    mtu: int
    speed_mb: int
    virtual_switch: str
    port_group: str
    ip: str
    subnet_mask: str
    udp_endpoint: str = ""  # physical: wired to this UDP address on loopback
    udp_peer: str = ""


def _security(m: host_pb2.SecurityPolicy) -> SecurityPolicy:
    return SecurityPolicy(
        m.allow_promiscuous if m.HasField("allow_promiscuous") else None,
        m.mac_changes if m.HasField("mac_changes") else None,
        m.forged_transmits if m.HasField("forged_transmits") else None,
    )


def _shaping(m: host_pb2.ShapingPolicy) -> ShapingPolicy:
    return ShapingPolicy(m.enabled, m.average_bps, m.peak_bps, m.burst_bytes)


def port_group_from_proto(m: host_pb2.PortGroup) -> PortGroup:
    return PortGroup(
        m.name,
        m.vlan_id,
        m.virtual_switch,
        _security(m.security),
        _security(m.effective_security),
        _shaping(m.shaping),
        m.shaping_override,
        tuple(m.vmkernel_nics),
    )


def switch_from_proto(m: host_pb2.VirtualSwitch) -> VirtualSwitch:
    return VirtualSwitch(
        m.name,
        m.num_ports,
        m.mtu,
        tuple(m.uplinks),
        tuple(port_group_from_proto(p) for p in m.port_groups),
        _security(m.security),
        _shaping(m.shaping),
    )


def _security_message(changes: dict[str, bool]) -> host_pb2.SecurityPolicy:
    unknown = set(changes) - set(SECURITY_FIELDS)
    if unknown:
        raise ValueError(f"unknown security settings: {sorted(unknown)}")
    return host_pb2.SecurityPolicy(**changes)


def _shaping_message(shaping: ShapingPolicy | None) -> host_pb2.ShapingPolicy | None:
    if shaping is None:
        return None
    return host_pb2.ShapingPolicy(
        enabled=shaping.enabled,
        average_bps=shaping.average_bps,
        peak_bps=shaping.peak_bps,
        burst_bytes=shaping.burst_bytes,
    )


def _switch_spec(
    name: str,
    num_ports: int | None,
    mtu: int | None,
    uplinks: list[str] | None,
    security: dict[str, bool] | None,
    shaping: ShapingPolicy | None,
) -> network_pb2.VirtualSwitchSpec:
    return network_pb2.VirtualSwitchSpec(
        name=name,
        num_ports=num_ports,
        mtu=mtu,
        uplinks=uplinks or [],
        set_uplinks=uplinks is not None,
        security=_security_message(security or {}),
        shaping=_shaping_message(shaping),
    )


def _adapter(a: host_pb2.HostNetworkAdapter) -> HostNetworkAdapter:
    return HostNetworkAdapter(
        a.name,
        a.kind,
        a.mac,
        a.mtu,
        a.speed_mb,
        a.virtual_switch,
        a.port_group,
        a.ip,
        a.subnet_mask,
        a.udp_endpoint,
        a.udp_peer,
    )


class NetworkCalls:
    """Network calls of a logged-in ``Client``."""

    _network: network_pb2_grpc.NetworkServiceStub
    _call: Callable[..., Any]

    def virtual_switches(self) -> list[VirtualSwitch]:
        reply = self._call(self._network.ListVirtualSwitches, network_pb2.ListVirtualSwitchesRequest())
        return [switch_from_proto(m) for m in reply.virtual_switches]

    def port_groups(self) -> list[PortGroup]:
        return [p for v in self.virtual_switches() for p in v.port_groups]

    def create_virtual_switch(
        self,
        name: str,
        num_ports: int | None = None,
        mtu: int | None = None,
        uplinks: list[str] | None = None,
        security: dict[str, bool] | None = None,
        shaping: ShapingPolicy | None = None,
    ) -> VirtualSwitch:
        spec = _switch_spec(name, num_ports, mtu, uplinks, security, shaping)
        spec.set_uplinks = False
        return switch_from_proto(self._call(self._network.CreateVirtualSwitch, spec))

    def update_virtual_switch(
        self,
        name: str,
        num_ports: int | None = None,
        mtu: int | None = None,
        uplinks: list[str] | None = None,
        security: dict[str, bool] | None = None,
        shaping: ShapingPolicy | None = None,
    ) -> VirtualSwitch:
        """Change what is given; ``uplinks`` (even []) replaces the switch's uplinks."""
        spec = _switch_spec(name, num_ports, mtu, uplinks, security, shaping)
        return switch_from_proto(self._call(self._network.UpdateVirtualSwitch, spec))

    def remove_virtual_switch(self, name: str) -> None:
        self._call(self._network.RemoveVirtualSwitch, network_pb2.RemoveVirtualSwitchRequest(name=name))

    def create_port_group(self, virtual_switch: str, name: str, vlan_id: int = 0) -> PortGroup:
        spec = network_pb2.PortGroupSpec(name=name, virtual_switch=virtual_switch, vlan_id=vlan_id)
        return port_group_from_proto(self._call(self._network.CreatePortGroup, spec))

    def update_port_group(
        self,
        name: str,
        new_name: str | None = None,
        vlan_id: int | None = None,
        security: dict[str, bool] | None = None,
        inherit_security: list[str] | None = None,
        shaping: ShapingPolicy | None = None,
        inherit_shaping: bool = False,
    ) -> PortGroup:
        """Change what is given; ``security`` sets overrides, ``inherit_security`` drops them."""
        spec = network_pb2.PortGroupSpec(
            name=name,
            new_name=new_name,
            vlan_id=vlan_id,
            security=_security_message(security or {}),
            inherit_security=inherit_security or [],
            inherit_shaping=inherit_shaping,
            shaping=_shaping_message(shaping),
        )
        return port_group_from_proto(self._call(self._network.UpdatePortGroup, spec))

    def remove_port_group(self, name: str) -> None:
        self._call(self._network.RemovePortGroup, network_pb2.RemovePortGroupRequest(name=name))

    def host_network_adapters(self) -> list[HostNetworkAdapter]:
        reply = self._call(
            self._network.ListHostNetworkAdapters, network_pb2.ListHostNetworkAdaptersRequest()
        )
        return [_adapter(a) for a in reply.adapters]

    def set_physical_nic_link(self, name: str, udp_endpoint: str, udp_peer: str) -> HostNetworkAdapter:
        """Wire a physical NIC to a UDP endpoint on loopback (frames to ``udp_peer``), joining this
        host's switch to another host's; both empty unwire it."""
        link = network_pb2.PhysicalNicLink(name=name, udp_endpoint=udp_endpoint, udp_peer=udp_peer)
        return _adapter(self._call(self._network.SetPhysicalNicLink, link))

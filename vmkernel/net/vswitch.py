"""A standard vSwitch's data path: ports, MAC learning, VLANs, security policy, shaping, statistics.

Pure: ``send`` takes the ingress port, the frame's bytes and the time, and
returns the deliveries (port id, bytes); the caller moves the bytes. What it
does, as ESXi's standard switch:

- A frame from a port is parsed (runt, oversized and bad-tag frames are dropped
  and counted). A port on VLAN 0 carries untagged frames; on 1-4094 the switch
  tags and untags (a tagged frame from the guest is dropped); on 4095 (virtual
  guest tagging) the guest's own tags pass.
- Forged transmits rejected: a frame whose source MAC is not the adapter's
  (the .vmx's) is dropped. MAC changes rejected: once a guest takes another MAC than its
  adapter's, frames to that MAC are not delivered to it.
- Outbound shaping (from the VM into the switch): a dual token bucket, average
  rate with a burst, and the peak rate; a frame over either is dropped.
- The source MAC is learned per VLAN; a known unicast destination goes to its
  port; broadcast, multicast and unknown destinations flood the VLAN (and the
  uplink, if any). A port whose guest asked for promiscuous mode, where the
  policy allows it, also gets every frame of its VLAN.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from vmkernel.net.frames import Drop, Frame, FrameError, parse

UPLINK = -1  # the port id of the uplink in deliveries
ALL_VLANS = 4095
MAX_FRAME = 9000 + 18 + 4  # the largest MTU, header and tag
PEAK_WINDOW_S = 0.001  # the peak bucket holds a millisecond at the peak rate


@dataclass
class Security:
    allow_promiscuous: bool = False
    mac_changes: bool = True
    forged_transmits: bool = True


@dataclass
class Shaper:
    """A dual token bucket: the average rate with a burst allowance, and the peak rate (bits/s,
    bytes). Both start full; a frame that either bucket cannot pay for is dropped."""

    average_bps: int
    peak_bps: int
    burst_bytes: int
    tokens: float = 0.0
    peak_tokens: float = 0.0
    last: float | None = None

    @property
    def peak_capacity(self) -> float:
        return max(MAX_FRAME, self.peak_bps / 8 * PEAK_WINDOW_S)

    def allow(self, size: int, now: float) -> bool:
        if self.last is None:
            self.tokens, self.peak_tokens = float(self.burst_bytes), self.peak_capacity
        else:
            elapsed = max(0.0, now - self.last)
            self.tokens = min(self.burst_bytes, self.tokens + elapsed * self.average_bps / 8)
            self.peak_tokens = min(self.peak_capacity, self.peak_tokens + elapsed * self.peak_bps / 8)
        self.last = now
        if size > self.tokens or size > self.peak_tokens:
            return False
        self.tokens -= size
        self.peak_tokens -= size
        return True


@dataclass
class PortStats:
    packets_in: int = 0  # from the VM into the switch
    bytes_in: int = 0
    packets_out: int = 0  # from the switch to the VM
    bytes_out: int = 0
    drops: Counter[str] = field(default_factory=Counter)


@dataclass
class Port:
    id: int
    port_group: str
    vlan_id: int
    mac: bytes  # the adapter's MAC
    security: Security
    shaper: Shaper | None = None
    effective_mac: bytes = b""  # the MAC the guest uses now (its adapter's unless it changed it)
    promiscuous: bool = False  # the guest put its adapter in promiscuous mode
    connected: bool = True
    stats: PortStats = field(default_factory=PortStats)

    def __post_init__(self) -> None:
        self.effective_mac = self.effective_mac or self.mac

    def carries(self, vlan: int) -> bool:
        return self.vlan_id in (vlan, ALL_VLANS)


class PortsExhausted(Exception):
    """Every port of the switch is in use."""


class VSwitch:
    def __init__(self, name: str, num_ports: int, mtu: int, has_uplink: bool = False) -> None:
        self.name, self.num_ports, self.mtu, self.has_uplink = name, num_ports, mtu, has_uplink
        self.ports: dict[int, Port] = {}
        self.mac_table: dict[tuple[int, bytes], int] = {}  # (vlan, mac) -> port id
        self.uplink_stats = PortStats()

    # -- ports ------------------------------------------------------------------------------------

    def connect(
        self,
        port_group: str,
        vlan_id: int,
        mac: bytes,
        security: Security,
        shaper: Shaper | None = None,
    ) -> Port:
        """A new port for an adapter; PortsExhausted when all ``num_ports`` are taken."""
        if len(self.ports) >= self.num_ports:
            raise PortsExhausted(f"all {self.num_ports} ports of '{self.name}' are in use")
        port_id = next(i for i in range(self.num_ports) if i not in self.ports)
        port = Port(port_id, port_group, vlan_id, mac, security, shaper)
        self.ports[port_id] = port
        return port

    def disconnect(self, port_id: int) -> None:
        self.ports.pop(port_id, None)
        self.mac_table = {k: v for k, v in self.mac_table.items() if v != port_id}

    # -- the data path ----------------------------------------------------------------------------

    def _drop(self, stats: PortStats, reason: Drop) -> list[tuple[int, bytes]]:
        stats.drops[reason.value] += 1
        return []

    def send(self, port_id: int, data: bytes, now: float) -> list[tuple[int, bytes]]:
        """A frame from a VM's port: the (port id, bytes) deliveries it makes (UPLINK: out)."""
        port = self.ports.get(port_id)
        if port is None:
            return []
        stats = port.stats
        if not port.connected:
            return self._drop(stats, Drop.PORT_DOWN)
        try:
            frame = parse(data, self.mtu)
        except FrameError as error:
            return self._drop(stats, error.reason)
        if frame.vid is not None and port.vlan_id != ALL_VLANS:
            return self._drop(stats, Drop.BAD_VLAN)  # only a 4095 (guest tagging) port may send tags
        if frame.src != port.mac and not port.security.forged_transmits:
            return self._drop(stats, Drop.FORGED_SOURCE)
        if port.shaper is not None and not port.shaper.allow(len(data), now):
            return self._drop(stats, Drop.SHAPED)
        stats.packets_in += 1
        stats.bytes_in += len(data)
        vlan = frame.vid if port.vlan_id == ALL_VLANS else port.vlan_id
        vlan = vlan or 0
        if not frame.src[0] & 1:  # a multicast source is never learned
            self.mac_table[(vlan, frame.src)] = port_id
        return self._forward(frame, vlan, port_id)

    def receive_from_uplink(self, data: bytes) -> list[tuple[int, bytes]]:
        """A frame arriving on the uplink (from another host's switch)."""
        try:
            frame = parse(data, self.mtu)
        except FrameError as error:
            return self._drop(self.uplink_stats, error.reason)
        self.uplink_stats.packets_in += 1
        self.uplink_stats.bytes_in += len(data)
        vlan = frame.vid or 0
        if not frame.src[0] & 1:
            self.mac_table[(vlan, frame.src)] = UPLINK
        return self._forward(frame, vlan, UPLINK)

    def _forward(self, frame: Frame, vlan: int, ingress: int) -> list[tuple[int, bytes]]:
        targets: set[int] = set()
        known = None if frame.is_multicast else self.mac_table.get((vlan, frame.dst))
        if known is not None and known != ingress:
            targets.add(known)
        elif known is None:
            targets |= {p.id for p in self.ports.values() if p.carries(vlan)}
            if self.has_uplink:
                targets.add(UPLINK)
        targets |= {
            p.id
            for p in self.ports.values()
            if p.promiscuous and p.security.allow_promiscuous and p.carries(vlan)
        }
        targets.discard(ingress)
        deliveries = []
        for target in sorted(targets):
            if target == UPLINK:
                wire = frame.to_bytes(vlan or None)
                self.uplink_stats.packets_out += 1
                self.uplink_stats.bytes_out += len(wire)
                deliveries.append((UPLINK, wire))
                continue
            port = self.ports[target]
            if not port.connected:
                continue
            if (
                not frame.is_multicast
                and frame.dst == port.effective_mac != port.mac
                and not port.security.mac_changes
            ):
                port.stats.drops[Drop.MAC_CHANGED.value] += 1
                continue
            wire = frame.to_bytes(vlan if port.vlan_id == ALL_VLANS and vlan else None)
            port.stats.packets_out += 1
            port.stats.bytes_out += len(wire)
            deliveries.append((target, wire))
        return deliveries

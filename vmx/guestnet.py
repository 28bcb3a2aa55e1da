"""The simulated guest's network: a small IPv4 stack on its first NIC (on vCPU 0).

It answers ARP requests for its address, ICMP echo requests (ping) and UDP
echo (port 7); it learns neighbours from ARP replies. ``sim.net.ip`` gives it
an address (``10.0.0.5/24``); ``sim.net.ping`` makes it ping an address once a
second, keeping the count of echo requests sent and replies received and the
last round trip. ``sim.net.mac`` changes the MAC the guest uses (to test the
MAC-changes policy); ``sim.net.spoof`` sends its pings with another source MAC
(forged transmits); ``sim.net.promiscuous`` puts the NIC in promiscuous mode
(the guest then counts frames it saw for others).
"""

from __future__ import annotations

import ipaddress
import socket
import struct
import time
from dataclasses import dataclass

from pyesx import netio
from pyesx.guestsim import NetSettings

ETH_IPV4, ETH_ARP = 0x0800, 0x0806
PROTO_ICMP, PROTO_UDP = 1, 17
BROADCAST = b"\xff" * 6
PING_PERIOD_S = 1.0
ECHO_PORT = 7


def _mac(text: str) -> bytes:
    return bytes(int(part, 16) for part in text.split(":"))


def checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total: int = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def ipv4_packet(src: bytes, dst: bytes, proto: int, payload: bytes) -> bytes:
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 0, 0, 64, proto, 0, src, dst)
    return header[:10] + struct.pack("!H", checksum(header)) + header[12:] + payload


def icmp_echo(kind: int, ident: int, seq: int, data: bytes) -> bytes:
    body = struct.pack("!BBHHH", kind, 0, 0, ident, seq) + data
    return body[:2] + struct.pack("!H", checksum(body)) + body[4:]


@dataclass
class NetCounters:
    frames_in: int = 0
    frames_out: int = 0
    pings_sent: int = 0
    pings_received: int = 0
    last_rtt_ms: float = 0.0
    total_rtt_ms: float = 0.0
    others_seen: int = 0  # frames for another MAC seen in promiscuous mode


class GuestNetwork:
    """The guest's IPv4 stack on one NIC."""

    def __init__(self, socket_path: str, vm_id: str, nic_key: str, settings: NetSettings) -> None:
        self.socket_path, self.vm_id, self.nic_key = socket_path, vm_id, nic_key
        self.settings = settings
        self.counters = NetCounters()
        self.sock: socket.socket | None = None
        self.nic_mac = b""
        self.neighbours: dict[bytes, bytes] = {}  # IPv4 -> MAC
        self._next_ping = 0.0
        self._next_connect = 0.0
        self._sent_at: dict[int, float] = {}
        self._seq = 0
        # the guest OS's own pings (its ping command): sent at, waiting on ARP, and the replies
        self._os_sent: dict[tuple[int, int], float] = {}
        self._os_waiting_arp: dict[bytes, list[tuple[int, int]]] = {}
        self.os_replies: list[tuple[int, int, float, int]] = []  # ident, seq, rtt ms, ttl

    # -- settings ---------------------------------------------------------------------------------

    def set_settings(self, settings: NetSettings) -> None:
        if (settings.promiscuous, settings.mac) != (self.settings.promiscuous, self.settings.mac):
            self.close()  # the NIC's mode and MAC are set when it connects to its port
        self.settings = settings
        self._next_ping = 0.0

    @property
    def address(self) -> ipaddress.IPv4Interface | None:
        try:
            return ipaddress.IPv4Interface(self.settings.ip) if self.settings.ip else None
        except ValueError:
            return None

    @property
    def mac(self) -> bytes:
        return _mac(self.settings.mac) if self.settings.mac else self.nic_mac

    # -- the connection ---------------------------------------------------------------------------

    def fileno(self) -> int | None:
        """The socket to wait on for frames (None until connected)."""
        return self.sock.fileno() if self.sock is not None else None

    def _connect(self) -> bool:
        if self.sock is not None:
            return True
        if time.monotonic() < self._next_connect:
            return False
        try:
            self.sock, mac = netio.connect(
                self.socket_path, self.vm_id, self.nic_key, self.settings.promiscuous, self.settings.mac
            )
        except (OSError, PermissionError):  # the VMkernel does not know this world yet: try again soon
            self._next_connect = time.monotonic() + 0.2
            return False
        self.nic_mac = _mac(mac)
        return True

    def _send(self, frame: bytes) -> None:
        if self.sock is None:
            return
        try:
            self.sock.send(frame)
            self.counters.frames_out += 1
        except (BlockingIOError, OSError):
            pass  # the switch is congested: the frame is lost, as on a wire

    def _frame(self, dst: bytes, ethertype: int, payload: bytes, src: bytes | None = None) -> bytes:
        return dst + (src or self.mac) + struct.pack("!H", ethertype) + payload

    # -- the loop's work --------------------------------------------------------------------------

    def due(self) -> float | None:
        """Seconds until the next thing to do (None: nothing until a frame arrives)."""
        if self.address is None:
            return None
        if self.sock is None:
            return max(0.0, self._next_connect - time.monotonic())
        if not self.settings.ping:
            return None
        return max(0.0, self._next_ping - time.monotonic())

    @property
    def _ping_period(self) -> float:
        """Seconds between pings: a reply ends the wait at ``max`` rate (a lost one after a second)."""
        rate = self.settings.ping_rate
        return PING_PERIOD_S if rate < 0 else 1.0 / max(1, rate)

    def step(self) -> None:
        """Connect, and send the ping that is due."""
        if self.address is None or not self._connect() or not self.settings.ping:
            return
        now = time.monotonic()
        if now < self._next_ping:
            return
        self._next_ping = now + self._ping_period
        try:
            target = ipaddress.IPv4Address(self.settings.ping).packed
        except ValueError:
            return
        mac = self.neighbours.get(target)
        if mac is None:
            self._arp_request(target)
            return
        self._seq = (self._seq + 1) & 0xFFFF
        self._sent_at[self._seq] = now
        icmp = icmp_echo(8, 0x5059, self._seq, b"pyesx-ping" + bytes(46))
        source = _mac(self.settings.spoof) if self.settings.spoof else None
        self._send(
            self._frame(mac, ETH_IPV4, ipv4_packet(self.address.ip.packed, target, PROTO_ICMP, icmp), source)
        )
        self.counters.pings_sent += 1

    def send_ping(self, address: str, ident: int, seq: int) -> bool:
        """One ICMP echo request of the guest OS's ping (ARP first when the neighbour is unknown);
        False when the guest has no address or the target is not an IPv4 address."""
        if self.address is None or not self._connect():
            return False
        try:
            target = ipaddress.IPv4Address(address).packed
        except ValueError:
            return False
        now = time.monotonic()
        if len(self._os_sent) > 1024:  # forget requests never answered (a lost reply is lost)
            self._os_sent = {key: at for key, at in self._os_sent.items() if now - at < 30}
        self._os_sent[(ident, seq)] = now
        if target not in self.neighbours:
            self._os_waiting_arp.setdefault(target, []).append((ident, seq))
            self._arp_request(target)
            return True
        self._send_echo(target, ident, seq)
        return True

    def _send_echo(self, target: bytes, ident: int, seq: int) -> None:
        assert self.address is not None
        icmp = icmp_echo(8, ident, seq, bytes(56))
        self._send(
            self._frame(
                self.neighbours[target],
                ETH_IPV4,
                ipv4_packet(self.address.ip.packed, target, PROTO_ICMP, icmp),
            )
        )
        self.counters.pings_sent += 1

    def _arp_request(self, target: bytes) -> None:
        assert self.address is not None
        arp = struct.pack(
            "!HHBBH6s4s6s4s", 1, ETH_IPV4, 6, 4, 1, self.mac, self.address.ip.packed, bytes(6), target
        )
        self._send(self._frame(BROADCAST, ETH_ARP, arp))

    def receive(self) -> None:
        """Take the frames waiting on the socket."""
        if self.sock is None:
            return
        for _ in range(64):
            try:
                frame = self.sock.recv(netio.MAX_FRAME)
            except BlockingIOError:
                return
            except OSError:
                frame = b""
            if not frame:
                self.sock.close()
                self.sock = None
                return
            self.counters.frames_in += 1
            self._handle(frame)

    def _handle(self, frame: bytes) -> None:
        if len(frame) < 14:
            return
        dst, ethertype = frame[:6], struct.unpack_from("!H", frame, 12)[0]
        payload = frame[14:]
        if ethertype == 0x8100 and len(frame) >= 18:  # a tagged frame on a VLAN 4095 port
            ethertype, payload = struct.unpack_from("!H", frame, 16)[0], frame[18:]
        if dst not in (self.mac, BROADCAST):
            if self.settings.promiscuous:
                self.counters.others_seen += 1
            return
        if ethertype == ETH_ARP:
            self._arp(payload)
        elif ethertype == ETH_IPV4:
            self._ipv4(frame[6:12], payload)

    def _arp(self, payload: bytes) -> None:
        address = self.address
        if address is None or len(payload) < 28:
            return
        _, _, _, _, op, sender_mac, sender_ip, _, target_ip = struct.unpack_from("!HHBBH6s4s6s4s", payload)
        self.neighbours[sender_ip] = sender_mac
        for ident, seq in self._os_waiting_arp.pop(sender_ip, []):
            self._send_echo(sender_ip, ident, seq)
        if op == 1 and target_ip == address.ip.packed:
            reply = struct.pack(
                "!HHBBH6s4s6s4s", 1, ETH_IPV4, 6, 4, 2, self.mac, target_ip, sender_mac, sender_ip
            )
            self._send(self._frame(sender_mac, ETH_ARP, reply))

    def _ipv4(self, src_mac: bytes, packet: bytes) -> None:
        address = self.address
        if address is None or len(packet) < 20:
            return
        header_len = (packet[0] & 0x0F) * 4
        proto, src, dst = packet[9], packet[12:16], packet[16:20]
        if dst != address.ip.packed:
            return
        body = packet[header_len:]
        self.neighbours.setdefault(src, src_mac)
        if proto == PROTO_ICMP and len(body) >= 8:
            kind, _, _, ident, seq = struct.unpack_from("!BBHHH", body)
            if kind == 8:  # an echo request: answer it
                reply = icmp_echo(0, ident, seq, body[8:])
                self._send(self._frame(src_mac, ETH_IPV4, ipv4_packet(dst, src, PROTO_ICMP, reply)))
            elif kind == 0 and (ident, seq) in self._os_sent:
                rtt_ms = (time.monotonic() - self._os_sent.pop((ident, seq))) * 1000
                self.counters.pings_received += 1
                self.os_replies.append((ident, seq, rtt_ms, packet[8]))
            elif kind == 0 and seq in self._sent_at:
                rtt = time.monotonic() - self._sent_at.pop(seq)
                self.counters.pings_received += 1
                self.counters.last_rtt_ms = rtt * 1000
                self.counters.total_rtt_ms += rtt * 1000
                if self.settings.ping_rate < 0:
                    self._next_ping = 0.0  # back to back: the next one now
                    self.step()
        elif proto == PROTO_UDP and len(body) >= 8:
            sport, dport = struct.unpack_from("!HH", body)
            if dport == ECHO_PORT:
                data = body[8:]
                udp = struct.pack("!HHHH", ECHO_PORT, sport, 8 + len(data), 0) + data
                self._send(self._frame(src_mac, ETH_IPV4, ipv4_packet(dst, src, PROTO_UDP, udp)))

    def status(self) -> dict[str, object]:
        c = self.counters
        return {
            "ip": self.settings.ip,
            "mac": self.mac.hex(":") if self.mac else "",
            "frames_in": c.frames_in,
            "frames_out": c.frames_out,
            "pings_sent": c.pings_sent,
            "pings_received": c.pings_received,
            "last_rtt_ms": round(c.last_rtt_ms, 3),
            "total_rtt_ms": round(c.total_rtt_ms, 3),
            "others_seen": c.others_seen,
        }

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None

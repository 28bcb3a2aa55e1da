"""The VMkernel network stack: the standard vSwitches' data paths, their ports, and run/net.sock.

At power-on every connected NIC of the VM gets a port on the switch of its port
group (the port group's VLAN, effective security policy and shaping); the
130th port of a 128-port switch is refused (InsufficientResourcesFault) and the
power-on fails. The VM's VMM world then connects each NIC (``pyesx.netio``; a
caller not one of the VM's worlds is refused) and frames flow: each frame the
guest sends goes through ``VSwitch.send`` and out to the ports it is delivered
to. A port whose reader is not keeping up drops the frame (counted). A change
of a port group's policy or VLAN applies to its ports at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pyesx import faults, netio
from pyesx.api.v1 import host_pb2, performance_pb2
from pyesx.logs import get_logger
from vmkernel.net.frames import mac_bytes, mac_text
from vmkernel.net.vswitch import UPLINK, Port, PortsExhausted, Security, Shaper, VSwitch
from vmkernel.vswitches import VirtualSwitchTable

_log = get_logger("net")
_PEERCRED = struct.Struct("3i")


@dataclass(frozen=True)
class NicSpec:
    """A NIC of a powered-on VM: its port group, MAC and whether it is connected now."""

    key: str  # "ethernet0"
    port_group: str
    mac: str
    connected: bool = True


@dataclass
class _Attached:
    vm_id: str
    nic: NicSpec
    switch: str
    port: Port
    conn: socket.socket | None = None


def _security(policy: host_pb2.SecurityPolicy) -> Security:
    return Security(policy.allow_promiscuous, policy.mac_changes, policy.forged_transmits)


def _shaper(policy: host_pb2.ShapingPolicy) -> Shaper | None:
    return Shaper(policy.average_bps, policy.peak_bps, policy.burst_bytes) if policy.enabled else None


class NetStack:
    def __init__(
        self, socket_path: Path, table: VirtualSwitchTable, authorize: Callable[[str, int], bool]
    ) -> None:
        self.socket_path, self.table, self.authorize = socket_path, table, authorize
        self.switches: dict[str, VSwitch] = {}
        self.nics: dict[tuple[str, str], _Attached] = {}  # (vm id, nic key) -> its port
        self._server: socket.socket | None = None
        self.wires: dict[str, tuple[socket.socket, tuple[str, int]]] = {}  # switch -> (UDP socket, peer)
        self.sync()

    # -- configuration ----------------------------------------------------------------------------

    def _port_group(self, name: str) -> tuple[host_pb2.VirtualSwitch, host_pb2.PortGroup]:
        for vswitch in self.table.switches():
            for port_group in vswitch.port_groups:
                if port_group.name == name:
                    return vswitch, port_group
        raise faults.NotFound("Network", name)

    def sync(self) -> None:
        """Follow the configuration: switches added or changed, port groups' policies and VLANs."""
        configured = {v.name: v for v in self.table.switches()}
        for name, config in configured.items():
            runtime = self.switches.get(name)
            if runtime is None:
                self.switches[name] = VSwitch(name, config.num_ports, config.mtu)
            else:
                runtime.num_ports, runtime.mtu = config.num_ports, config.mtu
        for name in set(self.switches) - set(configured):
            del self.switches[name]  # hostd removes a switch only when no VM's NIC is on it
        self._wire_uplinks(configured)
        for attached in self.nics.values():
            with contextlib.suppress(faults.NotFound):
                _, port_group = self._port_group(attached.nic.port_group)
                port = attached.port
                port.vlan_id = port_group.vlan_id
                port.security = _security(port_group.effective_security)
                port.shaper = _shaper(port_group.shaping) if port_group.shaping.enabled else None

    def _wire_uplinks(self, configured: dict[str, host_pb2.VirtualSwitch]) -> None:
        """Each switch whose uplink is wired to a UDP endpoint sends it what it floods and takes
        frames from it (needs the running event loop; before it, wiring waits for ``serve``)."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        wanted: dict[str, tuple[str, str]] = {}
        for name, vswitch in configured.items():
            for nic in vswitch.uplinks:
                link = self.table.nic_link(nic)
                if link is not None:
                    wanted[name] = link
                    break
        for name in list(self.wires):
            sock, (peer_host, peer_port) = self.wires[name]
            bound_host, bound_port = sock.getsockname()
            if wanted.get(name) != (f"{bound_host}:{bound_port}", f"{peer_host}:{peer_port}"):
                loop.remove_reader(sock)
                sock.close()
                del self.wires[name]
        for name, (local, peer_address) in wanted.items():
            if name in self.wires:
                continue
            host, port = local.rsplit(":", 1)
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                sock.bind((host, int(port)))
            except OSError as exc:
                sock.close()
                _log.error("net.uplink_bind_failed", vswitch=name, endpoint=local, error=str(exc))
                continue
            sock.setblocking(False)
            peer_host, peer_text = peer_address.rsplit(":", 1)
            self.wires[name] = (sock, (peer_host, int(peer_text)))
            loop.add_reader(sock, self._from_wire, name)
        for name, runtime in self.switches.items():
            runtime.has_uplink = name in self.wires

    def _from_wire(self, name: str) -> None:
        sock, _ = self.wires[name]
        switch = self.switches.get(name)
        for _ in range(64):
            try:
                frame = sock.recv(netio.MAX_FRAME)
            except (BlockingIOError, OSError):
                return
            if switch is not None:
                for target, data in switch.receive_from_uplink(frame):
                    self._deliver(switch, target, data)

    # -- power-on / power-off ---------------------------------------------------------------------

    def _take_port(self, nic: NicSpec) -> tuple[str, Port]:
        """A port for ``nic`` on its port group's switch; InsufficientResourcesFault when it is full."""
        vswitch, port_group = self._port_group(nic.port_group)
        try:
            port = self.switches[vswitch.name].connect(
                port_group.name,
                port_group.vlan_id,
                mac_bytes(nic.mac),
                _security(port_group.effective_security),
                _shaper(port_group.shaping),
            )
        except PortsExhausted:
            raise faults.InsufficientResourcesFault(f"ports of {vswitch.name}", 1, 0) from None
        port.connected = nic.connected
        return vswitch.name, port

    def attach_vm(self, vm_id: str, nics: list[NicSpec]) -> None:
        """A port for each NIC (a disconnected NIC's port carries nothing); InsufficientResourcesFault
        (and none taken) when a switch has no free port."""
        taken: list[_Attached] = []
        try:
            for nic in nics:
                switch, port = self._take_port(nic)
                taken.append(_Attached(vm_id, nic, switch, port))
        except BaseException:
            for attached in taken:
                self.switches[attached.switch].disconnect(attached.port.id)
            raise
        for attached in taken:
            self.nics[(vm_id, attached.nic.key)] = attached

    def set_nic(self, vm_id: str, nic: NicSpec) -> None:
        """A running VM's NIC connects, disconnects or moves to another port group (a port there, or
        InsufficientResourcesFault and nothing changes); its guest keeps its connection."""
        attached = self.nics.get((vm_id, nic.key))
        if attached is None:
            raise faults.NotFound("NetworkAdapter", f"{vm_id} {nic.key}")
        if nic.port_group != attached.nic.port_group:
            switch, port = self._take_port(nic)
            self.switches[attached.switch].disconnect(attached.port.id)
            attached.switch, attached.port = switch, port
        attached.nic = nic
        attached.port.connected = nic.connected

    def detach_vm(self, vm_id: str) -> None:
        for key in [k for k in self.nics if k[0] == vm_id]:
            attached = self.nics.pop(key)
            self._close(attached)
            switch = self.switches.get(attached.switch)
            if switch is not None:
                switch.disconnect(attached.port.id)

    def _close(self, attached: _Attached) -> None:
        if attached.conn is not None:
            with contextlib.suppress(ValueError, OSError):
                asyncio.get_running_loop().remove_reader(attached.conn)
            attached.conn.close()
            attached.conn = None

    # -- statistics -------------------------------------------------------------------------------

    def stats(self) -> list[performance_pb2.NetPortStat]:
        out = []
        for (vm_id, key), attached in sorted(self.nics.items()):
            port, s = attached.port, attached.port.stats
            out.append(
                performance_pb2.NetPortStat(
                    virtual_switch=attached.switch,
                    port_id=port.id,
                    port_group=port.port_group,
                    vlan_id=port.vlan_id,
                    vm_id=vm_id,
                    nic_key=key,
                    mac=mac_text(port.mac),
                    packets_in=s.packets_in,
                    bytes_in=s.bytes_in,
                    packets_out=s.packets_out,
                    bytes_out=s.bytes_out,
                    drops=dict(s.drops),
                )
            )
        return out

    # -- the socket -------------------------------------------------------------------------------

    async def serve(self) -> None:
        self.socket_path.unlink(missing_ok=True)
        server = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        server.bind(str(self.socket_path))
        self.socket_path.chmod(0o600)
        server.listen(64)
        server.setblocking(False)
        asyncio.get_running_loop().add_reader(server, self._accept, server)
        self._server = server
        self.sync()  # the uplinks' wires need the loop

    def close(self) -> None:
        if self._server is not None:
            asyncio.get_running_loop().remove_reader(self._server)
            self._server.close()
        for attached in self.nics.values():
            self._close(attached)
        for sock, _ in self.wires.values():
            asyncio.get_running_loop().remove_reader(sock)
            sock.close()
        self.wires.clear()

    def _accept(self, server: socket.socket) -> None:
        with contextlib.suppress(BlockingIOError):
            conn, _ = server.accept()
            conn.setblocking(False)
            asyncio.get_running_loop().add_reader(conn, self._hello, conn)

    def _hello(self, conn: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        loop.remove_reader(conn)
        try:
            words = conn.recv(256).split()
            pid, _, _ = _PEERCRED.unpack(
                conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _PEERCRED.size)
            )
        except OSError:
            conn.close()
            return
        vm_id = words[1].decode(errors="replace") if 3 <= len(words) <= 5 and words[0] == netio.HELLO else ""
        attached = self.nics.get((vm_id, words[2].decode(errors="replace"))) if vm_id else None
        if attached is None or not self.authorize(vm_id, pid):
            _log.error("net.refused", vm_id=vm_id, pid=pid)
            with contextlib.suppress(OSError):
                conn.send(f"ERR pid {pid} may not use that port".encode())
            conn.close()
            return
        self._close(attached)  # a reconnecting world replaces its old connection
        attached.conn = conn
        flags = [w.decode(errors="replace") for w in words[3:]]
        attached.port.promiscuous = "promiscuous" in flags
        guest_mac = next((f[4:] for f in flags if f.startswith("mac=")), "")
        _log.info("net.nic_connected", vm_id=vm_id, nic=attached.nic.key, flags=flags)
        try:
            attached.port.effective_mac = mac_bytes(guest_mac) if guest_mac else attached.port.mac
        except ValueError:
            attached.port.effective_mac = attached.port.mac
        conn.send(f"OK {attached.nic.mac}".encode())
        loop.add_reader(conn, self._frames, attached)

    def _frames(self, attached: _Attached) -> None:
        conn = attached.conn
        if conn is None:
            return
        switch = self.switches.get(attached.switch)
        now = time.monotonic()
        for _ in range(64):  # a burst, then let the loop breathe
            try:
                frame = conn.recv(netio.MAX_FRAME)
            except BlockingIOError:
                return
            except OSError:
                frame = b""
            if not frame:
                self._close(attached)
                return
            if switch is None:
                continue
            for target, data in switch.send(attached.port.id, frame, now):
                self._deliver(switch, target, data)

    def _deliver(self, switch: VSwitch, port_id: int, data: bytes) -> None:
        if port_id == UPLINK:
            wire = self.wires.get(switch.name)
            if wire is not None:
                with contextlib.suppress(OSError):
                    wire[0].sendto(data, wire[1])
            return
        receiver = next(
            (a for a in self.nics.values() if a.switch == switch.name and a.port.id == port_id), None
        )
        if receiver is None or receiver.conn is None:
            return
        try:
            receiver.conn.send(data)
        except (BlockingIOError, OSError):
            receiver.port.stats.drops["receiver_full"] += 1

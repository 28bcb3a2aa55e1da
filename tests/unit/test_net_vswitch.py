"""The standard vSwitch's data path on real frame bytes (pure): learning, VLANs, policy, shaping."""

from __future__ import annotations

import struct

import pytest

from vmkernel.net.frames import BROADCAST, Drop, FrameError, mac_bytes, parse
from vmkernel.net.vswitch import UPLINK, PortsExhausted, Security, Shaper, VSwitch

A, B, C = (mac_bytes(f"00:50:56:00:00:0{i}") for i in (1, 2, 3))
IPV4 = 0x0800


def frame(dst: bytes, src: bytes, payload: bytes = b"x" * 46, vid: int | None = None) -> bytes:
    tag = struct.pack("!HH", 0x8100, vid) if vid is not None else b""
    return dst + src + tag + struct.pack("!H", IPV4) + payload


def switch(**ports: int) -> tuple[VSwitch, dict[str, int]]:
    vswitch = VSwitch("vSwitch0", num_ports=8, mtu=1500)
    macs = {"a": A, "b": B, "c": C}
    ids = {name: vswitch.connect("pg", vlan, macs[name], Security()).id for name, vlan in ports.items()}
    return vswitch, ids


def test_unknown_destinations_flood_then_the_switch_learns() -> None:
    vswitch, ids = switch(a=0, b=0, c=0)
    flooded = vswitch.send(ids["a"], frame(B, A), now=0)
    assert sorted(port for port, _ in flooded) == [ids["b"], ids["c"]]
    assert vswitch.send(ids["b"], frame(A, B), now=0) == [(ids["a"], frame(A, B))]  # A was learned
    assert [p for p, _ in vswitch.send(ids["a"], frame(B, A), now=0)] == [ids["b"]]  # and now B
    assert len(vswitch.send(ids["c"], frame(BROADCAST, C), now=0)) == 2
    assert vswitch.ports[ids["a"]].stats.packets_in == 2 and vswitch.ports[ids["b"]].stats.packets_out == 3


def test_vlans_isolate_and_a_4095_port_sees_tags() -> None:
    vswitch, ids = switch(a=10, b=20, c=4095)
    deliveries = vswitch.send(ids["a"], frame(BROADCAST, A), now=0)
    assert deliveries == [(ids["c"], frame(BROADCAST, A, vid=10))]  # not to VLAN 20; tagged for the trunk
    assert vswitch.send(ids["c"], frame(BROADCAST, C, vid=20), now=0) == [(ids["b"], frame(BROADCAST, C))]
    assert vswitch.send(ids["a"], frame(BROADCAST, A, vid=20), now=0) == []  # guest tags on an access port
    assert vswitch.ports[ids["a"]].stats.drops[Drop.BAD_VLAN] == 1


def test_forged_transmits_and_mac_changes_when_rejected() -> None:
    vswitch, ids = switch(a=0, b=0)
    vswitch.ports[ids["a"]].security = Security(forged_transmits=False, mac_changes=False)
    assert vswitch.send(ids["a"], frame(B, C), now=0) == []  # source is not a's MAC
    assert vswitch.ports[ids["a"]].stats.drops[Drop.FORGED_SOURCE] == 1
    vswitch.ports[ids["a"]].effective_mac = C  # the guest changed its MAC
    vswitch.send(ids["b"], frame(BROADCAST, B), now=0)
    assert vswitch.send(ids["b"], frame(C, B), now=0) == []  # flooded, but a may not take C's frames
    assert vswitch.ports[ids["a"]].stats.drops[Drop.MAC_CHANGED] == 1
    vswitch.ports[ids["a"]].security = Security()  # ESXi's defaults accept both
    assert [p for p, _ in vswitch.send(ids["a"], frame(B, C), now=0)] == [ids["b"]]


def test_a_promiscuous_port_sees_traffic_for_others_only_where_allowed() -> None:
    vswitch, ids = switch(a=0, b=0, c=0)
    vswitch.send(ids["a"], frame(BROADCAST, A), now=0)
    vswitch.send(ids["b"], frame(BROADCAST, B), now=0)
    sniffer = vswitch.ports[ids["c"]]
    sniffer.promiscuous = True
    assert [p for p, _ in vswitch.send(ids["a"], frame(B, A), now=0)] == [ids["b"]]  # policy rejects
    sniffer.security = Security(allow_promiscuous=True)
    assert sorted(p for p, _ in vswitch.send(ids["a"], frame(B, A), now=0)) == [ids["b"], ids["c"]]


def test_malformed_frames_are_dropped_and_counted() -> None:
    vswitch, ids = switch(a=0, b=0)
    assert vswitch.send(ids["a"], b"\x00" * 10, now=0) == []
    assert vswitch.send(ids["a"], frame(B, A, payload=b"x" * 1501), now=0) == []
    assert vswitch.send(ids["a"], frame(B, A, vid=4095), now=0) == []
    drops = vswitch.ports[ids["a"]].stats.drops
    assert (drops[Drop.RUNT], drops[Drop.OVERSIZE], drops[Drop.BAD_VLAN]) == (1, 1, 1)
    for bad in (b"", b"\xff" * 13, b"\x00" * 12 + b"\x81\x00\x00"):
        with pytest.raises(FrameError):
            parse(bad, 1500)


def test_shaping_holds_the_average_after_the_burst() -> None:
    vswitch, ids = switch(a=0, b=0)
    vswitch.ports[ids["a"]].shaper = Shaper(average_bps=8_000_000, peak_bps=80_000_000, burst_bytes=10_000)
    sent = 0
    for step in range(10_000):  # 1 s of 1000-byte frames offered at 10 MB/s
        sent += len(vswitch.send(ids["a"], frame(B, A, payload=b"x" * 986), now=step / 10_000)) > 0
    assert sent * 1000 == pytest.approx(1_000_000 + 10_000, rel=0.02)  # 1 MB/s plus the burst
    assert vswitch.ports[ids["a"]].stats.drops[Drop.SHAPED] == 10_000 - sent


def test_ports_run_out_and_uplinks_carry_unknown_destinations() -> None:
    vswitch = VSwitch("vSwitch1", num_ports=2, mtu=1500, has_uplink=True)
    first = vswitch.connect("pg", 0, A, Security())
    vswitch.connect("pg", 0, B, Security())
    with pytest.raises(PortsExhausted):
        vswitch.connect("pg", 0, C, Security())
    deliveries = vswitch.send(first.id, frame(C, A), now=0)
    assert (UPLINK, frame(C, A)) in deliveries
    assert vswitch.receive_from_uplink(frame(A, C)) == [(first.id, frame(A, C))]  # A is known
    vswitch.disconnect(first.id)
    assert vswitch.connect("pg", 0, C, Security()).id == first.id

"""The frame path VM → VM through the vSwitch, against a raw unix datagram socket pair (issue 5).

Two VMs on "VM Network": one pings the other back to back (``sim.net.pingRate =
max``: the next echo request as soon as the last reply came). Each round trip
is two frames switched by the VMkernel (the request and the reply, each in
from one port and out to the other) and two guests' IPv4 stacks. Frames per second are the switch's own
counters over a window; latency is the guests' mean round trip. The baseline:
two processes doing the same ping-pong of 98-byte messages over a unix datagram
socket pair, in the same run.
"""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass

from bench.common import Figure, booted_host
from clients import Client

WINDOW_S = 3.0

_PINGPONG = """
import os, socket, sys, time
a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
seconds = float(sys.argv[1])
if os.fork() == 0:
    a.close()
    while True:
        data = b.recv(2048)
        if not data:
            os._exit(0)
        b.send(data)
b.close()
message, done, start = b"x" * 98, 0, time.monotonic()
while time.monotonic() - start < seconds:
    a.send(message)
    a.recv(2048)
    done += 1
elapsed = time.monotonic() - start
a.send(b"")  # an empty datagram: the echo process ends
print(done / elapsed)
"""


@dataclass
class NetworkResult:
    title = "Guest network"
    timed = True
    window_s: float = WINDOW_S
    frames_per_s: float = 0.0
    rtt_ms: float = 0.0
    raw_round_trips_per_s: float = 0.0

    def figures(self) -> list[Figure]:
        raw_frames = self.raw_round_trips_per_s * 2
        return [
            Figure(
                "VM → VM frames through the vSwitch", self.frames_per_s, "frames/s", raw_frames,
                "messages/s over a unix datagram socket pair",
            ),
            Figure(
                "VM → VM ping round trip", self.rtt_ms, "ms", 1000 / self.raw_round_trips_per_s,
                "a round trip over a unix datagram socket pair",
            ),
        ]  # fmt: skip

    def details(self) -> list[str]:
        return [
            f"Two VMs on VM Network, one pinging the other back to back for {self.window_s:.0f} s after a "
            f"1 s warm-up: {self.frames_per_s:,.0f} frames/s switched (its port counters; two frames a "
            f"round trip), mean round trip {self.rtt_ms:.2f} ms (the guest's own). Baseline: "
            f"{self.raw_round_trips_per_s:,.0f} round trips/s of 98-byte messages between two processes "
            "over a unix datagram socket pair.",
        ]


def _switched_frames(client: Client) -> int:
    return sum(p.packets_in for p in client.net_stats().ports)


def _pings(client: Client, vm_id: str) -> tuple[float, float]:
    counters = client.guest_info(vm_id).counters
    return counters.get("net.pings_received", 0.0), counters.get("net.total_rtt_ms", 0.0)


def run(window_s: float = WINDOW_S) -> NetworkResult:
    result = NetworkResult(window_s)
    with booted_host() as host, host.client() as client:
        vms = []
        for name, settings in (
            ("echo", {"sim.net.ip": "10.9.0.2/24"}),
            ("pinger", {"sim.net.ip": "10.9.0.1/24", "sim.net.ping": "10.9.0.2", "sim.net.pingRate": "max"}),
        ):
            vm_id = client.wait_for_task(client.create_vm(name, memory_mb=64).id).result_entity_id
            client.wait_for_task(client.reconfigure_vm(vm_id, set_extra_config=settings).id)
            client.wait_for_task(client.power_on(vm_id).id)
            vms.append(vm_id)
        time.sleep(1.0)  # warm-up: ARP done, the ping-pong running
        frames, (pings, rtt), start = _switched_frames(client), _pings(client, vms[1]), time.monotonic()
        time.sleep(window_s)  # the measurement window
        elapsed = time.monotonic() - start
        pings_after, rtt_after = _pings(client, vms[1])
        result.frames_per_s = (_switched_frames(client) - frames) / elapsed
        result.rtt_ms = (rtt_after - rtt) / max(1.0, pings_after - pings)
    done = subprocess.run(
        [sys.executable, "-c", _PINGPONG, str(window_s)], capture_output=True, text=True, check=True
    )
    result.raw_round_trips_per_s = float(done.stdout)
    return result

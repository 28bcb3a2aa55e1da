"""The simulated guest's settings, kept in the .vmx as VM advanced settings (extra config).

``sim.cpu.demand``: percent (0–100) of each vCPU the guest's work keeps busy.
``sim.mem.activeMB``: memory (MB) the guest's working set touches, re-touched every
second (vmx/guestmem.py; capped at the VM's memory size).
``sim.disk.iops``: the guest's disk workload on its first disk, in I/Os per second
(0: none; ``max``: as fast as the storage stack answers); ``sim.disk.pattern``:
``randwrite`` (default), ``randread``, ``seqwrite``, ``seqread`` or ``randrw``;
``sim.disk.blockKB``: the size of each I/O (4 by default, 1-1024);
``sim.disk.queueDepth``: I/Os it keeps in flight (1 by default, up to 32).
``sim.net.ip``: the guest's IPv4 address on its first NIC (``10.0.0.5/24``);
``sim.net.ping``: an address it pings every second; ``sim.net.mac``: a MAC it
takes instead of its NIC's; ``sim.net.spoof``: a source MAC it forges on its
pings; ``sim.net.promiscuous``: TRUE puts its NIC in promiscuous mode;
``sim.net.pingRate``: pings per second (1 by default; ``max``: the next as soon
as the last is answered).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from pyesx import faults

CPU_DEMAND_KEY = "sim.cpu.demand"
MEM_ACTIVE_KEY = "sim.mem.activeMB"
DISK_IOPS_KEY = "sim.disk.iops"
DISK_PATTERN_KEY = "sim.disk.pattern"
DISK_BLOCK_KEY = "sim.disk.blockKB"
DISK_DEPTH_KEY = "sim.disk.queueDepth"
MAX_QUEUE_DEPTH = 32
NET_IP_KEY = "sim.net.ip"
NET_PING_KEY = "sim.net.ping"
NET_MAC_KEY = "sim.net.mac"
NET_SPOOF_KEY = "sim.net.spoof"
NET_PROMISCUOUS_KEY = "sim.net.promiscuous"
NET_PING_RATE_KEY = "sim.net.pingRate"
_MAC = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$", re.IGNORECASE)
DISK_PATTERNS = ("randwrite", "randread", "seqwrite", "seqread", "randrw")
MAX_DISK_IOPS = 1_000_000
MAX_BLOCK_KB = 1024
#: the guest tools' balloon driver inflates by at most this much per memory-scheduler step (~1 s)
BALLOON_INFLATE_MB_PER_STEP = 32
#: the balloon driver takes at most this part of the VM's configured memory (ESXi: 65 %)
BALLOON_MAX_FRACTION = 0.65


def _lookup(config: Mapping[str, str], key: str) -> str | None:
    for name, value in config.items():
        if name.lower() == key.lower():
            return value
    return None


def check(key: str, value: str) -> None:
    """InvalidArgument unless value is valid for a simulated-guest key (other keys pass)."""
    if key.lower() == CPU_DEMAND_KEY.lower() and not (value.isdigit() and 0 <= int(value) <= 100):
        raise faults.InvalidArgument(key, f"'{value}' is not a percentage from 0 to 100")
    if key.lower() == MEM_ACTIVE_KEY.lower() and not (value.isdigit() and int(value) <= 24 * 1024 * 1024):
        raise faults.InvalidArgument(key, f"'{value}' is not a size in MB")
    if key.lower() == DISK_IOPS_KEY.lower() and not (
        value.lower() == "max" or (value.isdigit() and int(value) <= MAX_DISK_IOPS)
    ):
        raise faults.InvalidArgument(key, f"'{value}' is not a number of I/Os per second (or max)")
    if key.lower() == DISK_PATTERN_KEY.lower() and value.lower() not in DISK_PATTERNS:
        raise faults.InvalidArgument(key, f"'{value}' is not one of {', '.join(DISK_PATTERNS)}")
    _check_net(key, value)
    if key.lower() == DISK_DEPTH_KEY.lower() and not (value.isdigit() and 1 <= int(value) <= MAX_QUEUE_DEPTH):
        raise faults.InvalidArgument(key, f"'{value}' is not a queue depth from 1 to {MAX_QUEUE_DEPTH}")
    if key.lower() == DISK_BLOCK_KEY.lower() and not (value.isdigit() and 1 <= int(value) <= MAX_BLOCK_KB):
        raise faults.InvalidArgument(key, f"'{value}' is not a block size in KB from 1 to {MAX_BLOCK_KB}")


def cpu_demand(config: Mapping[str, str]) -> int:
    """The guest's CPU demand in percent of each vCPU (0 when unset or invalid)."""
    value = _lookup(config, CPU_DEMAND_KEY) or "0"
    return int(value) if value.isdigit() and int(value) <= 100 else 0


def mem_active_mb(config: Mapping[str, str]) -> int:
    """The guest's working set in MB (0 when unset or invalid)."""
    value = _lookup(config, MEM_ACTIVE_KEY) or "0"
    return int(value) if value.isdigit() and int(value) <= 24 * 1024 * 1024 else 0


@dataclass(frozen=True)
class DiskWorkload:
    """The guest's disk workload: I/Os per second (0 none, -1 as fast as it can), pattern, block."""

    iops: int = 0
    pattern: str = "randwrite"
    block_kb: int = 4
    queue_depth: int = 1  # I/Os the guest keeps in flight

    def to_dict(self) -> dict[str, int | str]:
        return {
            "iops": self.iops,
            "pattern": self.pattern,
            "block_kb": self.block_kb,
            "queue_depth": self.queue_depth,
        }


def disk_workload(config: Mapping[str, str]) -> DiskWorkload:
    """The guest's disk workload from its settings (none when unset or invalid)."""
    iops_text = (_lookup(config, DISK_IOPS_KEY) or "0").lower()
    pattern = (_lookup(config, DISK_PATTERN_KEY) or "randwrite").lower()
    block = _lookup(config, DISK_BLOCK_KEY) or "4"
    depth = _lookup(config, DISK_DEPTH_KEY) or "1"
    iops = -1 if iops_text == "max" else int(iops_text) if iops_text.isdigit() else 0
    return DiskWorkload(
        iops if iops <= MAX_DISK_IOPS else 0,
        pattern if pattern in DISK_PATTERNS else "randwrite",
        int(block) if block.isdigit() and 1 <= int(block) <= MAX_BLOCK_KB else 4,
        int(depth) if depth.isdigit() and 1 <= int(depth) <= MAX_QUEUE_DEPTH else 1,
    )


def _check_net(key: str, value: str) -> None:
    import ipaddress  # here, not at the top: the vmx template (every VM's pages) need not hold it

    name = key.lower()
    if name == NET_IP_KEY.lower():
        try:
            ipaddress.IPv4Interface(value)
        except ValueError:
            raise faults.InvalidArgument(
                key, f"'{value}' is not an IPv4 address with a prefix, like 10.0.0.5/24"
            ) from None
    elif name == NET_PING_KEY.lower():
        try:
            ipaddress.IPv4Address(value)
        except ValueError:
            raise faults.InvalidArgument(key, f"'{value}' is not an IPv4 address") from None
    elif name in (NET_MAC_KEY.lower(), NET_SPOOF_KEY.lower()) and not _MAC.match(value):
        raise faults.InvalidArgument(key, f"'{value}' is not a MAC address like 00:50:56:00:00:01")
    elif name == NET_PROMISCUOUS_KEY.lower() and value.upper() not in ("TRUE", "FALSE"):
        raise faults.InvalidArgument(key, f"'{value}' is not TRUE or FALSE")
    elif name == NET_PING_RATE_KEY.lower() and not (
        value.lower() == "max" or (value.isdigit() and 1 <= int(value) <= 100_000)
    ):
        raise faults.InvalidArgument(key, f"'{value}' is not a number of pings per second (1-100000) or max")


@dataclass(frozen=True)
class NetSettings:
    """The guest's network: its address, a target to ping, a MAC of its own, a forged source MAC."""

    ip: str = ""
    ping: str = ""
    mac: str = ""
    spoof: str = ""
    promiscuous: bool = False
    ping_rate: int = 1  # pings per second; -1: the next as soon as the last is answered

    def to_dict(self) -> dict[str, str | bool | int]:
        return {
            "ip": self.ip,
            "ping": self.ping,
            "mac": self.mac,
            "spoof": self.spoof,
            "promiscuous": self.promiscuous,
            "ping_rate": self.ping_rate,
        }


def net_settings(config: Mapping[str, str]) -> NetSettings:
    """The guest's network settings (each invalid one left out)."""
    values = {}
    for key, name in (
        (NET_IP_KEY, "ip"),
        (NET_PING_KEY, "ping"),
        (NET_MAC_KEY, "mac"),
        (NET_SPOOF_KEY, "spoof"),
    ):
        value = _lookup(config, key) or ""
        try:
            if value:
                _check_net(key, value)
                values[name] = value
        except faults.InvalidArgument:
            continue
    promiscuous = (_lookup(config, NET_PROMISCUOUS_KEY) or "").upper() == "TRUE"
    rate_text = (_lookup(config, NET_PING_RATE_KEY) or "1").lower()
    rate = -1 if rate_text == "max" else int(rate_text) if rate_text.isdigit() and int(rate_text) >= 1 else 1
    return NetSettings(**values, promiscuous=promiscuous, ping_rate=rate)


def first_nic(config: Mapping[str, str]) -> str:
    """The key of the VM's first present NIC ("ethernet0"), or "" without one."""
    keys = []
    for key, value in config.items():
        match = re.match(r"^(ethernet\d+)\.present$", key, re.IGNORECASE)
        if match and value.upper() == "TRUE":
            keys.append(match[1].lower())
    return min(keys, key=lambda k: int(k[8:])) if keys else ""

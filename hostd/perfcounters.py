"""The performance counter catalogue: vSphere's realtime counters that hostd samples.

A counter is named ``group.counter.rollup`` as in vSphere (``cpu.usage.average``).
Units are vSphere's: percent with two decimals, MHz, milliseconds summed over the
interval, KB for memory, and per second, KB per second and average milliseconds
for virtual disks (whose instances are the disks, "scsi0:0") and NICs (instances
"ethernet0"; packets summed over the interval). A counter is
*collected* when a statistics source (``hostd.perfsources``) provides it; the
others are catalogued only.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyesx import faults

HOST_ID = "ha-host"  # the host's entity id, as ESXi names its HostSystem
HOST_TYPE, VM_TYPE = "HostSystem", "VirtualMachine"
BOTH = (HOST_TYPE, VM_TYPE)


@dataclass(frozen=True)
class PerfCounter:
    """One counter: its vSphere name, unit, rollup and meaning."""

    group: str
    counter: str
    rollup: str  # "average" | "summation"
    unit: str  # "%" | "MHz" | "ms" | "KB"
    stats_type: str  # "rate" | "delta" | "absolute"
    description: str
    per_instance: bool = False  # also sampled per instance (a vCPU "0", "1", ...; a disk "scsi0:0")
    entity_types: tuple[str, ...] = BOTH

    @property
    def name(self) -> str:
        return f"{self.group}.{self.counter}.{self.rollup}"


CPU_USAGE = PerfCounter(
    "cpu",
    "usage",
    "average",
    "%",
    "rate",
    "CPU used, as a percentage of the entity's capacity (a VM: vCPUs x PCPU MHz; the host: PCPUs x MHz)",
)
CPU_USAGEMHZ = PerfCounter("cpu", "usagemhz", "average", "MHz", "rate", "CPU used, in MHz", per_instance=True)
CPU_READY = PerfCounter(
    "cpu",
    "ready",
    "summation",
    "ms",
    "delta",
    "Time ready to run but not running, including time held back by a limit, over the interval",
    per_instance=True,
)
CPU_COSTOP = PerfCounter(
    "cpu",
    "costop",
    "summation",
    "ms",
    "delta",
    "Time co-stopped by relaxed co-scheduling, over the interval",
    per_instance=True,
)
MEM_ACTIVE = PerfCounter("mem", "active", "average", "KB", "absolute", "Memory the guest used recently")
MEM_GRANTED = PerfCounter("mem", "granted", "average", "KB", "absolute", "Memory mapped for the guest")
MEM_CONSUMED = PerfCounter(
    "mem", "consumed", "average", "KB", "absolute", "Host memory the guest uses (granted less shared)"
)
MEM_VMMEMCTL = PerfCounter(
    "mem", "vmmemctl", "average", "KB", "absolute", "Memory reclaimed by the balloon driver"
)
MEM_SWAPPED = PerfCounter("mem", "swapped", "average", "KB", "absolute", "Memory swapped out to the .vswp")

DISK_READS = PerfCounter(
    "virtualDisk", "numberReadAveraged", "average", "num/s", "rate", "Reads per second", per_instance=True
)
DISK_WRITES = PerfCounter(
    "virtualDisk", "numberWriteAveraged", "average", "num/s", "rate", "Writes per second", per_instance=True
)
DISK_READ_KBPS = PerfCounter(
    "virtualDisk", "read", "average", "KBps", "rate", "KB read per second", per_instance=True
)
DISK_WRITE_KBPS = PerfCounter(
    "virtualDisk", "write", "average", "KBps", "rate", "KB written per second", per_instance=True
)
DISK_READ_LATENCY = PerfCounter(
    "virtualDisk",
    "totalReadLatency",
    "average",
    "ms",
    "absolute",
    "Average time a read took, from arrival at the VMkernel to completion",
    per_instance=True,
)
DISK_WRITE_LATENCY = PerfCounter(
    "virtualDisk",
    "totalWriteLatency",
    "average",
    "ms",
    "absolute",
    "Average time a write took, from arrival at the VMkernel to completion",
    per_instance=True,
)

NET_PACKETS_TX = PerfCounter(
    "net",
    "packetsTx",
    "summation",
    "num",
    "delta",
    "Packets the VM sent, over the interval",
    per_instance=True,
)
NET_PACKETS_RX = PerfCounter(
    "net",
    "packetsRx",
    "summation",
    "num",
    "delta",
    "Packets delivered to the VM, over the interval",
    per_instance=True,
)
NET_TRANSMITTED = PerfCounter(
    "net", "transmitted", "average", "KBps", "rate", "KB sent per second", per_instance=True
)
NET_RECEIVED = PerfCounter(
    "net", "received", "average", "KBps", "rate", "KB received per second", per_instance=True
)
NET_DROPPED_TX = PerfCounter(
    "net",
    "droppedTx",
    "summation",
    "num",
    "delta",
    "Packets the VM sent that the vSwitch dropped (policy, VLAN, shaping, malformed)",
    per_instance=True,
)
NET_DROPPED_RX = PerfCounter(
    "net",
    "droppedRx",
    "summation",
    "num",
    "delta",
    "Packets for the VM dropped because it did not take them in time",
    per_instance=True,
)

CATALOGUE: tuple[PerfCounter, ...] = (
    CPU_USAGE,
    CPU_USAGEMHZ,
    CPU_READY,
    CPU_COSTOP,
    MEM_ACTIVE,
    MEM_GRANTED,
    MEM_CONSUMED,
    MEM_VMMEMCTL,
    MEM_SWAPPED,
    DISK_READS,
    DISK_WRITES,
    DISK_READ_KBPS,
    DISK_WRITE_KBPS,
    DISK_READ_LATENCY,
    DISK_WRITE_LATENCY,
    NET_PACKETS_TX,
    NET_PACKETS_RX,
    NET_TRANSMITTED,
    NET_RECEIVED,
    NET_DROPPED_TX,
    NET_DROPPED_RX,
)
_BY_NAME = {c.name.lower(): c for c in CATALOGUE}


def counter(name: str) -> PerfCounter:
    """The counter named ``name`` (any case); InvalidArgument naming it when there is none."""
    found = _BY_NAME.get(name.lower())
    if found is None:
        raise faults.InvalidArgument(
            "counters",
            f"unknown counter '{name}' (counters are named group.counter.rollup, e.g. cpu.usage.average)",
        )
    return found

"""``pyesx esxtop``: esxtop's CPU, memory and virtual disk views, live or in batch mode (CSV, ``-b``).

    pyesx esxtop [-d SECONDS] [-n ITERATIONS] [-b] [--view cpu|memory|disk|network]
                 [--server HOST:PORT --user U --password P]

CPU view: one row per VMM world (one vCPU of a VM) over the last interval:
%RUN (on a PCPU), %RDY (runnable but not running: waiting for a PCPU or held
by a limit), %MLMTD (the part of %RDY held by the VM's limit or entitlement),
%CSTP (co-stopped), %WAIT (the rest: halted or blocked), so that
%RUN + %RDY + %CSTP + %WAIT = 100, and %IDLE (the part of %WAIT in the guest's
idle loop, not blocked on its disk I/O). %USED equals %RUN here (no frequency
scaling or hyper-threading to account for). The header shows each PCPU's use
(PCPU USED(%), from the kernel's accounting) and their average.

Memory view: one row per powered-on VM, in MB: MEMSZ (configured), GRANT
(touched, not reclaimed), CNSM (consumed: resident, measured from the OS), ACTV
(working set), MCTLSZ / MCTLTGT (balloon size / target), SWCUR / SWTGT
(swapped / swap target); the header shows the host's memory (PMEM), free
memory, minFree and state (high, clear, soft, hard, low).

Virtual disk view: one row per disk of a powered-on VM over the last interval:
CMDS/s, READS/s, WRITES/s, MBREAD/s, MBWRTN/s, LAT/rd and LAT/wr (average ms
from arrival at the VMkernel to completion), and the disk's SHARES and LIMIT
(IOPS, -1 unlimited) under mClock.

Network view: one row per vSwitch port (a connected NIC of a powered-on VM)
over the last interval, as the VM sees it: PKTTX/s and MbTX/s (sent into the
switch), PKTRX/s and MbRX/s (delivered to it), %DRPTX and %DRPRX (dropped).

Live keys, as esxtop's: ``c`` CPU view, ``m`` memory view, ``v`` virtual disk
view, ``n`` network view; ``U`` sort by %USED, ``R`` by %RDY, ``N`` by name
(CPU); ``M`` by MEMSZ, ``B`` by MCTLSZ (memory; CNSM by default); ``L`` by
latency (disk; CMDS/s by default); ``T`` by PKTTX/s, ``R`` by PKTRX/s
(network); ``s`` then a number and Enter sets the refresh interval; ``q`` quits.
Batch mode writes one CSV row per world, VM or disk per interval, with a header
(the memory rows also carry the host's figures).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as dt
import os
import select
import sys
import termios
import time
import tty
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from clients.sdk import Client, connect
from pyesx import faults
from pyesx.api.v1 import performance_pb2

COLUMNS = ("%USED", "%RUN", "%RDY", "%MLMTD", "%CSTP", "%WAIT", "%IDLE")
MEMORY_COLUMNS = ("MEMSZ", "GRANT", "CNSM", "ACTV", "MCTLSZ", "MCTLTGT", "SWCUR", "SWTGT")
MEMORY_HOST_COLUMNS = ("PMEM", "FREE", "MINFREE", "STATE")
NET_COLUMNS = ("PKTTX/s", "MbTX/s", "PKTRX/s", "MbRX/s", "%DRPTX", "%DRPRX")
DISK_COLUMNS = (
    "CMDS/s",
    "READS/s",
    "WRITES/s",
    "MBREAD/s",
    "MBWRTN/s",
    "LAT/rd",
    "LAT/wr",
    "SHARES",
    "LIMIT",
)
VIEW_KEYS = {"c": "cpu", "m": "memory", "v": "disk", "n": "network"}
#: sort keys per view: key -> (sort name, column index or -1 for the name)
SORT_KEYS = {
    "cpu": {"U": 0, "R": 2, "N": -1},
    "memory": {"M": 0, "B": 4, "N": -1},
    "disk": {"L": 6, "N": -1},
    "network": {"T": 0, "R": 2, "N": -1},
}
DEFAULT_SORT = {"cpu": 0, "memory": 2, "disk": 0, "network": 0}
MIB = 2**20


@dataclass(frozen=True)
class WorldRates:
    name: str
    vm_id: str
    vcpu: int
    run: float
    ready: float
    limited: float
    costop: float
    io_wait: float = 0.0

    @property
    def wait(self) -> float:
        return max(0.0, 100.0 - self.run - self.ready - self.costop)

    @property
    def idle(self) -> float:
        """The part of %WAIT the guest spent in its idle loop (not blocked on its disk I/O)."""
        return max(0.0, self.wait - self.io_wait)

    def values(self) -> tuple[float, ...]:
        return (self.run, self.run, self.ready, self.limited, self.costop, self.wait, self.idle)


def rates(before: performance_pb2.WorldStats, after: performance_pb2.WorldStats) -> list[WorldRates]:
    """Percentages over the interval between two readings, for the worlds present in both."""
    elapsed = after.timestamp - before.timestamp
    earlier = {w.world_id: w for w in before.worlds}
    out = []
    for w in after.worlds:
        b = earlier.get(w.world_id)
        if b is None or elapsed <= 0:
            continue

        def pct(now: float, then: float) -> float:
            return max(0.0, min(100.0, (now - then) / elapsed * 100))

        out.append(
            WorldRates(
                w.name,
                w.vm_id,
                w.vcpu,
                pct(w.run_seconds, b.run_seconds),
                pct(w.ready_seconds, b.ready_seconds),
                pct(w.limited_seconds, b.limited_seconds),
                pct(w.costop_seconds, b.costop_seconds),
                pct(w.io_wait_seconds, b.io_wait_seconds),
            )
        )
    return sorted(out, key=lambda r: -r.run)


def pcpu_used(before: performance_pb2.WorldStats, after: performance_pb2.WorldStats) -> list[float]:
    """Each PCPU's busy percentage over the interval (the kernel's accounting)."""
    elapsed = after.timestamp - before.timestamp
    if elapsed <= 0 or len(before.pcpu_used_seconds) != len(after.pcpu_used_seconds):
        return []
    return [
        max(0.0, min(100.0, (a - b) / elapsed * 100))
        for a, b in zip(after.pcpu_used_seconds, before.pcpu_used_seconds, strict=True)
    ]


@dataclass(frozen=True)
class DiskRates:
    vm_id: str
    key: str
    datastore: str
    values: tuple[float, ...]  # in DISK_COLUMNS order


def disk_rates(before: performance_pb2.DiskStats, after: performance_pb2.DiskStats) -> list[DiskRates]:
    """Per-disk rates over the interval between two readings, for the disks present in both."""
    elapsed = after.timestamp - before.timestamp
    earlier = {(d.vm_id, d.key): d for d in before.disks}
    out = []
    for d in after.disks:
        b = earlier.get((d.vm_id, d.key))
        if b is None or elapsed <= 0:
            continue
        reads, writes = d.reads - b.reads, d.writes - b.writes
        out.append(
            DiskRates(
                d.vm_id,
                d.key,
                d.datastore,
                (
                    (reads + writes) / elapsed,
                    reads / elapsed,
                    writes / elapsed,
                    (d.bytes_read - b.bytes_read) / MIB / elapsed,
                    (d.bytes_written - b.bytes_written) / MIB / elapsed,
                    (d.read_latency_ms - b.read_latency_ms) / reads if reads else 0.0,
                    (d.write_latency_ms - b.write_latency_ms) / writes if writes else 0.0,
                    float(d.shares),
                    float(d.limit_iops or -1),
                ),
            )
        )
    return out


@dataclass(frozen=True)
class PortRates:
    vm_id: str
    nic_key: str
    virtual_switch: str
    port_id: int
    values: tuple[float, ...]  # in NET_COLUMNS order


def net_rates(before: performance_pb2.NetStats, after: performance_pb2.NetStats) -> list[PortRates]:
    """Per-port rates over the interval, as the VM sees them: TX is what it sent into the switch,
    RX what the switch delivered to it; %DRP the part of each direction dropped."""
    elapsed = after.timestamp - before.timestamp
    earlier = {(p.vm_id, p.nic_key): p for p in before.ports}
    out = []
    for p in after.ports:
        b = earlier.get((p.vm_id, p.nic_key))
        if b is None or elapsed <= 0:
            continue
        tx, rx = p.packets_in - b.packets_in, p.packets_out - b.packets_out
        dropped_tx = (
            sum(p.drops.values())
            - sum(b.drops.values())
            - (p.drops.get("receiver_full", 0) - b.drops.get("receiver_full", 0))
        )
        dropped_rx = p.drops.get("receiver_full", 0) - b.drops.get("receiver_full", 0)

        def pct(dropped: int, passed: int) -> float:
            return 100.0 * dropped / (dropped + passed) if dropped + passed else 0.0

        out.append(
            PortRates(
                p.vm_id,
                p.nic_key,
                p.virtual_switch,
                p.port_id,
                (
                    tx / elapsed,
                    (p.bytes_in - b.bytes_in) * 8 / 1e6 / elapsed,
                    rx / elapsed,
                    (p.bytes_out - b.bytes_out) * 8 / 1e6 / elapsed,
                    pct(dropped_tx, tx),
                    pct(dropped_rx, rx),
                ),
            )
        )
    return out


def memory_values(vm: performance_pb2.VmMemoryStat) -> tuple[float, ...]:
    """The memory view's columns of one VM (MB)."""
    return (
        vm.configured_mb,
        vm.granted_mb,
        vm.consumed_mb,
        vm.active_mb,
        vm.balloon_mb,
        vm.balloon_target_mb,
        vm.swapped_mb,
        vm.swap_target_mb,
    )


def _sorted(rows: list[tuple[str, tuple[float, ...]]], column: int) -> list[tuple[str, tuple[float, ...]]]:
    if column < 0:
        return sorted(rows, key=lambda row: row[0])
    return sorted(rows, key=lambda row: -row[1][column])


def _table(rows: list[WorldRates], stamp: str, sort: int = 0, pcpus: list[float] | None = None) -> str:
    named = [(f"{r.name[:23]:<24}{r.vm_id:<8}", r.values()) for r in rows]
    used = pcpus or []
    average = sum(used) / len(used) if used else 0.0
    lines = [
        f"{stamp}  CPU view: {len(rows)} VMM worlds",
        "PCPU USED(%): " + " ".join(f"{u:.0f}" for u in used) + f" AVG: {average:.0f}",
        f"{'NAME':<24}{'VM':<8}" + "".join(f"{c:>8}" for c in COLUMNS),
    ]
    lines += [label + "".join(f"{v:8.1f}" for v in values) for label, values in _sorted(named, sort)]
    return "\n".join(lines)


def _memory_header(stats: performance_pb2.MemoryStats) -> str:
    return (
        f"PMEM /MB: {stats.host_memory_mb:.0f} total, {stats.free_mb:.0f} free, "
        f"minFree {stats.min_free_mb:.0f}, state {stats.state}"
    )


def _memory_table(stats: performance_pb2.MemoryStats, stamp: str, sort: int = 2) -> str:
    named = [(f"{vm.name[:23]:<24}{vm.vm_id:<8}", memory_values(vm)) for vm in stats.vms]
    lines = [
        f"{stamp}  memory view: {len(named)} VMs",
        _memory_header(stats),
        f"{'NAME':<24}{'VM':<8}" + "".join(f"{c:>9}" for c in MEMORY_COLUMNS),
    ]
    lines += [label + "".join(f"{v:9.1f}" for v in values) for label, values in _sorted(named, sort)]
    return "\n".join(lines)


def _disk_table(rows: list[DiskRates], stamp: str, sort: int = 0) -> str:
    named = [(f"{r.vm_id:<8}{r.key:<9}{r.datastore[:14]:<15}", r.values) for r in rows]
    lines = [
        f"{stamp}  virtual disk view: {len(rows)} disks",
        f"{'VM':<8}{'DISK':<9}{'DATASTORE':<15}" + "".join(f"{c:>9}" for c in DISK_COLUMNS),
    ]
    lines += [label + "".join(f"{v:9.1f}" for v in values) for label, values in _sorted(named, sort)]
    return "\n".join(lines)


def _net_table(rows: list[PortRates], stamp: str, sort: int = 0) -> str:
    named = [
        (f"{r.port_id:<8}{(r.vm_id + '.' + r.nic_key)[:23]:<24}{r.virtual_switch[:11]:<12}", r.values)
        for r in rows
    ]
    lines = [
        f"{stamp}  network view: {len(rows)} ports",
        f"{'PORT-ID':<8}{'USED-BY':<24}{'DNAME':<12}" + "".join(f"{c:>9}" for c in NET_COLUMNS),
    ]
    lines += [label + "".join(f"{v:9.2f}" for v in values) for label, values in _sorted(named, sort)]
    return "\n".join(lines)


def _stamp(timestamp: float) -> str:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).isoformat(timespec="seconds")


@contextlib.contextmanager
def _keys(live: bool) -> Iterator[bool]:
    """Single keys from a terminal without Enter (cbreak mode) for the live view; yields whether keys work."""
    if not live or not sys.stdin.isatty():
        yield False
        return
    saved = termios.tcgetattr(sys.stdin)
    tty.setcbreak(sys.stdin)
    try:
        yield True
    finally:
        termios.tcsetattr(sys.stdin, termios.TCSADRAIN, saved)


def _wait_key(seconds: float, keys: bool) -> str:
    """Wait the refresh interval; return a key pressed meanwhile ("" if none)."""
    if not keys:
        time.sleep(seconds)  # the refresh interval
        return ""
    readable, _, _ = select.select([sys.stdin], [], [], seconds)
    return sys.stdin.read(1) if readable else ""


def _read_seconds(current: float) -> float:
    """After ``s``: the new refresh interval typed and ended with Enter (the old one if not a number)."""
    print("\nDelay in seconds: ", end="", flush=True)
    typed = ""
    while (char := sys.stdin.read(1)) not in ("\n", "\r", ""):
        typed += char
        print(char, end="", flush=True)
    try:
        return max(0.1, float(typed))
    except ValueError:
        return current


class Readings:
    """The host's counters, read once per refresh, with the previous reading for rates."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.worlds = client.world_stats()
        self.disks = client.disk_stats()
        self.ports = client.net_stats()
        self.world_rates: list[WorldRates] = []
        self.pcpus: list[float] = []
        self.disk_rates: list[DiskRates] = []
        self.port_rates: list[PortRates] = []

    def refresh(self, view: str) -> performance_pb2.MemoryStats | None:
        worlds = self.client.world_stats()
        if worlds.timestamp - self.worlds.timestamp >= 0.1 or not self.world_rates:
            self.world_rates, self.pcpus = rates(self.worlds, worlds), pcpu_used(self.worlds, worlds)
            self.worlds = worlds
        if view == "network":
            ports = self.client.net_stats()
            if ports.timestamp - self.ports.timestamp >= 0.1 or not self.port_rates:
                self.port_rates, self.ports = net_rates(self.ports, ports), ports
        if view == "disk":
            disks = self.client.disk_stats()
            if disks.timestamp - self.disks.timestamp >= 0.1 or not self.disk_rates:
                self.disk_rates, self.disks = disk_rates(self.disks, disks), disks
        return self.client.memory_stats() if view == "memory" else None


def _batch_writer(view: str) -> Callable[[Readings, performance_pb2.MemoryStats | None], None]:
    writer = csv.writer(sys.stdout)
    if view == "cpu":
        writer.writerow(("Timestamp", "World", "VM", "vCPU", *COLUMNS))
    elif view == "memory":
        writer.writerow(("Timestamp", *MEMORY_HOST_COLUMNS, "VM", "Name", *MEMORY_COLUMNS))
    elif view == "network":
        writer.writerow(("Timestamp", "Port", "VM", "NIC", "vSwitch", *NET_COLUMNS))
    else:
        writer.writerow(("Timestamp", "VM", "Disk", "Datastore", *DISK_COLUMNS))

    def write(readings: Readings, memory: performance_pb2.MemoryStats | None) -> None:
        if memory is not None:
            stamp = _stamp(memory.timestamp)
            sizes = (memory.host_memory_mb, memory.free_mb, memory.min_free_mb)
            host = (*(f"{v:.2f}" for v in sizes), memory.state)
            for vm in memory.vms:
                writer.writerow((stamp, *host, vm.vm_id, vm.name, *(f"{v:.2f}" for v in memory_values(vm))))
        elif view == "network":
            stamp = _stamp(readings.ports.timestamp)
            for p in readings.port_rates:
                values = (f"{v:.2f}" for v in p.values)
                writer.writerow((stamp, p.port_id, p.vm_id, p.nic_key, p.virtual_switch, *values))
        elif view == "disk":
            stamp = _stamp(readings.disks.timestamp)
            for d in readings.disk_rates:
                writer.writerow((stamp, d.vm_id, d.key, d.datastore, *(f"{v:.2f}" for v in d.values)))
        else:
            stamp = _stamp(readings.worlds.timestamp)
            for r in readings.world_rates:
                writer.writerow((stamp, r.name, r.vm_id, r.vcpu, *(f"{v:.2f}" for v in r.values())))
        sys.stdout.flush()

    return write


def _screen(readings: Readings, memory: performance_pb2.MemoryStats | None, view: str, sort: int) -> str:
    if memory is not None:
        return _memory_table(memory, _stamp(memory.timestamp), sort)
    if view == "disk":
        return _disk_table(readings.disk_rates, _stamp(readings.disks.timestamp), sort)
    if view == "network":
        return _net_table(readings.port_rates, _stamp(readings.ports.timestamp), sort)
    return _table(readings.world_rates, _stamp(readings.worlds.timestamp), sort, readings.pcpus)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pyesx esxtop", description=__doc__.split("\n\n")[0])
    parser.add_argument("-b", action="store_true", help="batch mode: CSV to standard output")
    parser.add_argument("-d", type=float, default=5.0, help="seconds between refreshes (default 5)")
    parser.add_argument("-n", type=int, default=0, help="iterations (default: until Ctrl-C)")
    parser.add_argument(
        "--view", choices=("cpu", "memory", "disk", "network"), default="cpu", help="the view (default cpu)"
    )
    parser.add_argument("--server", default=os.environ.get("PYESX_SERVER", "127.0.0.1:8443"))
    parser.add_argument("--user", default=os.environ.get("PYESX_USER", "root"))
    parser.add_argument("--password", default=os.environ.get("PYESX_PASSWORD", ""))
    args = parser.parse_args(argv)
    if args.d < 0.1 or args.n < 0:
        parser.error("-d must be at least 0.1 and -n not negative")
    view, delay = args.view, args.d
    sort = dict(DEFAULT_SORT)
    try:
        with connect(args.server, args.user, args.password) as client, _keys(not args.b) as keys:
            batch = _batch_writer(view) if args.b else None
            readings = Readings(client)
            done = 0
            while not args.n or done < args.n:
                key = _wait_key(delay, keys)
                if key == "q":
                    return 0
                if key == "s":
                    delay = _read_seconds(delay)
                view = VIEW_KEYS.get(key, view)
                sort[view] = SORT_KEYS[view].get(key, sort[view])
                memory = readings.refresh(view)
                if batch is not None:
                    batch(readings, memory)
                else:
                    clear = "\x1b[H\x1b[2J" if sys.stdout.isatty() else ""
                    print(clear + _screen(readings, memory, view, sort[view]), flush=True)
                done += 1
    except faults.VimFault as fault:
        print(f"esxtop: {fault}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    return 0

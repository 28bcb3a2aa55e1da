"""``pyesx esxtop``: the CPU and memory views of esxtop, live or in batch mode (CSV, like ``esxtop -b``).

    pyesx esxtop [-d SECONDS] [-n ITERATIONS] [-b] [--view cpu|memory]
                 [--server HOST:PORT --user U --password P]

Each row is one VMM world (one vCPU of a VM) over the last interval:
%RUN (on a PCPU), %RDY (runnable but not running: waiting for a PCPU or held
by a limit), %MLMTD (the part of %RDY held by the VM's limit or entitlement),
%CSTP (co-stopped), %WAIT (the rest: halted or blocked), so that
%RUN + %RDY + %CSTP + %WAIT = 100. %USED equals %RUN here (no frequency
scaling or hyper-threading to account for). Batch mode writes one CSV row per
world per interval, with a header, and is meant for files and scripts.

The memory view (``--view memory``; ``m`` switches to it live, ``c`` back to
CPU, ``q`` quits) has one row per powered-on VM, in MB: MEMSZ (configured),
GRANT (touched, not reclaimed), CNSM (consumed: resident, measured from the
OS), ACTV (working set), MCTLSZ / MCTLTGT (balloon size / target), SWCUR /
SWTGT (swapped / swap target); the header line shows the host's memory (PMEM),
free memory, minFree and state (high, clear, soft, hard, low). In batch mode
each row also carries the host's figures.
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
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from clients.sdk import connect
from pyesx import faults
from pyesx.api.v1 import performance_pb2

COLUMNS = ("%USED", "%RUN", "%RDY", "%MLMTD", "%CSTP", "%WAIT")
MEMORY_COLUMNS = ("MEMSZ", "GRANT", "CNSM", "ACTV", "MCTLSZ", "MCTLTGT", "SWCUR", "SWTGT")
MEMORY_HOST_COLUMNS = ("PMEM", "FREE", "MINFREE", "STATE")


@dataclass(frozen=True)
class WorldRates:
    name: str
    vm_id: str
    vcpu: int
    run: float
    ready: float
    limited: float
    costop: float

    @property
    def wait(self) -> float:
        return max(0.0, 100.0 - self.run - self.ready - self.costop)

    def values(self) -> tuple[float, ...]:
        return (self.run, self.run, self.ready, self.limited, self.costop, self.wait)


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
            )
        )
    return sorted(out, key=lambda r: -r.run)


def _table(rows: list[WorldRates], stamp: str) -> str:
    lines = [
        f"{stamp}  CPU view: {len(rows)} VMM worlds",
        f"{'NAME':<24}{'VM':<8}" + "".join(f"{c:>8}" for c in COLUMNS),
    ]
    lines += [f"{r.name[:23]:<24}{r.vm_id:<8}" + "".join(f"{v:8.1f}" for v in r.values()) for r in rows]
    return "\n".join(lines)


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


def _memory_header(stats: performance_pb2.MemoryStats) -> str:
    return (
        f"PMEM /MB: {stats.host_memory_mb:.0f} total, {stats.free_mb:.0f} free, "
        f"minFree {stats.min_free_mb:.0f}, state {stats.state}"
    )


def _memory_table(stats: performance_pb2.MemoryStats, stamp: str) -> str:
    rows = sorted(stats.vms, key=lambda vm: -vm.consumed_mb)
    lines = [
        f"{stamp}  memory view: {len(rows)} VMs",
        _memory_header(stats),
        f"{'NAME':<24}{'VM':<8}" + "".join(f"{c:>9}" for c in MEMORY_COLUMNS),
    ]
    lines += [
        f"{vm.name[:23]:<24}{vm.vm_id:<8}" + "".join(f"{v:9.1f}" for v in memory_values(vm)) for vm in rows
    ]
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


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pyesx esxtop", description=__doc__.split("\n\n")[0])
    parser.add_argument("-b", action="store_true", help="batch mode: CSV to standard output")
    parser.add_argument("-d", type=float, default=5.0, help="seconds between refreshes (default 5)")
    parser.add_argument("-n", type=int, default=0, help="iterations (default: until Ctrl-C)")
    parser.add_argument(
        "--view", choices=("cpu", "memory"), default="cpu", help="CPU (default) or memory view"
    )
    parser.add_argument("--server", default=os.environ.get("PYESX_SERVER", "127.0.0.1:8443"))
    parser.add_argument("--user", default=os.environ.get("PYESX_USER", "root"))
    parser.add_argument("--password", default=os.environ.get("PYESX_PASSWORD", ""))
    args = parser.parse_args(argv)
    if args.d < 0.1 or args.n < 0:
        parser.error("-d must be at least 0.1 and -n not negative")
    view = args.view
    try:
        with connect(args.server, args.user, args.password) as client, _keys(not args.b) as keys:
            writer = csv.writer(sys.stdout)
            if args.b and view == "cpu":
                writer.writerow(("Timestamp", "World", "VM", "vCPU", *COLUMNS))
            if args.b and view == "memory":
                writer.writerow(("Timestamp", *MEMORY_HOST_COLUMNS, "VM", "Name", *MEMORY_COLUMNS))
            before = client.world_stats()
            rows: list[WorldRates] = []
            done = 0
            while not args.n or done < args.n:
                key = _wait_key(args.d, keys)
                if key in ("m", "c"):
                    view = "memory" if key == "m" else "cpu"
                elif key == "q":
                    return 0
                after = client.world_stats()
                if after.timestamp - before.timestamp >= 0.1 or not rows:
                    rows, before = rates(before, after), after
                memory = client.memory_stats() if view == "memory" else None
                if args.b and memory is not None:
                    stamp = _stamp(memory.timestamp)
                    sizes = (memory.host_memory_mb, memory.free_mb, memory.min_free_mb)
                    host = (*(f"{v:.2f}" for v in sizes), memory.state)
                    for vm in memory.vms:
                        values = (f"{v:.2f}" for v in memory_values(vm))
                        writer.writerow((stamp, *host, vm.vm_id, vm.name, *values))
                    sys.stdout.flush()
                elif args.b:
                    stamp = _stamp(after.timestamp)
                    for r in rows:
                        writer.writerow((stamp, r.name, r.vm_id, r.vcpu, *(f"{v:.2f}" for v in r.values())))
                    sys.stdout.flush()
                else:
                    clear = "\x1b[H\x1b[2J" if sys.stdout.isatty() else ""
                    table = (
                        _memory_table(memory, _stamp(memory.timestamp))
                        if memory is not None
                        else _table(rows, _stamp(after.timestamp))
                    )
                    print(clear + table, flush=True)
                done += 1
    except faults.VimFault as fault:
        print(f"esxtop: {fault}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    return 0

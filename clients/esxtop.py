"""``pyesx esxtop``: the CPU view of esxtop, live or in batch mode (CSV, like ``esxtop -b``).

    pyesx esxtop [-d SECONDS] [-n ITERATIONS] [-b] [--server HOST:PORT --user U --password P]

Each row is one VMM world (one vCPU of a VM) over the last interval:
%RUN (on a PCPU), %RDY (runnable but not running: waiting for a PCPU or held
by a limit), %MLMTD (the part of %RDY held by the VM's limit or entitlement),
%CSTP (co-stopped), %WAIT (the rest: halted or blocked), so that
%RUN + %RDY + %CSTP + %WAIT = 100. %USED equals %RUN here (no frequency
scaling or hyper-threading to account for). Batch mode writes one CSV row per
world per interval, with a header, and is meant for files and scripts.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

from clients.sdk import connect
from pyesx import faults
from pyesx.api.v1 import performance_pb2

COLUMNS = ("%USED", "%RUN", "%RDY", "%MLMTD", "%CSTP", "%WAIT")


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


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pyesx esxtop", description=__doc__.split("\n\n")[0])
    parser.add_argument("-b", action="store_true", help="batch mode: CSV to standard output")
    parser.add_argument("-d", type=float, default=5.0, help="seconds between refreshes (default 5)")
    parser.add_argument("-n", type=int, default=0, help="iterations (default: until Ctrl-C)")
    parser.add_argument("--server", default=os.environ.get("PYESX_SERVER", "127.0.0.1:8443"))
    parser.add_argument("--user", default=os.environ.get("PYESX_USER", "root"))
    parser.add_argument("--password", default=os.environ.get("PYESX_PASSWORD", ""))
    args = parser.parse_args(argv)
    if args.d < 0.1 or args.n < 0:
        parser.error("-d must be at least 0.1 and -n not negative")
    try:
        with connect(args.server, args.user, args.password) as client:
            writer = csv.writer(sys.stdout)
            if args.b:
                writer.writerow(("Timestamp", "World", "VM", "vCPU", *COLUMNS))
            before = client.world_stats()
            done = 0
            while not args.n or done < args.n:
                time.sleep(args.d)  # the refresh interval
                after = client.world_stats()
                stamp = dt.datetime.fromtimestamp(after.timestamp, dt.UTC).isoformat(timespec="seconds")
                rows = rates(before, after)
                if args.b:
                    for r in rows:
                        writer.writerow((stamp, r.name, r.vm_id, r.vcpu, *(f"{v:.2f}" for v in r.values())))
                    sys.stdout.flush()
                else:
                    clear = "\x1b[H\x1b[2J" if sys.stdout.isatty() else ""
                    print(clear + _table(rows, stamp), flush=True)
                before, done = after, done + 1
    except faults.VimFault as fault:
        print(f"esxtop: {fault}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    return 0

"""Export realtime performance statistics of the host or VMs to CSV (Get-Stat | Export-Csv).

python -m clients.examples.export_stats --entity host --entity web01 --counter cpu.usage.average -o stats.csv
"""

from __future__ import annotations

import csv
import sys
from contextlib import ExitStack
from typing import TextIO

from clients import objects
from clients.examples.common import parser, run
from clients.model import HOST_ENTITY_ID

HEADER = ("timestamp", "entity", "counter", "instance", "value", "unit", "interval_secs")


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments, run the example; the exit status."""
    args_parser = parser(__doc__)
    args_parser.add_argument("--entity", action="append", default=[], help="'host' or a VM name (repeat)")
    args_parser.add_argument("--counter", action="append", default=[], help="e.g. cpu.usage.average (repeat)")
    args_parser.add_argument("--max-samples", type=int, default=0, help="the newest N of each counter")
    args_parser.add_argument("-o", "--output", default="-", help="CSV file (default: stdout)")
    args = args_parser.parse_args(argv)
    with objects.connect(args.server, args.user, args.password) as session, ExitStack() as files:
        out: TextIO = (
            sys.stdout if args.output == "-" else files.enter_context(open(args.output, "w", newline=""))
        )
        writer = csv.writer(out)
        writer.writerow(HEADER)
        rows = 0
        for entity in args.entity or ["host"]:
            entity_id, label = (
                (HOST_ENTITY_ID, "host") if entity == "host" else (session.vm(entity).id, entity)
            )
            for s in session.stats(entity_id, args.counter or None, args.max_samples):
                writer.writerow(
                    (s.timestamp.isoformat(), label, s.counter, s.instance, s.value, s.unit, s.interval_secs)
                )
                rows += 1
    print(f"wrote {rows} samples", file=sys.stderr)
    return 0


if __name__ == "__main__":
    run(main)

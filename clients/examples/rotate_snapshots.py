"""Take a snapshot of a VM and keep only the newest N of those this script took (by name prefix).

python -m clients.examples.rotate_snapshots web01 --keep 3 [--prefix auto-] [--memory]
"""

from __future__ import annotations

import datetime as dt

from clients import objects
from clients.examples.common import parser, run


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments, run the example; the exit status."""
    args_parser = parser(__doc__)
    args_parser.add_argument("vm", help="the VM's name or id")
    args_parser.add_argument("--keep", type=int, default=3, help="how many rotated snapshots to keep")
    args_parser.add_argument("--prefix", default="auto-", help="the rotated snapshots' name prefix")
    args_parser.add_argument("--memory", action="store_true", help="include a running VM's memory")
    args_parser.add_argument("--no-create", action="store_true", help="only prune, take no new snapshot")
    args = args_parser.parse_args(argv)
    if args.keep < 1:
        args_parser.error("--keep must be at least 1")
    with objects.connect(args.server, args.user, args.password) as session:
        vm = session.vm(args.vm)
        if not args.no_create:
            name = f"{args.prefix}{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S.%fZ}"
            vm.create_snapshot(name, "taken by rotate_snapshots", memory=args.memory).wait()
            print(f"created {name}")
        rotated = [s for s in vm.snapshots() if s.name.startswith(args.prefix)]  # oldest first
        for snapshot in rotated[: max(len(rotated) - args.keep, 0)]:
            snapshot.remove().wait()
            print(f"removed {snapshot.name}")
        print(f"{vm.name}: {min(len(rotated), args.keep)} snapshots named {args.prefix}*")
    return 0


if __name__ == "__main__":
    run(main)

"""Follow the host's events live, for N seconds or until Ctrl-C (tail -f of Get-VIEvent).

python -m clients.examples.follow_events [--seconds 60] [--vm web01] [--type VmPoweredOnEvent]
"""

from __future__ import annotations

import sys

from clients import objects
from clients.examples.common import parser, run


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments, run the example; the exit status."""
    args_parser = parser(__doc__)
    args_parser.add_argument(
        "--seconds", type=float, default=None, help="stop after this long (default: Ctrl-C)"
    )
    args_parser.add_argument("--vm", default="", help="only this VM's events (name or id)")
    args_parser.add_argument("--type", action="append", default=[], help="only events of this type (repeat)")
    args_parser.add_argument("--replay", type=int, default=0, help="first show the last N recorded events")
    args = args_parser.parse_args(argv)
    with objects.connect(args.server, args.user, args.password) as session:
        vm = session.vm(args.vm) if args.vm else None
        types = args.type or None
        recent = session.events(vm=vm, types=types, max_count=args.replay) if args.replay > 0 else []
        after_key = min(e.key for e in recent) - 1 if recent else 0
        print(f"following events{f' of {vm.name}' if vm else ''}…", file=sys.stderr, flush=True)
        try:
            for event in session.follow_events(vm, types, args.seconds, after_key):
                when = event.created.strftime("%H:%M:%S") if event.created else "--:--:--"
                print(f"{when}  {event.type:<28} {event.vm_name or '-':<12} {event.message}", flush=True)
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    run(main)

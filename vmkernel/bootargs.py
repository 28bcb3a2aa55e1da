"""``pyesx boot`` arguments: parsed before anything else is imported (see ``vmkernel.zygote``)."""

from __future__ import annotations

import argparse
from pathlib import Path

DEFAULT_STATS_INTERVAL_S = 20  # vSphere's realtime interval


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="pyesx boot", description="Boot a pyesx host in the foreground.")
    parser.add_argument("--root", type=Path, default=Path("var/host"), help="host root (default ./var/host)")
    parser.add_argument(
        "--listen", default="127.0.0.1:8443", help="public gRPC address; port 0 picks a free one"
    )
    parser.add_argument(
        "--memory-mb",
        type=int,
        default=0,
        help="host memory in MB for VMs and the memory scheduler, below the machine's (default all)",
    )
    parser.add_argument(
        "--stats-interval",
        type=_positive_seconds,
        default=DEFAULT_STATS_INTERVAL_S,
        metavar="SECONDS",
        help=f"realtime performance statistics interval (default {DEFAULT_STATS_INTERVAL_S}, as vSphere)",
    )
    args = parser.parse_args(argv)
    if args.memory_mb < 0:
        parser.error(f"--memory-mb {args.memory_mb}: a size in MB (0: the machine's memory)")
    return args


def _positive_seconds(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number of seconds: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1 second: {value}")
    return value

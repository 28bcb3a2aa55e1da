"""``python -m tests.chaos`` (``make chaos``): run the reliability campaign and write RELIABILITY.md.

    python -m tests.chaos [--size full|scaled] [--seed N] [--only storm,crash,storage,load] [--out FILE]
                          [--workdir DIR]  (keeps the hosts' roots there, for a post-mortem)

Environment: ``CHAOS_SIZE``, ``CHAOS_SEED`` (the defaults of --size and --seed). Exit status 1 when
any scenario lost something.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from tests.chaos.crash import run_crash
from tests.chaos.load import run_load
from tests.chaos.report import ScenarioResult, write_report
from tests.chaos.sizes import FULL, SCALED, Size
from tests.chaos.storage import run_storage
from tests.chaos.storm import run_storm

SCENARIOS: dict[str, Callable[[Path, Size, int], ScenarioResult]] = {
    "storm": run_storm,
    "crash": run_crash,
    "storage": run_storage,
    "load": run_load,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.chaos", description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=("full", "scaled"), default=os.environ.get("CHAOS_SIZE", "full"))
    parser.add_argument("--seed", type=int, default=int(os.environ.get("CHAOS_SEED", "0")) or None)
    parser.add_argument("--only", default=",".join(SCENARIOS), help="scenarios to run, comma-separated")
    parser.add_argument("--out", type=Path, default=Path("RELIABILITY.md"))
    parser.add_argument(
        "--workdir", type=Path, help="run here and keep the hosts' roots (default: a temporary dir)"
    )
    args = parser.parse_args(argv)
    seed = args.seed or random.SystemRandom().randrange(1, 2**31)
    size = FULL if args.size == "full" else SCALED
    print(f"reliability campaign: size {size.label}, seed {seed} (repeat with --seed {seed})", flush=True)
    results = []
    with contextlib.ExitStack() as stack:
        if args.workdir is None:
            workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="pyesx-chaos-")))
        else:
            workdir = args.workdir
            workdir.mkdir(parents=True, exist_ok=True)
        for name in args.only.split(","):
            result = SCENARIOS[name](workdir, size, seed)
            print(result.text(), flush=True)
            results.append(result)
    preface = f"Size **{size.label}**, seed {seed}." + (
        "" if size is FULL else " This is the scaled-down run (the one `make test` does), not the full one."
    )
    write_report(args.out, results, preface)
    print(f"wrote {args.out}", flush=True)
    return 1 if any(r.lost for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())

"""``python -m bench [--out FILE] [--quick]``: boot real hosts, measure, print a summary, write the report.

Exits 1 when a benchmark could not run (a missed goal is reported, not an error).
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from bench import (
    auth,
    console,
    cpu_fidelity,
    cpu_overhead,
    disk_io,
    getvm,
    guest_os,
    inventory,
    machine,
    memory,
    network,
    power_on,
    report,
    sdk,
    shell,
    snapshots,
)
from bench.common import BenchResult, CpuUse, measure_cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--out", type=Path, help="write the Markdown report here (e.g. BENCHMARKS.md)")
    parser.add_argument("--quick", action="store_true", help="fewer samples: a smoke run under a minute")
    args = parser.parse_args(argv)

    quick: bool = args.quick
    benchmarks: list[tuple[str, Callable[[], BenchResult]]] = [
        ("Power-on latency", lambda: power_on.run(vms=5 if quick else 20, baseline_runs=5 if quick else 10)),
        ("Memory per VM", lambda: memory.run(samples=3 if quick else 5, scaling_vms=3 if quick else 5)),
        (
            "hostd GetVM throughput",
            lambda: getvm.run(seconds=1.5 if quick else 4.0, rounds=2 if quick else 3),
        ),
        (
            "Inventory of 1,024 VMs",
            lambda: inventory.run(vms=128 if quick else 1024, list_calls=5 if quick else 20),
        ),
        ("SDK round trip", lambda: sdk.run(calls=200 if quick else 1000, rounds=2 if quick else 3)),
        ("Snapshots", lambda: snapshots.run(disk_mib=32 if quick else 256, rounds=2 if quick else 5)),
        ("CPU scheduler fidelity", cpu_fidelity.run),
        ("Guest disk I/O", lambda: disk_io.run(window_s=1.0 if quick else 3.0)),
        ("Guest network", lambda: network.run(window_s=1.0 if quick else 3.0)),
        (
            "Remote console",
            lambda: console.run(keystrokes=50 if quick else 300, megabytes=2 if quick else 8),
        ),
        ("Guest OS", lambda: guest_os.run(boots=2 if quick else 5, scripts=5 if quick else 20)),
        (
            "Shell",
            lambda: shell.run(
                vms=128 if quick else 1024, startups=5 if quick else 20, pipelines=3 if quick else 10
            ),
        ),
        (
            "Login and permission checks",
            lambda: auth.run(
                logins=5 if quick else 20, calls=5_000 if quick else 20_000, rounds=2 if quick else 3
            ),
        ),
        (
            "CPU scheduler overhead and scale",
            lambda: cpu_overhead.run(worlds=8 if quick else 32, scale_worlds=16 if quick else 128),
        ),
    ]
    started = time.monotonic()
    this_machine = machine.describe()
    results: list[BenchResult] = []
    errors: dict[str, str] = {}
    cpu: dict[str, CpuUse] = {}
    for title, bench in benchmarks:
        print(f"bench: {title}…", file=sys.stderr, flush=True)
        try:
            result, use = measure_cpu(bench)
            results.append(result)
            cpu[result.title] = use
        except Exception as exc:
            traceback.print_exc()
            errors[title] = f"{type(exc).__name__}: {exc}"
    elapsed = time.monotonic() - started
    print(report.summary(results, errors, cpu))
    if args.out:
        args.out.write_text(report.markdown(this_machine, results, errors, cpu, quick=quick, elapsed=elapsed))
        print(f"bench: wrote {args.out} ({elapsed:.0f} s)", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())

"""``python -m bench [--out FILE] [--quick] [--plots DIR] [--only TEXT]``: boot real hosts, measure, print
a summary, write the report and its plots.

Exits 1 when a benchmark could not run (a missed goal is reported, not an error;
a peer that cannot be installed is reported "n/a").
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from bench import (
    auth,
    capacity,
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
    power_ops,
    power_rate,
    report,
    sdk,
    shell,
    snapshots,
)
from bench.common import BenchResult, CpuUse, measure_cpu
from bench.peers import libvirt, qemu
from hostd.vms import MAX_VMS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--out", type=Path, help="write the Markdown report here (e.g. BENCHMARKS.md)")
    parser.add_argument("--quick", action="store_true", help="fewer samples and sizes: a smoke run")
    parser.add_argument(
        "--plots", type=Path, help="write the PNG plots here (default: docs/bench beside --out)"
    )
    parser.add_argument("--only", default="", help="run only the benchmarks whose title contains this")
    args = parser.parse_args(argv)

    quick: bool = args.quick
    benchmarks: list[tuple[str, Callable[[], BenchResult]]] = [
        ("Power-on latency", lambda: power_on.run(vms=5 if quick else 20, baseline_runs=5 if quick else 10)),
        ("Power-on rate", lambda: power_rate.run(vms=8 if quick else 32)),
        (
            "Maximum VMs powered on",
            lambda: capacity.run(cap=16 if quick else MAX_VMS, budget_s=60 if quick else 300),
        ),
        ("Memory per VM", lambda: memory.run(samples=3 if quick else 5, scaling_vms=3 if quick else 5)),
        (
            "hostd GetVM throughput",
            lambda: getvm.run(seconds=1.5 if quick else 4.0, rounds=2 if quick else 3),
        ),
        (
            "hostd power operations throughput",
            lambda: power_ops.run(
                vms=4 if quick else 8, seconds=1.5 if quick else 4.0, rounds=1 if quick else 2
            ),
        ),
        (
            "Inventory of 1,024 VMs",
            lambda: inventory.run(vms=128 if quick else 1024, list_calls=5 if quick else 20),
        ),
        ("SDK round trip", lambda: sdk.run(calls=200 if quick else 1000, rounds=2 if quick else 3)),
        ("Snapshots", lambda: snapshots.run(disk_mib=32 if quick else 256, rounds=2 if quick else 5)),
        ("CPU scheduler fidelity", lambda: cpu_fidelity.run(window_s=2.0 if quick else 4.0)),
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
        ("Peer: QEMU as the per-VM process", lambda: qemu.run(vms=3 if quick else 8)),
        (
            "Peer: libvirtd as the management daemon",
            lambda: libvirt.run(vms=4 if quick else 16, domains=200 if quick else 500),
        ),
    ]
    benchmarks = [(title, bench) for title, bench in benchmarks if args.only.lower() in title.lower()]
    started = time.monotonic()
    this_machine = machine.describe()
    results: list[BenchResult] = []
    errors: dict[str, str] = {}
    cpu: dict[str, CpuUse] = {}
    took: dict[str, float] = {}
    for title, bench in benchmarks:
        print(f"bench: {title}…", file=sys.stderr, flush=True)
        began = time.monotonic()
        try:
            result, use = measure_cpu(bench)
            results.append(result)
            cpu[result.title] = use
        except Exception as exc:
            traceback.print_exc()
            errors[title] = f"{type(exc).__name__}: {exc}"
        took[title] = time.monotonic() - began
        print(f"bench: {title} took {took[title]:.1f} s", file=sys.stderr, flush=True)
    elapsed = time.monotonic() - started
    with tempfile.TemporaryDirectory(prefix="pyesx-bench-plots-") as tmp:
        folder = args.plots or (args.out.parent / "docs" / "bench" if args.out else Path(tmp))
        images = _plots(results, folder, args.out.parent if args.out else folder, errors)
        drawn = sum(map(len, images.values()))
        print(report.summary(results, errors, cpu))
        print(
            "bench: elapsed " + ", ".join(f"{title} {seconds:.0f} s" for title, seconds in took.items()),
            file=sys.stderr,
        )
        if args.out:
            text = report.markdown(
                this_machine, results, errors, cpu, quick=quick, elapsed=elapsed, took=took, images=images
            )
            args.out.write_text(text)
            print(f"bench: wrote {args.out} and {drawn} plots in {folder} ({elapsed:.0f} s)", file=sys.stderr)
        else:
            print(f"bench: {drawn} plots drawn ({elapsed:.0f} s)", file=sys.stderr)
    return 1 if errors else 0


def _plots(
    results: list[BenchResult], folder: Path, base: Path, errors: dict[str, str]
) -> dict[str, list[tuple[str, str]]]:
    """Draw every result's plots into folder: title → (caption, path relative to base)."""
    images: dict[str, list[tuple[str, str]]] = {}
    for result in results:
        if isinstance(result, report.Plotted):
            try:
                drawn = result.plots(folder)
            except Exception as exc:
                traceback.print_exc()
                errors[f"{result.title} (plot)"] = f"{type(exc).__name__}: {exc}"
                continue
            images[result.title] = [(caption, os.path.relpath(path, base)) for caption, path in drawn]
    return images


if __name__ == "__main__":
    sys.exit(main())

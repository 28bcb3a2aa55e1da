"""The report: BENCHMARKS.md (Markdown) and the short summary printed to stdout."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

from bench.common import BenchResult, CpuUse, Figure
from bench.machine import Machine

GIB = 1024**3


@runtime_checkable
class Plotted(Protocol):
    """A result that draws plots: it writes PNGs into folder and returns (caption, path) of each."""

    def plots(self, folder: Path) -> list[tuple[str, Path]]: ...


NOISY_CORES = 0.1  # other processes using more than this on average may have skewed a benchmark


def _cpu_line(use: CpuUse, timed: bool) -> str:
    line = (
        f"CPU while this ran ({use.wall:.0f} s): the benchmark and its processes {use.ours_cores:.2f} "
        f"cores on average, everything else (other processes, hypervisor steal) {use.others_cores:.2f} cores."
    )
    if timed and use.others_cores > NOISY_CORES:
        line += (
            " **Other load was running: these figures may be skewed; run `make bench` on a quiet machine.**"
        )
    return line


def _value(value: float, unit: str) -> str:
    if math.isnan(value):
        return "n/a"
    return f"{value:,.0f} {unit}" if unit in ("calls/s", "VMs") else f"{value:,.1f} {unit}"


def _baseline(figure: Figure) -> str:
    """The baseline's value and what it is; only what it is when it was not measured (a missing peer)."""
    if math.isnan(figure.baseline):
        return figure.baseline_name
    return f"{_value(figure.baseline, figure.unit)} {figure.baseline_name}"


def _ratio(figure: Figure) -> str:
    return "n/a" if math.isnan(figure.ratio) else f"{figure.ratio:.2f}"


def _verdict(figure: Figure) -> str:
    return "—" if figure.passed is None else ("pass" if figure.passed else "FAIL")


def markdown(
    machine: Machine,
    results: Sequence[BenchResult],
    errors: dict[str, str],
    cpu: dict[str, CpuUse],
    *,
    quick: bool,
    elapsed: float,
    took: dict[str, float] | None = None,
    images: dict[str, list[tuple[str, str]]] | None = None,
) -> str:
    """The whole BENCHMARKS.md; took: seconds per benchmark; images: title → (caption, relative path)."""
    mode = "quick (`--quick`: fewer samples)" if quick else "full"
    lines = [
        "# Benchmarks",
        "",
        f"Written by `python -m bench` (`make bench`) on {machine.date:%Y-%m-%d %H:%M} UTC, {mode} run "
        f"of {elapsed:.0f} s. Do not edit by hand: run `make bench` again. Every baseline was measured "
        "in the same run on the same machine; ratio = value / baseline. The goals are floors from the "
        "issue; a figure that misses its goal is reported as FAIL, not hidden.",
        "",
        "## Machine",
        "",
        "| | |",
        "|---|---|",
        f"| CPU | {machine.cpu_model} |",
        f"| Cores | {machine.logical_cpus} logical ({machine.usable_cpus} usable by the benchmark) |",
        f"| Memory | {machine.memory_bytes / GIB:.1f} GiB |",
        f"| Kernel | {machine.kernel} |",
        f"| Python | {machine.python} |",
        f"| Libraries | {', '.join(f'{k} {v}' for k, v in machine.libraries.items())} |",
        "",
        "## Summary",
        "",
        "| Figure | Value | Baseline (same run) | Ratio | Goal | Result |",
        "|---|---:|---|---:|---|---|",
    ]
    for result in results:
        for f in result.figures():
            lines.append(
                f"| {f.name} | {_value(f.value, f.unit)} | {_baseline(f)} | "
                f"{_ratio(f)} | {f.goal or '—'} | {_verdict(f)} |"
            )
    lines += [f"| {title} | error | | | | FAIL |" for title in errors]
    plotted = [(caption, path) for drawn in (images or {}).values() for caption, path in drawn]
    if plotted:
        lines += ["", "Plots: " + ", ".join(f"[{caption}]({path})" for caption, path in plotted) + "."]
    for result in results:
        lines += ["", f"## {result.title}", "", *result.details()]
        for caption, path in (images or {}).get(result.title, []):
            lines += ["", f"![{caption}]({path})"]
        if result.title in cpu:
            lines += ["", _cpu_line(cpu[result.title], result.timed)]
    if took:
        lines += ["", "## Time per benchmark", "", "| Benchmark | Seconds |", "|---|---:|"]
        lines += [f"| {title} | {seconds:.0f} |" for title, seconds in took.items()]
        lines.append(f"| **total** | **{sum(took.values()):.0f}** |")
    if errors:
        lines += ["", "## Errors", ""]
        lines += [f"- {title}: `{error}`" for title, error in errors.items()]
    return "\n".join(lines) + "\n"


def summary(results: Sequence[BenchResult], errors: dict[str, str], cpu: dict[str, CpuUse]) -> str:
    """A few lines for the terminal: each figure, its baseline and ratio, and its goal."""
    lines = []
    for result in results:
        for f in result.figures():
            goal = f"  goal {f.goal}: {_verdict(f)}" if f.goal else ""
            lines.append(
                f"{f.name:<46} {_value(f.value, f.unit):>14}   baseline {_value(f.baseline, f.unit):>14}"
                f"   ratio {_ratio(f):>5}{goal}"
            )
    lines += [f"{title}: ERROR {error}" for title, error in errors.items()]
    lines += [
        f"note: other processes used {cpu[r.title].others_cores:.2f} cores during {r.title!r}; "
        "its figures may be skewed"
        for r in results
        if r.timed and r.title in cpu and cpu[r.title].others_cores > NOISY_CORES
    ]
    return "\n".join(lines)

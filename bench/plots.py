"""The report's plots (PNG, matplotlib's Agg backend: no display needed)."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt

WINDOW = 9  # power-ons in the latency plot's rolling median


def latency_vs_running(samples_ms: Sequence[float], path: Path) -> None:
    """Power-on latency (ms) of each VM against the number of VMs already running."""
    fig, ax = plt.subplots(figsize=(7, 4), dpi=100)
    ax.plot(range(len(samples_ms)), samples_ms, marker=".", linewidth=0.6, alpha=0.6, label="each power-on")
    if len(samples_ms) >= 2 * WINDOW:
        half = WINDOW // 2
        rolling = [
            statistics.median(samples_ms[max(0, i - half) : i + half + 1]) for i in range(len(samples_ms))
        ]
        ax.plot(range(len(samples_ms)), rolling, linewidth=2, label=f"median of {WINDOW} around it")
        ax.legend(fontsize=8, loc="upper left")
    ax.set_xlabel("VMs already powered on")
    ax.set_ylabel("power-on latency (ms)")
    ax.set_title("Power-on latency (PowerOnVM → task done), 1 vCPU 16 MB VMs")
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)


def share_vs_entitlement(points: Sequence[tuple[str, float, float]], path: Path) -> None:
    """Measured CPU share (cores) against the entitled share per VM, by scenario, with y = x."""
    fig, ax = plt.subplots(figsize=(6, 6), dpi=100)
    top = max([0.1, *(max(want, got) for _, want, got in points)]) * 1.1
    ax.plot([0, top], [0, top], color="grey", linestyle="--", linewidth=1, label="measured = entitled")
    for scenario in dict.fromkeys(name for name, _, _ in points):
        xs = [want for name, want, _ in points if name == scenario]
        ys = [got for name, _, got in points if name == scenario]
        ax.scatter(xs, ys, label=scenario, s=30)
    ax.set_xlim(0, top)
    ax.set_ylim(0, top)
    ax.set_xlabel("entitled share (cores)")
    ax.set_ylabel("measured share (cores)")
    ax.set_title("CPU share against entitlement, per VM")
    ax.legend(fontsize=8, loc="upper left")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)

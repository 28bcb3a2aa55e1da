"""The benchmark report and its plots, without booting anything: links, n/a peers, elapsed, PNGs."""

from __future__ import annotations

import datetime as dt
import io
import json
import math
from dataclasses import dataclass
from pathlib import Path

from bench import plots, report
from bench.common import CpuUse, Figure
from bench.machine import Machine
from bench.peers import qemu

PNG = b"\x89PNG\r\n\x1a\n"


@dataclass
class FakeResult:
    title = "Fake"
    timed = False

    def figures(self) -> list[Figure]:
        return [
            Figure("measured", 2.0, "ms", 4.0, "the baseline"),
            Figure("peer", 3.0, "ms", math.nan, "n/a: not installed (no apt-get)"),
        ]

    def details(self) -> list[str]:
        return ["details line"]

    def plots(self, folder: Path) -> list[tuple[str, Path]]:
        path = folder / "fake.png"
        plots.latency_vs_running([30.0, 31.5, 29.0], path)
        return [("latency", path)]


MACHINE = Machine("cpu", 2, 2, 1 << 30, "Linux", "CPython 3.11", {}, dt.datetime(2026, 1, 1, tzinfo=dt.UTC))


def test_report_links_plots_marks_missing_peers_and_times_each_benchmark(tmp_path: Path) -> None:
    result = FakeResult()
    assert isinstance(result, report.Plotted)
    (caption, path), *_ = result.plots(tmp_path / "docs" / "bench")
    assert path.read_bytes().startswith(PNG)
    text = report.markdown(
        MACHINE,
        [result],
        {},
        {"Fake": CpuUse(1.0, 0.5, 0.5)},
        quick=True,
        elapsed=3.0,
        took={"Fake": 3.0},
        images={"Fake": [(caption, "docs/bench/fake.png")]},
    )
    assert "| measured | 2.0 ms | 4.0 ms the baseline | 0.50 |" in text
    assert "| peer | 3.0 ms | n/a: not installed (no apt-get) | n/a |" in text
    assert "![latency](docs/bench/fake.png)" in text
    assert "| Fake | 3 |" in text
    assert "ratio   n/a" in report.summary([result], {}, {})


def test_cpu_share_plot_is_a_png(tmp_path: Path) -> None:
    path = tmp_path / "share.png"
    plots.share_vs_entitlement([("a", 0.8, 0.7), ("a", 0.4, 0.45), ("b", 0.25, 0.25)], path)
    assert path.read_bytes().startswith(PNG)


def test_qmp_reply_skips_events() -> None:
    lines = io.BytesIO(
        b"\n".join(
            json.dumps(m).encode()
            for m in ({"event": "RESUME"}, {"return": {"status": "prelaunch", "running": False}})
        )
    )
    assert qemu._reply(lines) == {"return": {"status": "prelaunch", "running": False}}


def test_qemu_runs_paused_with_a_qmp_socket() -> None:
    argv = qemu.qemu_argv(Path("/tmp/x.sock"))
    assert "-S" in argv and argv[-1] == "unix:/tmp/x.sock,server=on,wait=off"

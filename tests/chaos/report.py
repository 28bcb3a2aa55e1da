"""A scenario's outcome: its figures, what was lost (must be nothing), and RELIABILITY.md."""

from __future__ import annotations

import datetime as dt
import platform
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class ScenarioResult:
    """Figures of one scenario run; ``lost`` lists every broken promise (data, state, processes)."""

    name: str
    size: str
    seed: int = 0
    figures: dict[str, int | float | str] = field(default_factory=dict)
    lost: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def count(self, key: str, by: int = 1) -> None:
        value = self.figures.get(key, 0)
        assert isinstance(value, int)
        self.figures[key] = value + by

    def lose(self, what: str) -> None:
        self.lost.append(what)

    def text(self) -> str:
        """What the scenario prints when it ends."""
        lines = [f"== {self.name} ({self.size}, seed {self.seed}, {self.seconds:.1f} s)"]
        lines += [f"   {key}: {_fmt(value)}" for key, value in self.figures.items()]
        lines += [f"   LOST: {item}" for item in self.lost] or ["   lost: nothing"]
        lines += [f"   note: {note}" for note in self.notes]
        return "\n".join(lines)

    def markdown(self) -> str:
        rows = [f"| {key} | {_fmt(value)} |" for key, value in self.figures.items()]
        lost = "\n".join(f"- **LOST**: {item}" for item in self.lost) or "Nothing lost."
        notes = "\n".join(f"- {note}" for note in self.notes)
        return (
            f"## {self.name}\n\nSize {self.size}, seed {self.seed}, {self.seconds:.1f} s.\n\n"
            f"| figure | value |\n| --- | --- |\n" + "\n".join(rows) + f"\n\n{lost}\n\n{notes}\n"
        )


def _fmt(value: int | float | str) -> str:
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def write_report(path: Path, results: list[ScenarioResult], preface: str = "") -> None:
    """RELIABILITY.md: the machine, the date, then each scenario's figures."""
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    machine = f"{platform.machine()}, {_cpus()} CPUs, Python {platform.python_version()}, {platform.system()}"
    head = (
        "# pyesx reliability campaign\n\n"
        f"Run {now} on {machine}. Repeat with `make chaos` (full size) or "
        "`.venv/bin/python -m pytest tests/integration/test_reliability.py` (scaled down).\n\n"
    )
    verdict = (
        "Nothing was lost." if all(not r.lost for r in results) else "**Something was lost: see below.**"
    )
    body = "\n".join(r.markdown() for r in results)
    path.write_text(head + (preface + "\n\n" if preface else "") + verdict + "\n\n" + body)


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0))

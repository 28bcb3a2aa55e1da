"""The golden corpus (tests/golden/*.ps1) runs every cmdlet the shell has at least once."""

from __future__ import annotations

import re
from pathlib import Path

from clients.shell import cmdlets

GOLDEN = Path(__file__).resolve().parents[1] / "golden"


def test_every_cmdlet_runs_in_the_golden_corpus() -> None:
    words = {
        word.lower()
        for script in GOLDEN.glob("*.ps1")
        for word in re.findall(r"[A-Za-z]+-[A-Za-z]+", script.read_text())
    }
    missing = sorted(c.name for c in cmdlets.ALL if c.name.lower() not in words)
    assert not missing, f"cmdlets no golden script runs: {', '.join(missing)}"


def test_every_golden_script_has_its_expected_output() -> None:
    scripts = sorted(GOLDEN.glob("*.ps1"))
    assert scripts
    assert [s.stem for s in scripts if not s.with_suffix(".out").exists()] == []

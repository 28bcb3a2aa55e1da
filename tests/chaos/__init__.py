"""The reliability campaign (issue 9): kill storms, host crashes, storage faults and load on real hosts.

Each scenario is a function ``run_*(workdir, size) -> ScenarioResult`` that boots its own host(s)
under ``workdir``, injects its faults, checks what must hold afterwards and returns its figures.
``tests/integration/test_reliability.py`` runs them at ``SCALED`` size; ``make chaos``
(``python -m tests.chaos``) at ``FULL`` size, writing RELIABILITY.md.
"""

from __future__ import annotations

from tests.chaos.report import ScenarioResult
from tests.chaos.sizes import FULL, SCALED, Size

__all__ = ["FULL", "SCALED", "ScenarioResult", "Size"]

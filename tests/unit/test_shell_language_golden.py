"""Golden scripts for the shell language: each ``shell_language_golden/NAME.ps1`` runs against a fake
host and must print exactly ``NAME.out`` (and ``NAME.err`` on stderr, with exit code 1, when present).

To add a case, write the script, check its output by hand against PowerShell's semantics, and save
it as the ``.out`` / ``.err`` files next to it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from clients.shell import main
from tests.unit.shell_fake import LOGIN, FakeConnector

pytestmark = pytest.mark.timeout(30)

GOLDEN = Path(__file__).parent / "shell_language_golden"
SCRIPTS = sorted(GOLDEN.glob("*.ps1"))


def test_the_corpus_is_there() -> None:
    assert [script.stem for script in SCRIPTS] == ["errors", "fleet", "flow", "values"]


@pytest.mark.parametrize("script", SCRIPTS, ids=[script.stem for script in SCRIPTS])
def test_golden_script(script: Path, capsys: pytest.CaptureFixture[str]) -> None:
    expected_err = script.with_suffix(".err")
    code = main([*LOGIN, str(script)], connect=FakeConnector())
    out, err = capsys.readouterr()
    assert out == script.with_suffix(".out").read_text()
    assert err == (expected_err.read_text() if expected_err.exists() else "")
    assert code == (1 if expected_err.exists() else 0)

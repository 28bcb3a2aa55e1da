"""The SDK page's scripts (``docs/sdk.md``) and the examples are user code that type-checks with
``mypy --strict`` against the SDK (its ``py.typed``); the integration tests run them."""

from __future__ import annotations

import re
from pathlib import Path

from mypy import api

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "sdk.md"


def doc_scripts() -> list[str]:
    """The page's Python blocks, in order."""
    return re.findall(r"```python\n(.*?)```", PAGE.read_text(), re.S)


def test_the_page_has_the_ten_scripts() -> None:
    headings = re.findall(r"^## (\d+)\. (.+)$", PAGE.read_text(), re.M)
    assert [int(n) for n, _ in headings] == list(range(1, 11))
    assert len(doc_scripts()) == 10
    assert (ROOT / "clients" / "py.typed").is_file()


def test_user_scripts_are_mypy_strict_clean(tmp_path: Path) -> None:
    for n, script in enumerate(doc_scripts(), 1):
        (tmp_path / f"script{n:02d}.py").write_text(script)
    out, err, status = api.run(
        ["--strict", "--no-error-summary", str(tmp_path), str(ROOT / "clients" / "examples")]
    )
    assert status == 0, out + err

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


def undocumented(module: object) -> list[str]:
    """Public classes, functions, methods and properties of ``module`` without a docstring."""
    import inspect

    missing: list[str] = []
    name = getattr(module, "__name__", "")
    for attr, value in vars(module).items():
        if attr.startswith("_") or getattr(value, "__module__", None) != name:
            continue
        if inspect.isfunction(value) and not inspect.getdoc(value):
            missing.append(attr)
        if inspect.isclass(value):
            if not value.__doc__:
                missing.append(attr)
            for member, item in vars(value).items():
                if member.startswith("_"):
                    continue
                target = item.fget if isinstance(item, property) else item
                if (inspect.isfunction(target) or isinstance(item, property)) and not target.__doc__:
                    missing.append(f"{attr}.{member}")
    return missing


def test_every_public_thing_has_a_docstring() -> None:
    from clients import aio, entities, objects, ops, transport
    from clients.examples import (
        clone_vm,
        common,
        export_stats,
        follow_events,
        list_vms,
        power_on_many,
        rotate_snapshots,
    )

    examples = (clone_vm, common, export_stats, follow_events, list_vms, power_on_many, rotate_snapshots)
    modules = (aio, entities, objects, ops, transport, *examples)
    assert {m.__name__: undocumented(m) for m in modules} == {m.__name__: [] for m in modules}

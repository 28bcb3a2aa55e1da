"""Get-Content, Set-Content and Add-Content on local files; Start-Sleep."""

from __future__ import annotations

import pathlib

import pytest

from tests.unit.shell_fake import FakeConnector, run


@pytest.fixture
def fake() -> FakeConnector:
    return FakeConnector()


def test_set_add_and_get_content(
    capsys: pytest.CaptureFixture[str], fake: FakeConnector, tmp_path: pathlib.Path
) -> None:
    path = tmp_path / "notes.txt"
    run(
        capsys,
        f"Set-Content '{path}' 'one', 'two'; 'three' | Add-Content '{path}'; Add-Content '{path}' 4",
        fake,
    )
    assert path.read_text() == "one\ntwo\nthree\n4\n"
    result = run(
        capsys,
        f"(Get-Content '{path}').Count; Get-Content '{path}' -Tail 2; Get-Content '{path}' -First 1",
        fake,
    )
    assert result.out.splitlines() == ["4", "three", "4", "one"]
    result = run(capsys, f"(Get-Content '{path}' -Raw).Length", fake)
    assert result.out.strip() == str(len("one\ntwo\nthree\n4\n"))


def test_set_content_whatif_writes_nothing(
    capsys: pytest.CaptureFixture[str], fake: FakeConnector, tmp_path: pathlib.Path
) -> None:
    path = tmp_path / "notes.txt"
    result = run(capsys, f"Set-Content '{path}' 'x' -WhatIf", fake)
    assert result.out.startswith('What if: Performing the operation "Set" on target')
    assert not path.exists()


def test_get_content_of_a_missing_file_is_an_error(
    capsys: pytest.CaptureFixture[str], fake: FakeConnector, tmp_path: pathlib.Path
) -> None:
    result = run(capsys, f"Get-Content '{tmp_path / 'nope.txt'}'", fake)
    assert result.code != 0
    assert "because it does not exist" in result.err


def test_start_sleep_validates_its_time(capsys: pytest.CaptureFixture[str], fake: FakeConnector) -> None:
    assert run(capsys, "Start-Sleep -Milliseconds 1; Start-Sleep 0; 'awake'", fake).out == "awake\n"
    refused = run(capsys, "Start-Sleep -Seconds -1", fake)
    assert refused.code != 0
    assert "is not between 0 and" in refused.err
    assert "give -Seconds or -Milliseconds" in run(capsys, "Start-Sleep", fake).err

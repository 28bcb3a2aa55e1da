"""Datastore file operations refuse what they cannot do before touching anything (found by the fuzz
campaign: a folder moved over a file with force raised NotADirectoryError, INTERNAL)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hostd.filemanager import FileManager
from pyesx import faults
from pyesx.layout import HostLayout

pytestmark = pytest.mark.timeout(10)


@pytest.fixture
def files(tmp_path: Path) -> FileManager:
    layout = HostLayout(tmp_path)
    ds = layout.datastore("datastore1")
    (ds / "iso").mkdir(parents=True)
    (ds / "iso" / "a.iso").write_bytes(b"iso")
    (ds / "web01").mkdir()
    (ds / "web01" / "web01-flat.vmdk").write_bytes(b"disk")
    return FileManager(layout, lambda path: None)


@pytest.mark.parametrize("operation", ["move", "copy"])
def test_a_folder_over_a_file_is_invalid_argument_and_changes_nothing(
    files: FileManager, operation: str
) -> None:
    ds = files.layout.datastore("datastore1")
    with pytest.raises(faults.InvalidArgument) as raised:
        getattr(files, operation)("[datastore1] iso", "[datastore1] web01/web01-flat.vmdk", force=True)
    assert raised.value.argument == "destination"
    assert (ds / "web01" / "web01-flat.vmdk").read_bytes() == b"disk"
    assert (ds / "iso" / "a.iso").read_bytes() == b"iso"
    assert sorted(p.name for p in (ds / "web01").iterdir()) == ["web01-flat.vmdk"]


def test_a_folder_over_a_folder_still_replaces_it(files: FileManager) -> None:
    ds = files.layout.datastore("datastore1")
    files.move("[datastore1] iso", "[datastore1] web01", force=True)
    assert sorted(p.name for p in (ds / "web01").iterdir()) == ["a.iso"]

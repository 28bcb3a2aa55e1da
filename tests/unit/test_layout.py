"""Datastore paths and entity names: nothing may leave the datastore or the VM's folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from pyesx import faults
from pyesx.layout import HostLayout, check_entity_name, relative_path

pytestmark = pytest.mark.timeout(10)


@pytest.fixture
def layout(tmp_path: Path) -> HostLayout:
    layout = HostLayout(tmp_path)
    layout.datastore("datastore1").mkdir(parents=True)
    return layout


def test_resolve_and_back(layout: HostLayout) -> None:
    path = layout.resolve("[datastore1] web01/web01.vmx")
    assert path == layout.root / "vmfs/volumes/datastore1/web01/web01.vmx"
    assert layout.datastore_path(path) == "[datastore1] web01/web01.vmx"


@pytest.mark.parametrize(
    "path",
    [
        "[datastore1] ../../etc/shadow",
        "[datastore1] /etc/passwd",
        "[datastore1] a/../../b",
        "datastore1/x",
        "[data/../store] x",
        "[datastore1] a\x00b",
    ],
)
def test_traversal_is_invalid_argument(layout: HostLayout, path: str) -> None:
    with pytest.raises(faults.InvalidArgument):
        layout.resolve(path)


def test_unknown_datastore_is_not_found(layout: HostLayout) -> None:
    with pytest.raises(faults.NotFound):
        layout.resolve("[nosuch] x")


@pytest.mark.parametrize(
    "name", ["", "   ", "a/b", "a\\b", "..", "a..b", "x" * 81, "nul\x00", "tab\there", " x"]
)
def test_bad_entity_names(name: str) -> None:
    with pytest.raises(faults.InvalidArgument):
        check_entity_name(name)


@pytest.mark.parametrize("name", ["web01", "x" * 80, "Ubuntu 64-bit", "db_01.prod", "ünïcode-vm"])
def test_good_entity_names(name: str) -> None:
    assert check_entity_name(name) == name


@pytest.mark.parametrize(
    "path",
    [
        "[datastore1] " + "A" * (1 << 20),  # fuzz: ENAMETOOLONG reached BrowseDatastore as INTERNAL
        "[datastore1] " + "d/" * 2000 + "x",
        "[datastore1] web01/" + "é" * 128,  # 256 bytes in UTF-8
        "[" + "A" * 300 + "] x",
    ],
)
def test_a_name_or_path_too_long_for_the_file_system_is_refused(layout: HostLayout, path: str) -> None:
    with pytest.raises(faults.InvalidArgument) as raised:
        layout.resolve(path)
    assert raised.value.argument == "path" and "too long" in raised.value.reason
    assert len(raised.value.message) < 400


def test_a_name_of_255_bytes_still_resolves(layout: HostLayout) -> None:
    assert layout.resolve("[datastore1] " + "a" * 255).name == "a" * 255


@pytest.mark.parametrize(
    ("path", "root"),
    [("/r/vmfs/volumes/ds1/vm/vm.vmx", "/r"), ("/r/a", "/"), ("/r/a/b", "/r/a")],
)
def test_relative_path_is_relative_to_as_text(path: str, root: str) -> None:
    assert relative_path(Path(path), Path(root)) == Path(path).relative_to(root).as_posix()


@pytest.mark.parametrize(("path", "root"), [("/r", "/r"), ("/rr/a", "/r"), ("/other/a", "/r")])
def test_relative_path_refuses_a_path_not_below_the_root(path: str, root: str) -> None:
    with pytest.raises(ValueError):
        relative_path(Path(path), Path(root))

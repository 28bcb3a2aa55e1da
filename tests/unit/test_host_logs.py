"""Browsing the host's logs: keys only (no paths), line windows, limits."""

from __future__ import annotations

from pathlib import Path

import pytest

from hostd.host_logs import MAX_LINES, browse
from pyesx.faults import InvalidArgument
from pyesx.layout import HostLayout


@pytest.fixture
def layout(tmp_path: Path) -> HostLayout:
    layout = HostLayout(tmp_path / "host")
    layout.log.mkdir(parents=True)
    (layout.log / "hostd.log").write_text("".join(f"line {n}\n" for n in range(1, 2501)))
    (tmp_path / "secret").write_text("do not read\n")
    return layout


def test_the_last_lines_by_default(layout: HostLayout) -> None:
    found = browse(layout, "hostd")
    assert (found.start_line_num, found.end_line_num, found.total_lines) == (1501, 2500, 2500)
    assert found.lines[-1] == "line 2500" and len(found.lines) == 1000
    tail = browse(layout, "hostd", num_lines=3)
    assert tail.lines == ["line 2498", "line 2499", "line 2500"]


def test_from_a_line(layout: HostLayout) -> None:
    found = browse(layout, "hostd", start_line_num=10, num_lines=2)
    assert (found.start_line_num, found.end_line_num, found.lines) == (10, 11, ["line 10", "line 11"])
    past = browse(layout, "hostd", start_line_num=9999, num_lines=2)
    assert (past.start_line_num, past.end_line_num, past.lines, past.total_lines) == (0, 2500, [], 2500)


def test_a_log_not_written_yet_is_empty(layout: HostLayout) -> None:
    found = browse(layout, "vmkernel")
    assert (found.total_lines, found.lines) == (0, [])


@pytest.mark.parametrize(
    ("key", "start", "count", "argument"),
    [
        ("../secret", 0, 0, "key"),
        ("/etc/passwd", 0, 0, "key"),
        ("hostd.log", 0, 0, "key"),
        ("", 0, 0, "key"),
        ("hostd", -1, 0, "startLineNum"),
        ("hostd", 0, -5, "numLines"),
        ("hostd", 0, MAX_LINES + 1, "numLines"),
    ],
)
def test_bad_requests(layout: HostLayout, key: str, start: int, count: int, argument: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        browse(layout, key, start, count)
    assert caught.value.argument == argument
    if argument == "key":
        assert "hostd, vmkernel" in caught.value.reason

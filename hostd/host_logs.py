"""The host's diagnostic logs (ESXi's DiagnosticManager): their keys, and lines of one log.

Keys map to fixed file names under ``log/``; a key is never part of a path, so no request can
read anything else.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pyesx import faults
from pyesx.layout import HostLayout

DEFAULT_LINES = 1000
MAX_LINES = 10000
MAX_LINE_CHARS = 16384


@dataclass(frozen=True)
class LogType:
    key: str
    file_name: str
    summary: str


LOG_TYPES = (
    LogType("hostd", "hostd.log", "The management agent's log (hostd)"),
    LogType("vmkernel", "vmkernel.log", "The VMkernel's log"),
)
_BY_KEY = {t.key: t for t in LOG_TYPES}


@dataclass(frozen=True)
class LogLines:
    key: str
    start_line_num: int  # first line returned, from 1 (0 when none)
    end_line_num: int
    total_lines: int
    lines: list[str]


def browse(layout: HostLayout, key: str, start_line_num: int = 0, num_lines: int = 0) -> LogLines:
    """Lines of the log ``key``: from start_line_num (1-based), or the last num_lines when it is 0."""
    log_type = _BY_KEY.get(key)
    if log_type is None:
        raise faults.InvalidArgument(
            "key", f"'{key[:80]}' is not a log key; valid keys are {', '.join(_BY_KEY)}"
        )
    if start_line_num < 0:
        raise faults.InvalidArgument("startLineNum", f"{start_line_num} is negative; lines count from 1")
    if not 0 <= num_lines <= MAX_LINES:
        raise faults.InvalidArgument("numLines", f"{num_lines} is out of range; it takes 0 to {MAX_LINES}")
    count = num_lines or DEFAULT_LINES
    all_lines = _read_lines(layout.log / log_type.file_name)
    total = len(all_lines)
    first = max(total - count, 0) if start_line_num == 0 else min(start_line_num - 1, total)
    chosen = [line[:MAX_LINE_CHARS] for line in all_lines[first : first + count]]
    return LogLines(key, first + 1 if chosen else 0, first + len(chosen), total, chosen)


def _read_lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8", errors="replace").splitlines()
    except FileNotFoundError:
        return []

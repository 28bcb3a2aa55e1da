"""Crashes no status shows: what the host's processes logged while the campaign ran.

An exception that became INTERNAL is logged ``rpc.internal_error``; one that broke
a task, ``task.crashed``; one in a background asyncio task or callback reaches
only a process's stderr log (``Task exception was never retrieved``, a traceback).
"""

from __future__ import annotations

import json
from pathlib import Path

CRASH_EVENTS = frozenset({"rpc.internal_error", "task.crashed"})
STDERR_MARKERS = ("Traceback (most recent call last)", "Task exception was never retrieved", "Exception in ")


def crashes(log_dir: Path, limit: int = 20) -> list[str]:
    """One line per crash the processes logged under ``log_dir``, at most ``limit``."""
    found: list[str] = []
    for path in sorted(log_dir.glob("*.log")):
        try:
            lines = path.read_text(errors="replace").splitlines()
        except OSError:
            continue
        if path.name.endswith(".stderr.log"):
            found.extend(
                f"{path.name}: {line.strip()[:300]}" for line in lines if line.startswith(STDERR_MARKERS)
            )
            continue
        for line in lines:
            if not any(event in line for event in CRASH_EVENTS):
                continue
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if entry.get("event") in CRASH_EVENTS:
                where = entry.get("method") or entry.get("description_id") or ""
                reason = str(entry.get("exception") or entry.get("exc_info") or "").strip().splitlines()
                found.append(f"{path.name}: {entry['event']} {where}: {(reason or [''])[-1][:300]}")
    return found[:limit]

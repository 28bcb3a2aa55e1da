"""The zygote's sharing: frozen, and on CPython 3.12+ immortal, objects whose counts never move."""

from __future__ import annotations

import subprocess
import sys

import pytest

PROBE = """
import gc, sys
from pyesx.shared_pages import immortal_refcount, share_imported
held = {"config": ["a", "list", "of", "strings"]}
made = share_imported()
before = sys.getrefcount(held["config"])
extra = [held["config"]] * 100
print(made, gc.get_freeze_count() > 0, sys.getrefcount(held["config"]) - before, immortal_refcount())
"""


def _probe() -> list[str]:
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


@pytest.mark.skipif(sys.version_info < (3, 12), reason="immortal objects came with CPython 3.12")
def test_shared_objects_are_frozen_and_their_counts_never_move() -> None:
    made, frozen, moved, count = _probe()
    assert int(made) > 1000 and frozen == "True"
    assert moved == "0"  # 100 new references did not write the object
    assert int(count) > 1 << 30


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="before CPython 3.12 objects are only frozen")
def test_before_312_objects_are_only_frozen() -> None:
    made, frozen, moved, count = _probe()
    assert (made, frozen, moved, count) == ("0", "True", "100", "None")

"""Sharing a forking parent's imported objects with its children for good.

A forked child shares its parent's pages copy-on-write until either writes one.
CPython writes an object's reference count every time the object is used, so a
child that merely runs imported code copies the pages of every object it touches.
``share_imported`` keeps them shared: it moves the objects out of the garbage
collector's reach (``gc.freeze``: no collection writes their headers) and, on
CPython 3.12 and later, makes them immortal (PEP 683): their counts are never
written again, by the parent or any child. An immortal object is never freed;
everything here is imported code and its data, which lives as long as the process.
"""

from __future__ import annotations

import ctypes
import gc
import sys

_REFCOUNT = ctypes.c_ssize_t  # ob_refcnt: the first field of every object


def immortal_refcount() -> int | None:
    """The reference count CPython gives immortal objects (None's), or None before 3.12."""
    if sys.version_info < (3, 12):
        return None
    count = _REFCOUNT.from_address(id(None)).value
    held = [None] * 8  # an immortal object's count does not move
    moved = _REFCOUNT.from_address(id(None)).value != count
    del held
    return None if moved else count


def share_imported() -> int:
    """Freeze (and where the interpreter can, immortalize) every object alive now; how many were
    made immortal.

    The walk allocates almost nothing: memory it used and freed would stay in the image, resident
    and shared by every child for nothing. An object already immortal is not visited again.
    """
    gc.collect()
    count = immortal_refcount()
    made = 0
    if count is not None:
        for tracked in gc.get_objects():
            pending = [tracked]
            while pending:
                obj = pending.pop()
                refcount = _REFCOUNT.from_address(id(obj))
                if refcount.value == count:
                    continue
                refcount.value = count
                made += 1
                # tracked referents come in the outer loop; untracked ones (str, int, a tuple of
                # them) only through their holders
                pending.extend(r for r in gc.get_referents(obj) if not gc.is_tracked(r))
    gc.freeze()
    return made

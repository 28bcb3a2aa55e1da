"""File names inside a disk's folder: validation and ESXi's naming of extents and deltas.

Every file of a disk chain lives in one folder, so a name in a descriptor
(extent file, ``parentFileNameHint``) must be a plain name: no ``/``, no
``..``, no NUL, nothing absolute. ESXi names a disk ``web01.vmdk`` with the
extent ``web01-flat.vmdk``; its snapshot deltas ``web01-000001.vmdk`` with
the extent ``web01-000001-delta.vmdk``, numbered on from the base's stem.
"""

from __future__ import annotations

import re
from pathlib import Path

from pyesx.faults import InvalidArgument

DESCRIPTOR_SUFFIX = ".vmdk"
MAX_NAME_LENGTH = 255

_DELTA_STEM = re.compile(r"^(?P<stem>.+)-(?P<number>\d{6})$")


def check_file_name(name: str, argument: str = "fileName") -> str:
    """``name`` if it is a plain file name in the same folder; InvalidArgument otherwise."""
    if not isinstance(name, str) or not name:
        raise InvalidArgument(argument, "must not be empty")
    if "\x00" in name:
        raise InvalidArgument(argument, f"{name!r} contains NUL")
    if "/" in name or "\\" in name:
        raise InvalidArgument(argument, f"'{name}' must be a file name in the disk's folder, not a path")
    if ".." in name or name == ".":
        raise InvalidArgument(argument, f"'{name}' must not contain '..'")
    if '"' in name or any(ord(c) < 0x20 or ord(c) == 0x7F for c in name):
        raise InvalidArgument(argument, f"{name!r} contains a quote or a control character")
    if len(name.encode("utf-8")) > MAX_NAME_LENGTH:
        raise InvalidArgument(argument, f"'{name[:40]}…' is longer than {MAX_NAME_LENGTH} bytes")
    return name


def check_descriptor_name(path: Path) -> str:
    """The stem of a descriptor path (``web01`` for ``…/web01.vmdk``); InvalidArgument otherwise."""
    name = check_file_name(path.name, "path")
    if not name.endswith(DESCRIPTOR_SUFFIX) or len(name) == len(DESCRIPTOR_SUFFIX):
        raise InvalidArgument("path", f"'{name}' is not a disk descriptor name like 'web01.vmdk'")
    return name[: -len(DESCRIPTOR_SUFFIX)]


def flat_name(stem: str) -> str:
    """The flat extent of the base disk ``<stem>.vmdk``."""
    return f"{stem}-flat.vmdk"


def delta_names(base_stem: str, number: int) -> tuple[str, str]:
    """(descriptor, extent) names of snapshot delta ``number``: web01-000001.vmdk, web01-000001-delta.vmdk."""
    stem = f"{base_stem}-{number:06d}"
    return f"{stem}.vmdk", f"{stem}-delta.vmdk"


def base_stem(descriptor_name: str) -> str:
    """The stem deltas are numbered from: ``web01`` for web01.vmdk and for web01-000003.vmdk."""
    stem = descriptor_name.removesuffix(DESCRIPTOR_SUFFIX)
    match = _DELTA_STEM.match(stem)
    return match["stem"] if match else stem


def next_delta_names(folder: Path, base: str) -> tuple[str, str]:
    """The lowest delta number whose descriptor and extent are both free in ``folder``."""
    number = 1
    while True:
        descriptor, extent = delta_names(base, number)
        if not (folder / descriptor).exists() and not (folder / extent).exists():
            return descriptor, extent
        number += 1

"""The pools of a resource tree on disk (``etc/vmkernel/resourcePools.json``), written atomically.

Only pools are kept (ids, names, parents, allocations, and the last ``poolN`` number handed out):
which VMs are in which pool is hostd's inventory, and power states are runtime.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pyesx.atomic import atomic_write
from pyesx.faults import InvalidArgument
from pyesx.logs import get_logger

from .persist import allocation_from_dict, allocation_to_dict
from .pools import ROOT_POOL_ID, ResourceTree

FORMAT_VERSION = 1
_log = get_logger("resourcepools")


def pools_to_dict(tree: ResourceTree) -> dict[str, Any]:
    """The tree's pools, parents before children (the root pool is the host's: not kept)."""
    return {
        "version": FORMAT_VERSION,
        "nextPool": tree.pool_counter,
        "pools": [
            {
                "id": p.id,
                "name": p.name,
                "parent": p.parent,
                "cpu": allocation_to_dict(p.cpu),
                "memory": allocation_to_dict(p.memory),
            }
            for p in tree.pools()
            if p.id != ROOT_POOL_ID
        ],
    }


def pools_from_dict(tree: ResourceTree, data: dict[str, Any]) -> None:
    """Add the pools ``pools_to_dict`` wrote to an empty tree; malformed data is InvalidArgument."""
    try:
        if data["version"] != FORMAT_VERSION:
            raise ValueError(f"format version {data['version']!r}")
        for p in data["pools"]:
            cpu, memory = allocation_from_dict(p["cpu"]), allocation_from_dict(p["memory"])
            tree.create_pool(p["name"], p["parent"], cpu, memory, pool_id=p["id"])
        tree.pool_counter = int(data["nextPool"])
    except (KeyError, TypeError, ValueError) as err:
        raise InvalidArgument("resourcePools", f"malformed: {err!r}") from None


def save(tree: ResourceTree, path: Path) -> None:
    """Write the tree's pools to ``path`` (temporary file, fsync, rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, json.dumps(pools_to_dict(tree), indent=1) + "\n", mode=0o600)


def load(tree: ResourceTree, path: Path) -> None:
    """Add the pools saved at ``path`` to ``tree`` (none if there is no file).

    A file that cannot be read is set aside as ``<name>.bad`` and logged: the host boots with its
    root pool alone rather than not at all."""
    if not path.exists():
        return
    try:
        pools_from_dict(tree, json.loads(path.read_text()))
    except (OSError, ValueError, InvalidArgument) as err:
        for pool in [p for p in tree.pools() if p.id != ROOT_POOL_ID][::-1]:
            tree.delete_pool(pool.id)
        bad = path.with_name(path.name + ".bad")
        path.replace(bad)
        _log.error("resourcepools.unreadable", path=str(path), kept_as=str(bad), reason=str(err))

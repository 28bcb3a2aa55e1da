"""Resource pools named on a command line: objects from Get-ResourcePool, names (wildcards), ids, or
the VMHost (its root pool "Resources"); and the pools below a pool, for -Location."""

from __future__ import annotations

from collections.abc import Iterable

from clients.model import Host, ResourcePool
from clients.shell.conversions import ArrayType, ParamType, shown
from clients.shell.errors import ConversionError, ShellError
from clients.shell.psobject import PSObject
from clients.shell.session import Client
from clients.shell.views import POOL_ID_PREFIX
from clients.shell.wildcard import is_wildcard, like, unescape
from pyesx.faults import NotFound

ROOT_POOL_ID = "ha-root-pool"
PoolReference = ResourcePool | Host | str


def _pool_reference(value: object) -> PoolReference:
    if isinstance(value, PSObject) and isinstance(value.base, ResourcePool | Host):
        return value.base
    if isinstance(value, str) and value:
        return value
    raise ConversionError(shown(value), "ResourcePool")


#: -Location / -Destination: one pool (or the VMHost: its root pool)
POOL = ParamType("ResourcePool", _pool_reference)
#: -ResourcePool: pools or names (wildcards allowed)
POOLS = ArrayType(POOL)


def pool_not_found(name: str) -> NotFound:
    """PowerCLI's error for a name that matches no pool."""
    return NotFound(
        "ResourcePool", name, f"ResourcePool with name '{name}' was not found using the specified filter(s)."
    )


def match_pools(pools: list[ResourcePool], patterns: Iterable[str]) -> list[ResourcePool]:
    """The pools whose names (or ``ResourcePool-<id>`` ids) match ``patterns``; a plain name must match."""
    found: dict[str, ResourcePool] = {}
    for pattern in patterns:
        if is_wildcard(pattern):
            matches = [p for p in pools if like(p.name, pattern)]
        else:
            literal = unescape(pattern)
            ident = literal.removeprefix(POOL_ID_PREFIX)
            matches = [p for p in pools if p.id == ident] or [
                p for p in pools if p.name.lower() == literal.lower()
            ]
            if not matches:
                raise pool_not_found(literal)
        for pool in matches:
            found.setdefault(pool.id, pool)
    return list(found.values())


def resolve_pools(client: Client, references: Iterable[object]) -> list[ResourcePool]:
    """Each referenced pool once, in order; the VMHost is its root pool."""
    pools = client.list_resource_pools()
    by_id = {p.id: p for p in pools}
    found: dict[str, ResourcePool] = {}
    for ref in references:
        if isinstance(ref, ResourcePool):
            matches = [by_id.get(ref.id, ref)]
        elif isinstance(ref, Host):
            matches = [by_id[ROOT_POOL_ID]]
        else:
            matches = match_pools(pools, [str(ref)])
        for pool in matches:
            found.setdefault(pool.id, pool)
    return list(found.values())


def resolve_pool(client: Client, reference: object, parameter: str) -> ResourcePool:
    """The one pool ``reference`` names (for -Location, -Destination)."""
    pools = resolve_pools(client, [reference])
    if len(pools) != 1:
        raise ShellError(
            f"Cannot bind parameter '{parameter}': '{shown(reference)}' names {len(pools)} resource pools; "
            "pass one pool object from Get-ResourcePool instead."
        )
    return pools[0]


def pools_below(pools: list[ResourcePool], pool_id: str, recursive: bool = True) -> list[ResourcePool]:
    """The pools under ``pool_id`` (its children, or all its descendants), in the API's order."""
    below = {pool_id}
    found = []
    for pool in pools:  # parents come before children
        if pool.parent_id in below:
            found.append(pool)
            if recursive:
                below.add(pool.id)
    return found

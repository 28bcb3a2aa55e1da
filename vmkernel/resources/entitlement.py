"""Entitlements (model: hierarchical water-filling): what each powered-on VM should get of CPU or memory.

For the children of a pool that is entitled to A (the root: the host's capacity)::

    high(VM)   = min(limit, demand, num_cpu × pcpu_mhz)        (memory: min(limit, active, configured))
    low(VM)    = min(reservation, high)
    high(pool) = min(limit, Σ high(children))
    low(pool)  = min(high, max(reservation, Σ low(children)))
    (memory: a pool's reservation and limit net of its powered-on VMs' overhead)
    E(child)   = clamp(λ · shares, low, high), λ chosen so that Σ E(children) = min(A, Σ high)

so reservations are met (as far as there is demand), limits and demand cap, the rest goes by shares,
and what one child does not use goes to its siblings (work conserving). If reservations were
over-committed (A < Σ low), each child gets low scaled down proportionally.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pyesx.allocations import Resource
from pyesx.faults import InvalidArgument

from .pools import ROOT_POOL_ID, PoolNode, ResourceTree, VmNode


@dataclass(frozen=True)
class Claim:
    """One child's claim on its parent's entitlement: floor, ceiling and shares."""

    low: float
    high: float
    shares: float


@dataclass(frozen=True)
class Entitlements:
    """Entitlement per powered-on VM and per pool (MHz for CPU, MB for memory)."""

    resource: Resource
    capacity: float
    vms: dict[str, float]
    pools: dict[str, float]

    @property
    def total(self) -> float:
        return sum(self.vms.values())


def waterfill(amount: float, claims: Sequence[Claim]) -> list[float]:
    """Divide ``amount``: each gets clamp(λ·shares, low, high), Σ = min(amount, Σ high)."""
    total_low = sum(c.low for c in claims)
    if amount <= total_low:
        return [c.low * amount / total_low if total_low > 0 else 0.0 for c in claims]
    if amount >= sum(c.high for c in claims):
        return [c.high for c in claims]

    def fill(lam: float) -> float:
        return sum(min(max(lam * c.shares, c.low), c.high) for c in claims)

    below, above = 0.0, 0.0
    for point in sorted({c.low / c.shares for c in claims} | {c.high / c.shares for c in claims}):
        above = point
        if fill(point) >= amount:
            break
        below = point
    f_below, f_above = fill(below), fill(above)
    lam = below + (amount - f_below) * (above - below) / (f_above - f_below)
    return [min(max(lam * c.shares, c.low), c.high) for c in claims]


def _demands(tree: ResourceTree, given: Mapping[str, float], cap: Mapping[str, float]) -> dict[str, float]:
    """Each powered-on VM's demand, bounded by its maximum; a VM not in ``given`` demands its maximum."""
    for vm_id, value in given.items():
        tree.vm(vm_id)
        if not math.isfinite(value) or value < 0:
            raise InvalidArgument("demand", f"{vm_id}: {value!r} must be a finite number ≥ 0")
    return {vm_id: min(given.get(vm_id, top), top) for vm_id, top in cap.items()}


def _divide(
    tree: ResourceTree,
    resource: Resource,
    demand: Mapping[str, float],
    capacity: float,
    overhead: Mapping[str, float],
) -> Entitlements:
    """Water-fill top-down; a pool's reservation and limit cover its VMs' ``overhead`` too, so net of it."""
    low: dict[str, float] = {}
    high: dict[str, float] = {}

    def bounds(node: PoolNode | VmNode) -> float:
        """Fill ``low`` and ``high`` of the subtree; return the overhead of its powered-on VMs."""
        alloc = node.of(resource)
        if isinstance(node, VmNode):
            high[node.id] = alloc.cap(demand.get(node.id, 0.0))
            low[node.id] = min(alloc.reservation, high[node.id])
            return overhead.get(node.id, 0.0)
        children = tree.children(node.id)
        extra = sum(bounds(child) for child in children)
        limit = max(0.0, alloc.limit - extra) if alloc.limited else math.inf
        high[node.id] = min(limit, sum(high[c.id] for c in children))
        reservation = max(0.0, alloc.reservation - extra)
        low[node.id] = min(high[node.id], max(reservation, sum(low[c.id] for c in children)))
        return extra

    vms: dict[str, float] = {}
    pools: dict[str, float] = {}

    def divide(pool: PoolNode, amount: float) -> None:
        pools[pool.id] = amount
        children = [c for c in tree.children(pool.id) if not isinstance(c, VmNode) or c.id in demand]
        claims = [Claim(low[c.id], high[c.id], c.of(resource).shares.number) for c in children]
        for child, share in zip(children, waterfill(amount, claims), strict=True):
            if isinstance(child, VmNode):
                vms[child.id] = share
            else:
                divide(child, share)

    root = tree.root
    bounds(root)
    divide(root, min(capacity, sum(high[c.id] for c in tree.children(ROOT_POOL_ID))))
    return Entitlements(resource, capacity, vms, pools)


def cpu_entitlements(
    tree: ResourceTree, demand_mhz: Mapping[str, float], capacity_mhz: float | None = None
) -> Entitlements:
    """CPU entitlement (MHz) of each powered-on VM from its demand (MHz, all vCPUs together).

    A VM uses at most num_cpu × pcpu_mhz; one missing from ``demand_mhz`` is fully busy.
    ``capacity_mhz`` defaults to the host's (num_pcpus × pcpu_mhz).
    """
    cap = {vm.id: float(vm.num_cpu * tree.capacity.pcpu_mhz) for vm in tree.vms() if vm.powered_on}
    capacity = tree.capacity.cpu_mhz if capacity_mhz is None else capacity_mhz
    return _divide(tree, "cpu", _demands(tree, demand_mhz, cap), capacity, {})


def memory_entitlements(
    tree: ResourceTree, active_mb: Mapping[str, float], capacity_mb: float | None = None
) -> Entitlements:
    """Memory entitlement (MB) of each powered-on VM from its active memory (at most its configured size).

    ``capacity_mb`` defaults to the host's memory less every powered-on VM's overhead; a pool's memory
    reservation and limit count its VMs' overhead, so only the rest is divided. The idle memory tax,
    which decides who gives memory back, is not part of this model.
    """
    on = [vm for vm in tree.vms() if vm.powered_on]
    cap = {vm.id: float(vm.memory_mb) for vm in on}
    capacity = (
        tree.capacity.memory_mb - sum(vm.overhead_mb for vm in on) if capacity_mb is None else capacity_mb
    )
    overhead = {vm.id: float(vm.overhead_mb) for vm in on}
    return _divide(tree, "memory", _demands(tree, active_mb, cap), max(0.0, capacity), overhead)

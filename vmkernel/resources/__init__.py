"""The VMkernel's resource allocation model: shares, reservations, limits, pools, admission, entitlement.

Each VM and pool has, per resource (CPU in MHz, memory in MB), an ``Allocation``: shares (relative
among siblings), a reservation (guaranteed minimum) and a limit (hard cap, -1 = unlimited).

- Pools (``pools``): a tree under the invisible root pool ``ha-root-pool`` whose reservation is the
  host's capacity. A node holds requirement = its reservation (VM: if powered on, + overhead for
  memory; pool: max(reservation, Σ children's requirements)). unreserved(pool) = max(0, reservation −
  used) + unreserved(parent) if expandable, capped by limit − used.
- Admission (``admission``): a power-on or reservation increase of Δ fits iff Δ ≤ unreserved(parent);
  otherwise InsufficientResourcesFault and nothing changes.
- Entitlement (``entitlement``, model: hierarchical water-filling): top-down, each child of a pool
  gets clamp(λ · shares, min(R, demand), min(L, demand)), Σ = the pool's entitlement, so reservations
  hold, limits cap, the rest goes by shares and unused entitlement goes to siblings.
- Overhead (``overhead``, model): ceil(14.4 + 4.2 · vCPUs + 7.4 · GB) MB per powered-on VM.
"""

from __future__ import annotations

from pyesx.allocations import (
    UNLIMITED,
    Allocation,
    Resource,
    Shares,
    SharesLevel,
    VmAllocations,
    default_pool_allocation,
    default_vm_allocations,
    from_vmx,
    pool_shares,
    to_vmx,
    vm_shares,
)

from .admission import admit, check_power_on, check_reservation_change, move, reconfigure, release
from .entitlement import Claim, Entitlements, cpu_entitlements, memory_entitlements, waterfill
from .overhead import memory_overhead_mb
from .persist import tree_from_dict, tree_to_dict
from .pools import ROOT_POOL_ID, HostCapacity, PoolNode, ResourceTree, VmNode

__all__ = [
    "ROOT_POOL_ID",
    "UNLIMITED",
    "Allocation",
    "Claim",
    "Entitlements",
    "HostCapacity",
    "PoolNode",
    "Resource",
    "ResourceTree",
    "Shares",
    "SharesLevel",
    "VmAllocations",
    "VmNode",
    "admit",
    "check_power_on",
    "check_reservation_change",
    "cpu_entitlements",
    "default_pool_allocation",
    "default_vm_allocations",
    "from_vmx",
    "memory_entitlements",
    "memory_overhead_mb",
    "move",
    "pool_shares",
    "reconfigure",
    "release",
    "to_vmx",
    "tree_from_dict",
    "tree_to_dict",
    "vm_shares",
    "waterfill",
]

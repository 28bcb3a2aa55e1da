"""A VM's resource allocation change, applied to its .vmx ``sched.*`` keys (validated, nothing half-set)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from hostd import vmconfig
from pyesx import faults
from pyesx.allocations import Allocation, Resource, VmAllocations, from_vmx, to_vmx, vm_shares
from pyesx.vmxfile import VmxConfig


@dataclass(frozen=True)
class AllocationChange:
    """What to change of one resource's allocation (None: unchanged)."""

    reservation: int | None = None
    limit: int | None = None
    shares_level: str | None = None
    shares: int | None = None


def current(config: VmxConfig) -> VmAllocations:
    """The VM's allocations from its .vmx (normal shares, no reservation or limit where unset)."""
    return from_vmx(config, vmconfig.num_cpu(config), vmconfig.memory_mb(config))


def _changed(old: Allocation, change: AllocationChange, resource: Resource, config: VmxConfig) -> Allocation:
    shares = old.shares
    if change.shares_level is not None or change.shares is not None:
        level = change.shares_level or "custom"
        if level.lower() == "custom" and change.shares is None:
            raise faults.InvalidArgument(f"{resource}.shares", "custom shares need a number")
        number = change.shares if level.lower() == "custom" else None
        shares = vm_shares(resource, level, vmconfig.num_cpu(config), vmconfig.memory_mb(config), number)
    reservation = old.reservation if change.reservation is None else change.reservation
    limit = old.limit if change.limit is None else change.limit
    return dataclasses.replace(old, shares=shares, reservation=reservation, limit=limit)  # validates


def apply(config: VmxConfig, cpu: AllocationChange | None, memory: AllocationChange | None) -> dict[str, str]:
    """Write the changed allocations' sched.* keys into config; return them (all of them)."""
    old = current(config)
    new = VmAllocations(
        cpu=_changed(old.cpu, cpu, "cpu", config) if cpu else old.cpu,
        memory=_changed(old.memory, memory, "memory", config) if memory else old.memory,
    )
    if new.memory.reservation > vmconfig.memory_mb(config):
        raise faults.InvalidArgument(
            "memory.reservation", "a VM cannot reserve more than its configured memory"
        )
    for key in [k for k in config if k.lower().startswith("sched.")]:
        del config[key]
    keys = to_vmx(new)
    for key, value in keys.items():
        config[key] = value
    return keys

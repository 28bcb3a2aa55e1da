"""The pool tree to and from JSON-compatible dicts (for persisting it across VMkernel restarts)."""

from __future__ import annotations

from typing import Any

from pyesx.allocations import Allocation, Shares, SharesLevel, VmAllocations
from pyesx.faults import InvalidArgument

from .pools import ROOT_POOL_ID, HostCapacity, ResourceTree


def allocation_to_dict(alloc: Allocation) -> dict[str, Any]:
    return {
        "shares": {"level": alloc.shares.level.value, "number": alloc.shares.number},
        "reservation": alloc.reservation,
        "limit": alloc.limit,
        "expandableReservation": alloc.expandable_reservation,
    }


def allocation_from_dict(data: dict[str, Any]) -> Allocation:
    shares = data["shares"]
    return Allocation(
        Shares(SharesLevel(shares["level"]), shares["number"]),
        data["reservation"],
        data["limit"],
        data["expandableReservation"],
    )


def tree_to_dict(tree: ResourceTree) -> dict[str, Any]:
    """Capacity, pools (parents first) and VMs; power states are runtime and left out."""
    cap = tree.capacity
    return {
        "capacity": {"numPcpus": cap.num_pcpus, "pcpuMhz": cap.pcpu_mhz, "memoryMB": cap.memory_mb},
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
        "vms": [
            {
                "id": vm.id,
                "pool": vm.parent,
                "numCpu": vm.num_cpu,
                "memoryMB": vm.memory_mb,
                "cpu": allocation_to_dict(vm.allocations.cpu),
                "memory": allocation_to_dict(vm.allocations.memory),
            }
            for vm in tree.vms()
        ],
    }


def tree_from_dict(data: dict[str, Any]) -> ResourceTree:
    """The tree ``tree_to_dict`` wrote, every VM powered off; malformed data is InvalidArgument."""
    try:
        cap = data["capacity"]
        tree = ResourceTree(HostCapacity(cap["numPcpus"], cap["pcpuMhz"], cap["memoryMB"]))
        for p in data["pools"]:
            cpu, memory = allocation_from_dict(p["cpu"]), allocation_from_dict(p["memory"])
            tree.create_pool(p["name"], p["parent"], cpu, memory, pool_id=p["id"])
        for vm in data["vms"]:
            allocations = VmAllocations(allocation_from_dict(vm["cpu"]), allocation_from_dict(vm["memory"]))
            tree.add_vm(vm["id"], vm["numCpu"], vm["memoryMB"], allocations, vm["pool"])
    except (KeyError, TypeError, ValueError) as err:
        raise InvalidArgument("resourcePoolTree", f"malformed: {err!r}") from None
    return tree

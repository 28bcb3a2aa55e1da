"""Admission control: a power-on, reservation change or move is admitted only if its reservation fits.

A change that raises a node's requirement by Δ (see ``pools``) fits iff Δ ≤ unreserved(parent pool),
which already counts what expandable ancestors can lend. When it does not fit,
``InsufficientResourcesFault`` names the resource, what was requested and what is unreserved, and
nothing changes.
"""

from __future__ import annotations

from dataclasses import replace

from pyesx.allocations import RESOURCES, Allocation, Resource
from pyesx.faults import InsufficientResourcesFault, InvalidArgument

from .pools import ROOT_POOL_ID, PoolNode, ResourceTree, VmNode

_UNIT = {"cpu": "MHz", "memory": "MB"}
_WHAT = {"cpu": "CPU", "memory": "memory"}


def _describe(node: PoolNode | VmNode) -> str:
    return f"VM '{node.id}'" if isinstance(node, VmNode) else f"resource pool '{node.name}'"


def _require(tree: ResourceTree, node: PoolNode | VmNode, resource: Resource, delta: int) -> None:
    """InsufficientResourcesFault unless ``node``'s parent can grant ``delta`` more."""
    if delta <= 0 or node.parent is None:
        return
    parent = tree.pool(node.parent)
    free = tree.unreserved(parent.id, resource)
    if delta > free:
        unit = _UNIT[resource]
        raise InsufficientResourcesFault(
            resource,
            delta,
            free,
            f"Insufficient {_WHAT[resource]} resources: {_describe(node)} requests {delta} {unit} of "
            f"reservation, but resource pool '{parent.name}' has only {free} {unit} unreserved "
            "(counting what its expandable ancestors can lend).",
        )


def _vm_requirement(vm: VmNode, resource: Resource, reservation: int) -> int:
    return reservation + (vm.overhead_mb if resource == "memory" else 0)


def check_power_on(tree: ResourceTree, vm_id: str) -> None:
    """Raise InsufficientResourcesFault unless the VM's CPU and memory reservations (+ overhead) fit."""
    vm = tree.vm(vm_id)
    if vm.powered_on:
        return
    for resource in RESOURCES:
        _require(tree, vm, resource, _vm_requirement(vm, resource, vm.of(resource).reservation))


def admit(tree: ResourceTree, vm_id: str) -> None:
    """Power-on admission: check, then mark the VM powered on (its reservations are now held)."""
    check_power_on(tree, vm_id)
    tree.set_powered_on(vm_id, True)


def release(tree: ResourceTree, vm_id: str) -> None:
    """Power-off: the VM's reservations return to its pool."""
    tree.set_powered_on(vm_id, False)


def _check_allocation(
    tree: ResourceTree, node: PoolNode | VmNode, resource: Resource, new: Allocation
) -> None:
    """Whether ``node`` may take ``new`` as its ``resource`` allocation (reservation, limit, expandable)."""
    if isinstance(node, VmNode):
        if resource == "memory" and new.reservation > node.memory_mb:
            raise InvalidArgument(
                "memoryAllocation.reservation",
                f"{new.reservation} MB is more than the VM's {node.memory_mb} MB",
            )
        if node.powered_on:
            _require(tree, node, resource, new.reservation - node.of(resource).reservation)
        return
    if node.id == ROOT_POOL_ID:
        raise InvalidArgument("pool", "the host's root pool cannot be reconfigured")
    used = tree.reservation_used(node.id, resource)
    unit = _UNIT[resource]
    if new.limited and new.limit < used:
        raise InvalidArgument(
            f"{resource}Allocation.limit",
            f"{new.limit} {unit} is below the {used} {unit} already reserved in pool '{node.name}'",
        )
    if not new.expandable_reservation and new.reservation < used:
        raise InsufficientResourcesFault(
            resource,
            used,
            new.reservation,
            f"Insufficient {_WHAT[resource]} resources: resource pool '{node.name}' has {used} {unit} "
            f"reserved by its children, more than the {new.reservation} {unit} it would reserve "
            "without expandable reservation.",
        )
    old_requirement = max(node.of(resource).reservation, used)
    _require(tree, node, resource, max(new.reservation, used) - old_requirement)


def _with_reservation(old: Allocation, resource: Resource, reservation: int) -> Allocation:
    try:
        return replace(old, reservation=reservation)
    except InvalidArgument as err:
        raise InvalidArgument(f"{resource}Allocation.{err.argument}", err.reason) from None


def check_reservation_change(
    tree: ResourceTree,
    node_id: str,
    new_cpu_reservation: int | None = None,
    new_mem_reservation: int | None = None,
) -> None:
    """Raise unless the pool or VM ``node_id`` may take the new reservations (None = unchanged)."""
    node = tree.node(node_id)
    requested: tuple[tuple[Resource, int | None], ...] = (
        ("cpu", new_cpu_reservation),
        ("memory", new_mem_reservation),
    )
    for resource, value in requested:
        if value is not None:
            new = _with_reservation(node.of(resource), resource, value)
            _check_allocation(tree, node, resource, new)


def reconfigure(
    tree: ResourceTree, node_id: str, cpu: Allocation | None = None, memory: Allocation | None = None
) -> None:
    """Check both new allocations (None = unchanged), then apply them; nothing changes on a fault."""
    node = tree.node(node_id)
    changes: list[tuple[Resource, Allocation]] = []
    if cpu is not None:
        changes.append(("cpu", cpu))
    if memory is not None:
        changes.append(("memory", memory))
    for resource, alloc in changes:
        _check_allocation(tree, node, resource, alloc)
    for resource, alloc in changes:
        tree.set_allocation(node_id, resource, alloc)


def move(tree: ResourceTree, node_id: str, new_parent_id: str) -> None:
    """Move a pool or VM to another pool if what it holds fits there; otherwise nothing changes."""
    node = tree.node(node_id)
    requirements = {r: tree.requirement(node_id, r) for r in RESOURCES}
    unreserved = {r: tree.unreserved(new_parent_id, r) for r in RESOURCES}
    old_parent = tree.pool(node.parent) if node.parent is not None else None
    old_order = list(old_parent.children) if old_parent is not None else []
    before = _violations(tree)
    if isinstance(node, VmNode):
        tree.move_vm(node_id, new_parent_id)
    else:
        tree.move_pool(node_id, new_parent_id)
    new_violations = sorted(_violations(tree) - before)
    if not new_violations or old_parent is None:
        return
    if isinstance(node, VmNode):
        tree.move_vm(node_id, old_parent.id)
    else:
        tree.move_pool(node_id, old_parent.id)
    old_parent.children[:] = old_order
    resource = new_violations[0][1]
    target = tree.pool(new_parent_id)
    unit = _UNIT[resource]
    raise InsufficientResourcesFault(
        resource,
        requirements[resource],
        unreserved[resource],
        f"Insufficient {_WHAT[resource]} resources: {_describe(node)} holds {requirements[resource]} {unit} "
        f"of reservation, but resource pool '{target.name}' has only {unreserved[resource]} {unit} "
        "unreserved.",
    )


def _violations(tree: ResourceTree) -> set[tuple[str, Resource]]:
    """(pool, resource) pairs over-committed: used beyond a fixed reservation or beyond a limit."""
    out: set[tuple[str, Resource]] = set()
    for pool in tree.pools():
        for resource in RESOURCES:
            alloc = pool.of(resource)
            used = tree.reservation_used(pool.id, resource)
            if (not alloc.expandable_reservation and used > alloc.reservation) or alloc.cap(used) < used:
                out.add((pool.id, resource))
    return out

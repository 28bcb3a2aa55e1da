"""The resource pool tree: an invisible root pool, nested pools, VMs as leaves, and reservation accounting.

Accounting (per resource, CPU in MHz, memory in MB)::

    requirement(VM)   = reservation (+ overhead for memory) if powered on, else 0
    requirement(pool) = max(reservation, used(pool))
    used(pool)        = Σ requirement(child)
    unreserved(pool)  = max(0, reservation − used) + (unreserved(parent) if expandable else 0),
                        at most limit − used when the pool is limited

The root pool's reservation and limit are the host's capacity. The tree only records: admission
(``admission``) decides whether a change fits before it is applied.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from pyesx.allocations import (
    Allocation,
    Resource,
    SharesLevel,
    VmAllocations,
    default_pool_allocation,
    default_vm_allocations,
    pool_shares,
)
from pyesx.faults import DuplicateName, InvalidArgument, InvalidState, NotFound

from .overhead import memory_overhead_mb

ROOT_POOL_ID = "ha-root-pool"
ROOT_POOL_NAME = "Resources"
MAX_NAME_LENGTH = 80


@dataclass(frozen=True)
class HostCapacity:
    """What the host gives its root pool: PCPUs × MHz each, and memory in MB."""

    num_pcpus: int
    pcpu_mhz: int
    memory_mb: int

    def __post_init__(self) -> None:
        for name in ("num_pcpus", "pcpu_mhz", "memory_mb"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise InvalidArgument(name, f"{value!r} must be a positive integer")

    @property
    def cpu_mhz(self) -> int:
        return self.num_pcpus * self.pcpu_mhz

    def of(self, resource: Resource) -> int:
        return self.cpu_mhz if resource == "cpu" else self.memory_mb


@dataclass
class PoolNode:
    """A resource pool; ``children`` holds pool and VM ids in insertion order."""

    id: str
    name: str
    parent: str | None
    cpu: Allocation
    memory: Allocation
    children: list[str] = field(default_factory=list)

    def of(self, resource: Resource) -> Allocation:
        return self.cpu if resource == "cpu" else self.memory


@dataclass
class VmNode:
    """A VM: a leaf of the tree."""

    id: str
    parent: str
    num_cpu: int
    memory_mb: int
    allocations: VmAllocations
    powered_on: bool = False

    def of(self, resource: Resource) -> Allocation:
        return self.allocations.of(resource)

    @property
    def overhead_mb(self) -> int:
        return memory_overhead_mb(self.memory_mb, self.num_cpu)


Node = PoolNode | VmNode


def _root_allocation(amount: int) -> Allocation:
    return Allocation(pool_shares("cpu", SharesLevel.NORMAL), amount, amount)


def _check_vm_allocations(allocations: VmAllocations, memory_mb: int) -> None:
    for resource in ("cpu", "memory"):
        if allocations.of(resource).expandable_reservation:
            raise InvalidArgument(f"{resource}Allocation.expandableReservation", "a VM has none")
    if allocations.memory.reservation > memory_mb:
        raise InvalidArgument(
            "memoryAllocation.reservation",
            f"{allocations.memory.reservation} MB is more than the VM's {memory_mb} MB of memory",
        )


class ResourceTree:
    """Pools and VMs under the host's root pool (``ha-root-pool``)."""

    def __init__(self, capacity: HostCapacity) -> None:
        self._pools: dict[str, PoolNode] = {}
        self._vms: dict[str, VmNode] = {}
        self._next_pool = 0
        self.capacity = capacity
        self._pools[ROOT_POOL_ID] = PoolNode(
            ROOT_POOL_ID,
            ROOT_POOL_NAME,
            None,
            _root_allocation(capacity.cpu_mhz),
            _root_allocation(capacity.memory_mb),
        )

    # --- lookup -------------------------------------------------------------------------------------

    @property
    def pool_counter(self) -> int:
        """The number in the last ``poolN`` id handed out (kept across restarts so ids are not reused)."""
        return self._next_pool

    @pool_counter.setter
    def pool_counter(self, value: int) -> None:
        self._next_pool = max(self._next_pool, value)

    def has_pool(self, pool_id: str) -> bool:
        return pool_id in self._pools

    @property
    def root(self) -> PoolNode:
        return self._pools[ROOT_POOL_ID]

    def pool(self, pool_id: str) -> PoolNode:
        try:
            return self._pools[pool_id]
        except KeyError:
            raise NotFound("ResourcePool", pool_id) from None

    def vm(self, vm_id: str) -> VmNode:
        try:
            return self._vms[vm_id]
        except KeyError:
            raise NotFound("VirtualMachine", vm_id) from None

    def node(self, node_id: str) -> Node:
        if node_id in self._vms:
            return self._vms[node_id]
        return self.pool(node_id)

    def pools(self) -> Iterator[PoolNode]:
        """Every pool, parents before children (the root first)."""
        stack = [self.root]
        while stack:
            pool = stack.pop(0)
            yield pool
            stack.extend(self._pools[c] for c in pool.children if c in self._pools)

    def vms(self) -> Iterator[VmNode]:
        return iter(list(self._vms.values()))

    def children(self, pool_id: str) -> list[Node]:
        return [self.node(c) for c in self.pool(pool_id).children]

    def find_pool(self, name: str, parent_id: str | None = None) -> PoolNode:
        """The pool named ``name`` (under ``parent_id`` if given)."""
        for pool in self._pools.values():
            if pool.name == name and (parent_id is None or pool.parent == parent_id):
                return pool
        raise NotFound("ResourcePool", name)

    def ancestors(self, node_id: str) -> list[PoolNode]:
        """The pools above ``node_id``, nearest first, ending at the root."""
        out: list[PoolNode] = []
        parent = self.node(node_id).parent
        while parent is not None:
            pool = self._pools[parent]
            out.append(pool)
            parent = pool.parent
        return out

    # --- pools --------------------------------------------------------------------------------------

    def _check_name(self, name: str, parent_id: str, exclude: str | None = None) -> str:
        if not isinstance(name, str) or not name.strip():
            raise InvalidArgument("name", "a pool needs a non-empty name")
        if len(name) > MAX_NAME_LENGTH:
            raise InvalidArgument("name", f"longer than {MAX_NAME_LENGTH} characters")
        for child in self.pool(parent_id).children:
            pool = self._pools.get(child)
            if pool is not None and pool.id != exclude and pool.name == name:
                raise DuplicateName(name)
        return name

    def _not_root(self, pool_id: str, action: str) -> PoolNode:
        pool = self.pool(pool_id)
        if pool.id == ROOT_POOL_ID:
            raise InvalidArgument("pool", f"the host's root pool cannot be {action}")
        return pool

    def create_pool(
        self,
        name: str,
        parent_id: str = ROOT_POOL_ID,
        cpu: Allocation | None = None,
        memory: Allocation | None = None,
        pool_id: str | None = None,
    ) -> PoolNode:
        """A new, empty pool under ``parent_id`` (defaults: normal shares, no reservation, expandable).

        Its id is ``pool_id`` if given (restoring a saved tree), else the next free ``poolN``.
        """
        self._check_name(name, parent_id)
        if pool_id is None:
            self._next_pool += 1
            while f"pool{self._next_pool}" in self._pools:
                self._next_pool += 1
            pool_id = f"pool{self._next_pool}"
        elif not pool_id or pool_id in self._pools or pool_id in self._vms:
            raise DuplicateName(pool_id)
        pool = PoolNode(
            pool_id,
            name,
            parent_id,
            cpu or default_pool_allocation("cpu"),
            memory or default_pool_allocation("memory"),
        )
        self._attach(pool, parent_id)
        return pool

    def rename_pool(self, pool_id: str, name: str) -> None:
        pool = self._not_root(pool_id, "renamed")
        assert pool.parent is not None
        pool.name = self._check_name(name, pool.parent, exclude=pool_id)

    def move_pool(self, pool_id: str, new_parent_id: str) -> None:
        """Move a pool (with everything in it) under ``new_parent_id``; a cycle is InvalidArgument."""
        pool = self._not_root(pool_id, "moved")
        target = self.pool(new_parent_id)
        if target.id == pool_id or any(a.id == pool_id for a in self.ancestors(target.id)):
            raise InvalidArgument("parent", f"pool '{pool.name}' cannot move into itself or a descendant")
        if pool.parent == new_parent_id:
            return
        self._check_name(pool.name, new_parent_id)
        self._detach(pool)
        self._attach(pool, new_parent_id)

    def delete_pool(self, pool_id: str) -> None:
        """Delete an empty pool; one with pools or VMs in it is InvalidState."""
        pool = self._not_root(pool_id, "deleted")
        if pool.children:
            raise InvalidState(
                f"Resource pool '{pool.name}' is not empty ({len(pool.children)} child pools or VMs): "
                "move or remove them first."
            )
        self._detach(pool)
        del self._pools[pool_id]

    # --- VMs ----------------------------------------------------------------------------------------

    def add_vm(
        self,
        vm_id: str,
        num_cpu: int,
        memory_mb: int,
        allocations: VmAllocations | None = None,
        pool_id: str = ROOT_POOL_ID,
        powered_on: bool = False,
    ) -> VmNode:
        """Register a VM (powered off unless said otherwise: use ``admission.admit`` to power on)."""
        if not vm_id or vm_id in self._vms or vm_id in self._pools:
            raise DuplicateName(vm_id)
        memory_overhead_mb(memory_mb, num_cpu)  # validates both
        allocations = allocations or default_vm_allocations(num_cpu, memory_mb)
        _check_vm_allocations(allocations, memory_mb)
        vm = VmNode(vm_id, pool_id, num_cpu, memory_mb, allocations, powered_on)
        self._attach(vm, pool_id)
        return vm

    def remove_vm(self, vm_id: str) -> None:
        vm = self.vm(vm_id)
        if vm.powered_on:
            raise InvalidState(f"VM '{vm_id}' is powered on: power it off before removing it")
        self._detach(vm)
        del self._vms[vm_id]

    def move_vm(self, vm_id: str, pool_id: str) -> None:
        vm = self.vm(vm_id)
        self.pool(pool_id)
        self._detach(vm)
        self._attach(vm, pool_id)

    def set_powered_on(self, vm_id: str, powered_on: bool) -> None:
        self.vm(vm_id).powered_on = powered_on

    # --- settings -----------------------------------------------------------------------------------

    def set_allocation(self, node_id: str, resource: Resource, allocation: Allocation) -> None:
        """Replace one resource's allocation of a pool or VM, unchecked (see ``admission.reconfigure``)."""
        node = self.node(node_id)
        if isinstance(node, VmNode):
            cpu = allocation if resource == "cpu" else node.allocations.cpu
            memory = allocation if resource == "memory" else node.allocations.memory
            allocations = VmAllocations(cpu, memory)
            _check_vm_allocations(allocations, node.memory_mb)
            node.allocations = allocations
            return
        self._not_root(node_id, "reconfigured")
        if resource == "cpu":
            node.cpu = allocation
        else:
            node.memory = allocation

    def set_capacity(self, capacity: HostCapacity) -> None:
        """The host's capacity changed: so do the root pool's reservation and limit."""
        self.capacity = capacity
        self.root.cpu = _root_allocation(capacity.cpu_mhz)
        self.root.memory = _root_allocation(capacity.memory_mb)

    # --- accounting ---------------------------------------------------------------------------------

    def requirement(self, node_id: str, resource: Resource) -> int:
        """What ``node_id`` holds of its parent's reservation."""
        node = self.node(node_id)
        if isinstance(node, VmNode):
            if not node.powered_on:
                return 0
            extra = node.overhead_mb if resource == "memory" else 0
            return node.of(resource).reservation + extra
        return max(node.of(resource).reservation, self.reservation_used(node_id, resource))

    def reservation_used(self, pool_id: str, resource: Resource) -> int:
        """Σ over the pool's children of their requirement."""
        return sum(self.requirement(c, resource) for c in self.pool(pool_id).children)

    def unreserved(self, pool_id: str, resource: Resource) -> int:
        """How much more the pool can grant its children, borrowing up through expandable ancestors."""
        pool = self.pool(pool_id)
        alloc = pool.of(resource)
        used = self.reservation_used(pool_id, resource)
        free = max(0, alloc.reservation - used)
        if alloc.expandable_reservation and pool.parent is not None:
            free += self.unreserved(pool.parent, resource)
        if alloc.limited:
            free = min(free, max(0, alloc.limit - used))
        return free

    # --- structure ----------------------------------------------------------------------------------

    def _attach(self, node: Node, parent_id: str) -> None:
        parent = self.pool(parent_id)
        node.parent = parent_id
        parent.children.append(node.id)
        if isinstance(node, VmNode):
            self._vms[node.id] = node
        else:
            self._pools[node.id] = node

    def _detach(self, node: Node) -> None:
        if node.parent is not None:
            self._pools[node.parent].children.remove(node.id)

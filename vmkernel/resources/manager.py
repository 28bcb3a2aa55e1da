"""Resource pool operations on the scheduler's live tree: checked, applied, saved, or nothing changes.

Every change is validated (InvalidArgument, DuplicateName, NotFound, InvalidState) and passes
admission control (InsufficientResourcesFault) before it is applied; it is then written to disk
(``store``) and, should that fail, undone. ``on_change`` runs after each change (the scheduler
rebalances: entitlements follow the new tree at once).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pyesx import faults
from pyesx.allocations import (
    Allocation,
    Resource,
    SharesLevel,
    default_pool_allocation,
    parse_level,
    pool_shares,
)
from pyesx.faults import InvalidArgument, NotFound
from pyesx.logs import get_logger

from . import admission, store
from .pools import ROOT_POOL_ID, PoolNode, ResourceTree, VmNode

_log = get_logger("resourcepools")


@dataclass(frozen=True)
class AllocationSpec:
    """What a request says of one resource's pool allocation (None: unchanged, or the default)."""

    reservation: int | None = None
    limit: int | None = None
    shares_level: str | None = None
    shares: int | None = None
    expandable_reservation: bool | None = None


def pool_allocation(resource: Resource, old: Allocation, spec: AllocationSpec | None) -> Allocation:
    """``old`` with what ``spec`` changes; InvalidArgument (named ``cpuAllocation.*`` …) when invalid.

    Shares given without a level are custom; a preset level takes the pool preset's number."""
    if spec is None:
        return old
    prefix = f"{resource}Allocation"
    try:
        shares = old.shares
        if spec.shares_level is not None or spec.shares is not None:
            level = parse_level(spec.shares_level or SharesLevel.CUSTOM)
            shares = pool_shares(resource, level, spec.shares if level is SharesLevel.CUSTOM else None)
        return Allocation(
            shares,
            old.reservation if spec.reservation is None else spec.reservation,
            old.limit if spec.limit is None else spec.limit,
            old.expandable_reservation
            if spec.expandable_reservation is None
            else spec.expandable_reservation,
        )
    except InvalidArgument as err:
        raise InvalidArgument(f"{prefix}.{err.argument}", err.reason) from None


@dataclass(frozen=True)
class PoolUsage:
    """Of one resource: what the pool's children hold, and what more it can grant."""

    reservation_used: int
    unreserved: int


class PoolManager:
    """The pools of ``tree`` (the scheduler's), persisted at ``path``."""

    def __init__(self, tree: ResourceTree, path: Path, on_change: Callable[[], None] = lambda: None) -> None:
        self.tree, self.path, self.on_change = tree, path, on_change

    def load(self) -> None:
        """The pools saved by an earlier boot (before any VM powers on)."""
        store.load(self.tree, self.path)
        _log.info("resourcepools.loaded", pools=sum(1 for _ in self.tree.pools()) - 1)

    # -- reads ------------------------------------------------------------------------------------

    def pools(self) -> list[PoolNode]:
        return list(self.tree.pools())

    def pool(self, pool_id: str) -> PoolNode:
        return self.tree.pool(pool_id or ROOT_POOL_ID)

    def usage(self, pool_id: str, resource: Resource) -> PoolUsage:
        return PoolUsage(
            self.tree.reservation_used(pool_id, resource), self.tree.unreserved(pool_id, resource)
        )

    def powered_on_vms(self, pool_id: str) -> list[str]:
        return [c for c in self.pool(pool_id).children if isinstance(self.tree.node(c), VmNode)]

    # -- changes ----------------------------------------------------------------------------------

    def _commit(self, undo: Callable[[], None], event: str, **fields: object) -> None:
        try:
            store.save(self.tree, self.path)
        except OSError as err:
            undo()
            _log.error("resourcepools.save_failed", path=str(self.path), reason=str(err))
            raise faults.SystemError(f"cannot save the resource pools: {err}") from None
        _log.info(event, **fields)
        self.on_change()

    def create(
        self,
        name: str,
        parent_id: str = "",
        cpu: AllocationSpec | None = None,
        memory: AllocationSpec | None = None,
    ) -> PoolNode:
        """A new pool under ``parent_id`` ("" = the root); its reservations must fit in the parent."""
        parent = self.pool(parent_id)
        cpu_alloc = pool_allocation("cpu", default_pool_allocation("cpu"), cpu)
        mem_alloc = pool_allocation("memory", default_pool_allocation("memory"), memory)
        pool = self.tree.create_pool(name, parent.id)  # an empty pool reserving nothing: always fits
        try:
            admission.reconfigure(self.tree, pool.id, cpu=cpu_alloc, memory=mem_alloc)
        except BaseException:
            self.tree.delete_pool(pool.id)
            raise
        self._commit(lambda: self.tree.delete_pool(pool.id), "resourcepool.created", pool=pool.id, name=name)
        return pool

    def update(
        self,
        pool_id: str,
        name: str | None = None,
        cpu: AllocationSpec | None = None,
        memory: AllocationSpec | None = None,
    ) -> PoolNode:
        """Rename and/or reconfigure a pool (not the root); all of it or nothing."""
        pool = self.pool(pool_id)
        if pool.id == ROOT_POOL_ID:
            raise InvalidArgument("pool", "the host's root pool cannot be renamed or reconfigured")
        old_name, old_cpu, old_mem = pool.name, pool.cpu, pool.memory
        new_cpu = pool_allocation("cpu", pool.cpu, cpu)
        new_mem = pool_allocation("memory", pool.memory, memory)
        if name is not None and name != pool.name:
            self.tree.rename_pool(pool.id, name)  # DuplicateName / InvalidArgument: nothing changed
        try:
            admission.reconfigure(
                self.tree,
                pool.id,
                cpu=new_cpu if new_cpu != old_cpu else None,
                memory=new_mem if new_mem != old_mem else None,
            )
        except BaseException:
            pool.name = old_name
            raise

        def undo() -> None:
            pool.name, pool.cpu, pool.memory = old_name, old_cpu, old_mem

        self._commit(undo, "resourcepool.updated", pool=pool.id, name=pool.name)
        return pool

    def delete(self, pool_id: str) -> None:
        """Delete an empty pool (InvalidState while it holds pools or powered-on VMs)."""
        pool = self.pool(pool_id)
        parent = pool.parent
        self.tree.delete_pool(pool.id)
        assert parent is not None

        def undo() -> None:
            self.tree.create_pool(pool.name, parent, pool.cpu, pool.memory, pool_id=pool.id)

        self._commit(undo, "resourcepool.deleted", pool=pool.id, name=pool.name)

    def move(self, pool_id: str, entity_ids: list[str]) -> PoolNode:
        """Move pools and powered-on VMs into ``pool_id``: each must fit there, or nothing moves.

        An id that is neither a pool nor a VM the scheduler holds (a powered-off VM) is skipped."""
        target = self.pool(pool_id)
        if len(set(entity_ids)) != len(entity_ids):
            raise InvalidArgument("entityIds", "an entity is named more than once")
        moved: list[tuple[str, str]] = []
        try:
            for entity_id in entity_ids:
                if not self.tree.has_pool(entity_id) and not self._holds_vm(entity_id):
                    continue
                old_parent = self.tree.node(entity_id).parent
                if old_parent is None:
                    raise InvalidArgument("entityIds", "the host's root pool cannot be moved")
                admission.move(self.tree, entity_id, target.id)
                if old_parent != target.id:
                    moved.append((entity_id, old_parent))
        except BaseException:
            self._undo_moves(moved)
            raise
        self._commit(
            lambda: self._undo_moves(moved), "resourcepool.moved_into", pool=target.id, entities=entity_ids
        )
        return target

    def _holds_vm(self, vm_id: str) -> bool:
        try:
            self.tree.vm(vm_id)
        except NotFound:
            return False
        return True

    def _undo_moves(self, moved: list[tuple[str, str]]) -> None:
        for entity_id, old_parent in reversed(moved):
            if self.tree.has_pool(entity_id):
                self.tree.move_pool(entity_id, old_parent)
            else:
                self.tree.move_vm(entity_id, old_parent)


__all__ = ["AllocationSpec", "PoolManager", "PoolUsage", "pool_allocation"]

"""Resource pools in hostd: the VMkernel owns the pool tree; hostd owns which pool each VM is in.

Pool calls are forwarded to the VMkernel's ResourcePools service (which checks them, runs
admission control and persists the tree); hostd adds every VM of a pool from its inventory
(powered off ones too), refuses to delete a pool that still holds a VM, records each VM's new
pool in vmInventory.xml after a move, and keeps ``VmManager.pool_names`` current. Each change
records vSphere's event (ResourcePoolCreatedEvent, ResourcePoolReconfiguredEvent,
ResourcePoolMovedEvent, ResourcePoolDestroyedEvent, VmResourcePoolMovedEvent).
"""

from __future__ import annotations

from collections.abc import Callable

from hostd.inventory import ROOT_POOL_ID
from hostd.sessions import current_user
from hostd.vms import POWERED_ON, VmManager, VmRecord
from pyesx import faults
from pyesx.api.v1 import resourcepool_pb2
from pyesx.logs import get_logger
from pyesx.rpc.channel import call
from pyesx.vmkernel.v1 import resourcepools_pb2_grpc

_log = get_logger("pools")
VM_PREFIX = "vm-"


class PoolOps:
    def __init__(self, vms: VmManager, vmkernel: resourcepools_pb2_grpc.ResourcePoolsStub) -> None:
        self.vms, self.vmkernel = vms, vmkernel
        #: called with the ids of pools that are gone (their permissions go too)
        self.on_pools_gone: Callable[[set[str]], None] = lambda pool_ids: None

    # -- what hostd knows -----------------------------------------------------------------------

    async def _fetch(self) -> list[resourcepool_pb2.ResourcePool]:
        """The VMkernel's pools (hostd's VM membership filled in); refreshes the pool names."""
        pools = list((await call(self.vmkernel.ListPools, resourcepool_pb2.ListResourcePoolsRequest())).pools)
        self._learn(pools)
        return [self._with_vms(p) for p in pools]

    def _learn(self, pools: list[resourcepool_pb2.ResourcePool]) -> None:
        names = {p.id: p.name for p in pools}
        renamed = {i for i, n in names.items() if self.vms.pool_names.get(i) != n}
        gone = set(self.vms.pool_names) - set(names)
        self.vms.pool_names = names
        self.vms.pool_parents = {p.id: p.parent_id for p in pools}
        for vm in self.vms.all():
            if vm.pool_id in renamed | gone:
                self.vms.changed(vm, "resource_pool")
        if gone:
            self.on_pools_gone(gone)

    def _with_vms(self, pool: resourcepool_pb2.ResourcePool) -> resourcepool_pb2.ResourcePool:
        del pool.vm_ids[:]
        pool.vm_ids.extend(vm.id for vm in self.vms.all() if self.vms.pool_of(vm) == pool.id)
        return pool

    async def refresh(self) -> None:
        """Learn the pools (hostd start-up); a VM whose pool is gone counts as in the root pool."""
        await self._fetch()
        for vm in self.vms.all():
            if vm.pool_id not in self.vms.pool_names:
                _log.warning("vm.pool_vanished", vm_id=vm.id, pool=vm.pool_id)

    def _record(self, type_: str, message: str, vm: VmRecord | None = None) -> None:
        self.vms.events.record(
            type_, message, user=current_user(), vm_id=vm.id if vm else "", vm_name=vm.name if vm else ""
        )

    # -- the calls ------------------------------------------------------------------------------

    async def all(self) -> list[resourcepool_pb2.ResourcePool]:
        return await self._fetch()

    async def get(self, pool_id: str) -> resourcepool_pb2.ResourcePool:
        for pool in await self._fetch():
            if pool.id == (pool_id or ROOT_POOL_ID):
                return pool
        raise faults.NotFound("ResourcePool", pool_id)

    async def create(
        self, request: resourcepool_pb2.CreateResourcePoolRequest
    ) -> resourcepool_pb2.ResourcePool:
        pool = await call(self.vmkernel.CreatePool, request)
        self.vms.pool_names[pool.id] = pool.name
        parent = self.vms.pool_names.get(pool.parent_id, pool.parent_id)
        self._record("ResourcePoolCreatedEvent", f"Created resource pool {pool.name} in {parent}")
        return self._with_vms(pool)

    async def update(
        self, request: resourcepool_pb2.UpdateResourcePoolRequest
    ) -> resourcepool_pb2.ResourcePool:
        pool = await call(self.vmkernel.UpdatePool, request)
        if self.vms.pool_names.get(pool.id) != pool.name:
            self.vms.pool_names[pool.id] = pool.name
            for vm in self.vms.all():
                if vm.pool_id == pool.id:
                    self.vms.changed(vm, "resource_pool")
        self._record("ResourcePoolReconfiguredEvent", f"Resource pool {pool.name} was reconfigured")
        return self._with_vms(pool)

    async def delete(self, pool_id: str) -> None:
        """Delete an empty pool: one holding a VM (in any power state) is InvalidState."""
        holding = [vm.name for vm in self.vms.all() if pool_id and self.vms.pool_of(vm) == pool_id]
        if holding:
            name = self.vms.pool_names.get(pool_id, pool_id)
            raise faults.InvalidState(
                f"Resource pool '{name}' is in use: it holds the VMs {', '.join(sorted(holding))}; "
                "move or remove them first."
            )
        await call(self.vmkernel.DeletePool, resourcepool_pb2.DeleteResourcePoolRequest(id=pool_id))
        name = self.vms.pool_names.pop(pool_id, pool_id)
        self.vms.pool_parents.pop(pool_id, None)
        self.on_pools_gone({pool_id})
        self._record("ResourcePoolDestroyedEvent", f"Removed resource pool {name}")

    async def move(self, pool_id: str, entity_ids: list[str]) -> resourcepool_pb2.ResourcePool:
        """Move VMs and pools into ``pool_id``: all of them, or none (the first fault is raised).

        A powered-on VM and a pool move through the VMkernel's admission control; a VM that is
        powered off or suspended holds no reservation and only changes membership."""
        target = self.vms.check_pool(pool_id)
        if not entity_ids:
            raise faults.InvalidArgument("entityIds", "name at least one VM or resource pool to move")
        vms: list[VmRecord] = []
        through_vmkernel: list[str] = []
        for entity_id in entity_ids:
            if entity_id.startswith(VM_PREFIX):
                vm = self.vms.get(entity_id)
                self.vms.check_idle(vm)
                vms.append(vm)
                if vm.power_state == POWERED_ON:
                    through_vmkernel.append(vm.id)
            elif entity_id in self.vms.pool_names:
                through_vmkernel.append(entity_id)
            else:
                raise faults.NotFound("ResourcePool", entity_id)
        request = resourcepool_pb2.MoveIntoResourcePoolRequest(pool_id=target, entity_ids=through_vmkernel)
        result = await call(self.vmkernel.MoveIntoPool, request)
        target_name = self.vms.pool_names.get(target, target)
        for vm in vms:
            if self.vms.pool_of(vm) == target:
                continue
            vm.pool_id = target
            self.vms.inventory.set_pool(vm.obj_id, target)
            self.vms.changed(vm, "resource_pool")
            self._record("VmResourcePoolMovedEvent", f"{vm.name} moved to resource pool {target_name}", vm)
        for entity_id in entity_ids:
            if not entity_id.startswith(VM_PREFIX):
                name = self.vms.pool_names.get(entity_id, entity_id)
                self._record("ResourcePoolMovedEvent", f"Resource pool {name} moved to {target_name}")
        _log.info("pools.moved_into", pool=target, entities=entity_ids)
        return self._with_vms(result)

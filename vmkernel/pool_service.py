"""The VMkernel's ResourcePools servicer: thin, over ``vmkernel.resources.manager.PoolManager``."""

from __future__ import annotations

from typing import TypeAlias

import grpc

from pyesx.allocations import Allocation
from pyesx.api.v1 import resourcepool_pb2, vm_pb2
from pyesx.vmkernel.v1 import resourcepools_pb2_grpc
from vmkernel.resources.manager import AllocationSpec, PoolManager
from vmkernel.resources.pools import PoolNode

Ctx: TypeAlias = grpc.aio.ServicerContext


def allocation_to_proto(alloc: Allocation) -> vm_pb2.ResourceAllocation:
    return vm_pb2.ResourceAllocation(
        reservation=alloc.reservation,
        limit=alloc.limit,
        shares_level=str(alloc.shares.level),
        shares=alloc.shares.number,
        expandable_reservation=alloc.expandable_reservation,
    )


def spec_from_proto(
    message: resourcepool_pb2.CreateResourcePoolRequest | resourcepool_pb2.UpdateResourcePoolRequest,
    field: str,
) -> AllocationSpec | None:
    """The allocation change a request carries in ``field`` (None when it has none)."""
    if not message.HasField(field):  # type: ignore[arg-type]
        return None
    m: vm_pb2.ResourceAllocationChange = getattr(message, field)
    return AllocationSpec(
        reservation=m.reservation if m.HasField("reservation") else None,
        limit=m.limit if m.HasField("limit") else None,
        shares_level=m.shares_level if m.HasField("shares_level") else None,
        shares=m.shares if m.HasField("shares") else None,
        expandable_reservation=m.expandable_reservation if m.HasField("expandable_reservation") else None,
    )


class ResourcePoolsServicer(resourcepools_pb2_grpc.ResourcePoolsServicer):
    def __init__(self, pools: PoolManager) -> None:
        self.pools = pools

    def _proto(self, pool: PoolNode) -> resourcepool_pb2.ResourcePool:
        cpu, memory = self.pools.usage(pool.id, "cpu"), self.pools.usage(pool.id, "memory")
        tree = self.pools.tree
        return resourcepool_pb2.ResourcePool(
            id=pool.id,
            name=pool.name,
            parent_id=pool.parent or "",
            cpu_allocation=allocation_to_proto(pool.cpu),
            memory_allocation=allocation_to_proto(pool.memory),
            cpu_usage=resourcepool_pb2.ResourcePoolUsage(
                reservation_used=cpu.reservation_used, unreserved=cpu.unreserved
            ),
            memory_usage=resourcepool_pb2.ResourcePoolUsage(
                reservation_used=memory.reservation_used, unreserved=memory.unreserved
            ),
            child_pool_ids=[c for c in pool.children if tree.has_pool(c)],
            vm_ids=[c for c in pool.children if not tree.has_pool(c)],
        )

    async def ListPools(
        self, request: resourcepool_pb2.ListResourcePoolsRequest, context: Ctx
    ) -> resourcepool_pb2.ListResourcePoolsResponse:
        return resourcepool_pb2.ListResourcePoolsResponse(pools=[self._proto(p) for p in self.pools.pools()])

    async def CreatePool(
        self, request: resourcepool_pb2.CreateResourcePoolRequest, context: Ctx
    ) -> resourcepool_pb2.ResourcePool:
        pool = self.pools.create(
            request.name,
            request.parent_id,
            spec_from_proto(request, "cpu_allocation"),
            spec_from_proto(request, "memory_allocation"),
        )
        return self._proto(pool)

    async def UpdatePool(
        self, request: resourcepool_pb2.UpdateResourcePoolRequest, context: Ctx
    ) -> resourcepool_pb2.ResourcePool:
        pool = self.pools.update(
            request.id,
            request.name if request.HasField("name") else None,
            spec_from_proto(request, "cpu_allocation"),
            spec_from_proto(request, "memory_allocation"),
        )
        return self._proto(pool)

    async def DeletePool(
        self, request: resourcepool_pb2.DeleteResourcePoolRequest, context: Ctx
    ) -> resourcepool_pb2.DeleteResourcePoolResponse:
        self.pools.delete(request.id)
        return resourcepool_pb2.DeleteResourcePoolResponse()

    async def MoveIntoPool(
        self, request: resourcepool_pb2.MoveIntoResourcePoolRequest, context: Ctx
    ) -> resourcepool_pb2.ResourcePool:
        return self._proto(self.pools.move(request.pool_id, list(request.entity_ids)))

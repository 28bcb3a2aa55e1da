"""hostd's public ResourcePoolService: thin, over ``hostd.pools.PoolOps``."""

from __future__ import annotations

from typing import TypeAlias

import grpc

from hostd.pools import PoolOps
from pyesx.api.v1 import resourcepool_pb2, resourcepool_pb2_grpc

Ctx: TypeAlias = grpc.aio.ServicerContext


class ResourcePoolServicer(resourcepool_pb2_grpc.ResourcePoolServiceServicer):
    def __init__(self, pools: PoolOps) -> None:
        self.pools = pools

    async def ListResourcePools(
        self, request: resourcepool_pb2.ListResourcePoolsRequest, context: Ctx
    ) -> resourcepool_pb2.ListResourcePoolsResponse:
        return resourcepool_pb2.ListResourcePoolsResponse(pools=await self.pools.all())

    async def GetResourcePool(
        self, request: resourcepool_pb2.GetResourcePoolRequest, context: Ctx
    ) -> resourcepool_pb2.ResourcePool:
        return await self.pools.get(request.id)

    async def CreateResourcePool(
        self, request: resourcepool_pb2.CreateResourcePoolRequest, context: Ctx
    ) -> resourcepool_pb2.ResourcePool:
        return await self.pools.create(request)

    async def UpdateResourcePool(
        self, request: resourcepool_pb2.UpdateResourcePoolRequest, context: Ctx
    ) -> resourcepool_pb2.ResourcePool:
        return await self.pools.update(request)

    async def DeleteResourcePool(
        self, request: resourcepool_pb2.DeleteResourcePoolRequest, context: Ctx
    ) -> resourcepool_pb2.DeleteResourcePoolResponse:
        await self.pools.delete(request.id)
        return resourcepool_pb2.DeleteResourcePoolResponse()

    async def MoveIntoResourcePool(
        self, request: resourcepool_pb2.MoveIntoResourcePoolRequest, context: Ctx
    ) -> resourcepool_pb2.ResourcePool:
        return await self.pools.move(request.pool_id, list(request.entity_ids))

"""hostd's PerformanceService: the VMkernel's per-world CPU counters and memory figures, for esxtop
and scripts."""

from __future__ import annotations

from typing import TypeAlias

import grpc

from pyesx.api.v1 import performance_pb2, performance_pb2_grpc
from pyesx.rpc.channel import call
from pyesx.vmkernel.v1 import vmkernel_pb2_grpc

Ctx: TypeAlias = grpc.aio.ServicerContext


class PerformanceServicer(performance_pb2_grpc.PerformanceServiceServicer):
    def __init__(self, vmkernel: vmkernel_pb2_grpc.VMkernelStub) -> None:
        self.vmkernel = vmkernel

    async def GetWorldStats(
        self, request: performance_pb2.GetWorldStatsRequest, context: Ctx
    ) -> performance_pb2.WorldStats:
        return await call(self.vmkernel.GetWorldStats, request)

    async def GetMemoryStats(
        self, request: performance_pb2.GetMemoryStatsRequest, context: Ctx
    ) -> performance_pb2.MemoryStats:
        return await call(self.vmkernel.GetMemoryStats, request)

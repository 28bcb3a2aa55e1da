"""hostd's PerformanceService: the VMkernel's per-world CPU counters and memory figures (esxtop),
and realtime statistics."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeAlias

import grpc

from hostd.convert import seconds, timestamp
from hostd.perfcounters import CATALOGUE, HOST_ID, PerfCounter
from hostd.perfstats import ALL_INSTANCES, PerfCollector, PerfQuery
from pyesx import faults
from pyesx.api.v1 import performance_pb2, performance_pb2_grpc
from pyesx.rpc.channel import call
from pyesx.vmkernel.v1 import vmkernel_pb2_grpc

Ctx: TypeAlias = grpc.aio.ServicerContext


def counter_to_proto(c: PerfCounter, collected: bool) -> performance_pb2.PerfCounter:
    return performance_pb2.PerfCounter(
        name=c.name,
        group=c.group,
        counter=c.counter,
        rollup=c.rollup,
        unit=c.unit,
        description=c.description,
        stats_type=c.stats_type,
        per_instance=c.per_instance,
        entity_types=c.entity_types,
        collected=collected,
    )


class PerformanceServicer(performance_pb2_grpc.PerformanceServiceServicer):
    def __init__(
        self,
        vmkernel: vmkernel_pb2_grpc.VMkernelStub,
        collector: PerfCollector,
        vm_exists: Callable[[str], bool],
    ) -> None:
        self.vmkernel = vmkernel
        self.collector = collector
        self.vm_exists = vm_exists

    async def GetWorldStats(
        self, request: performance_pb2.GetWorldStatsRequest, context: Ctx
    ) -> performance_pb2.WorldStats:
        return await call(self.vmkernel.GetWorldStats, request)

    async def ListPerfCounters(
        self, request: performance_pb2.ListPerfCountersRequest, context: Ctx
    ) -> performance_pb2.ListPerfCountersResponse:
        return performance_pb2.ListPerfCountersResponse(
            counters=[counter_to_proto(c, c.name in self.collector.collected) for c in CATALOGUE],
            interval_secs=self.collector.interval_s,
            samples_kept=self.collector.samples_kept,
        )

    async def QueryPerf(
        self, request: performance_pb2.QueryPerfRequest, context: Ctx
    ) -> performance_pb2.QueryPerfResponse:
        entity = request.entity_id
        if entity != HOST_ID and not self.vm_exists(entity) and not self.collector.has_entity(entity):
            raise faults.NotFound("VirtualMachine" if entity.startswith("vm-") else "ManagedEntity", entity)
        query = PerfQuery(
            entity_id=entity,
            counters=list(request.counters),
            max_samples=request.max_samples,
            start=seconds(request.start_time) if request.HasField("start_time") else None,
            end=seconds(request.end_time) if request.HasField("end_time") else None,
            interval_s=request.interval_secs,
            instance=request.instance if request.HasField("instance") else ALL_INSTANCES,
        )
        interval = self.collector.interval_s
        return performance_pb2.QueryPerfResponse(
            samples=[
                performance_pb2.PerfSample(
                    entity_id=v.entity_id,
                    counter=v.counter.name,
                    instance=v.instance,
                    timestamp=timestamp(v.timestamp),
                    value=v.value,
                    unit=v.counter.unit,
                    interval_secs=interval,
                )
                for v in self.collector.query(query)
            ],
            interval_secs=interval,
        )

    async def GetNetStats(
        self, request: performance_pb2.GetNetStatsRequest, context: Ctx
    ) -> performance_pb2.NetStats:
        return await call(self.vmkernel.GetNetStats, request)

    async def GetDiskStats(
        self, request: performance_pb2.GetDiskStatsRequest, context: Ctx
    ) -> performance_pb2.DiskStats:
        return await call(self.vmkernel.GetDiskStats, request)

    async def GetMemoryStats(
        self, request: performance_pb2.GetMemoryStatsRequest, context: Ctx
    ) -> performance_pb2.MemoryStats:
        return await call(self.vmkernel.GetMemoryStats, request)

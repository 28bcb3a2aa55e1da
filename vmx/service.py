"""The vmx's internal gRPC servicer: thin, over the VmxRuntime."""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass, field

import grpc

from pyesx.vmx.v1 import vmx_pb2, vmx_pb2_grpc
from vmx.worlds import VmmWorlds


@dataclass
class VmxRuntime:
    """What one vmx owns at run time."""

    vm_id: str
    vm_name: str
    worlds: VmmWorlds
    started_at: float = field(default_factory=time.time)
    power_off_requested: asyncio.Event = field(default_factory=asyncio.Event)


class VmxServicer(vmx_pb2_grpc.VmxServicer):
    def __init__(self, runtime: VmxRuntime) -> None:
        self.runtime = runtime

    async def GetStatus(
        self, request: vmx_pb2.GetStatusRequest, context: grpc.aio.ServicerContext
    ) -> vmx_pb2.VmxStatus:
        rt = self.runtime
        return vmx_pb2.VmxStatus(
            vm_id=rt.vm_id,
            vm_name=rt.vm_name,
            pid=os.getpid(),
            started_at=rt.started_at,
            vmm_worlds=[vmx_pb2.VmmWorld(vcpu=w.vcpu, pid=w.pid, state="halted") for w in rt.worlds.worlds],
        )

    async def PowerOff(
        self, request: vmx_pb2.PowerOffRequest, context: grpc.aio.ServicerContext
    ) -> vmx_pb2.PowerOffResponse:
        self.runtime.power_off_requested.set()
        return vmx_pb2.PowerOffResponse()

"""The VMkernel's internal gRPC servicer: thin, over the world table, vmx manager and host view."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any, TypeVar

import grpc

from pyesx import faults
from pyesx.allocations import disk_io_from_vmx
from pyesx.api.v1 import datastore_pb2, host_pb2, network_pb2, performance_pb2
from pyesx.layout import HostLayout
from pyesx.logs import get_logger
from pyesx.vmkernel.v1 import vmkernel_pb2, vmkernel_pb2_grpc
from vmkernel.config import EsxConfig
from vmkernel.datastores import DatastoreTable
from vmkernel.disk_service import DiskService
from vmkernel.events import WorldEventBus
from vmkernel.hostinfo import PhysicalHost
from vmkernel.memsched.scheduler import MemScheduler
from vmkernel.net.stack import NetStack, NicSpec
from vmkernel.pcpustat import pcpu_used_seconds
from vmkernel.storage.mclock import IoAllocation
from vmkernel.vmxs import VmxManager
from vmkernel.vswitches import VirtualSwitchTable
from vmkernel.worlds import WorldTable

VERSION, BUILD = "8.0.3-pyesx", "24022510"
T = TypeVar("T")
_log = get_logger("vmkernel")
_unfinished: set[asyncio.Task[Any]] = set()


async def to_completion(work: Coroutine[Any, Any, T]) -> T:
    """Run work to its end even if the caller goes away: gRPC cancels a handler whose client died
    (hostd killed mid-call), and a half-started vmx or half-merged disk must not be abandoned."""
    task = asyncio.ensure_future(work)
    _unfinished.add(task)

    def finished(done: asyncio.Task[Any]) -> None:
        _unfinished.discard(done)
        if not done.cancelled() and done.exception() is not None:
            _log.info("vmkernel.call_outlived_caller", error=str(done.exception()))

    task.add_done_callback(finished)
    return await asyncio.shield(task)


class VMkernelServicer(vmkernel_pb2_grpc.VMkernelServicer):
    def __init__(
        self,
        layout: HostLayout,
        host: PhysicalHost,
        config: EsxConfig,
        worlds: WorldTable,
        vmxs: VmxManager,
        events: WorldEventBus,
        datastores: DatastoreTable,
        disks: DiskService,
        memsched: MemScheduler,
        vswitches: VirtualSwitchTable,
        net: NetStack,
    ) -> None:
        self.layout, self.host, self.config = layout, host, config
        self.memsched = memsched
        self.worlds, self.vmxs, self.events = worlds, vmxs, events
        self.boot_time = time.time()
        self.datastores = datastores
        self.vswitches, self.net = vswitches, net
        self.disks = disks
        #: set by main once the hostd watchdog exists: restart hostd on a user's request
        self.restart_hostd: Callable[[str], None] | None = None

    async def RestartHostd(
        self, request: vmkernel_pb2.RestartHostdRequest, context: grpc.aio.ServicerContext
    ) -> vmkernel_pb2.RestartHostdResponse:
        if self.restart_hostd is None:
            raise faults.InvalidState("hostd is not supervised by this VMkernel")
        # after this answer: hostd stops gracefully, so the call that asked for it completes first
        asyncio.get_running_loop().call_soon(self.restart_hostd, request.requested_by)
        return vmkernel_pb2.RestartHostdResponse()
        # Called with reboot=True|False when hostd asks the host to go down (main sets it).
        self.on_shutdown: Callable[[bool], None] = lambda reboot: None

    async def ShutdownHost(
        self, request: vmkernel_pb2.ShutdownHostRequest, context: grpc.aio.ServicerContext
    ) -> vmkernel_pb2.ShutdownHostResponse:
        _log.info("vmkernel.shutdown_requested", reboot=request.reboot)
        asyncio.get_running_loop().call_soon(self.on_shutdown, request.reboot)  # after the reply
        return vmkernel_pb2.ShutdownHostResponse()

    async def GetHostInfo(
        self, request: vmkernel_pb2.GetHostInfoRequest, context: grpc.aio.ServicerContext
    ) -> vmkernel_pb2.HostInfo:
        return vmkernel_pb2.HostInfo(
            hostname=self.config.hostname,
            version=VERSION,
            build=BUILD,
            num_pcpus=self.host.num_pcpus,
            cpu_mhz=self.host.cpu_mhz,
            memory_bytes=self.host.memory_bytes,
            boot_time=self.boot_time,
            root=str(self.layout.root),
            datastores=[self.datastores.to_proto(name) for name in self.datastores.names()],
            virtual_switches=self.vswitches.switches(),
        )

    async def StartVmx(
        self, request: vmkernel_pb2.StartVmxRequest, context: grpc.aio.ServicerContext
    ) -> vmkernel_pb2.VmxWorld:
        return (await to_completion(self.vmxs.start(request))).to_proto()

    async def StopVmx(
        self, request: vmkernel_pb2.StopVmxRequest, context: grpc.aio.ServicerContext
    ) -> vmkernel_pb2.StopVmxResponse:
        exit_code = await to_completion(self.vmxs.stop(request.vm_id, request.kill, request.suspend_to))
        return vmkernel_pb2.StopVmxResponse(exit_code=exit_code)

    async def HotAddVcpus(
        self, request: vmkernel_pb2.HotAddVcpusRequest, context: grpc.aio.ServicerContext
    ) -> vmkernel_pb2.VmxWorld:
        return (await to_completion(self.vmxs.hot_add_vcpus(request.vm_id, request.num_cpu))).to_proto()

    async def SetAllocation(
        self, request: vmkernel_pb2.SetAllocationRequest, context: grpc.aio.ServicerContext
    ) -> vmkernel_pb2.SetAllocationResponse:
        self.vmxs.scheduler.set_allocation(request.vm_id, dict(request.sched))
        for disk in self.disks.io.disks_of(request.vm_id):
            shares, reservation, limit = disk_io_from_vmx(request.sched, disk.spec.key)
            self.disks.io.set_allocation(
                request.vm_id, disk.spec.key, IoAllocation(reservation, shares, limit or None)
            )
        return vmkernel_pb2.SetAllocationResponse()

    async def GetWorldStats(
        self, request: performance_pb2.GetWorldStatsRequest, context: grpc.aio.ServicerContext
    ) -> performance_pb2.WorldStats:
        usage = {u.pid: u for u in self.vmxs.scheduler.enforcer.usage()}
        stats = []
        for world in self.worlds.all():
            u = usage.get(world.pid)
            if u is None:
                continue
            stats.append(
                performance_pb2.WorldStat(
                    world_id=world.world_id,
                    pid=world.pid,
                    name=world.name,
                    vm_id=world.vm_id,
                    vcpu=world.vcpu,
                    run_seconds=u.run,
                    ready_seconds=u.ready + u.limited,
                    limited_seconds=u.limited,
                    costop_seconds=u.costop,
                    io_wait_seconds=self.disks.io.io_wait_seconds(world.vm_id) if world.vcpu == 0 else 0.0,
                )
            )
        return performance_pb2.WorldStats(
            timestamp=time.time(),
            num_pcpus=self.host.num_pcpus,
            cpu_mhz=self.host.cpu_mhz,
            worlds=stats,
            pcpu_used_seconds=pcpu_used_seconds(),
        )

    async def GetMemoryStats(
        self, request: performance_pb2.GetMemoryStatsRequest, context: grpc.aio.ServicerContext
    ) -> performance_pb2.MemoryStats:
        return self.memsched.stats

    async def ListWorlds(
        self, request: vmkernel_pb2.ListWorldsRequest, context: grpc.aio.ServicerContext
    ) -> vmkernel_pb2.ListWorldsResponse:
        return vmkernel_pb2.ListWorldsResponse(
            worlds=[w.to_proto() for w in self.worlds.all()],
            vmxs=[h.to_proto() for h in self.vmxs.handles.values()],
        )

    async def CreateVirtualDisk(
        self, request: vmkernel_pb2.CreateVirtualDiskRequest, context: grpc.aio.ServicerContext
    ) -> vmkernel_pb2.VirtualDiskInfo:
        return await to_completion(self.disks.create(request))

    async def GetVirtualDisk(
        self, request: vmkernel_pb2.DiskPathRequest, context: grpc.aio.ServicerContext
    ) -> vmkernel_pb2.VirtualDiskInfo:
        return await self.disks.get(request.path)

    async def DeleteVirtualDisk(
        self, request: vmkernel_pb2.DiskPathRequest, context: grpc.aio.ServicerContext
    ) -> vmkernel_pb2.DeleteVirtualDiskResponse:
        await to_completion(self.disks.delete(request.path))
        return vmkernel_pb2.DeleteVirtualDiskResponse()

    async def CreateDeltaDisk(
        self, request: vmkernel_pb2.DiskPathRequest, context: grpc.aio.ServicerContext
    ) -> vmkernel_pb2.VirtualDiskInfo:
        return await to_completion(self.disks.delta(request.path))

    async def ConsolidateDisk(
        self, request: vmkernel_pb2.DiskPathRequest, context: grpc.aio.ServicerContext
    ) -> vmkernel_pb2.VirtualDiskInfo:
        return await to_completion(self.disks.consolidate(request.path))

    async def GrowVirtualDisk(
        self, request: vmkernel_pb2.GrowVirtualDiskRequest, context: grpc.aio.ServicerContext
    ) -> vmkernel_pb2.VirtualDiskInfo:
        return await to_completion(self.disks.grow(request.path, request.capacity_bytes))

    async def AddDatastore(
        self, request: vmkernel_pb2.AddDatastoreRequest, context: grpc.aio.ServicerContext
    ) -> host_pb2.Datastore:
        datastore = self.datastores.add(
            request.name, request.path, request.capacity_bytes, request.capacity_iops
        )
        _log.info("datastore.added", name=request.name, path=datastore.path, capacity=request.capacity_bytes)
        return datastore

    async def UpdateDatastore(
        self, request: datastore_pb2.UpdateDatastoreRequest, context: grpc.aio.ServicerContext
    ) -> host_pb2.Datastore:
        updated = self.datastores.update(
            request.name,
            request.capacity_bytes if request.HasField("capacity_bytes") else None,
            request.capacity_iops if request.HasField("capacity_iops") else None,
        )
        self.disks.io.refresh_capacity(request.name)
        _log.info(
            "datastore.updated",
            name=request.name,
            capacity=updated.capacity_bytes,
            iops=updated.capacity_iops,
        )
        return updated

    async def GetNetStats(
        self, request: performance_pb2.GetNetStatsRequest, context: grpc.aio.ServicerContext
    ) -> performance_pb2.NetStats:
        return performance_pb2.NetStats(timestamp=time.time(), ports=self.net.stats())

    async def SetNicState(
        self, request: vmkernel_pb2.SetNicStateRequest, context: grpc.aio.ServicerContext
    ) -> vmkernel_pb2.SetNicStateResponse:
        nic = request.nic
        self.net.set_nic(request.vm_id, NicSpec(nic.key, nic.network_name, nic.mac, nic.connected))
        _log.info(
            "net.nic_changed",
            vm_id=request.vm_id,
            nic=nic.key,
            network=nic.network_name,
            connected=nic.connected,
        )
        return vmkernel_pb2.SetNicStateResponse()

    async def AnswerVmQuestion(
        self, request: vmkernel_pb2.AnswerVmQuestionRequest, context: grpc.aio.ServicerContext
    ) -> vmkernel_pb2.AnswerVmQuestionResponse:
        if request.choice not in ("Retry", "Cancel"):
            raise faults.InvalidArgument("answerChoice", f"'{request.choice}' is not Retry or Cancel")
        self.disks.io.answer(request.vm_id, request.question_id)
        _log.info("storage.question_answered", vm_id=request.vm_id, choice=request.choice)
        if request.choice == "Cancel":
            await to_completion(self.vmxs.stop(request.vm_id, kill=True))
        return vmkernel_pb2.AnswerVmQuestionResponse()

    async def GetDiskStats(
        self, request: performance_pb2.GetDiskStatsRequest, context: grpc.aio.ServicerContext
    ) -> performance_pb2.DiskStats:
        return performance_pb2.DiskStats(timestamp=time.time(), disks=self.disks.io.stats())

    async def RemoveDatastore(
        self, request: vmkernel_pb2.RemoveDatastoreRequest, context: grpc.aio.ServicerContext
    ) -> vmkernel_pb2.RemoveDatastoreResponse:
        self.datastores.remove(request.name)
        _log.info("datastore.removed", name=request.name)
        return vmkernel_pb2.RemoveDatastoreResponse()

    async def AddVirtualSwitch(
        self, request: network_pb2.VirtualSwitchSpec, context: grpc.aio.ServicerContext
    ) -> host_pb2.VirtualSwitch:
        made = self.vswitches.add_switch(request)
        self.net.sync()
        _log.info("network.vswitch_added", name=made.name, ports=made.num_ports, uplinks=list(made.uplinks))
        return made

    async def UpdateVirtualSwitch(
        self, request: network_pb2.VirtualSwitchSpec, context: grpc.aio.ServicerContext
    ) -> host_pb2.VirtualSwitch:
        changed = self.vswitches.update_switch(request)
        self.net.sync()
        _log.info("network.vswitch_updated", name=changed.name)
        return changed

    async def RemoveVirtualSwitch(
        self, request: network_pb2.RemoveVirtualSwitchRequest, context: grpc.aio.ServicerContext
    ) -> network_pb2.RemoveVirtualSwitchResponse:
        self.vswitches.remove_switch(request.name)
        self.net.sync()
        _log.info("network.vswitch_removed", name=request.name)
        return network_pb2.RemoveVirtualSwitchResponse()

    async def AddPortGroup(
        self, request: network_pb2.PortGroupSpec, context: grpc.aio.ServicerContext
    ) -> host_pb2.PortGroup:
        made = self.vswitches.add_port_group(request)
        self.net.sync()
        _log.info(
            "network.port_group_added", name=made.name, vswitch=made.virtual_switch, vlan_id=made.vlan_id
        )
        return made

    async def UpdatePortGroup(
        self, request: network_pb2.PortGroupSpec, context: grpc.aio.ServicerContext
    ) -> host_pb2.PortGroup:
        changed = self.vswitches.update_port_group(request)
        self.net.sync()
        _log.info("network.port_group_updated", name=request.name, now=changed.name)
        return changed

    async def RemovePortGroup(
        self, request: network_pb2.RemovePortGroupRequest, context: grpc.aio.ServicerContext
    ) -> network_pb2.RemovePortGroupResponse:
        self.vswitches.remove_port_group(request.name)
        self.net.sync()
        _log.info("network.port_group_removed", name=request.name)
        return network_pb2.RemovePortGroupResponse()

    async def SetPhysicalNicLink(
        self, request: network_pb2.PhysicalNicLink, context: grpc.aio.ServicerContext
    ) -> host_pb2.HostNetworkAdapter:
        self.vswitches.set_nic_link(request.name, request.udp_endpoint, request.udp_peer)
        self.net.sync()
        _log.info("network.nic_link", nic=request.name, endpoint=request.udp_endpoint, peer=request.udp_peer)
        return next(a for a in self.vswitches.adapters() if a.name == request.name)

    async def ListHostNetworkAdapters(
        self, request: network_pb2.ListHostNetworkAdaptersRequest, context: grpc.aio.ServicerContext
    ) -> network_pb2.ListHostNetworkAdaptersResponse:
        return network_pb2.ListHostNetworkAdaptersResponse(adapters=self.vswitches.adapters())

    async def WatchWorldEvents(
        self, request: vmkernel_pb2.WatchWorldEventsRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[vmkernel_pb2.WorldEvent]:
        async for event in self.events.subscribe():
            yield event

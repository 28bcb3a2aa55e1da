"""hostd's NetworkService: standard vSwitches and port groups (the VMkernel keeps them; hostd
refuses to remove or rename what a VM's NIC uses, and keeps its own view of the port groups)."""

from __future__ import annotations

from typing import TypeAlias

import grpc

from hostd import vmconfig
from hostd.vms import VmManager
from pyesx import faults
from pyesx.api.v1 import host_pb2, network_pb2, network_pb2_grpc
from pyesx.rpc.channel import call
from pyesx.vmkernel.v1 import vmkernel_pb2, vmkernel_pb2_grpc

Ctx: TypeAlias = grpc.aio.ServicerContext


class NetworkServicer(network_pb2_grpc.NetworkServiceServicer):
    def __init__(self, vms: VmManager, vmkernel: vmkernel_pb2_grpc.VMkernelStub) -> None:
        self.vms, self.vmkernel = vms, vmkernel

    async def _refresh(self) -> None:
        """hostd's view of the host (port groups a NIC may name) follows every change."""
        self.vms.host = await call(self.vmkernel.GetHostInfo, vmkernel_pb2.GetHostInfoRequest())

    def _check_unused(self, port_groups: list[str], doing: str) -> None:
        """InvalidState naming the VMs whose NICs are on one of ``port_groups``."""
        users = sorted(
            vm.name
            for vm in self.vms.all()
            if any(nic.network_name in port_groups for nic in vmconfig.nics(vm.config))
        )
        if users:
            shown = ", ".join(users[:5]) + (f" and {len(users) - 5} more" if len(users) > 5 else "")
            raise faults.InvalidState(f"Cannot {doing}: network adapters of {shown} are connected to it.")

    def _switch(self, name: str) -> host_pb2.VirtualSwitch:
        for vswitch in self.vms.host.virtual_switches:
            if vswitch.name == name:
                return vswitch
        raise faults.NotFound("VirtualSwitch", name)

    async def ListVirtualSwitches(
        self, request: network_pb2.ListVirtualSwitchesRequest, context: Ctx
    ) -> network_pb2.ListVirtualSwitchesResponse:
        await self._refresh()
        return network_pb2.ListVirtualSwitchesResponse(virtual_switches=self.vms.host.virtual_switches)

    async def CreateVirtualSwitch(
        self, request: network_pb2.VirtualSwitchSpec, context: Ctx
    ) -> host_pb2.VirtualSwitch:
        made: host_pb2.VirtualSwitch = await call(self.vmkernel.AddVirtualSwitch, request)
        await self._refresh()
        return made

    async def UpdateVirtualSwitch(
        self, request: network_pb2.VirtualSwitchSpec, context: Ctx
    ) -> host_pb2.VirtualSwitch:
        changed: host_pb2.VirtualSwitch = await call(self.vmkernel.UpdateVirtualSwitch, request)
        await self._refresh()
        return changed

    async def RemoveVirtualSwitch(
        self, request: network_pb2.RemoveVirtualSwitchRequest, context: Ctx
    ) -> network_pb2.RemoveVirtualSwitchResponse:
        await self._refresh()
        vswitch = self._switch(request.name)
        self._check_unused([p.name for p in vswitch.port_groups], f"remove virtual switch '{request.name}'")
        await call(self.vmkernel.RemoveVirtualSwitch, request)
        await self._refresh()
        return network_pb2.RemoveVirtualSwitchResponse()

    async def CreatePortGroup(self, request: network_pb2.PortGroupSpec, context: Ctx) -> host_pb2.PortGroup:
        made: host_pb2.PortGroup = await call(self.vmkernel.AddPortGroup, request)
        await self._refresh()
        return made

    async def UpdatePortGroup(self, request: network_pb2.PortGroupSpec, context: Ctx) -> host_pb2.PortGroup:
        if request.HasField("new_name") and request.new_name != request.name:
            self._check_unused([request.name], f"rename port group '{request.name}'")
        changed: host_pb2.PortGroup = await call(self.vmkernel.UpdatePortGroup, request)
        await self._refresh()
        return changed

    async def RemovePortGroup(
        self, request: network_pb2.RemovePortGroupRequest, context: Ctx
    ) -> network_pb2.RemovePortGroupResponse:
        self._check_unused([request.name], f"remove port group '{request.name}'")
        await call(self.vmkernel.RemovePortGroup, request)
        await self._refresh()
        return network_pb2.RemovePortGroupResponse()

    async def SetPhysicalNicLink(
        self, request: network_pb2.PhysicalNicLink, context: Ctx
    ) -> host_pb2.HostNetworkAdapter:
        adapter: host_pb2.HostNetworkAdapter = await call(self.vmkernel.SetPhysicalNicLink, request)
        return adapter

    async def ListHostNetworkAdapters(
        self, request: network_pb2.ListHostNetworkAdaptersRequest, context: Ctx
    ) -> network_pb2.ListHostNetworkAdaptersResponse:
        return await call(self.vmkernel.ListHostNetworkAdapters, request)

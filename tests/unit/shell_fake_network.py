"""The fake host's network: the VMkernel's own VirtualSwitchTable over an esx.conf in a temporary
root, behind the SDK's network calls (hostd's in-use checks are left out)."""

from __future__ import annotations

from pathlib import Path

from clients.network import NetworkCalls
from pyesx.api.v1 import network_pb2
from pyesx.layout import HostLayout
from vmkernel.config import EsxConfig
from vmkernel.vswitches import VirtualSwitchTable


class _Stub:
    """The NetworkService stub's methods, answered by the table in-process."""

    def __init__(self, table: VirtualSwitchTable) -> None:
        self.ListVirtualSwitches = lambda request: network_pb2.ListVirtualSwitchesResponse(
            virtual_switches=table.switches()
        )
        self.CreateVirtualSwitch = table.add_switch
        self.UpdateVirtualSwitch = table.update_switch
        self.RemoveVirtualSwitch = lambda request: table.remove_switch(request.name)
        self.CreatePortGroup = table.add_port_group
        self.UpdatePortGroup = table.update_port_group
        self.RemovePortGroup = lambda request: table.remove_port_group(request.name)
        self.ListHostNetworkAdapters = lambda request: network_pb2.ListHostNetworkAdaptersResponse(
            adapters=table.adapters()
        )

        def link(request: network_pb2.PhysicalNicLink) -> object:
            table.set_nic_link(request.name, request.udp_endpoint, request.udp_peer)
            return next(a for a in table.adapters() if a.name == request.name)

        self.SetPhysicalNicLink = link


class FakeNetwork(NetworkCalls):
    def __init__(self, root: Path) -> None:
        layout = HostLayout(root)
        layout.etc.mkdir(parents=True, exist_ok=True)
        config = EsxConfig.default("fakehost")
        config.save(layout)
        self.network_table = VirtualSwitchTable(layout, config, management_ip="192.168.1.10")
        self._network = _Stub(self.network_table)  # type: ignore[assignment]

    def _call(self, rpc: object, request: object, timeout: float | None = None) -> object:
        assert callable(rpc)
        return rpc(request)

"""New-NetworkAdapter, Set-NetworkAdapter, Remove-NetworkAdapter: a VM's virtual NICs, PowerCLI's way.

An adapter is added or removed while its VM is powered off; on a running VM,
``Set-NetworkAdapter`` moves it to another port group and connects or
disconnects it at once (``-Connected``), and ``-StartConnected`` says whether
it is connected at the next power-on.
"""

from __future__ import annotations

from collections.abc import Iterator

from clients.shell.binding import BoundArguments, Parameter
from clients.shell.cmdlets.base import Cmdlet
from clients.shell.cmdlets.vm import VMS, resolve_vms
from clients.shell.conversions import BOOLEAN, STRING, SWITCH
from clients.shell.devices import DeviceRef, device_references
from clients.shell.views import NETWORK_ADAPTER_TYPE, network_adapter_object
from pyesx.faults import InvalidArgument

TYPES = {"vmxnet3": "vmxnet3", "e1000": "e1000", "e1000e": "e1000e"}


NICS = device_references(NETWORK_ADAPTER_TYPE, "NetworkAdapter")


class NewNetworkAdapter(Cmdlet):
    """New-NetworkAdapter [-VM] <VirtualMachine[]> -NetworkName <String> [-Type Vmxnet3|e1000|e1000e]
    [-MacAddress <String>] [-StartConnected] [-RunAsync]"""

    name = "New-NetworkAdapter"
    synopsis = "Adds a network adapter to VMs."
    examples = (
        (
            "New-NetworkAdapter -VM web01 -NetworkName 'VM Network' -Type Vmxnet3 -StartConnected",
            "A vmxnet3 NIC on VM Network.",
        ),
    )
    parameters = (
        Parameter("VM", VMS, position=0, mandatory=True, pipeline=True),
        Parameter("NetworkName", STRING, mandatory=True),
        Parameter("Type", STRING),
        Parameter("MacAddress", STRING),
        Parameter("StartConnected", SWITCH),
    )

    def process(self, args: BoundArguments) -> Iterator[object]:
        adapter_type = args.string("Type", "vmxnet3").lower()
        if adapter_type not in TYPES:
            raise InvalidArgument("Type", f"'{args.string('Type')}' is not one of Vmxnet3, e1000, e1000e")
        spec: dict[str, str | bool] = {
            "network_name": args.string("NetworkName"),
            "adapter_type": TYPES[adapter_type],
            "start_connected": args.flag("StartConnected"),  # as PowerCLI: connected at power-on if asked
        }
        if "MacAddress" in args:
            spec["mac_address"] = args.string("MacAddress")
        client = self.ctx.client()
        for vm in resolve_vms(client, args.items("VM")):
            before = {n.key for n in vm.network_adapters}
            client.wait_for_task(client.reconfigure_vm(vm.id, add_nics=[spec]).id)
            after = client.get_vm(vm.id)
            for number, nic in enumerate(after.network_adapters, 1):
                if nic.key not in before:
                    yield network_adapter_object(after, nic, number)


class SetNetworkAdapter(Cmdlet):
    """Set-NetworkAdapter [-NetworkAdapter] <NetworkAdapter[]> [-NetworkName <String>]
    [-Connected <Boolean>] [-StartConnected <Boolean>] [-Confirm]"""

    name = "Set-NetworkAdapter"
    confirm_impact = "High"  # PowerCLI asks before this change
    synopsis = "Changes a network adapter's network or connection state."
    examples = (
        (
            "Get-NetworkAdapter -VM web01 | Set-NetworkAdapter -Connected $false -Confirm:$false",
            "Unplugs web01's NICs.",
        ),
    )
    parameters = (
        Parameter("NetworkAdapter", NICS, position=0, mandatory=True, pipeline=True),
        Parameter("NetworkName", STRING),
        Parameter("Connected", BOOLEAN),
        Parameter("StartConnected", BOOLEAN),
        Parameter("Confirm", SWITCH),
    )

    def process(self, args: BoundArguments) -> Iterator[object]:
        change: dict[str, str | bool] = {}
        if "NetworkName" in args:
            change["network_name"] = args.string("NetworkName")
        for name, key in (("Connected", "connected"), ("StartConnected", "start_connected")):
            if name in args:
                change[key] = bool(args.get(name))
        client = self.ctx.client()
        for ref in args.items("NetworkAdapter"):
            assert isinstance(ref, DeviceRef)
            if change:
                client.wait_for_task(
                    client.reconfigure_vm(ref.vm_id, change_nics=[{"key": ref.key, **change}]).id
                )
            vm = client.get_vm(ref.vm_id)
            for number, nic in enumerate(vm.network_adapters, 1):
                if nic.key == ref.key:
                    yield network_adapter_object(vm, nic, number)


class RemoveNetworkAdapter(Cmdlet):
    """Remove-NetworkAdapter [-NetworkAdapter] <NetworkAdapter[]> [-Confirm]"""

    name = "Remove-NetworkAdapter"
    synopsis = "Removes network adapters from VMs."
    examples = (
        ("Get-NetworkAdapter -VM web01 | Remove-NetworkAdapter -Confirm:$false", "Removes web01's NICs."),
    )
    parameters = (
        Parameter("NetworkAdapter", NICS, position=0, mandatory=True, pipeline=True),
        Parameter("Confirm", SWITCH),
    )

    def process(self, args: BoundArguments) -> Iterator[object]:
        client = self.ctx.client()
        for ref in args.items("NetworkAdapter"):
            assert isinstance(ref, DeviceRef)
            client.wait_for_task(client.reconfigure_vm(ref.vm_id, remove_network_keys=[ref.key]).id)
        return iter(())


CMDLETS: tuple[type[Cmdlet], ...] = (NewNetworkAdapter, SetNetworkAdapter, RemoveNetworkAdapter)

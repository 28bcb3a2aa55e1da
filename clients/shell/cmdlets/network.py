"""Standard vSwitches, port groups, security policies and the host's network adapters:
Get-/New-/Set-/Remove-VirtualSwitch, Get-/New-/Set-/Remove-VirtualPortGroup, Get-/Set-SecurityPolicy,
Get-VMHostNetworkAdapter, with PowerCLI's parameters and property names."""

from __future__ import annotations

from collections.abc import Iterator

from clients.network import HostNetworkAdapter, PortGroup, SecurityPolicy, VirtualSwitch
from clients.shell.binding import BoundArguments, Parameter
from clients.shell.cmdlets.base import Cmdlet
from clients.shell.conversions import BOOLEAN, INT32, STRING, STRINGS, SWITCH, ArrayType, ParamType, shown
from clients.shell.errors import ConversionError
from clients.shell.psobject import PSObject
from clients.shell.session import Client
from clients.shell.wildcard import is_wildcard, like, unescape
from pyesx.faults import InvalidArgument, NotFound

SWITCH_TYPE = "VMware.VimAutomation.ViCore.Impl.V1.Host.Networking.VirtualSwitchImpl"
PORT_GROUP_TYPE = "VMware.VimAutomation.ViCore.Impl.V1.Host.Networking.VirtualPortGroupImpl"
SWITCH_POLICY_TYPE = "VMware.VimAutomation.ViCore.Impl.V1.Host.Networking.VirtualSwitchSecurityPolicyImpl"
GROUP_POLICY_TYPE = "VMware.VimAutomation.ViCore.Impl.V1.Host.Networking.VirtualPortGroupSecurityPolicyImpl"
ADAPTER_TYPE = "VMware.VimAutomation.ViCore.Impl.V1.Host.Networking.Nic.HostNicImpl"
#: Set-SecurityPolicy's parameters and the API's names for them
POLICY_FIELDS = (
    ("AllowPromiscuous", "allow_promiscuous"),
    ("MacChanges", "mac_changes"),
    ("ForgedTransmits", "forged_transmits"),
)


def switch_object(vswitch: VirtualSwitch) -> PSObject:
    return PSObject(
        SWITCH_TYPE,
        [
            ("Name", vswitch.name),
            ("NumPorts", vswitch.num_ports),
            ("Mtu", vswitch.mtu),
            ("Nic", list(vswitch.uplinks)),
            ("PortGroups", [p.name for p in vswitch.port_groups]),
            ("Key", f"key-vim.host.VirtualSwitch-{vswitch.name}"),
        ],
        base=vswitch,
        label=vswitch.name,
    )


def port_group_object(port_group: PortGroup) -> PSObject:
    return PSObject(
        PORT_GROUP_TYPE,
        [
            ("Name", port_group.name),
            ("VirtualSwitchName", port_group.virtual_switch),
            ("VLanId", port_group.vlan_id),
            ("Key", f"key-vim.host.PortGroup-{port_group.name}"),
        ],
        base=port_group,
        label=port_group.name,
    )


def _policy_fields(policy: SecurityPolicy) -> list[tuple[str, object]]:
    return [(name, getattr(policy, field)) for name, field in POLICY_FIELDS]


def security_object(entity: VirtualSwitch | PortGroup) -> PSObject:
    """Get-SecurityPolicy's object: a switch's policy, or a port group's with what it inherits."""
    if isinstance(entity, VirtualSwitch):
        props = [*_policy_fields(entity.security), ("VirtualSwitch", entity.name)]
        return PSObject(SWITCH_POLICY_TYPE, props, base=entity, label=entity.name)
    inherited = [
        (f"{name}Inherited", getattr(entity.security, field) is None) for name, field in POLICY_FIELDS
    ]
    props = [*_policy_fields(entity.effective_security), *inherited, ("VirtualPortGroup", entity.name)]
    return PSObject(GROUP_POLICY_TYPE, props, base=entity, label=entity.name)


def adapter_object(adapter: HostNetworkAdapter) -> PSObject:
    props: list[tuple[str, object]] = [("Name", adapter.name), ("Mac", adapter.mac), ("Mtu", adapter.mtu)]
    if adapter.kind == "physical":
        props += [
            ("BitRatePerSec", adapter.speed_mb),
            ("FullDuplex", True),
            ("VirtualSwitch", adapter.virtual_switch),
            ("UdpEndpoint", adapter.udp_endpoint),
            ("UdpPeer", adapter.udp_peer),
        ]
    else:
        props += [
            ("IP", adapter.ip),
            ("SubnetMask", adapter.subnet_mask),
            ("DhcpEnabled", False),
            ("PortGroupName", adapter.port_group),
            ("ManagementTrafficEnabled", adapter.name == "vmk0"),
        ]
    return PSObject(ADAPTER_TYPE, props, base=adapter, label=adapter.name)


def _reference(type_name: str, kind: type[VirtualSwitch] | type[PortGroup]) -> ParamType:
    def convert(value: object) -> object:
        if isinstance(value, PSObject) and isinstance(value.base, kind):
            return value.base
        if isinstance(value, str) and value:
            return value
        raise ConversionError(shown(value), type_name)

    return ParamType(type_name, convert)


VSWITCHES = ArrayType(_reference("VirtualSwitch", VirtualSwitch))
PORT_GROUPS = ArrayType(_reference("VirtualPortGroup", PortGroup))


def _match(names: list[str], patterns: list[str], kind: str) -> list[str]:
    if not patterns:
        return names
    found: list[str] = []
    for pattern in patterns:
        if is_wildcard(pattern):
            hits = [n for n in names if like(n, pattern)]
        else:
            hits = [n for n in names if n.lower() == unescape(pattern).lower()]
            if not hits:
                raise NotFound(
                    kind,
                    pattern,
                    f"{kind} with name '{pattern}' was not found using the specified filter(s).",
                )
        found += [h for h in hits if h not in found]
    return found


def resolve_switches(client: Client, refs: list[object]) -> list[VirtualSwitch]:
    every = {v.name: v for v in client.virtual_switches()}
    names = [r.name if isinstance(r, VirtualSwitch) else str(r) for r in refs]
    return [every[n] for n in _match(list(every), names, "VirtualSwitch")]


def resolve_port_groups(client: Client, refs: list[object]) -> list[PortGroup]:
    every = {p.name: p for p in client.port_groups()}
    names = [r.name if isinstance(r, PortGroup) else str(r) for r in refs]
    return [every[n] for n in _match(list(every), names, "VirtualPortGroup")]


class GetVirtualSwitch(Cmdlet):
    """Get-VirtualSwitch [[-Name] <String[]>] [-Standard] [-VMHost <Object>]"""

    name = "Get-VirtualSwitch"
    synopsis = "Gets the host's standard virtual switches."
    examples = (("Get-VirtualSwitch", "Every switch: ports, MTU, uplinks."),)
    parameters = (
        Parameter("Name", STRINGS, position=0),
        Parameter("Standard", SWITCH),
        Parameter("VMHost", STRING),
    )

    def process(self, args: BoundArguments) -> Iterator[object]:
        for vswitch in resolve_switches(self.ctx.client(), list(args.strings("Name"))):
            yield switch_object(vswitch)


class NewVirtualSwitch(Cmdlet):
    """New-VirtualSwitch -Name <String> [-NumPorts <Int32>] [-Mtu <Int32>] [-Nic <String[]>]
    [-VMHost <Object>]"""

    name = "New-VirtualSwitch"
    synopsis = "Creates a standard virtual switch."
    examples = (("New-VirtualSwitch -Name vSwitch1 -NumPorts 64 -Mtu 9000", "A switch with jumbo frames."),)
    parameters = (
        Parameter("Name", STRING, position=0, mandatory=True),
        Parameter("NumPorts", INT32),
        Parameter("Mtu", INT32),
        Parameter("Nic", STRINGS),
        Parameter("VMHost", STRING),
    )

    def process(self, args: BoundArguments) -> Iterator[object]:
        made = self.ctx.client().create_virtual_switch(
            args.string("Name"),
            num_ports=args.integer("NumPorts") if "NumPorts" in args else None,
            mtu=args.integer("Mtu") if "Mtu" in args else None,
            uplinks=args.strings("Nic"),
        )
        yield switch_object(made)


class SetVirtualSwitch(Cmdlet):
    """Set-VirtualSwitch [-VirtualSwitch] <VirtualSwitch[]> [-NumPorts <Int32>] [-Mtu <Int32>]
    [-Nic <String[]>] [-Confirm]"""

    name = "Set-VirtualSwitch"
    synopsis = "Changes a switch's ports, MTU or uplinks."
    examples = (
        ("Set-VirtualSwitch vSwitch1 -Nic vmnic1 -Confirm:$false", "vmnic1 becomes vSwitch1's uplink."),
    )
    parameters = (
        Parameter("VirtualSwitch", VSWITCHES, position=0, mandatory=True, pipeline=True),
        Parameter("NumPorts", INT32),
        Parameter("Mtu", INT32),
        Parameter("Nic", STRINGS),
        Parameter("Confirm", SWITCH),
    )

    def process(self, args: BoundArguments) -> Iterator[object]:
        client = self.ctx.client()
        for vswitch in resolve_switches(client, args.items("VirtualSwitch")):
            changed = client.update_virtual_switch(
                vswitch.name,
                num_ports=args.integer("NumPorts") if "NumPorts" in args else None,
                mtu=args.integer("Mtu") if "Mtu" in args else None,
                uplinks=args.strings("Nic") if "Nic" in args else None,
            )
            yield switch_object(changed)


class RemoveVirtualSwitch(Cmdlet):
    """Remove-VirtualSwitch [-VirtualSwitch] <VirtualSwitch[]> [-Confirm]"""

    name = "Remove-VirtualSwitch"
    synopsis = "Removes virtual switches."
    examples = (("Remove-VirtualSwitch vSwitch1 -Confirm:$false", "Removes vSwitch1."),)
    parameters = (
        Parameter("VirtualSwitch", VSWITCHES, position=0, mandatory=True, pipeline=True),
        Parameter("Confirm", SWITCH),
    )

    def process(self, args: BoundArguments) -> Iterator[object]:
        client = self.ctx.client()
        for vswitch in resolve_switches(client, args.items("VirtualSwitch")):
            client.remove_virtual_switch(vswitch.name)
        return iter(())


class GetVirtualPortGroup(Cmdlet):
    """Get-VirtualPortGroup [[-Name] <String[]>] [-VirtualSwitch <VirtualSwitch[]>] [-Standard]"""

    name = "Get-VirtualPortGroup"
    synopsis = "Gets the port groups of standard switches."
    examples = (("Get-VirtualPortGroup", "Every port group and its VLAN."),)
    parameters = (
        Parameter("Name", STRINGS, position=0),
        Parameter("VirtualSwitch", VSWITCHES, pipeline=True),
        Parameter("Standard", SWITCH),
        Parameter("VMHost", STRING),
    )

    def process(self, args: BoundArguments) -> Iterator[object]:
        client = self.ctx.client()
        switches = {v.name for v in resolve_switches(client, args.items("VirtualSwitch"))}
        for port_group in resolve_port_groups(client, list(args.strings("Name"))):
            if not args.items("VirtualSwitch") or port_group.virtual_switch in switches:
                yield port_group_object(port_group)


class NewVirtualPortGroup(Cmdlet):
    """New-VirtualPortGroup -VirtualSwitch <VirtualSwitch> -Name <String> [-VLanId <Int32>]"""

    name = "New-VirtualPortGroup"
    synopsis = "Creates a port group on a standard switch."
    examples = (
        ("New-VirtualPortGroup -VirtualSwitch vSwitch0 -Name Web -VLanId 10", "A port group on VLAN 10."),
    )
    target_parameter = "Name"
    parameters = (
        Parameter("VirtualSwitch", VSWITCHES, mandatory=True, pipeline=True),
        Parameter("Name", STRING, position=0, mandatory=True),
        Parameter("VLanId", INT32),
    )

    def process(self, args: BoundArguments) -> Iterator[object]:
        client = self.ctx.client()
        for vswitch in resolve_switches(client, args.items("VirtualSwitch")):
            yield port_group_object(
                client.create_port_group(vswitch.name, args.string("Name"), args.integer("VLanId"))
            )


class SetVirtualPortGroup(Cmdlet):
    """Set-VirtualPortGroup [-VirtualPortGroup] <VirtualPortGroup[]> [-Name <String>] [-VLanId <Int32>]"""

    name = "Set-VirtualPortGroup"
    synopsis = "Renames a port group or changes its VLAN."
    examples = (("Set-VirtualPortGroup Web -VLanId 20", "Moves the port group to VLAN 20."),)
    parameters = (
        Parameter("VirtualPortGroup", PORT_GROUPS, position=0, mandatory=True, pipeline=True),
        Parameter("Name", STRING),
        Parameter("VLanId", INT32),
        Parameter("Confirm", SWITCH),
    )

    def process(self, args: BoundArguments) -> Iterator[object]:
        client = self.ctx.client()
        for port_group in resolve_port_groups(client, args.items("VirtualPortGroup")):
            changed = client.update_port_group(
                port_group.name,
                new_name=args.string("Name") if "Name" in args else None,
                vlan_id=args.integer("VLanId") if "VLanId" in args else None,
            )
            yield port_group_object(changed)


class RemoveVirtualPortGroup(Cmdlet):
    """Remove-VirtualPortGroup [-VirtualPortGroup] <VirtualPortGroup[]> [-Confirm]"""

    name = "Remove-VirtualPortGroup"
    synopsis = "Removes port groups."
    examples = (("Remove-VirtualPortGroup Web -Confirm:$false", "Removes the port group Web."),)
    parameters = (
        Parameter("VirtualPortGroup", PORT_GROUPS, position=0, mandatory=True, pipeline=True),
        Parameter("Confirm", SWITCH),
    )

    def process(self, args: BoundArguments) -> Iterator[object]:
        client = self.ctx.client()
        for port_group in resolve_port_groups(client, args.items("VirtualPortGroup")):
            client.remove_port_group(port_group.name)
        return iter(())


class GetSecurityPolicy(Cmdlet):
    """Get-SecurityPolicy [-VirtualSwitch <VirtualSwitch[]>] [-VirtualPortGroup <VirtualPortGroup[]>]"""

    name = "Get-SecurityPolicy"
    synopsis = "Gets the security policy of switches or port groups."
    examples = (
        ("Get-SecurityPolicy -VirtualSwitch vSwitch0", "Promiscuous mode, MAC changes, forged transmits."),
    )
    parameters = (
        Parameter("VirtualSwitch", VSWITCHES),
        Parameter("VirtualPortGroup", PORT_GROUPS),
        Parameter("Entity", ArrayType(ParamType("Object", lambda v: v)), position=0, pipeline=True),
    )

    def process(self, args: BoundArguments) -> Iterator[object]:
        client = self.ctx.client()
        switches, groups = list(args.items("VirtualSwitch")), list(args.items("VirtualPortGroup"))
        for entity in args.items("Entity"):
            base = entity.base if isinstance(entity, PSObject) else entity
            if isinstance(base, VirtualSwitch):
                switches.append(base)
            elif isinstance(base, PortGroup):
                groups.append(base)
            else:
                raise InvalidArgument("Entity", f"'{shown(entity)}' is not a virtual switch or port group")
        if not switches and not groups:
            raise InvalidArgument("VirtualSwitch", "give -VirtualSwitch or -VirtualPortGroup")
        for vswitch in resolve_switches(client, switches) if switches else []:
            yield security_object(vswitch)
        for port_group in resolve_port_groups(client, groups) if groups else []:
            yield security_object(port_group)


class SetSecurityPolicy(Cmdlet):
    """Set-SecurityPolicy [-VirtualSwitchPolicy | -VirtualPortGroupPolicy] <SecurityPolicy[]>
    [-AllowPromiscuous <Boolean>] [-MacChanges <Boolean>] [-ForgedTransmits <Boolean>]
    [-AllowPromiscuousInherited <Boolean>] [-MacChangesInherited <Boolean>]
    [-ForgedTransmitsInherited <Boolean>]

    On a port group, a value becomes an override; ``-…Inherited $true`` drops it."""

    name = "Set-SecurityPolicy"
    synopsis = "Changes the security policy of switches or port groups."
    examples = (
        (
            "Get-SecurityPolicy -VirtualSwitch vSwitch0 | Set-SecurityPolicy -AllowPromiscuous $true",
            "Allows promiscuous mode on vSwitch0.",
        ),
    )
    parameters = (
        Parameter("VirtualSwitchPolicy", ArrayType(ParamType("Object", lambda v: v)), pipeline=True),
        Parameter("VirtualPortGroupPolicy", ArrayType(ParamType("Object", lambda v: v))),
        *(Parameter(name, BOOLEAN) for name, _ in POLICY_FIELDS),
        *(Parameter(f"{name}Inherited", BOOLEAN) for name, _ in POLICY_FIELDS),
    )

    def process(self, args: BoundArguments) -> Iterator[object]:
        client = self.ctx.client()
        changes = {field: bool(args.get(name)) for name, field in POLICY_FIELDS if name in args}
        inherit = [field for name, field in POLICY_FIELDS if args.get(f"{name}Inherited") is True]
        for policy in [*args.items("VirtualSwitchPolicy"), *args.items("VirtualPortGroupPolicy")]:
            base = policy.base if isinstance(policy, PSObject) else policy
            if isinstance(base, VirtualSwitch):
                if inherit:
                    raise InvalidArgument(
                        "AllowPromiscuousInherited", "a switch's policy inherits from nothing"
                    )
                yield security_object(client.update_virtual_switch(base.name, security=changes))
            elif isinstance(base, PortGroup):
                yield security_object(
                    client.update_port_group(base.name, security=changes, inherit_security=inherit)
                )
            else:
                raise InvalidArgument("VirtualSwitchPolicy", f"'{shown(policy)}' is not a security policy")


class GetVMHostNetworkAdapter(Cmdlet):
    """Get-VMHostNetworkAdapter [[-Name] <String[]>] [-Physical] [-VMKernel] [-VMHost <Object>]"""

    name = "Get-VMHostNetworkAdapter"
    synopsis = "Gets the host's physical NICs and VMkernel adapters."
    examples = (("Get-VMHostNetworkAdapter -Physical", "The physical NICs."),)
    parameters = (
        Parameter("Name", STRINGS, position=0),
        Parameter("Physical", SWITCH),
        Parameter("VMKernel", SWITCH),
        Parameter("VMHost", STRING),
    )

    def process(self, args: BoundArguments) -> Iterator[object]:
        adapters = {a.name: a for a in self.ctx.client().host_network_adapters()}
        for name in _match(list(adapters), list(args.strings("Name")), "HostNetworkAdapter"):
            adapter = adapters[name]
            if args.flag("Physical") and adapter.kind != "physical":
                continue
            if args.flag("VMKernel") and adapter.kind != "vmkernel":
                continue
            yield adapter_object(adapter)


class SetVMHostNetworkAdapter(Cmdlet):
    """Set-VMHostNetworkAdapter [-PhysicalNic] <String[]> -UdpEndpoint <String> -UdpPeer <String>

    Our own options: wire a physical NIC to a UDP endpoint on loopback (this host binds
    -UdpEndpoint, frames go to -UdpPeer), so that the switches of two hosts on one machine form one
    segment; empty values unwire it."""

    name = "Set-VMHostNetworkAdapter"
    synopsis = "Links a physical NIC to a UDP endpoint (pyesx's wire)."
    examples = (
        (
            "Set-VMHostNetworkAdapter vmnic1 -UdpEndpoint 127.0.0.1:4000 -UdpPeer 127.0.0.1:4001",
            "vmnic1's frames travel over UDP.",
        ),
    )
    parameters = (
        Parameter("PhysicalNic", STRINGS, position=0, mandatory=True, pipeline=True),
        Parameter("UdpEndpoint", STRING, allow_null=True),
        Parameter("UdpPeer", STRING, allow_null=True),
        Parameter("Confirm", SWITCH),
    )

    def process(self, args: BoundArguments) -> Iterator[object]:
        client = self.ctx.client()
        for nic in args.strings("PhysicalNic"):
            adapter = client.set_physical_nic_link(nic, args.string("UdpEndpoint"), args.string("UdpPeer"))
            yield adapter_object(adapter)


CMDLETS: tuple[type[Cmdlet], ...] = (
    GetVirtualSwitch,
    NewVirtualSwitch,
    SetVirtualSwitch,
    RemoveVirtualSwitch,
    GetVirtualPortGroup,
    NewVirtualPortGroup,
    SetVirtualPortGroup,
    RemoveVirtualPortGroup,
    GetSecurityPolicy,
    SetSecurityPolicy,
    GetVMHostNetworkAdapter,
    SetVMHostNetworkAdapter,
)

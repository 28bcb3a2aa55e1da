"""The host's name and name resolution: Get-/Set-VMHostNetwork as PowerCLI's (-HostName -DomainName
-DnsAddress -SearchDomain; a DNS address may carry a :port), and pyesx's Resolve-VMHostName, which
resolves a name as the host does, through its own DNS servers."""

from __future__ import annotations

from collections.abc import Iterator

from clients.hostconfig import HostNetwork, Resolution
from clients.shell.binding import BoundArguments, Parameter
from clients.shell.cmdlets.base import PYESX, Cmdlet
from clients.shell.conversions import OBJECT, STRING, STRINGS
from clients.shell.psobject import PSObject
from clients.shell.views import TABLE_VIEWS, Column

NETWORK_TYPE = "VMware.VimAutomation.ViCore.Impl.V1.Host.Networking.VMHostNetworkInfoImpl"
RESOLUTION_TYPE = "Pyesx.VMHostNameResolution"
TABLE_VIEWS[NETWORK_TYPE] = (
    Column("HostName", "HostName"),
    Column("DomainName", "DomainName"),
    Column("DnsAddress", "DnsAddress"),
    Column("SearchDomain", "SearchDomain"),
)


def network_object(network: HostNetwork) -> PSObject:
    return PSObject(
        NETWORK_TYPE,
        [
            ("HostName", network.host_name),
            ("DomainName", network.domain_name),
            ("DnsAddress", list(network.dns_servers)),
            ("SearchDomain", list(network.search_domains)),
            ("DnsFromDhcp", False),
        ],
        base=network,
        label=network.host_name,
    )


def resolution_object(found: Resolution) -> PSObject:
    props = [("Name", found.name), ("Address", list(found.addresses)), ("DnsServer", found.dns_server)]
    return PSObject(RESOLUTION_TYPE, props, base=found, label=found.name)


class GetVMHostNetwork(Cmdlet):
    """Get-VMHostNetwork [[-VMHost] <Object>]"""

    name = "Get-VMHostNetwork"
    synopsis = "Gets the host's name, domain, DNS servers and search domains."
    examples = (
        ("Get-VMHostNetwork", "HostName, DomainName, DnsAddress, SearchDomain."),
        ("(Get-VMHostNetwork).DnsAddress", "Only the DNS servers."),
    )
    parameters = (Parameter("VMHost", STRING, position=0),)

    def process(self, args: BoundArguments) -> Iterator[object]:
        yield network_object(self.ctx.client().host_network())


class SetVMHostNetwork(Cmdlet):
    """Set-VMHostNetwork [[-Network] <VMHostNetworkInfo>] [-HostName <String>] [-DomainName <String>]
    [-DnsAddress <String[]>] [-SearchDomain <String[]>]"""

    name = "Set-VMHostNetwork"
    synopsis = (
        "Changes the host's name, domain, DNS servers (address or address:port) or search domains; "
        "a bad value changes nothing."
    )
    examples = (
        (
            "Get-VMHostNetwork | Set-VMHostNetwork -HostName esx01 -DomainName lab.lan -DnsAddress 10.0.0.53",
            "Name, domain and one DNS server.",
        ),
        (
            "Set-VMHostNetwork -DnsAddress 127.0.0.1:5353 -SearchDomain lab.lan, corp.lan",
            "A DNS server on port 5353.",
        ),
        ("Set-VMHostNetwork -DnsAddress @()", "No DNS server: only addresses resolve."),
    )
    parameters = (
        Parameter("Network", OBJECT, position=0, pipeline=True),
        Parameter("HostName", STRING),
        Parameter("DomainName", STRING, allow_null=True),
        Parameter("DnsAddress", STRINGS, allow_null=True),
        Parameter("SearchDomain", STRINGS, allow_null=True),
    )
    target_parameter = "HostName"

    def resolve_targets(self, items: list[object]) -> list[object]:
        return [self.ctx.client().host_network().host_name]

    def process(self, args: BoundArguments) -> Iterator[object]:
        changed = self.ctx.client().update_host_network(
            host_name=args.string("HostName") if "HostName" in args else None,
            domain_name=str(args.get("DomainName") or "") if "DomainName" in args else None,
            dns_servers=args.strings("DnsAddress") if "DnsAddress" in args else None,
            search_domains=args.strings("SearchDomain") if "SearchDomain" in args else None,
        )
        yield network_object(changed)


class ResolveVMHostName(Cmdlet):
    """Resolve-VMHostName [-Name] <String[]>"""

    name = "Resolve-VMHostName"
    module = PYESX
    synopsis = (
        "Resolves names as the host does: through its own DNS servers and search domains (pyesx's own)."
    )
    examples = (("Resolve-VMHostName ntp.lab.lan", "The addresses and the DNS server that answered."),)
    parameters = (Parameter("Name", STRINGS, position=0, mandatory=True, pipeline=True),)

    def process(self, args: BoundArguments) -> Iterator[object]:
        client = self.ctx.client()
        for name in args.strings("Name"):
            yield resolution_object(client.resolve_name(name))


CMDLETS: tuple[type[Cmdlet], ...] = (GetVMHostNetwork, SetVMHostNetwork, ResolveVMHostName)

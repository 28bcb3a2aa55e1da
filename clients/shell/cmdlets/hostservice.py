"""Host services as PowerCLI shows them: Get-VMHostService, Start-/Stop-/Restart-VMHostService,
Set-VMHostService -Policy. ``ntpd`` (NTP Daemon) is real; ``TSM-SSH`` (SSH) and ``TSM`` (ESXi Shell)
are state only: pyesx runs no SSH server or shell behind them."""

from __future__ import annotations

from collections.abc import Iterator

from clients.hostconfig import HostService
from clients.shell.binding import BoundArguments, Parameter
from clients.shell.cmdlets.base import Cmdlet
from clients.shell.conversions import STRING, SWITCH, ArrayType, ParamType, shown
from clients.shell.errors import ConversionError
from clients.shell.psobject import PSObject
from clients.shell.session import Client
from clients.shell.values import to_string
from clients.shell.views import TABLE_VIEWS, Column
from clients.shell.wildcard import is_wildcard, like, unescape
from pyesx.faults import NotFound

SERVICE_TYPE = "VMware.VimAutomation.ViCore.Impl.V1.Host.HostServiceImpl"
POLICIES = {"on": "on", "off": "off", "automatic": "automatic"}
TABLE_VIEWS[SERVICE_TYPE] = (
    Column("Key", "Key"),
    Column("Label", "Label"),
    Column("Policy", "Policy"),
    Column("Running", "Running"),
    Column("Required", "Required"),
)


def service_object(service: HostService, host_name: str = "") -> PSObject:
    return PSObject(
        SERVICE_TYPE,
        [
            ("Key", service.key),
            ("Label", service.label),
            ("Policy", service.policy),
            ("Running", service.running),
            ("Required", service.required),
            ("Uninstallable", service.uninstallable),
            ("StateOnly", service.state_only),
            ("VMHost", host_name),
        ],
        base=service,
        label=service.key,
    )


def _service_reference(value: object) -> object:
    if isinstance(value, PSObject) and isinstance(value.base, HostService):
        return value.base
    if isinstance(value, str) and value:
        return value
    raise ConversionError(shown(value), "HostService")


SERVICES = ArrayType(ParamType("HostService", _service_reference))


def _policy(value: object) -> str:
    text = to_string(value)
    try:
        return POLICIES[text.lower()]
    except KeyError:
        raise ConversionError(text, "ServicePolicy", "Possible values are: On, Off, Automatic.") from None


POLICY = ParamType("ServicePolicy", _policy)


def resolve_services(client: Client, refs: list[object]) -> list[HostService]:
    """The services named (keys or labels, wildcards allowed) or given; every one when none is."""
    every = client.host_services()
    if not refs:
        return every
    found: list[HostService] = []
    for ref in refs:
        key = ref.key if isinstance(ref, HostService) else str(ref)
        if is_wildcard(key):
            hits = [s for s in every if like(s.key, key) or like(s.label, key)]
        else:
            plain = unescape(key).lower()
            hits = [s for s in every if plain in (s.key.lower(), s.label.lower())]
            if not hits:
                raise NotFound("HostService", key, f"The host has no service '{key}'.")
        found += [h for h in hits if h not in found]
    return found


def _host_name(client: Client) -> str:
    return client.host_network().host_name


class GetVMHostService(Cmdlet):
    """Get-VMHostService [[-VMHost] <Object>] [-Refresh]"""

    name = "Get-VMHostService"
    synopsis = "Gets the host's services (NTP Daemon, SSH, ESXi Shell): policy and running state."
    examples = (
        ("Get-VMHostService", "Every service: Key, Label, Policy, Running, Required."),
        ("Get-VMHostService | Where-Object Key -eq 'ntpd'", "The NTP daemon."),
    )
    parameters = (
        Parameter("VMHost", STRING, position=0),
        Parameter("Refresh", SWITCH),
    )

    def process(self, args: BoundArguments) -> Iterator[object]:
        client = self.ctx.client()
        host_name = _host_name(client)
        for service in client.host_services():
            yield service_object(service, host_name)


class _ServiceAction(Cmdlet):
    """Runs one action on each service given."""

    parameters = (
        Parameter("HostService", SERVICES, position=0, mandatory=True, pipeline=True),
        Parameter("Confirm", SWITCH),
    )
    target_parameter = "HostService"

    def act(self, client: Client, key: str) -> HostService:
        raise NotImplementedError

    def resolve_targets(self, items: list[object]) -> list[object]:
        return [s.key for s in resolve_services(self.ctx.client(), items)]

    def process(self, args: BoundArguments) -> Iterator[object]:
        client = self.ctx.client()
        host_name = _host_name(client)
        for service in resolve_services(client, args.items("HostService")):
            yield service_object(self.act(client, service.key), host_name)


class StartVMHostService(_ServiceAction):
    """Start-VMHostService [-HostService] <HostService[]>"""

    name = "Start-VMHostService"
    synopsis = "Starts host services (ntpd starts polling its NTP servers)."
    examples = (
        ("Get-VMHostService | Where-Object Key -eq 'ntpd' | Start-VMHostService", "Starts the NTP daemon."),
        ("Start-VMHostService ntpd", "The same, by key."),
    )

    def act(self, client: Client, key: str) -> HostService:
        return client.start_host_service(key)


class StopVMHostService(_ServiceAction):
    """Stop-VMHostService [-HostService] <HostService[]> [-Confirm]"""

    name = "Stop-VMHostService"
    synopsis = "Stops host services."
    examples = (("Stop-VMHostService ntpd -Confirm:$false", "Stops the NTP daemon."),)

    def act(self, client: Client, key: str) -> HostService:
        return client.stop_host_service(key)


class RestartVMHostService(_ServiceAction):
    """Restart-VMHostService [-HostService] <HostService[]> [-Confirm]"""

    name = "Restart-VMHostService"
    synopsis = "Restarts host services (ntpd forgets what it learnt and polls again)."
    examples = (("Restart-VMHostService ntpd -Confirm:$false", "Restarts the NTP daemon."),)

    def act(self, client: Client, key: str) -> HostService:
        return client.restart_host_service(key)


class SetVMHostService(Cmdlet):
    """Set-VMHostService [-HostService] <HostService[]> -Policy <On|Off|Automatic> [-Confirm]"""

    name = "Set-VMHostService"
    synopsis = (
        "Sets a service's startup policy: On starts it with the host, Off does not, Automatic starts it "
        "with the host when it has work (ntpd: an NTP server is configured)."
    )
    examples = (
        (
            "Get-VMHostService | Where-Object Key -eq 'ntpd' | Set-VMHostService -Policy On",
            "ntpd starts with the host.",
        ),
        ("Set-VMHostService TSM-SSH -Policy Off", "SSH stays off at boot."),
    )
    parameters = (
        Parameter("HostService", SERVICES, position=0, mandatory=True, pipeline=True),
        Parameter("Policy", POLICY, mandatory=True),
        Parameter("Confirm", SWITCH),
    )
    target_parameter = "HostService"

    def resolve_targets(self, items: list[object]) -> list[object]:
        return [s.key for s in resolve_services(self.ctx.client(), items)]

    def process(self, args: BoundArguments) -> Iterator[object]:
        client = self.ctx.client()
        host_name = _host_name(client)
        for service in resolve_services(client, args.items("HostService")):
            changed = client.set_host_service_policy(service.key, args.string("Policy"))
            yield service_object(changed, host_name)


CMDLETS: tuple[type[Cmdlet], ...] = (
    GetVMHostService,
    StartVMHostService,
    StopVMHostService,
    RestartVMHostService,
    SetVMHostService,
)

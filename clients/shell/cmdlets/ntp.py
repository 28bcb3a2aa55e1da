"""NTP: Get-/Add-/Remove-VMHostNtpServer as PowerCLI's (servers are strings, ``host[:port]``), and
pyesx's own Get-VMHostNtpStatus: the host's sync state, or with -Peer one line per server as
``ntpq -p`` shows (reach, stratum, offset, delay)."""

from __future__ import annotations

from collections.abc import Iterator

from clients.hostconfig import NtpServerStatus, NtpStatus
from clients.shell.binding import BoundArguments, Parameter
from clients.shell.cmdlets.base import PYESX, Cmdlet
from clients.shell.conversions import STRING, STRINGS, SWITCH
from clients.shell.psobject import PSObject
from clients.shell.views import TABLE_VIEWS, Column

STATUS_TYPE = "Pyesx.VMHostNtpStatus"
PEER_TYPE = "Pyesx.VMHostNtpPeer"
TABLE_VIEWS[STATUS_TYPE] = (
    Column("Running", "Running"),
    Column("Synchronized", "Synchronized"),
    Column("SyncServer", "SyncServer"),
    Column("Stratum", "Stratum", right=True),
    Column("OffsetMs", "OffsetMs", right=True),
)
TABLE_VIEWS[PEER_TYPE] = (
    Column("Server", "Server"),
    Column("Address", "Address"),
    Column("Reach", "Reach", right=True),
    Column("Stratum", "Stratum", right=True),
    Column("OffsetMs", "OffsetMs", right=True),
    Column("DelayMs", "DelayMs", right=True),
    Column("Selected", "Selected"),
    Column("Error", "Error"),
)


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 3)


def peer_object(peer: NtpServerStatus) -> PSObject:
    return PSObject(
        PEER_TYPE,
        [
            ("Server", peer.server),
            ("Address", peer.address),
            ("Reachable", peer.reachable),
            ("Reach", f"{peer.reach:o}"),  # octal, as ntpq shows it
            ("Stratum", peer.stratum),
            ("OffsetMs", _ms(peer.offset_seconds)),
            ("DelayMs", _ms(peer.delay_seconds)),
            ("RefId", peer.reference_id),
            ("Selected", peer.selected),
            ("Error", peer.error),
        ],
        base=peer,
        label=peer.server,
    )


def status_object(status: NtpStatus) -> PSObject:
    return PSObject(
        STATUS_TYPE,
        [
            ("Running", status.running),
            ("Synchronized", status.synchronized),
            ("SyncServer", status.sync_server),
            ("Stratum", status.stratum),
            ("OffsetMs", _ms(status.offset_seconds)),
            ("Servers", [peer_object(p) for p in status.servers]),
        ],
        base=status,
        label="ntpd",
    )


class GetVMHostNtpServer(Cmdlet):
    """Get-VMHostNtpServer [[-VMHost] <Object>]"""

    name = "Get-VMHostNtpServer"
    synopsis = "Gets the NTP servers the host's ntpd queries (host or host:port)."
    examples = (("Get-VMHostNtpServer", "One line per server."),)
    parameters = (Parameter("VMHost", STRING, position=0),)

    def process(self, args: BoundArguments) -> Iterator[object]:
        yield from self.ctx.client().ntp_config().servers


class AddVMHostNtpServer(Cmdlet):
    """Add-VMHostNtpServer [-NtpServer] <String[]> [-VMHost <Object>]"""

    name = "Add-VMHostNtpServer"
    synopsis = (
        "Adds NTP servers: an address or a name (resolved through the host's DNS servers), with an "
        "optional :port."
    )
    examples = (
        ("Add-VMHostNtpServer -NtpServer pool.ntp.org", "A server by name."),
        ("Add-VMHostNtpServer 10.0.0.1, '[fd00::1]:1123'", "Two servers, one on another port."),
    )
    confirm_impact = "Medium"
    target_parameter = "NtpServer"
    parameters = (
        Parameter("NtpServer", STRINGS, position=0, mandatory=True, pipeline=True),
        Parameter("VMHost", STRING),
    )

    def process(self, args: BoundArguments) -> Iterator[object]:
        servers = args.strings("NtpServer")
        self.ctx.client().add_ntp_servers(servers)
        yield from servers


class RemoveVMHostNtpServer(Cmdlet):
    """Remove-VMHostNtpServer [-NtpServer] <String[]> [-VMHost <Object>] [-Confirm]"""

    name = "Remove-VMHostNtpServer"
    synopsis = "Removes NTP servers from the host's configuration."
    examples = (
        ("Remove-VMHostNtpServer pool.ntp.org -Confirm:$false", "Removes one server."),
        ("Get-VMHostNtpServer | Remove-VMHostNtpServer -Confirm:$false", "Removes them all."),
    )
    target_parameter = "NtpServer"
    parameters = (
        Parameter("NtpServer", STRINGS, position=0, mandatory=True, pipeline=True),
        Parameter("VMHost", STRING),
        Parameter("Confirm", SWITCH),
    )

    def process(self, args: BoundArguments) -> Iterator[object]:
        self.ctx.client().remove_ntp_servers(args.strings("NtpServer"))
        return iter(())


class GetVMHostNtpStatus(Cmdlet):
    """Get-VMHostNtpStatus [-Peer] [[-VMHost] <Object>]"""

    name = "Get-VMHostNtpStatus"
    module = PYESX
    synopsis = (
        "Gets the host's time sync state (pyesx's own): synchronized or not, to which server, stratum, "
        "offset; -Peer: per server reach, stratum, offset, delay (as ntpq -p)."
    )
    examples = (
        ("Get-VMHostNtpStatus", "Synchronized, SyncServer, Stratum, OffsetMs."),
        ("Get-VMHostNtpStatus -Peer | Format-Table Server, Reachable, Stratum, OffsetMs", "Per server."),
    )
    parameters = (Parameter("VMHost", STRING, position=0), Parameter("Peer", SWITCH))

    def process(self, args: BoundArguments) -> Iterator[object]:
        status = self.ctx.client().ntp_status()
        if args.flag("Peer"):
            yield from (peer_object(p) for p in status.servers)
        else:
            yield status_object(status)


CMDLETS: tuple[type[Cmdlet], ...] = (
    GetVMHostNtpServer,
    AddVMHostNtpServer,
    RemoveVMHostNtpServer,
    GetVMHostNtpStatus,
)

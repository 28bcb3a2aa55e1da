"""Connect-VIServer and Disconnect-VIServer."""

from __future__ import annotations

from collections.abc import Iterator

from clients.shell.binding import BoundArguments, Parameter
from clients.shell.cmdlets.base import Cmdlet
from clients.shell.conversions import INT32, OBJECT, STRING, SWITCH
from clients.shell.errors import ShellError
from clients.shell.psobject import PSObject
from clients.shell.session import split_server
from clients.shell.values import enumerate_value, to_string
from clients.shell.views import Server, server_object
from clients.shell.wildcard import like


def _missing(name: str) -> ShellError:
    return ShellError(f"Cannot process command because of one or more missing mandatory parameters: {name}.")


class ConnectVIServer(Cmdlet):
    """Connect-VIServer [-Server] <String> [-Port <Int32>] [-User <String>] [-Password <String>]

    Missing values come from --server/--user/--password or PYESX_SERVER/PYESX_USER/PYESX_PASSWORD."""

    name = "Connect-VIServer"
    synopsis = "Connects to a host; later cmdlets use this connection."
    examples = (
        (
            "Connect-VIServer -Server 127.0.0.1:8443 -User root -Password secret",
            "Logs in to the host at 127.0.0.1, port 8443.",
        ),
    )
    parameters = (
        Parameter("Server", STRING, position=0),
        Parameter("Port", INT32),
        Parameter("User", STRING, aliases=("Username",)),
        Parameter("Password", STRING),
        Parameter("Force", SWITCH),
    )

    def process(self, args: BoundArguments) -> Iterator[object]:
        defaults = self.ctx.session.defaults
        server = args.string("Server", defaults.server or "")
        user = args.string("User", defaults.user or "")
        password = args.get("Password", defaults.password)
        if not server:
            raise _missing("Server")
        if not user:
            raise _missing("User")
        if not isinstance(password, str):
            raise _missing("Password")
        port = args.integer("Port") if "Port" in args else None
        yield server_object(self.ctx.session.connect(server, port, user, password))


class DisconnectVIServer(Cmdlet):
    """Disconnect-VIServer [[-Server] <VIServer[]|String[]>] [-Force] [-Confirm]"""

    name = "Disconnect-VIServer"
    synopsis = "Logs out of the host and closes the connection."
    examples = (("Disconnect-VIServer -Confirm:$false", "Disconnects without asking."),)
    parameters = (
        Parameter("Server", OBJECT, position=0, pipeline=True),
        Parameter("Force", SWITCH),
        Parameter("Confirm", SWITCH),
    )

    def resolve_targets(self, items: list[object]) -> list[object]:
        """The servers named, else the one connected (what -WhatIf and -Confirm name)."""
        server = self.ctx.session.server
        return items or ([server.name] if server is not None else [])

    def process(self, args: BoundArguments) -> Iterator[object]:
        session = self.ctx.session
        current = session.server
        if "Server" in args and current is not None:
            wanted = list(enumerate_value(args.get("Server")))
            if not any(_names(item, current) for item in wanted):
                raise ShellError("Could not find any of the servers specified by name.")
        session.disconnect()
        return iter(())


def _names(item: object, server: Server) -> bool:
    if isinstance(item, PSObject) and isinstance(item.base, Server):
        return item.base.name == server.name and item.base.port == server.port
    text = to_string(item)
    name, port = split_server(text)
    return like(server.name, text) or (name.lower() == server.name.lower() and port == server.port)


CMDLETS: tuple[type[Cmdlet], ...] = (ConnectVIServer, DisconnectVIServer)

"""Connect-VIServer, Disconnect-VIServer and the credential store (New/Get/Remove-VICredentialStoreItem)."""

from __future__ import annotations

from collections.abc import Iterator

from clients.shell.binding import BoundArguments, Parameter
from clients.shell.cmdlets.base import Cmdlet
from clients.shell.conversions import INT32, OBJECT, STRING, SWITCH
from clients.shell.credstore import CredentialStore, StoredCredential
from clients.shell.errors import ShellError
from clients.shell.members import member
from clients.shell.psobject import PSObject
from clients.shell.session import split_server
from clients.shell.values import enumerate_value, to_string
from clients.shell.views import Server, server_object
from clients.shell.wildcard import is_wildcard, like

STORE_ITEM_TYPE = "VICredentialStoreItem"


def _missing(name: str) -> ShellError:
    return ShellError(f"Cannot process command because of one or more missing mandatory parameters: {name}.")


class ConnectVIServer(Cmdlet):
    """Connect-VIServer [-Server] <String> [-Port <Int32>] [-User <String>] [-Password <String>] [-Credential]

    Missing values come from --server/--user/--password or PYESX_SERVER/PYESX_USER/PYESX_PASSWORD;
    a missing password (and user) from the credential store (New-VICredentialStoreItem).
    The host's certificate is trusted as Set-PowerCLIConfiguration -InvalidCertificateAction says
    (by default: its thumbprint is remembered on first connect and a changed one is refused);
    ``-Force`` trusts the certificate the host presents now (after New-VIMachineCertificate).
    ``-Credential`` takes any object with UserName (or User) and Password properties: a
    credential store item, or ``@{UserName='root'; Password='secret'}``."""

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
        Parameter("Credential", OBJECT),
        Parameter("Force", SWITCH),
    )

    def process(self, args: BoundArguments) -> Iterator[object]:
        session = self.ctx.session
        defaults = session.defaults
        server = args.string("Server", defaults.server or "")
        if not server:
            raise _missing("Server")
        user = args.string("User")
        password = args.get("Password")
        if "Credential" in args:
            credential = args.get("Credential")
            user = to_string(member(credential, "UserName") or member(credential, "User"))
            secret = member(credential, "Password")
            if not user or secret is None:
                raise ShellError("-Credential wants an object with UserName and Password properties.")
            password = to_string(secret)
        if not isinstance(password, str):  # the store's entry for this server first, then the defaults
            stored = session.store_lookup(server, user)
            if stored is not None:
                user, password = stored.user, stored.password
            else:
                password = defaults.password
        user = user or defaults.user or ""
        if not user:
            raise _missing("User")
        if not isinstance(password, str):
            raise _missing("Password")
        port = args.integer("Port") if "Port" in args else None
        force = args.flag("Force")
        yield server_object(self.ctx.session.connect(server, port, user, password, self._ask, force))

    def _ask(self, server: str, expected: str | None, presented: str) -> bool:
        """InvalidCertificateAction Prompt: ask whether to trust (and remember) the certificate."""
        console = self.ctx.console
        if not console.interactive:
            return False
        what = "is not trusted yet" if expected is None else f"has changed: it was {expected}"
        console.write(f"\nThe certificate of {server} {what}.\nThumbprint: {presented}\n")
        answer = console.ask('Trust it from now on? [Y] Yes  [N] No  (default is "N"): ')
        return answer.strip().lower() in ("y", "yes")


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


def _item(entry: StoredCredential) -> PSObject:
    return PSObject(
        STORE_ITEM_TYPE,
        [("Host", entry.host), ("User", entry.user), ("Password", entry.password), ("File", entry.file)],
        base=entry,
        label=entry.host,
    )


def _store(ctx_store: CredentialStore, args: BoundArguments) -> CredentialStore:
    return CredentialStore(args.string("File")) if "File" in args else ctx_store


class NewVICredentialStoreItem(Cmdlet):
    """New-VICredentialStoreItem -Host <String> -User <String> [-Password <String>] [-File <String>]

    Saves the password for the user on the host in the credential store (a 0600 file, as PowerCLI's)."""

    name = "New-VICredentialStoreItem"
    synopsis = "Saves a password for a user on a host in the credential store (a file only you can read)."
    examples = (
        (
            "New-VICredentialStoreItem -Host 127.0.0.1:8443 -User root -Password secret",
            "Stores root's password; Connect-VIServer 127.0.0.1:8443 then needs no -User or -Password.",
        ),
    )
    parameters = (
        Parameter("Host", STRING, position=0, mandatory=True),
        Parameter("User", STRING, position=1, mandatory=True),
        Parameter("Password", STRING, position=2, allow_null=True),
        Parameter("File", STRING),
    )

    def process(self, args: BoundArguments) -> Iterator[object]:
        store = _store(self.ctx.session.store, args)
        yield _item(store.add(args.string("Host"), args.string("User"), args.string("Password")))


class GetVICredentialStoreItem(Cmdlet):
    """Get-VICredentialStoreItem [[-Host] <String>] [[-User] <String>] [-File <String>] (wildcards allowed)"""

    name = "Get-VICredentialStoreItem"
    synopsis = "Lists the credential store's items (host, user, password, file); wildcards allowed."
    examples = (
        ("Get-VICredentialStoreItem -Host esx* | Format-Table Host, User", "The stored users per host."),
    )
    parameters = (
        Parameter("Host", STRING, position=0),
        Parameter("User", STRING, position=1),
        Parameter("File", STRING),
    )

    def process(self, args: BoundArguments) -> Iterator[object]:
        store = _store(self.ctx.session.store, args)
        host, user = args.string("Host", "*"), args.string("User", "*")
        found = store.items(host, user)
        if not found and not (is_wildcard(host) and is_wildcard(user)):
            raise ShellError(
                f"Could not find any credential store items for host '{host}' and user '{user}'."
            )
        yield from (_item(entry) for entry in found)


class RemoveVICredentialStoreItem(Cmdlet):
    """Remove-VICredentialStoreItem [[-Host] <String>] [[-User] <String>] [-File <String>] [-Confirm]

    Also takes the items Get-VICredentialStoreItem outputs from the pipeline."""

    name = "Remove-VICredentialStoreItem"
    synopsis = "Removes items from the credential store."
    examples = (
        (
            "Remove-VICredentialStoreItem -Host 127.0.0.1:8443 -User root -Confirm:$false",
            "Forgets root's password for that host.",
        ),
        ("Get-VICredentialStoreItem | Remove-VICredentialStoreItem", "Empties the store (asking first)."),
    )
    parameters = (
        Parameter("CredentialStoreItem", OBJECT, pipeline=True),
        Parameter("Host", STRING, position=0),
        Parameter("User", STRING, position=1),
        Parameter("File", STRING),
        Parameter("Confirm", SWITCH),
    )

    def process(self, args: BoundArguments) -> Iterator[object]:
        item = args.get("CredentialStoreItem")
        if isinstance(item, PSObject) and isinstance(item.base, StoredCredential):
            store, host, user = (
                CredentialStore(item.base.file),
                _literal(item.base.host),
                _literal(item.base.user),
            )
        elif "Host" in args or "User" in args:
            store, host, user = (
                _store(self.ctx.session.store, args),
                args.string("Host", "*"),
                args.string("User", "*"),
            )
        else:
            raise _missing("Host")
        if not store.remove(host, user):
            raise ShellError(
                f"Could not find any credential store items for host '{host}' and user '{user}'."
            )
        return iter(())


def _literal(text: str) -> str:
    return "".join(f"`{c}" if c in "*?[]`" else c for c in text)


CMDLETS: tuple[type[Cmdlet], ...] = (
    ConnectVIServer,
    DisconnectVIServer,
    NewVICredentialStoreItem,
    GetVICredentialStoreItem,
    RemoveVICredentialStoreItem,
)

"""Local accounts and sessions: New-, Get-, Set-, Remove-VMHostAccount (PowerCLI's), and
Get-VISession, Remove-VISession (ours: the host's live sessions, as vSphere's SessionManager
lists them)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import cast

from clients.auth import AuthCalls, HostAccount, UserSession
from clients.shell.binding import BoundArguments, Parameter
from clients.shell.cmdlets.base import Cmdlet, CommandContext
from clients.shell.conversions import STRING, STRINGS, ArrayType, ParamType, shown
from clients.shell.errors import ConversionError
from clients.shell.psobject import PSObject
from clients.shell.views import TABLE_VIEWS, Column
from clients.shell.wildcard import is_wildcard, like, unescape
from pyesx.faults import NotFound

ACCOUNT_TYPE = "HostUserAccount"
SESSION_TYPE = "UserSession"


TABLE_VIEWS[ACCOUNT_TYPE] = (
    Column("Id", "Id"),
    Column("Description", "Description"),
    Column("Locked", "Locked"),
)
TABLE_VIEWS[SESSION_TYPE] = (
    Column("Id", "Id"),
    Column("UserName", "UserName"),
    Column("IpAddress", "IpAddress"),
    Column("LoginTime", "LoginTime"),
    Column("IsCurrent", "IsCurrent"),
)


def auth_client(ctx: CommandContext) -> AuthCalls:
    """The connected client's security calls (``clients.sdk.Client`` has them; the shell's client
    protocol leaves them out so that its fakes need not grow them)."""
    return cast(AuthCalls, ctx.client())


def account_object(account: HostAccount) -> PSObject:
    return PSObject(
        ACCOUNT_TYPE,
        [
            ("Id", account.id),
            ("Description", account.description),
            ("Locked", account.locked),
            ("FailedLogins", account.failed_logins),
            ("LockedUntil", account.locked_until),
        ],
        base=account,
        label=account.id,
    )


def _account_reference(value: object) -> str:
    if isinstance(value, PSObject) and isinstance(value.base, HostAccount):
        return value.base.id
    if isinstance(value, str):
        return value
    raise ConversionError(shown(value), ACCOUNT_TYPE)


ACCOUNTS = ArrayType(ParamType(ACCOUNT_TYPE, _account_reference))


class GetVMHostAccount(Cmdlet):
    """Get-VMHostAccount [[-Id] <String[]>]"""

    name = "Get-VMHostAccount"
    synopsis = "Gets the host's local user accounts (and whether each is locked out)."
    examples = (
        ("Get-VMHostAccount", "Every local account."),
        ("Get-VMHostAccount -Id 'ops*'", "The accounts whose names start with ops."),
    )
    parameters = (Parameter("Id", STRINGS, position=0),)

    def process(self, args: BoundArguments) -> Iterator[object]:
        accounts = auth_client(self.ctx).list_accounts()
        patterns = args.strings("Id")
        for pattern in patterns:
            if not is_wildcard(pattern) and not any(a.id == unescape(pattern) for a in accounts):
                raise NotFound("HostAccount", pattern, f"HostAccount with id '{pattern}' was not found.")
        for account in accounts:
            if not patterns or any(like(account.id, p) for p in patterns):
                yield account_object(account)


class NewVMHostAccount(Cmdlet):
    """New-VMHostAccount [-Id] <String> [-Password] <String> [-Description <String>]"""

    name = "New-VMHostAccount"
    synopsis = "Creates a local user account (the password must pass the host's password policy)."
    examples = (
        (
            "New-VMHostAccount -Id ops1 -Password 'Secret#2024' -Description 'Operator'",
            "Creates ops1; give it a role with New-VIPermission.",
        ),
    )
    parameters = (
        Parameter("Id", STRING, position=0, mandatory=True),
        Parameter("Password", STRING, position=1, mandatory=True),
        Parameter("Description", STRING),
    )
    target_parameter = "Id"

    def process(self, args: BoundArguments) -> Iterator[object]:
        client = auth_client(self.ctx)
        yield account_object(
            client.create_account(args.string("Id"), args.string("Password"), args.string("Description"))
        )


class SetVMHostAccount(Cmdlet):
    """Set-VMHostAccount [-UserAccount] <HostUserAccount[]> [-Password <String>] [-Description <String>]"""

    name = "Set-VMHostAccount"
    confirm_impact = "Medium"
    synopsis = "Changes a local account's password or description (a new password lifts a lockout)."
    examples = (
        ("Set-VMHostAccount -UserAccount ops1 -Password 'N3w#Secret'", "Changes ops1's password."),
        ("Get-VMHostAccount ops1 | Set-VMHostAccount -Description 'Night shift'", "Changes its description."),
    )
    parameters = (
        Parameter("UserAccount", ACCOUNTS, position=0, mandatory=True, pipeline=True),
        Parameter("Password", STRING),
        Parameter("Description", STRING),
    )

    def process(self, args: BoundArguments) -> Iterator[object]:
        client = auth_client(self.ctx)
        password = args.string("Password") if "Password" in args else None
        description = args.string("Description") if "Description" in args else None
        for user in args.strings("UserAccount"):
            yield account_object(client.update_account(user, password, description))


class RemoveVMHostAccount(Cmdlet):
    """Remove-VMHostAccount [-HostAccount] <HostUserAccount[]>"""

    name = "Remove-VMHostAccount"
    synopsis = "Removes local accounts, their permissions and their sessions (root cannot be removed)."
    examples = (("Remove-VMHostAccount -HostAccount ops1 -Confirm:$false", "Removes ops1."),)
    parameters = (Parameter("HostAccount", ACCOUNTS, position=0, mandatory=True, pipeline=True),)

    def process(self, args: BoundArguments) -> Iterator[object]:
        client = auth_client(self.ctx)
        for user in args.strings("HostAccount"):
            client.remove_account(user)
        return iter(())


def session_object(session: UserSession, current: str) -> PSObject:
    return PSObject(
        SESSION_TYPE,
        [
            ("Id", session.id),
            ("UserName", session.user),
            ("IpAddress", session.ip_address),
            ("LoginTime", session.login_time),
            ("LastActiveTime", session.last_active_time),
            ("ExpiresTime", session.expires_time),
            ("IdleTimeoutSeconds", session.idle_timeout_seconds),
            ("IsCurrent", session.id == current),
        ],
        base=session,
        label=session.id,
    )


def _session_reference(value: object) -> str:
    if isinstance(value, PSObject) and isinstance(value.base, UserSession):
        return value.base.id
    if isinstance(value, str):
        return value
    raise ConversionError(shown(value), SESSION_TYPE)


class GetVISession(Cmdlet):
    """Get-VISession [[-UserName] <String[]>]"""

    name = "Get-VISession"
    synopsis = "Gets the host's live sessions (who is logged in, since when, last active when)."
    examples = (
        ("Get-VISession", "Every live session."),
        ("Get-VISession -UserName ops1", "ops1's sessions."),
    )
    parameters = (Parameter("UserName", STRINGS, position=0),)

    def process(self, args: BoundArguments) -> Iterator[object]:
        client = auth_client(self.ctx)
        current = client.current_session().id
        patterns = args.strings("UserName")
        for session in client.list_sessions():
            if not patterns or any(like(session.user, p) for p in patterns):
                yield session_object(session, current)


class RemoveVISession(Cmdlet):
    """Remove-VISession [-Session] <UserSession[]>"""

    name = "Remove-VISession"
    synopsis = "Terminates other users' sessions (vSphere's TerminateSession)."
    examples = (
        ("Get-VISession -UserName ops1 | Remove-VISession -Confirm:$false", "Logs ops1 out everywhere."),
    )
    parameters = (
        Parameter(
            "Session",
            ArrayType(ParamType(SESSION_TYPE, _session_reference)),
            position=0,
            mandatory=True,
            pipeline=True,
        ),
    )

    def process(self, args: BoundArguments) -> Iterator[object]:
        auth_client(self.ctx).terminate_sessions(args.strings("Session"))
        return iter(())


CMDLETS: tuple[type[Cmdlet], ...] = (
    GetVMHostAccount,
    NewVMHostAccount,
    SetVMHostAccount,
    RemoveVMHostAccount,
    GetVISession,
    RemoveVISession,
)

"""The SDK's security calls: local accounts, sessions, roles, privileges and permissions,
and lockdown mode. Mixed into ``clients.sdk.Client``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from pyesx.api.v1 import (
    account_pb2,
    account_pb2_grpc,
    authorization_pb2,
    authorization_pb2_grpc,
    hostaccess_pb2,
    hostaccess_pb2_grpc,
    session_pb2,
    session_pb2_grpc,
)

LOCKDOWN_MODES = ("disabled", "normal", "strict")


def _time(ts: Any) -> dt.datetime | None:
    return ts.ToDatetime(tzinfo=dt.UTC) if ts.seconds or ts.nanos else None


@dataclass(frozen=True)
class HostAccount:
    id: str
    description: str
    locked: bool
    failed_logins: int
    locked_until: dt.datetime | None


@dataclass(frozen=True)
class UserSession:
    id: str
    user: str
    login_time: dt.datetime | None
    last_active_time: dt.datetime | None
    expires_time: dt.datetime | None
    ip_address: str
    idle_timeout_seconds: int


@dataclass(frozen=True)
class Privilege:
    id: str
    group: str
    description: str


@dataclass(frozen=True)
class Role:
    id: int
    name: str
    system: bool
    privileges: tuple[str, ...]


@dataclass(frozen=True)
class Permission:
    entity: str
    entity_name: str
    principal: str
    role: str
    propagate: bool


@dataclass(frozen=True)
class Lockdown:
    mode: str  # disabled | normal | strict
    exception_users: tuple[str, ...]


def account_from_proto(m: account_pb2.HostAccount) -> HostAccount:
    return HostAccount(m.id, m.description, m.locked, m.failed_logins, _time(m.locked_until))


def session_from_proto(m: session_pb2.Session) -> UserSession:
    return UserSession(
        m.id,
        m.user,
        _time(m.login_time),
        _time(m.last_active_time),
        _time(m.expires_time),
        m.ip_address,
        m.idle_timeout_seconds,
    )


def role_from_proto(m: authorization_pb2.Role) -> Role:
    return Role(m.id, m.name, m.system, tuple(m.privileges))


def permission_from_proto(m: authorization_pb2.Permission) -> Permission:
    return Permission(m.entity, m.entity_name, m.principal, m.role, m.propagate)


def _lockdown(m: hostaccess_pb2.Lockdown) -> Lockdown:
    return Lockdown(LOCKDOWN_MODES[m.mode], tuple(m.exception_users))


class AuthCalls:
    _sessions: session_pb2_grpc.SessionServiceStub
    _accounts: account_pb2_grpc.HostAccountServiceStub
    _authorization: authorization_pb2_grpc.AuthorizationServiceStub
    _access: hostaccess_pb2_grpc.HostAccessServiceStub
    _call: Callable[..., Any]

    # -- accounts -------------------------------------------------------------------------------

    def list_accounts(self) -> list[HostAccount]:
        reply = self._call(self._accounts.ListAccounts, account_pb2.ListAccountsRequest())
        return [account_from_proto(a) for a in reply.accounts]

    def create_account(self, id: str, password: str, description: str = "") -> HostAccount:  # noqa: A002
        spec = account_pb2.HostAccountSpec(id=id, password=password, description=description)
        return account_from_proto(self._call(self._accounts.CreateAccount, spec))

    def update_account(
        self,
        id: str,  # noqa: A002 - vSphere's name
        password: str | None = None,
        description: str | None = None,
    ) -> HostAccount:
        spec = account_pb2.HostAccountSpec(id=id, password=password, description=description)
        return account_from_proto(self._call(self._accounts.UpdateAccount, spec))

    def remove_account(self, id: str) -> None:  # noqa: A002
        self._call(self._accounts.RemoveAccount, account_pb2.RemoveAccountRequest(id=id))

    # -- sessions -------------------------------------------------------------------------------

    def current_session(self) -> UserSession:
        return session_from_proto(
            self._call(self._sessions.GetCurrentSession, session_pb2.GetCurrentSessionRequest())
        )

    def list_sessions(self) -> list[UserSession]:
        reply = self._call(self._sessions.ListSessions, session_pb2.ListSessionsRequest())
        return [session_from_proto(s) for s in reply.sessions]

    def terminate_sessions(self, ids: Iterable[str]) -> None:
        self._call(self._sessions.TerminateSession, session_pb2.TerminateSessionRequest(ids=list(ids)))

    # -- roles and permissions ------------------------------------------------------------------

    def list_privileges(self) -> list[Privilege]:
        reply = self._call(self._authorization.ListPrivileges, authorization_pb2.ListPrivilegesRequest())
        return [Privilege(p.id, p.group, p.description) for p in reply.privileges]

    def list_roles(self) -> list[Role]:
        reply = self._call(self._authorization.ListRoles, authorization_pb2.ListRolesRequest())
        return [role_from_proto(r) for r in reply.roles]

    def create_role(self, name: str, privileges: Iterable[str] = ()) -> Role:
        request = authorization_pb2.CreateRoleRequest(name=name, privileges=list(privileges))
        return role_from_proto(self._call(self._authorization.CreateRole, request))

    def update_role(
        self, name: str, new_name: str | None = None, add: Iterable[str] = (), remove: Iterable[str] = ()
    ) -> Role:
        request = authorization_pb2.UpdateRoleRequest(
            name=name, new_name=new_name, add_privileges=list(add), remove_privileges=list(remove)
        )
        return role_from_proto(self._call(self._authorization.UpdateRole, request))

    def remove_role(self, name: str, force: bool = False) -> None:
        self._call(
            self._authorization.RemoveRole, authorization_pb2.RemoveRoleRequest(name=name, force=force)
        )

    def list_permissions(self, entity: str = "", principal: str = "") -> list[Permission]:
        request = authorization_pb2.ListPermissionsRequest(entity=entity, principal=principal)
        return [
            permission_from_proto(p)
            for p in self._call(self._authorization.ListPermissions, request).permissions
        ]

    def set_permission(self, entity: str, principal: str, role: str, propagate: bool = True) -> Permission:
        request = authorization_pb2.Permission(
            entity=entity, principal=principal, role=role, propagate=propagate
        )
        return permission_from_proto(self._call(self._authorization.SetPermission, request))

    def remove_permission(self, entity: str, principal: str) -> None:
        request = authorization_pb2.RemovePermissionRequest(entity=entity, principal=principal)
        self._call(self._authorization.RemovePermission, request)

    # -- lockdown and security settings ---------------------------------------------------------

    def lockdown(self) -> Lockdown:
        return _lockdown(self._call(self._access.GetLockdownMode, hostaccess_pb2.GetLockdownModeRequest()))

    def set_lockdown(self, mode: str | None = None, exception_users: Iterable[str] | None = None) -> Lockdown:
        """Change the mode ("disabled", "normal", "strict") and/or replace the exception users."""
        request = hostaccess_pb2.SetLockdownModeRequest()
        if mode is not None:
            if mode.lower() not in LOCKDOWN_MODES:
                raise ValueError(f"lockdown mode {mode!r} is not one of {', '.join(LOCKDOWN_MODES)}")
            request.mode = LOCKDOWN_MODES.index(mode.lower())  # type: ignore[assignment]
        if exception_users is not None:
            request.set_exception_users = True
            request.exception_users.extend(exception_users)
        return _lockdown(self._call(self._access.SetLockdownMode, request))

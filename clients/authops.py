"""The security calls as plans (``clients.ops.Call``) for the object SDK, sync and asyncio:
accounts, sessions, roles and permissions, and lockdown. The records are
``clients.auth``'s."""

from __future__ import annotations

from collections.abc import Iterable

from clients.auth import (
    LOCKDOWN_MODES,
    HostAccount,
    Lockdown,
    Permission,
    Privilege,
    Role,
    UserSession,
    _lockdown,
    account_from_proto,
    permission_from_proto,
    role_from_proto,
    session_from_proto,
)
from clients.ops import Call
from pyesx.api.v1 import account_pb2, authorization_pb2, hostaccess_pb2, session_pb2


def list_accounts() -> Call[list[HostAccount]]:
    return Call(
        "accounts",
        "ListAccounts",
        account_pb2.ListAccountsRequest(),
        lambda m: [account_from_proto(a) for a in m.accounts],
    )


def create_account(user: str, password: str, description: str = "") -> Call[HostAccount]:
    spec = account_pb2.HostAccountSpec(id=user, password=password, description=description)
    return Call("accounts", "CreateAccount", spec, account_from_proto)


def update_account(user: str, password: str | None, description: str | None) -> Call[HostAccount]:
    spec = account_pb2.HostAccountSpec(id=user, password=password, description=description)
    return Call("accounts", "UpdateAccount", spec, account_from_proto)


def remove_account(user: str) -> Call[None]:
    return Call("accounts", "RemoveAccount", account_pb2.RemoveAccountRequest(id=user), lambda m: None)


def list_sessions() -> Call[list[UserSession]]:
    return Call(
        "session",
        "ListSessions",
        session_pb2.ListSessionsRequest(),
        lambda m: [session_from_proto(s) for s in m.sessions],
    )


def current_session() -> Call[UserSession]:
    return Call("session", "GetCurrentSession", session_pb2.GetCurrentSessionRequest(), session_from_proto)


def terminate_sessions(ids: Iterable[str]) -> Call[None]:
    request = session_pb2.TerminateSessionRequest(ids=list(ids))
    return Call("session", "TerminateSession", request, lambda m: None)


def list_privileges() -> Call[list[Privilege]]:
    return Call(
        "authorization",
        "ListPrivileges",
        authorization_pb2.ListPrivilegesRequest(),
        lambda m: [Privilege(p.id, p.group, p.description) for p in m.privileges],
    )


def list_roles() -> Call[list[Role]]:
    return Call(
        "authorization",
        "ListRoles",
        authorization_pb2.ListRolesRequest(),
        lambda m: [role_from_proto(r) for r in m.roles],
    )


def create_role(name: str, privileges: Iterable[str]) -> Call[Role]:
    request = authorization_pb2.CreateRoleRequest(name=name, privileges=list(privileges))
    return Call("authorization", "CreateRole", request, role_from_proto)


def update_role(name: str, new_name: str | None, add: Iterable[str], remove: Iterable[str]) -> Call[Role]:
    request = authorization_pb2.UpdateRoleRequest(
        name=name, new_name=new_name, add_privileges=list(add), remove_privileges=list(remove)
    )
    return Call("authorization", "UpdateRole", request, role_from_proto)


def remove_role(name: str, force: bool) -> Call[None]:
    request = authorization_pb2.RemoveRoleRequest(name=name, force=force)
    return Call("authorization", "RemoveRole", request, lambda m: None)


def list_permissions(entity: str = "", principal: str = "") -> Call[list[Permission]]:
    request = authorization_pb2.ListPermissionsRequest(entity=entity, principal=principal)
    return Call(
        "authorization",
        "ListPermissions",
        request,
        lambda m: [permission_from_proto(p) for p in m.permissions],
    )


def set_permission(entity: str, principal: str, role: str, propagate: bool) -> Call[Permission]:
    request = authorization_pb2.Permission(entity=entity, principal=principal, role=role, propagate=propagate)
    return Call("authorization", "SetPermission", request, permission_from_proto)


def remove_permission(entity: str, principal: str) -> Call[None]:
    request = authorization_pb2.RemovePermissionRequest(entity=entity, principal=principal)
    return Call("authorization", "RemovePermission", request, lambda m: None)


def get_lockdown() -> Call[Lockdown]:
    return Call("access", "GetLockdownMode", hostaccess_pb2.GetLockdownModeRequest(), _lockdown)


def set_lockdown(mode: str | None, exception_users: Iterable[str] | None) -> Call[Lockdown]:
    request = hostaccess_pb2.SetLockdownModeRequest()
    if mode is not None:
        if mode.lower() not in LOCKDOWN_MODES:
            raise ValueError(f"lockdown mode {mode!r} is not one of {', '.join(LOCKDOWN_MODES)}")
        request.mode = LOCKDOWN_MODES.index(mode.lower())  # type: ignore[assignment]
    if exception_users is not None:
        request.set_exception_users = True
        request.exception_users.extend(exception_users)
    return Call("access", "SetLockdownMode", request, _lockdown)

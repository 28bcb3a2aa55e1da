"""hostd's servicers for accounts, roles and permissions, lockdown mode and security settings:
thin, converting messages and calling ``Accounts``, ``Authorization``, ``Lockdown`` and
``HostSettings``. Each change records vSphere's event."""

from __future__ import annotations

from typing import TypeAlias

import grpc

from hostd.accounts import Account, Accounts
from hostd.authz import Authorization, Permission
from hostd.convert import timestamp
from hostd.events import EventLog
from hostd.host_settings import HostSettings
from hostd.lockdown import MODES, Lockdown, LockdownState
from hostd.passwordpolicy import PasswordPolicy
from hostd.privileges import PRIVILEGES, Role, group_of
from hostd.securitysettings import PASSWORD_HISTORY, PASSWORD_QUALITY, integer, text
from hostd.sessions import SessionManager, current_user
from pyesx import faults
from pyesx.api.v1 import (
    account_pb2,
    account_pb2_grpc,
    authorization_pb2,
    authorization_pb2_grpc,
    hostaccess_pb2,
    hostaccess_pb2_grpc,
)

Ctx: TypeAlias = grpc.aio.ServicerContext


class HostAccountServicer(account_pb2_grpc.HostAccountServiceServicer):
    def __init__(
        self,
        accounts: Accounts,
        sessions: SessionManager,
        authz: Authorization,
        settings: HostSettings,
        events: EventLog,
    ) -> None:
        self.accounts, self.sessions, self.authz = accounts, sessions, authz
        self.settings, self.events = settings, events

    def _policy(self) -> PasswordPolicy:
        return PasswordPolicy.parse(text(self.settings, PASSWORD_QUALITY))

    def _proto(self, account: Account) -> account_pb2.HostAccount:
        locked = self.sessions.lockout.locked_for(account.user)
        return account_pb2.HostAccount(
            id=account.user,
            description=account.description,
            locked=bool(locked),
            failed_logins=self.sessions.lockout.failures(account.user),
            locked_until=timestamp(self.sessions.clock() + locked) if locked else None,
        )

    async def CreateAccount(
        self, request: account_pb2.HostAccountSpec, context: Ctx
    ) -> account_pb2.HostAccount:
        account = await self.accounts.create(
            request.id, request.password, request.description, self._policy()
        )
        self.events.record(
            "AccountCreatedEvent", f"Account {account.user} was created on host", user=current_user()
        )
        return self._proto(account)

    async def ListAccounts(
        self, request: account_pb2.ListAccountsRequest, context: Ctx
    ) -> account_pb2.ListAccountsResponse:
        return account_pb2.ListAccountsResponse(accounts=[self._proto(a) for a in self.accounts.all()])

    async def UpdateAccount(
        self, request: account_pb2.HostAccountSpec, context: Ctx
    ) -> account_pb2.HostAccount:
        account = await self.accounts.update(
            request.id,
            request.password if request.HasField("password") else None,
            request.description if request.HasField("description") else None,
            self._policy(),
            integer(self.settings, PASSWORD_HISTORY),
        )
        if request.HasField("password"):
            self.sessions.lockout.unlock(account.user)  # a new password lifts a lockout
        self.events.record(
            "AccountUpdatedEvent", f"Account {account.user} was updated on host", user=current_user()
        )
        return self._proto(account)

    async def RemoveAccount(
        self, request: account_pb2.RemoveAccountRequest, context: Ctx
    ) -> account_pb2.RemoveAccountResponse:
        self.accounts.remove(request.id)
        self.authz.forget_principal(request.id)
        self.sessions.end_sessions_where(lambda user: user == request.id)
        self.events.record(
            "AccountRemovedEvent", f"Account {request.id} was removed on host", user=current_user()
        )
        return account_pb2.RemoveAccountResponse()


def role_to_proto(role: Role) -> authorization_pb2.Role:
    return authorization_pb2.Role(
        id=role.id, name=role.name, system=role.system, privileges=sorted(role.privileges)
    )


class AuthorizationServicer(authorization_pb2_grpc.AuthorizationServiceServicer):
    def __init__(self, authz: Authorization, events: EventLog) -> None:
        self.authz, self.events = authz, events

    def _permission(self, p: Permission) -> authorization_pb2.Permission:
        return authorization_pb2.Permission(
            entity=p.entity,
            principal=p.principal,
            role=p.role,
            propagate=p.propagate,
            entity_name=self.authz.tree.name(p.entity),
        )

    async def ListPrivileges(
        self, request: authorization_pb2.ListPrivilegesRequest, context: Ctx
    ) -> authorization_pb2.ListPrivilegesResponse:
        return authorization_pb2.ListPrivilegesResponse(
            privileges=[
                authorization_pb2.Privilege(id=p, group=group_of(p), description=d)
                for p, d in PRIVILEGES.items()
            ]
        )

    async def ListRoles(
        self, request: authorization_pb2.ListRolesRequest, context: Ctx
    ) -> authorization_pb2.ListRolesResponse:
        roles = sorted(self.authz.roles.values(), key=lambda r: (r.id > 0, abs(r.id)))
        return authorization_pb2.ListRolesResponse(roles=[role_to_proto(r) for r in roles])

    async def CreateRole(
        self, request: authorization_pb2.CreateRoleRequest, context: Ctx
    ) -> authorization_pb2.Role:
        role = self.authz.create_role(request.name, list(request.privileges))
        self.events.record("RoleAddedEvent", f"New role {role.name} created", user=current_user())
        return role_to_proto(role)

    async def UpdateRole(
        self, request: authorization_pb2.UpdateRoleRequest, context: Ctx
    ) -> authorization_pb2.Role:
        role = self.authz.update_role(
            request.name,
            request.new_name if request.HasField("new_name") else None,
            list(request.add_privileges),
            list(request.remove_privileges),
        )
        self.events.record("RoleUpdatedEvent", f"Role modified: {role.name}", user=current_user())
        return role_to_proto(role)

    async def RemoveRole(
        self, request: authorization_pb2.RemoveRoleRequest, context: Ctx
    ) -> authorization_pb2.RemoveRoleResponse:
        self.authz.remove_role(request.name, request.force)
        self.events.record("RoleRemovedEvent", f"Role {request.name} removed", user=current_user())
        return authorization_pb2.RemoveRoleResponse()

    async def ListPermissions(
        self, request: authorization_pb2.ListPermissionsRequest, context: Ctx
    ) -> authorization_pb2.ListPermissionsResponse:
        found = self.authz.list_permissions(request.entity, request.principal)
        return authorization_pb2.ListPermissionsResponse(permissions=[self._permission(p) for p in found])

    async def SetPermission(
        self, request: authorization_pb2.Permission, context: Ctx
    ) -> authorization_pb2.Permission:
        perm = self.authz.set_permission(request.entity, request.principal, request.role, request.propagate)
        self.events.record(
            "PermissionAddedEvent",
            f"Permission created for {perm.principal} on {self.authz.tree.name(perm.entity)}, "
            f"role is {perm.role}, propagation is {'enabled' if perm.propagate else 'disabled'}",
            user=current_user(),
        )
        return self._permission(perm)

    async def RemovePermission(
        self, request: authorization_pb2.RemovePermissionRequest, context: Ctx
    ) -> authorization_pb2.RemovePermissionResponse:
        self.authz.remove_permission(request.entity, request.principal)
        self.events.record(
            "PermissionRemovedEvent",
            f"Permission rule removed for {request.principal} on {self.authz.tree.name(request.entity)}",
            user=current_user(),
        )
        return authorization_pb2.RemovePermissionResponse()


def _lockdown_proto(state: LockdownState) -> hostaccess_pb2.Lockdown:
    return hostaccess_pb2.Lockdown(
        mode=hostaccess_pb2.LockdownMode.Value(f"LOCKDOWN_{state.mode.upper()}"),
        exception_users=list(state.exception_users),
    )


class HostAccessServicer(hostaccess_pb2_grpc.HostAccessServiceServicer):
    def __init__(self, lockdown: Lockdown, sessions: SessionManager, events: EventLog) -> None:
        self.lockdown, self.sessions, self.events = lockdown, sessions, events

    async def GetLockdownMode(
        self, request: hostaccess_pb2.GetLockdownModeRequest, context: Ctx
    ) -> hostaccess_pb2.Lockdown:
        return _lockdown_proto(self.lockdown.state)

    async def SetLockdownMode(
        self, request: hostaccess_pb2.SetLockdownModeRequest, context: Ctx
    ) -> hostaccess_pb2.Lockdown:
        mode = None
        if request.HasField("mode"):
            if request.mode not in hostaccess_pb2.LockdownMode.values():
                raise faults.InvalidArgument("mode", f"{request.mode} is not a lockdown mode")
            mode = MODES[request.mode]
        before = self.lockdown.state.mode
        users = list(request.exception_users) if request.set_exception_users else None
        state = self.lockdown.set(mode, users)
        if state.mode != "disabled":
            self.sessions.end_sessions_lockdown_refuses()
        if state.mode != before:
            kind = "disabled" if state.mode == "disabled" else "enabled"
            self.events.record(
                f"esx.audit.lockdownmode.{kind}",
                f"Administrator access to the host has been {kind} ({state.mode})",
                user=current_user(),
            )
        return _lockdown_proto(state)

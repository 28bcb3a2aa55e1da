"""``session.security`` of the object SDK (``clients.objects``, ``clients.aio``): accounts, sessions,
roles and permissions, and lockdown mode, as records (``clients.auth``).

with open_session(server, "root", pw) as session:
    session.security.create_account("ops1", "Ops#2024x")
    session.security.set_permission(session.vm("web01"), "ops1", "ReadOnly")
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from clients import authops
from clients.auth import HostAccount, Lockdown, Permission, Privilege, Role, UserSession
from clients.transport import AsyncTransport, SyncTransport

HOST_ENTITY = "ha-host"


class _HasId(Protocol):
    @property
    def id(self) -> str: ...


def entity_id(entity: str | _HasId | object) -> str:
    """A VM's or pool's id, "ha-host" for the host object, or the id given."""
    if isinstance(entity, str):
        return entity
    ident = getattr(entity, "id", None)
    return ident if isinstance(ident, str) else HOST_ENTITY


class Security:
    """The security calls over a blocking transport."""

    def __init__(self, transport: SyncTransport) -> None:
        self._t = transport

    def accounts(self) -> list[HostAccount]:
        return self._t.call(authops.list_accounts())

    def create_account(self, user: str, password: str, description: str = "") -> HostAccount:
        return self._t.call(authops.create_account(user, password, description))

    def update_account(
        self, user: str, password: str | None = None, description: str | None = None
    ) -> HostAccount:
        return self._t.call(authops.update_account(user, password, description))

    def remove_account(self, user: str) -> None:
        self._t.call(authops.remove_account(user))

    def sessions(self) -> list[UserSession]:
        return self._t.call(authops.list_sessions())

    def current_session(self) -> UserSession:
        return self._t.call(authops.current_session())

    def terminate_sessions(self, ids: Iterable[str]) -> None:
        self._t.call(authops.terminate_sessions(ids))

    def privileges(self) -> list[Privilege]:
        return self._t.call(authops.list_privileges())

    def roles(self) -> list[Role]:
        return self._t.call(authops.list_roles())

    def create_role(self, name: str, privileges: Iterable[str] = ()) -> Role:
        return self._t.call(authops.create_role(name, privileges))

    def update_role(
        self, name: str, new_name: str | None = None, add: Iterable[str] = (), remove: Iterable[str] = ()
    ) -> Role:
        return self._t.call(authops.update_role(name, new_name, add, remove))

    def remove_role(self, name: str, force: bool = False) -> None:
        self._t.call(authops.remove_role(name, force))

    def permissions(self, entity: str | object = "", principal: str = "") -> list[Permission]:
        return self._t.call(authops.list_permissions(entity_id(entity) if entity else "", principal))

    def set_permission(
        self, entity: str | object, principal: str, role: str, propagate: bool = True
    ) -> Permission:
        return self._t.call(authops.set_permission(entity_id(entity), principal, role, propagate))

    def remove_permission(self, entity: str | object, principal: str) -> None:
        self._t.call(authops.remove_permission(entity_id(entity), principal))

    def lockdown(self) -> Lockdown:
        return self._t.call(authops.get_lockdown())

    def set_lockdown(self, mode: str | None = None, exception_users: Iterable[str] | None = None) -> Lockdown:
        return self._t.call(authops.set_lockdown(mode, exception_users))


class AsyncSecurity:
    """The security calls over a ``grpc.aio`` transport."""

    def __init__(self, transport: AsyncTransport) -> None:
        self._t = transport

    async def accounts(self) -> list[HostAccount]:
        return await self._t.call(authops.list_accounts())

    async def create_account(self, user: str, password: str, description: str = "") -> HostAccount:
        return await self._t.call(authops.create_account(user, password, description))

    async def update_account(
        self, user: str, password: str | None = None, description: str | None = None
    ) -> HostAccount:
        return await self._t.call(authops.update_account(user, password, description))

    async def remove_account(self, user: str) -> None:
        await self._t.call(authops.remove_account(user))

    async def sessions(self) -> list[UserSession]:
        return await self._t.call(authops.list_sessions())

    async def current_session(self) -> UserSession:
        return await self._t.call(authops.current_session())

    async def terminate_sessions(self, ids: Iterable[str]) -> None:
        await self._t.call(authops.terminate_sessions(ids))

    async def privileges(self) -> list[Privilege]:
        return await self._t.call(authops.list_privileges())

    async def roles(self) -> list[Role]:
        return await self._t.call(authops.list_roles())

    async def create_role(self, name: str, privileges: Iterable[str] = ()) -> Role:
        return await self._t.call(authops.create_role(name, privileges))

    async def update_role(
        self, name: str, new_name: str | None = None, add: Iterable[str] = (), remove: Iterable[str] = ()
    ) -> Role:
        return await self._t.call(authops.update_role(name, new_name, add, remove))

    async def remove_role(self, name: str, force: bool = False) -> None:
        await self._t.call(authops.remove_role(name, force))

    async def permissions(self, entity: str | object = "", principal: str = "") -> list[Permission]:
        return await self._t.call(authops.list_permissions(entity_id(entity) if entity else "", principal))

    async def set_permission(
        self, entity: str | object, principal: str, role: str, propagate: bool = True
    ) -> Permission:
        return await self._t.call(authops.set_permission(entity_id(entity), principal, role, propagate))

    async def remove_permission(self, entity: str | object, principal: str) -> None:
        await self._t.call(authops.remove_permission(entity_id(entity), principal))

    async def lockdown(self) -> Lockdown:
        return await self._t.call(authops.get_lockdown())

    async def set_lockdown(
        self, mode: str | None = None, exception_users: Iterable[str] | None = None
    ) -> Lockdown:
        return await self._t.call(authops.set_lockdown(mode, exception_users))

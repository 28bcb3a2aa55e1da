"""Roles and permissions (``etc/authorization.json``, written atomically) and the check itself.

A permission gives a principal a role on an entity; with ``propagate`` it also holds below it.
For a user and an entity the permission nearest the entity wins (on the entity itself, else
the nearest propagating one above it); no permission means no privilege. root is
Administrator on the host and cannot lose it. Anyone with System.View somewhere sees the
host (vSphere shows a user the path to what they may see).
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from hostd.accounts import ROOT, Accounts
from hostd.entities import HOST, EntityTree
from hostd.privileges import ADMINISTRATOR, BUILT_IN, PRIVILEGES, Role
from pyesx import faults
from pyesx.atomic import atomic_write
from pyesx.logs import get_logger

_log = get_logger("authz")
ROLE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}")
FIRST_CUSTOM_ROLE_ID = 10
MAX_ROLES = 1000
MAX_PERMISSIONS = 10_000
MAX_PATTERNS = 500


@dataclass(frozen=True)
class Permission:
    entity: str
    principal: str
    role: str
    propagate: bool = True


class Authorization:
    def __init__(self, path: Path, accounts: Accounts, tree: EntityTree) -> None:
        self.path, self.accounts, self.tree = path, accounts, tree
        self.roles: dict[str, Role] = dict(BUILT_IN)
        self.permissions: dict[tuple[str, str], Permission] = {}
        if path.exists():
            raw = json.loads(path.read_text())
            for name, r in raw.get("roles", {}).items():
                self.roles[name] = Role(
                    r["id"], name, frozenset(p for p in r["privileges"] if p in PRIVILEGES)
                )
            for p in raw.get("permissions", []):
                perm = Permission(p["entity"], p["principal"], p["role"], p.get("propagate", True))
                self.permissions[perm.entity, perm.principal] = perm
        else:  # first start: the install's roles (shadow.json's "role") become host permissions
            for account in accounts.all():
                if account.user != ROOT and account.role in self.roles:
                    self.permissions[HOST, account.user] = Permission(HOST, account.user, account.role)
        self._viewers: set[str] = set()
        self._by_user: dict[str, dict[str, Permission]] = {}  # principal → entity → permission
        self._index()

    # -- the check ------------------------------------------------------------------------------

    def privileges_on(self, user: str, entity: str) -> frozenset[str]:
        """What the user holds on the entity."""
        if user == ROOT:
            return ADMINISTRATOR.privileges
        mine = self._by_user.get(user)
        if not mine:
            return frozenset()
        # most users hold one permission, on the host: no need to walk up from the entity to find it
        chain = (entity, HOST) if len(mine) == 1 and HOST in mine else self.tree.chain(entity)
        for depth, node in enumerate(chain):
            perm = mine.get(node)
            if perm is not None and (depth == 0 or perm.propagate):
                role = self.roles.get(perm.role)
                return role.privileges if role else frozenset()
        return frozenset()

    def has(self, user: str, privilege: str, entity: str) -> bool:
        if privilege in self.privileges_on(user, entity):
            return True
        return entity == HOST and privilege in ("System.Anonymous", "System.View") and user in self._viewers

    def check(self, user: str, privilege: str, entity: str) -> None:
        """NoPermission naming the privilege and the entity unless the user holds it there."""
        if not self.has(user, privilege, entity):
            raise faults.NoPermission(
                privilege,
                entity,
                f"Permission to perform this operation was denied: {user} does not hold "
                f"{privilege} on {self.tree.describe(entity)}.",
            )

    # -- roles ----------------------------------------------------------------------------------

    def expand(self, patterns: Iterable[str]) -> set[str]:
        """Privilege ids from ids or wildcards ("VirtualMachine.Config.*"); InvalidArgument for none."""
        found: set[str] = set()
        patterns = list(patterns)
        if len(patterns) > MAX_PATTERNS:
            raise faults.InvalidArgument("privileges", f"at most {MAX_PATTERNS} privileges or patterns")
        for pattern in patterns:
            matched = {p for p in PRIVILEGES if fnmatch.fnmatchcase(p, pattern)}
            if not matched:
                raise faults.InvalidArgument("privileges", f"there is no privilege '{pattern[:80]}'")
            found |= matched
        return found

    def create_role(self, name: str, privileges: list[str]) -> Role:
        _check_role_name(name)
        if name.lower() in (n.lower() for n in self.roles):
            raise faults.DuplicateName(name, f"The role '{name}' already exists.")
        if len(self.roles) >= MAX_ROLES:
            raise faults.InvalidArgument("name", f"at most {MAX_ROLES} roles")
        # every role can log in and see (vSphere adds these to every role)
        granted = self.expand(privileges) | {"System.Anonymous", "System.View"}
        next_id = max([FIRST_CUSTOM_ROLE_ID - 1, *(r.id for r in self.roles.values())]) + 1
        role = Role(next_id, name, frozenset(granted))
        self._save({**self.roles, name: role}, self.permissions)
        _log.info("role.created", role=name, privileges=len(granted))
        return role

    def update_role(self, name: str, new_name: str | None, add: list[str], remove: list[str]) -> Role:
        role = self._custom(name)
        granted = (role.privileges | self.expand(add)) - self.expand(remove)
        roles = dict(self.roles)
        permissions = self.permissions
        if new_name is not None and new_name != name:
            _check_role_name(new_name)
            if new_name.lower() in (n.lower() for n in self.roles if n != name):
                raise faults.DuplicateName(new_name, f"The role '{new_name}' already exists.")
            del roles[name]
            permissions = {
                k: Permission(p.entity, p.principal, new_name if p.role == name else p.role, p.propagate)
                for k, p in permissions.items()
            }
        changed = Role(role.id, new_name or name, frozenset(granted))
        roles[changed.name] = changed
        self._save(roles, permissions)
        _log.info("role.updated", role=changed.name, privileges=len(granted))
        return changed

    def remove_role(self, name: str, force: bool) -> None:
        self._custom(name)
        used = [p for p in self.permissions.values() if p.role == name]
        if used and not force:
            raise faults.InvalidState(
                f"The role '{name}' is used by {len(used)} permission(s); remove them first or use force."
            )
        roles = {n: r for n, r in self.roles.items() if n != name}
        self._save(roles, {k: p for k, p in self.permissions.items() if p.role != name})
        _log.info("role.removed", role=name, permissions=len(used))

    def _custom(self, name: str) -> Role:
        role = self.roles.get(name)
        if role is None:
            raise faults.NotFound("Role", name[:64])
        if role.system:
            raise faults.InvalidArgument("name", f"the built-in role '{name}' cannot be changed")
        return role

    # -- permissions ----------------------------------------------------------------------------

    def list_permissions(self, entity: str = "", principal: str = "") -> list[Permission]:
        found = [
            p
            for p in self.permissions.values()
            if (not entity or p.entity == entity) and (not principal or p.principal == principal)
        ]
        if (not entity or entity == HOST) and (not principal or principal == ROOT):
            found.append(Permission(HOST, ROOT, ADMINISTRATOR.name, True))
        return sorted(found, key=lambda p: (p.entity != HOST, p.entity, p.principal))

    def set_permission(self, entity: str, principal: str, role: str, propagate: bool) -> Permission:
        if not self.tree.exists(entity):
            raise faults.NotFound("ManagedEntity", entity[:64])
        if principal == ROOT:
            raise faults.InvalidArgument("principal", "root is Administrator on the host and cannot lose it")
        if self.accounts.get(principal) is None:
            raise faults.NotFound("HostAccount", principal[:64])
        if role not in self.roles:
            raise faults.NotFound("Role", role[:64])
        if (entity, principal) not in self.permissions and len(self.permissions) >= MAX_PERMISSIONS:
            raise faults.InvalidArgument("entity", f"at most {MAX_PERMISSIONS} permissions")
        perm = Permission(entity, principal, role, propagate)
        self._save(self.roles, {**self.permissions, (entity, principal): perm})
        _log.info("permission.set", entity=entity, principal=principal, role=role, propagate=propagate)
        return perm

    def remove_permission(self, entity: str, principal: str) -> None:
        if principal == ROOT:
            raise faults.InvalidArgument("principal", "root is Administrator on the host and cannot lose it")
        if (entity, principal) not in self.permissions:
            raise faults.NotFound("Permission", f"{principal[:64]} on {entity[:64]}")
        self._save(self.roles, {k: p for k, p in self.permissions.items() if k != (entity, principal)})
        _log.info("permission.removed", entity=entity, principal=principal)

    def forget_entity(self, entity: str) -> None:
        """Remove the permissions on a removed VM or pool (its id may be given to a new one)."""
        kept = {k: p for k, p in self.permissions.items() if p.entity != entity}
        if len(kept) != len(self.permissions):
            self._save(self.roles, kept)
            _log.info("permission.entity_gone", entity=entity)

    def prune(self) -> None:
        """Remove the permissions on entities that no longer exist (removed while hostd was down)."""
        for entity in {p.entity for p in self.permissions.values() if not self.tree.exists(p.entity)}:
            self.forget_entity(entity)

    def forget_principal(self, principal: str) -> None:
        """Remove a removed account's permissions."""
        kept = {k: p for k, p in self.permissions.items() if p.principal != principal}
        if len(kept) != len(self.permissions):
            self._save(self.roles, kept)

    # -- storage --------------------------------------------------------------------------------

    def _save(self, roles: dict[str, Role], permissions: dict[tuple[str, str], Permission]) -> None:
        raw = {
            "roles": {
                n: {"id": r.id, "privileges": sorted(r.privileges)} for n, r in roles.items() if not r.system
            },
            "permissions": [
                {"entity": p.entity, "principal": p.principal, "role": p.role, "propagate": p.propagate}
                for p in permissions.values()
            ],
        }
        atomic_write(self.path, json.dumps(raw, indent=2) + "\n", mode=0o600)
        self.roles, self.permissions = roles, permissions
        self._index()

    def _index(self) -> None:
        self._by_user = {}
        for perm in self.permissions.values():
            self._by_user.setdefault(perm.principal, {})[perm.entity] = perm
        self._viewers = {
            p.principal
            for p in self.permissions.values()
            if "System.View" in self.roles.get(p.role, BUILT_IN["NoAccess"]).privileges
        }


def _check_role_name(name: str) -> None:
    if not ROLE_NAME.fullmatch(name):
        raise faults.InvalidArgument(
            "name", f"'{name[:40]}' is not a role name (up to 64 of A-Z a-z 0-9 space _ . -)"
        )

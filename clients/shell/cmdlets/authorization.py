"""Roles, privileges and permissions, as PowerCLI names them: Get-VIPrivilege, Get-VIRole,
New-VIRole, Set-VIRole, Remove-VIRole, Get-VIPermission, New-VIPermission, Set-VIPermission,
Remove-VIPermission. An -Entity is the host (Get-VMHost, its name or "ha-host"), a resource pool
or a VM (objects or names)."""

from __future__ import annotations

from collections.abc import Iterator

from clients.auth import Permission, Privilege, Role
from clients.model import VM, Host, ResourcePool
from clients.shell.binding import BoundArguments, Parameter
from clients.shell.cmdlets.accounts import auth_client
from clients.shell.cmdlets.base import Cmdlet
from clients.shell.conversions import BOOLEAN, STRING, STRINGS, SWITCH, ArrayType, ParamType, shown
from clients.shell.errors import ConversionError, ShellError
from clients.shell.psobject import PSObject
from clients.shell.session import Client
from clients.shell.views import TABLE_VIEWS, Column
from clients.shell.wildcard import is_wildcard, like, unescape
from pyesx.faults import NotFound

HOST_ENTITY = "ha-host"
ROLE_TYPE, PRIVILEGE_TYPE, PERMISSION_TYPE = "Role", "Privilege", "Permission"
# PowerCLI's default tables (Format-List or Select-Object show every property)
TABLE_VIEWS[ROLE_TYPE] = (Column("Name", "Name"), Column("IsSystem", "IsSystem"))
TABLE_VIEWS[PERMISSION_TYPE] = (
    Column("Entity", "Entity"),
    Column("Principal", "Principal"),
    Column("Role", "Role"),
    Column("Propagate", "Propagate"),
)


def privilege_object(p: Privilege) -> PSObject:
    return PSObject(
        PRIVILEGE_TYPE,
        [
            ("Name", p.id.rsplit(".", 1)[-1]),
            ("Id", p.id),
            ("ParentGroupId", p.group),
            ("Description", p.description),
        ],
        base=p,
        label=p.id,
    )


def role_object(r: Role) -> PSObject:
    return PSObject(
        ROLE_TYPE,
        [("Name", r.name), ("IsSystem", r.system), ("Id", r.id), ("PrivilegeList", list(r.privileges))],
        base=r,
        label=r.name,
    )


def permission_object(p: Permission) -> PSObject:
    return PSObject(
        PERMISSION_TYPE,
        [
            ("Entity", p.entity_name or p.entity),
            ("EntityId", p.entity),
            ("Principal", p.principal),
            ("Role", p.role),
            ("Propagate", p.propagate),
            ("IsGroup", False),
        ],
        base=p,
        label=f"{p.principal} on {p.entity_name or p.entity}",
    )


def _reference(type_name: str, kind: type) -> ParamType:
    def convert(value: object) -> object:
        if isinstance(value, PSObject) and isinstance(value.base, kind):
            return value.base
        if isinstance(value, str):
            return value
        raise ConversionError(shown(value), type_name)

    return ParamType(type_name, convert)


ROLE = _reference(ROLE_TYPE, Role)
ROLES = ArrayType(ROLE)
PRIVILEGES = ArrayType(_reference(PRIVILEGE_TYPE, Privilege))
PERMISSIONS = ArrayType(_reference(PERMISSION_TYPE, Permission))


def _entity_reference(value: object) -> object:
    if isinstance(value, PSObject) and isinstance(value.base, VM | ResourcePool | Host):
        return value.base
    if isinstance(value, str):
        return value
    raise ConversionError(shown(value), "InventoryItem")


ENTITIES = ArrayType(ParamType("InventoryItem", _entity_reference))


def resolve_entity(client: Client, ref: object) -> str:
    """The entity id an -Entity argument names: "ha-host", a pool id or a VM id."""
    if isinstance(ref, VM | ResourcePool):
        return ref.id
    if isinstance(ref, Host):
        return HOST_ENTITY
    text = unescape(str(ref))
    if text.lower() in (HOST_ENTITY, "localhost", client.host().name.lower()):
        return HOST_ENTITY
    ident = text.removeprefix("VirtualMachine-").removeprefix("ResourcePool-")
    vms = [vm.id for vm in client.list_vms() if vm.id == ident or vm.name == text]
    pools = [p.id for p in client.list_resource_pools() if p.id == ident or p.name == text]
    found = list(dict.fromkeys(vms + pools))
    if len(found) != 1:
        raise ShellError(
            f"'{text}' names {len(found)} inventory items; pass one object (Get-VM, Get-ResourcePool)."
        )
    return found[0]


def _privilege_ids(items: list[object]) -> list[str]:
    return [i.id if isinstance(i, Privilege) else str(i) for i in items]


def _role_names(items: list[object]) -> list[str]:
    return [i.name if isinstance(i, Role) else str(i) for i in items]


class GetVIPrivilege(Cmdlet):
    """Get-VIPrivilege [[-Name] <String[]>] [-Id <String[]>] [-Role <Role[]>]"""

    name = "Get-VIPrivilege"
    synopsis = "Gets privileges: all, by name or id (wildcards), or those of roles."
    examples = (
        ("Get-VIPrivilege -Id 'VirtualMachine.Interact.*'", "The VM interaction privileges."),
        ("Get-VIPrivilege -Role ReadOnly", "What ReadOnly holds."),
    )
    parameters = (
        Parameter("Name", STRINGS, position=0),
        Parameter("Id", STRINGS),
        Parameter("Role", ROLES),
    )

    def process(self, args: BoundArguments) -> Iterator[object]:
        client = auth_client(self.ctx)
        names, ids = args.strings("Name"), args.strings("Id")
        held: set[str] | None = None
        if "Role" in args:
            wanted = set(_role_names(args.items("Role")))
            held = {p for r in client.list_roles() if r.name in wanted for p in r.privileges}
        for p in client.list_privileges():
            if names and not any(like(p.id.rsplit(".", 1)[-1], n) for n in names):
                continue
            if ids and not any(like(p.id, i) for i in ids):
                continue
            if held is None or p.id in held:
                yield privilege_object(p)


class GetVIRole(Cmdlet):
    """Get-VIRole [[-Name] <String[]>]"""

    name = "Get-VIRole"
    synopsis = "Gets roles: the built-in Administrator, ReadOnly, NoAccess and custom ones."
    examples = (("Get-VIRole", "Every role."), ("Get-VIRole -Name Operator", "One role."))
    parameters = (Parameter("Name", STRINGS, position=0),)

    def process(self, args: BoundArguments) -> Iterator[object]:
        roles = auth_client(self.ctx).list_roles()
        patterns = args.strings("Name")
        for pattern in patterns:
            if not is_wildcard(pattern) and not any(r.name == unescape(pattern) for r in roles):
                raise NotFound("Role", pattern, f"Role with name '{pattern}' was not found.")
        for role in roles:
            if not patterns or any(like(role.name, p) for p in patterns):
                yield role_object(role)


class NewVIRole(Cmdlet):
    """New-VIRole [-Name] <String> [-Privilege <Privilege[]>]"""

    name = "New-VIRole"
    synopsis = (
        "Creates a role from privileges (ids, wildcards such as 'VirtualMachine.Config.*', or objects)."
    )
    examples = (
        (
            "New-VIRole -Name Operator -Privilege "
            "'VirtualMachine.Interact.PowerOn','VirtualMachine.Interact.PowerOff'",
            "A role that powers VMs on and off.",
        ),
        (
            "New-VIRole -Name Vmcfg -Privilege (Get-VIPrivilege -Id 'VirtualMachine.Config.*')",
            "From objects.",
        ),
    )
    parameters = (
        Parameter("Name", STRING, position=0, mandatory=True),
        Parameter("Privilege", PRIVILEGES),
    )
    target_parameter = "Name"

    def process(self, args: BoundArguments) -> Iterator[object]:
        role = auth_client(self.ctx).create_role(args.string("Name"), _privilege_ids(args.items("Privilege")))
        yield role_object(role)


class SetVIRole(Cmdlet):
    """Set-VIRole [-Role] <Role[]> [-AddPrivilege <Privilege[]>] [-RemovePrivilege <Privilege[]>]
    [-Name <String>]"""

    name = "Set-VIRole"
    confirm_impact = "Medium"
    synopsis = "Adds privileges to, removes privileges from or renames custom roles."
    examples = (
        (
            "Set-VIRole -Role Operator -AddPrivilege 'VirtualMachine.Interact.Reset'",
            "Operator may reset VMs too.",
        ),
        ("Get-VIRole Operator | Set-VIRole -RemovePrivilege 'VirtualMachine.Interact.PowerOff'", "No more."),
    )
    parameters = (
        Parameter("Role", ROLES, position=0, mandatory=True, pipeline=True),
        Parameter("AddPrivilege", PRIVILEGES),
        Parameter("RemovePrivilege", PRIVILEGES),
        Parameter("Name", STRING),
    )

    def process(self, args: BoundArguments) -> Iterator[object]:
        client = auth_client(self.ctx)
        add, remove = (
            _privilege_ids(args.items("AddPrivilege")),
            _privilege_ids(args.items("RemovePrivilege")),
        )
        new_name = args.string("Name") if "Name" in args else None
        for name in _role_names(args.items("Role")):
            yield role_object(client.update_role(name, new_name, add, remove))


class RemoveVIRole(Cmdlet):
    """Remove-VIRole [-Role] <Role[]> [-Force]"""

    name = "Remove-VIRole"
    synopsis = "Removes custom roles (-Force: also when permissions use them, which go too)."
    examples = (
        ("Remove-VIRole -Role Operator -Force -Confirm:$false", "Removes Operator and its permissions."),
    )
    parameters = (
        Parameter("Role", ROLES, position=0, mandatory=True, pipeline=True),
        Parameter("Force", SWITCH),
    )

    def process(self, args: BoundArguments) -> Iterator[object]:
        client = auth_client(self.ctx)
        for name in _role_names(args.items("Role")):
            client.remove_role(name, args.flag("Force"))
        return iter(())


class GetVIPermission(Cmdlet):
    """Get-VIPermission [[-Entity] <InventoryItem[]>] [-Principal <String[]>]"""

    name = "Get-VIPermission"
    synopsis = "Gets permissions: who holds which role on which entity."
    examples = (
        ("Get-VIPermission", "Every permission."),
        ("Get-VIPermission -Entity (Get-VM web01) -Principal ops1", "ops1's permission on web01."),
    )
    parameters = (
        Parameter("Entity", ENTITIES, position=0, pipeline=True),
        Parameter("Principal", STRINGS),
    )

    def process(self, args: BoundArguments) -> Iterator[object]:
        client = auth_client(self.ctx)
        entities = [resolve_entity(self.ctx.client(), e) for e in args.items("Entity")] or [""]
        principals = args.strings("Principal")
        for entity in entities:
            for p in client.list_permissions(entity):
                if not principals or any(like(p.principal, x) for x in principals):
                    yield permission_object(p)


class NewVIPermission(Cmdlet):
    """New-VIPermission [-Entity] <InventoryItem[]> [-Principal] <String> [-Role] <Role>
    [-Propagate <Boolean>]"""

    name = "New-VIPermission"
    synopsis = "Gives a principal a role on entities (and, with -Propagate, on what is below them)."
    examples = (
        (
            "New-VIPermission -Entity (Get-VMHost) -Principal audit -Role ReadOnly",
            "audit may read everything.",
        ),
        (
            "New-VIPermission -Entity web01 -Principal ops1 -Role Operator -Propagate:$false",
            "ops1 may operate web01.",
        ),
    )
    parameters = (
        Parameter("Entity", ENTITIES, position=0, mandatory=True, pipeline=True),
        Parameter("Principal", STRING, position=1, mandatory=True),
        Parameter("Role", ROLE, position=2, mandatory=True),
        Parameter("Propagate", BOOLEAN),
    )

    def process(self, args: BoundArguments) -> Iterator[object]:
        client = auth_client(self.ctx)
        role = _role_names([args.get("Role")])[0]
        propagate = args.get("Propagate", True) is True
        for ref in args.items("Entity"):
            entity = resolve_entity(self.ctx.client(), ref)
            yield permission_object(client.set_permission(entity, args.string("Principal"), role, propagate))


class SetVIPermission(Cmdlet):
    """Set-VIPermission [-Permission] <Permission[]> [-Role <Role>] [-Propagate <Boolean>]"""

    name = "Set-VIPermission"
    confirm_impact = "Medium"
    synopsis = "Changes the role or propagation of permissions."
    examples = (
        ("Get-VIPermission -Principal ops1 | Set-VIPermission -Role ReadOnly", "ops1 may only read now."),
    )
    parameters = (
        Parameter("Permission", PERMISSIONS, position=0, mandatory=True, pipeline=True),
        Parameter("Role", ROLE),
        Parameter("Propagate", BOOLEAN),
    )

    def process(self, args: BoundArguments) -> Iterator[object]:
        client = auth_client(self.ctx)
        for p in _permissions(client, args.items("Permission")):
            role = _role_names([args.get("Role")])[0] if "Role" in args else p.role
            propagate = args.get("Propagate") is True if "Propagate" in args else p.propagate
            yield permission_object(client.set_permission(p.entity, p.principal, role, propagate))


class RemoveVIPermission(Cmdlet):
    """Remove-VIPermission [-Permission] <Permission[]>"""

    name = "Remove-VIPermission"
    synopsis = "Removes permissions (root's on the host cannot be removed)."
    examples = (
        ("Get-VIPermission -Principal ops1 | Remove-VIPermission -Confirm:$false", "ops1 loses them all."),
    )
    parameters = (Parameter("Permission", PERMISSIONS, position=0, mandatory=True, pipeline=True),)

    def process(self, args: BoundArguments) -> Iterator[object]:
        client = auth_client(self.ctx)
        for p in _permissions(client, args.items("Permission")):
            client.remove_permission(p.entity, p.principal)
        return iter(())


def _permissions(client: object, items: list[object]) -> list[Permission]:
    found = [i for i in items if isinstance(i, Permission)]
    if len(found) != len(items):
        raise ShellError("-Permission takes permission objects: pipe Get-VIPermission into the cmdlet.")
    return found


CMDLETS: tuple[type[Cmdlet], ...] = (
    GetVIPrivilege,
    GetVIRole,
    NewVIRole,
    SetVIRole,
    RemoveVIRole,
    GetVIPermission,
    NewVIPermission,
    SetVIPermission,
    RemoveVIPermission,
)

"""Roles and permissions: propagation, the nearest permission winning, root, persistence."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from hostd.accounts import Accounts
from hostd.authz import Authorization
from hostd.entities import HOST
from hostd.inventory import ROOT_POOL_ID
from pyesx import faults
from tests.unit.auth_fakes import FakeInventory, make_root

pytestmark = pytest.mark.timeout(60)
POWER_ON = "VirtualMachine.Interact.PowerOn"


@pytest.fixture
def inventory() -> FakeInventory:
    inv = FakeInventory()
    inv.add_pool("pool1", "prod")
    inv.add_pool("pool2", "prod-web", parent="pool1")
    inv.add_vm("vm-1", "web01", "pool2")
    inv.add_vm("vm-2", "db01")
    return inv


@pytest.fixture
def authz(tmp_path: Path, inventory: FakeInventory) -> Authorization:
    layout = make_root(tmp_path, {"ops1": ("Ops#pass1", ""), "audit": ("Aud#pass1", "ReadOnly")})
    return Authorization(layout.etc / "authorization.json", Accounts(layout), inventory.tree())


def test_install_roles_become_host_permissions_and_root_is_administrator(authz: Authorization) -> None:
    assert authz.has("audit", "System.Read", "vm-1") and not authz.has("audit", POWER_ON, "vm-1")
    assert authz.has("root", POWER_ON, "vm-1") and authz.has("root", "Authorization.ModifyRoles", HOST)
    assert not authz.has("ops1", "System.View", HOST)
    perms = {(p.entity, p.principal, p.role) for p in authz.list_permissions()}
    assert perms == {(HOST, "root", "Administrator"), (HOST, "audit", "ReadOnly")}


def test_a_permission_propagates_down_and_the_nearest_one_wins(authz: Authorization) -> None:
    authz.create_role("Operator", ["VirtualMachine.Interact.*"])
    authz.set_permission("pool1", "ops1", "Operator", propagate=True)
    assert authz.has("ops1", POWER_ON, "vm-1")  # vm-1 is in pool2, below pool1
    assert not authz.has("ops1", POWER_ON, "vm-2")  # db01 is not below pool1
    authz.set_permission("vm-1", "ops1", "NoAccess", propagate=False)
    assert not authz.has("ops1", POWER_ON, "vm-1")  # the nearest wins
    authz.set_permission("pool2", "ops1", "Operator", propagate=False)
    authz.remove_permission("vm-1", "ops1")
    assert authz.has("ops1", POWER_ON, "vm-1")  # pool1 still propagates; pool2's does not reach vm-1
    authz.remove_permission("pool1", "ops1")
    assert not authz.has("ops1", POWER_ON, "vm-1") and authz.has("ops1", POWER_ON, "pool2")
    assert authz.has("ops1", "System.View", HOST)  # the path to what they may see


def test_a_host_permission_alone_reaches_every_entity_only_when_it_propagates(authz: Authorization) -> None:
    authz.create_role("Operator", ["VirtualMachine.Interact.*"])
    authz.set_permission(HOST, "ops1", "Operator", propagate=False)
    assert authz.has("ops1", POWER_ON, HOST) and not authz.has("ops1", POWER_ON, "vm-1")
    authz.set_permission(HOST, "ops1", "Operator", propagate=True)
    assert authz.has("ops1", POWER_ON, "vm-1") and authz.has("ops1", POWER_ON, "pool2")
    authz.set_permission("pool2", "ops1", "NoAccess", propagate=True)  # a second one: the tree is walked
    assert not authz.has("ops1", POWER_ON, "vm-1") and authz.has("ops1", POWER_ON, "vm-2")


def test_no_permission_names_the_privilege_and_the_entity(authz: Authorization) -> None:
    with pytest.raises(faults.NoPermission) as info:
        authz.check("audit", POWER_ON, "vm-1")
    assert (info.value.privilege, info.value.entity) == (POWER_ON, "vm-1")
    assert "VirtualMachine 'web01' (vm-1)" in info.value.message


def test_roles_are_made_changed_and_removed(authz: Authorization, tmp_path: Path) -> None:
    role = authz.create_role("Vmcfg", ["VirtualMachine.Config.*"])
    assert "VirtualMachine.Config.Memory" in role.privileges and "System.View" in role.privileges
    assert role.id >= 10
    changed = authz.update_role("Vmcfg", "Vmconf", ["Datastore.Browse"], ["VirtualMachine.Config.Memory"])
    assert "Datastore.Browse" in changed.privileges
    assert "VirtualMachine.Config.Memory" not in changed.privileges
    authz.set_permission(HOST, "ops1", "Vmconf", True)
    with pytest.raises(faults.InvalidState):
        authz.remove_role("Vmconf", force=False)
    reloaded = Authorization(authz.path, authz.accounts, authz.tree)
    assert reloaded.roles["Vmconf"].privileges == changed.privileges
    assert reloaded.permissions[HOST, "ops1"].role == "Vmconf"
    assert stat.S_IMODE(authz.path.stat().st_mode) == 0o600
    authz.remove_role("Vmconf", force=True)
    assert (HOST, "ops1") not in authz.permissions


def test_bad_role_and_permission_changes_change_nothing(authz: Authorization) -> None:
    authz.create_role("Operator", [POWER_ON])
    before = authz.path.read_bytes()
    for call in (
        lambda: authz.create_role("Operator", []),
        lambda: authz.create_role("../x", []),
        lambda: authz.create_role("Big", ["No.Such.Privilege"]),
        lambda: authz.create_role("R" * 200, []),
        lambda: authz.create_role("Many", ["System.*"] * 10_000),
        lambda: authz.update_role("Administrator", None, [POWER_ON], []),
        lambda: authz.remove_role("ReadOnly", force=True),
        lambda: authz.update_role("Ghost", None, [], []),
        lambda: authz.set_permission(HOST, "root", "NoAccess", True),
        lambda: authz.remove_permission(HOST, "root"),
        lambda: authz.set_permission("vm-99", "ops1", "Operator", True),
        lambda: authz.set_permission(HOST, "ghost", "Operator", True),
        lambda: authz.set_permission(HOST, "ops1", "Ghost", True),
        lambda: authz.remove_permission(HOST, "ops1"),
    ):
        with pytest.raises((faults.InvalidArgument, faults.NotFound, faults.DuplicateName)):
            call()
    assert authz.path.read_bytes() == before
    assert authz.has("root", POWER_ON, ROOT_POOL_ID)


def test_a_removed_account_loses_its_permissions(authz: Authorization) -> None:
    authz.set_permission("vm-2", "ops1", "ReadOnly", True)
    authz.forget_principal("ops1")
    assert authz.list_permissions(principal="ops1") == []


def test_a_removed_entity_loses_its_permissions(authz: Authorization, inventory: FakeInventory) -> None:
    authz.set_permission("vm-1", "ops1", "ReadOnly", True)
    authz.set_permission("pool1", "ops1", "ReadOnly", True)
    authz.forget_entity("vm-1")
    assert [p.entity for p in authz.list_permissions(principal="ops1")] == ["pool1"]
    del inventory.pool_names["pool1"]  # removed while hostd was down
    authz.prune()
    assert authz.list_permissions(principal="ops1") == []

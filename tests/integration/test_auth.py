"""Accounts, sessions, lockout, roles and permissions, lockdown against a real host.

One host per test; the root client sets the stage, other users log in with ``connect``.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import grpc
import pytest

from clients import Client, aio, connect, open_session
from clients.tls import Trust, secure_channel
from pyesx import faults
from pyesx.api.v1 import vm_pb2, vm_pb2_grpc
from pyesx.rpc.faultwire import fault_from_rpc_error
from pyesx.rpc.metadata import SESSION_KEY
from tests.harness import BootedHost, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]
PYESX = str(Path(sys.executable).with_name("pyesx"))
PASSWORD = "Insp#2024x"


def state(client: Client) -> dict[str, Any]:
    """Everything a change could touch, as root sees it."""
    return {
        "vms": sorted((vm.id, vm.name, vm.power_state, vm.num_cpu, vm.notes) for vm in client.list_vms()),
        "pools": sorted((p.id, p.name, p.parent_id) for p in client.list_resource_pools()),
        "switches": sorted(s.name for s in client.virtual_switches()),
        "datastores": sorted(d.name for d in client.datastores()),
        "files": sorted(f.path for f in client.browse("[datastore1]", recursive=True)),
        "accounts": sorted(a.id for a in client.list_accounts()),
        "roles": sorted((r.name, r.privileges) for r in client.list_roles()),
        "permissions": sorted((p.entity, p.principal, p.role) for p in client.list_permissions()),
        "lockdown": client.lockdown(),
        "settings": sorted((s.key, s.value) for s in client.host_settings()),
        "snapshots": [s.name for vm in client.list_vms() for s in client.snapshots(vm.id)],
    }


def test_a_readonly_user_reads_everything_and_can_change_nothing(host: BootedHost, client: Client) -> None:
    web = client.wait_for_task(client.create_vm("web01", no_network=True).id).result_vm
    assert web is not None
    pool = client.create_resource_pool("prod")
    client.create_account("audit", PASSWORD, "Auditor")
    client.set_permission("ha-host", "audit", "ReadOnly", propagate=True)
    client.create_role("Operator", ["VirtualMachine.Interact.*"])
    before = state(client)

    with connect(host.address, "audit", PASSWORD) as audit:
        assert [vm.name for vm in audit.list_vms()] == ["web01"]
        assert audit.get_vm(web.id).name == "web01" and audit.host().name
        assert audit.list_permissions() and audit.list_roles() and audit.lockdown().mode == "disabled"
        changes: list[tuple[Callable[[], object], str, str]] = [
            (lambda: audit.create_vm("x"), "VirtualMachine.Inventory.Create", "ha-root-pool"),
            (
                lambda: audit.create_vm("x", resource_pool_id=pool.id),
                "VirtualMachine.Inventory.Create",
                pool.id,
            ),
            (lambda: audit.power_on(web.id), "VirtualMachine.Interact.PowerOn", web.id),
            (lambda: audit.reset(web.id), "VirtualMachine.Interact.Reset", web.id),
            (lambda: audit.destroy_vm(web.id), "VirtualMachine.Inventory.Delete", web.id),
            (lambda: audit.unregister_vm(web.id), "VirtualMachine.Inventory.Unregister", web.id),
            (lambda: audit.reconfigure_vm(web.id, num_cpu=2), "VirtualMachine.Config.CPUCount", web.id),
            (lambda: audit.reconfigure_vm(web.id, notes="x"), "VirtualMachine.Config.Annotation", web.id),
            (lambda: audit.create_snapshot(web.id, "s1"), "VirtualMachine.State.CreateSnapshot", web.id),
            (
                lambda: audit.register_vm("[datastore1] web01/web01.vmx", "copy"),
                "VirtualMachine.Inventory.Register",
                "ha-root-pool",
            ),
            (lambda: audit.create_resource_pool("p2"), "Resource.CreatePool", "ha-root-pool"),
            (lambda: audit.update_resource_pool(pool.id, name="p3"), "Resource.EditPool", pool.id),
            (lambda: audit.delete_resource_pool(pool.id), "Resource.DeletePool", pool.id),
            (lambda: audit.move_into_resource_pool(pool.id, [web.id]), "Resource.AssignVMToPool", pool.id),
            (lambda: audit.create_virtual_switch("vSwitch9"), "Host.Config.Network", "ha-host"),
            (lambda: audit.remove_virtual_switch("vSwitch0"), "Host.Config.Network", "ha-host"),
            (lambda: audit.create_port_group("vSwitch0", "pg9"), "Host.Config.Network", "ha-host"),
            (lambda: audit.create_datastore("ds9", str(host.root)), "Host.Config.Storage", "ha-host"),
            (lambda: audit.remove_datastore("datastore1"), "Host.Config.Storage", "ha-host"),
            (lambda: audit.make_directory("[datastore1] newdir"), "Datastore.FileManagement", "ha-host"),
            (lambda: audit.delete_file("[datastore1] web01"), "Datastore.FileManagement", "ha-host"),
            (lambda: audit.upload(__file__, "[datastore1] up.py"), "Datastore.FileManagement", "ha-host"),
            (
                lambda: audit.run_script(web.id, "root", "x", "true"),
                "VirtualMachine.GuestOperations.Execute",
                web.id,
            ),
            (
                lambda: audit.copy_to_guest(web.id, "root", "x", b"x", "/tmp/x"),
                "VirtualMachine.GuestOperations.Modify",
                web.id,
            ),
            (lambda: audit.acquire_ticket(web.id), "VirtualMachine.Interact.ConsoleInteract", web.id),
            (lambda: audit.create_account("evil", "Evil#2024x"), "Host.Local.ManageUserGroups", "ha-host"),
            (lambda: audit.update_account("root", "Evil#2024x"), "Host.Local.ManageUserGroups", "ha-host"),
            (
                lambda: audit.update_account("audit", description="me"),
                "Host.Local.ManageUserGroups",
                "ha-host",
            ),
            (lambda: audit.remove_account("root"), "Host.Local.ManageUserGroups", "ha-host"),
            (lambda: audit.create_role("Mine", ["System.Read"]), "Authorization.ModifyRoles", "ha-host"),
            (
                lambda: audit.update_role("Operator", add=["Host.Config.Power"]),
                "Authorization.ModifyRoles",
                "ha-host",
            ),
            (lambda: audit.remove_role("Operator"), "Authorization.ModifyRoles", "ha-host"),
            (
                lambda: audit.set_permission("ha-host", "audit", "Administrator"),
                "Authorization.ModifyPermissions",
                "ha-host",
            ),
            (
                lambda: audit.set_permission(web.id, "audit", "Administrator"),
                "Authorization.ModifyPermissions",
                web.id,
            ),
            (
                lambda: audit.remove_permission("ha-host", "audit"),
                "Authorization.ModifyPermissions",
                "ha-host",
            ),
            (lambda: audit.set_lockdown("strict", ["audit"]), "Host.Config.Settings", "ha-host"),
            (
                lambda: audit.update_host_settings({"Security.AccountLockFailures": "0"}),
                "Host.Config.AdvancedConfig",
                "ha-host",
            ),
            (lambda: audit.list_sessions(), "Sessions.TerminateSession", "ha-host"),
            (lambda: audit.terminate_sessions(["x"]), "Sessions.TerminateSession", "ha-host"),
        ]
        for change, privilege, entity in changes:
            with pytest.raises(faults.NoPermission) as info:
                change()
            assert (info.value.privilege, info.value.entity) == (privilege, entity)
        audit.update_account("audit", password="Insp#2025x")  # their own password: allowed
    after = state(client)
    assert after == before


def test_permissions_on_a_pool_propagate_to_its_vms_only(host: BootedHost, client: Client) -> None:
    pool = client.create_resource_pool("team")
    mine = client.wait_for_task(
        client.create_vm("mine", no_network=True, resource_pool_id=pool.id).id
    ).result_vm
    other = client.wait_for_task(client.create_vm("other", no_network=True).id).result_vm
    assert mine is not None and other is not None
    client.create_account("ops1", "Ops#20245")
    client.create_role("Operator", ["VirtualMachine.Interact.PowerOn", "VirtualMachine.Interact.PowerOff"])
    client.set_permission(pool.id, "ops1", "Operator", propagate=True)
    with connect(host.address, "ops1", "Ops#20245") as ops:
        assert [vm.name for vm in ops.list_vms()] == ["mine"]  # sees only what it may
        ops.wait_for_task(ops.power_on(mine.id).id)
        ops.wait_for_task(ops.power_off(mine.id).id)
        with pytest.raises(faults.NoPermission) as info:
            ops.power_on(other.id)
        assert (info.value.privilege, info.value.entity) == ("VirtualMachine.Interact.PowerOn", other.id)
        assert "VirtualMachine 'other'" in str(info.value)
        with pytest.raises(faults.NoPermission):
            ops.reconfigure_vm(mine.id, memory_mb=512)
        # events, tasks and the change feed show only the VMs ops1 may see
        assert {e.vm_id for e in ops.events() if e.vm_id} == {mine.id}
        assert {t.entity_id for t in ops.recent_tasks()} == {mine.id}
        seen = set()
        for change in ops.watch_changes(object_types=["VirtualMachine"]):
            if change.initial_done:
                break
            seen.add(change.object_id)
        assert seen == {mine.id}
    # a removed VM's or pool's permissions go with it (a new VM may get its id)
    client.set_permission(mine.id, "ops1", "ReadOnly")
    client.wait_for_task(client.destroy_vm(mine.id).id)
    client.delete_resource_pool(pool.id)
    assert client.list_permissions(principal="ops1") == []


def test_brute_force_login_is_locked_out_and_recorded(host: BootedHost, client: Client) -> None:
    client.create_account("ops1", "Ops#20245")
    client.update_host_settings({"Security.AccountLockFailures": "3", "Security.AccountUnlockTime": "3600"})
    for guess in ("a", "b", "c"):
        with pytest.raises(faults.NotAuthenticated):
            connect(host.address, "ops1", guess)
    with pytest.raises(faults.NotAuthenticated, match="locked"):
        connect(host.address, "ops1", "Ops#20245")
    account = next(a for a in client.list_accounts() if a.id == "ops1")
    assert account.locked and account.failed_logins == 3 and account.locked_until is not None
    types = [e.type for e in client.events(types=["BadUsernameSessionEvent", "esx.audit.account.locked"])]
    assert types.count("BadUsernameSessionEvent") == 4 and types.count("esx.audit.account.locked") == 1
    client.update_account("ops1", password="Ops#20246")  # a new password lifts the lock
    with connect(host.address, "ops1", "Ops#20246") as ops:
        assert ops.current_session().user == "ops1"
    assert client.events(types=["UserLoginSessionEvent"])[0].user == "ops1"


def test_sessions_are_listed_terminated_and_expire(host: BootedHost, client: Client) -> None:
    client.create_account("ops1", "Ops#20245")
    client.set_permission("ha-host", "ops1", "ReadOnly")
    ops = connect(host.address, "ops1", "Ops#20245")
    sessions = {s.user: s for s in client.list_sessions()}
    assert set(sessions) == {"root", "ops1"} and sessions["ops1"].ip_address == "127.0.0.1"
    assert sessions["root"].idle_timeout_seconds == 900 and sessions["root"].expires_time is not None
    client.terminate_sessions([sessions["ops1"].id])
    with pytest.raises(faults.NotAuthenticated):
        ops.list_vms()
    ops.close()

    client.update_host_settings({"UserVars.HostClientSessionTimeout": "1"})
    idle = connect(host.address, "ops1", "Ops#20245")
    # an idle session ends after a second; poll (with a deadline) until the host says so
    wait_until(lambda: "ops1" not in {s.user for s in client.list_sessions()}, what="the idle session to end")
    with pytest.raises(faults.NotAuthenticated):
        idle.list_vms()
    idle.close()


def test_lockdown_admits_only_exception_users(host: BootedHost, client: Client) -> None:
    client.create_account("ops1", "Ops#20245")
    client.set_permission("ha-host", "ops1", "Administrator")
    bystander = connect(host.address, "ops1", "Ops#20245")
    state = client.set_lockdown("normal", ["root"])
    assert (state.mode, state.exception_users) == ("normal", ("root",))
    with pytest.raises(faults.NotAuthenticated):
        bystander.list_vms()  # its session ended
    with pytest.raises(faults.NotAuthenticated, match="lockdown"):
        connect(host.address, "ops1", "Ops#20245")
    client.list_vms()  # root is an exception user: still in
    assert json.loads((host.root / "etc/lockdown.json").read_text())["mode"] == "normal"
    assert stat.S_IMODE((host.root / "etc/lockdown.json").stat().st_mode) == 0o600
    with pytest.raises(faults.InvalidArgument):
        client.set_lockdown(None, ["../../etc"])

    # root no exception user: its API sessions end, but the host's console (DCUI.Access) lets it in
    client.set_lockdown(None, ["ops1"])
    with pytest.raises(faults.NotAuthenticated):
        client.list_vms()
    with pytest.raises(faults.NotAuthenticated, match="lockdown"):
        connect(host.address, "root", host.password)
    console = Client(host.address, secure_channel(host.address, Trust(thumbprint=host.thumbprint)))
    console.login("root", host.password, local_console=True)
    assert console.lockdown().mode == "normal"
    console.close()
    with connect(host.address, "ops1", "Ops#20245") as ops:
        ops.set_lockdown("disabled")
    connect(host.address, "root", host.password).close()
    bystander.close()


def test_bad_input_gets_typed_faults_and_changes_nothing(host: BootedHost, client: Client) -> None:
    before = state(client)
    shadow = (host.root / "etc/shadow.json").read_bytes()
    for call, fault in (
        (lambda: client.create_account("../../etc/passwd", "Good#pass1"), faults.InvalidArgument),
        (lambda: client.create_account("x" * 100_000, "Good#pass1"), faults.InvalidArgument),
        (lambda: client.create_account("weak", "password"), faults.InvalidArgument),
        (lambda: client.create_account("huge", "Aa1#" * 100_000), faults.InvalidArgument),
        (lambda: client.remove_account("root"), faults.InvalidArgument),
        (lambda: client.remove_permission("ha-host", "root"), faults.InvalidArgument),
        (lambda: client.set_permission("ha-host", "root", "NoAccess"), faults.InvalidArgument),
        (lambda: client.set_permission("vm-999", "root", "ReadOnly"), faults.NotFound),
        (lambda: client.create_role("R", ["Nope.*"]), faults.InvalidArgument),
        (lambda: client.update_role("Administrator", add=["System.Read"]), faults.InvalidArgument),
        (
            lambda: client.update_host_settings({"Security.AccountLockFailures": "many"}),
            faults.InvalidArgument,
        ),
        (lambda: client.update_host_settings({"Security.AccountUnlockTime": "-5"}), faults.InvalidArgument),
        (lambda: client.update_host_settings({"No.Such": "1"}), faults.InvalidArgument),
        (lambda: client.terminate_sessions(["nope"]), faults.NotFound),
    ):
        with pytest.raises(fault):
            call()
    with pytest.raises(faults.InvalidArgument):
        connect(host.address, "u" * 100_000, "x")
    assert state(client) == before
    assert (host.root / "etc/shadow.json").read_bytes() == shadow
    assert stat.S_IMODE((host.root / "etc/shadow.json").stat().st_mode) == 0o600


def test_racing_account_creations_make_one_account(host: BootedHost, client: Client) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def create(n: int) -> str:
        with host.client() as c:
            try:
                c.create_account("ops1", f"Ops#2024{n}", f"try {n}")
                return "created"
            except faults.DuplicateName:
                return "duplicate"

    with ThreadPoolExecutor(4) as pool:
        results = sorted(pool.map(create, range(4)))
    assert results == ["created", "duplicate", "duplicate", "duplicate"]
    assert [a.id for a in client.list_accounts()].count("ops1") == 1


def shell(
    host: BootedHost, text: str, user: str = "root", password: str = ""
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYESX_")}
    env |= {"PYESX_SERVER": host.address, "PYESX_USER": user, "PYESX_PASSWORD": password or host.password}
    return subprocess.run(
        [PYESX, "shell", "-c", text], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def test_shell_cmdlets_manage_accounts_roles_permissions_and_lockdown(host: BootedHost) -> None:
    script = (
        "New-VMHostAccount -Id ops1 -Password 'Ops#20245' -Description Operator | Out-Null;"
        "New-VIRole -Name Operator -Privilege 'VirtualMachine.Interact.Power*' | Out-Null;"
        "Set-VIRole -Role Operator -AddPrivilege 'VirtualMachine.Interact.Reset' -Confirm:$false | Out-Null;"
        "New-VM -Name web01 | Out-Null;"
        "New-VIPermission -Entity web01 -Principal ops1 -Role Operator -Propagate:$false | Out-Null;"
        "Get-VMHostAccount ops1 | ConvertTo-Json -Compress;"
        "(Get-VIRole Operator).PrivilegeList -join ',' ;"
        "Get-VIPermission -Principal ops1 | Select-Object Entity, Principal, Role, Propagate"
        " | ConvertTo-Json -Compress;"
        "(Get-VIPrivilege -Role ReadOnly).Id -join ',';"
        "Set-VMHostLockdown -Mode Normal -ExceptionUser root,ops1 -Confirm:$false | ConvertTo-Json -Compress;"
        "Get-AdvancedSetting -Entity (Get-VMHost) -Name Security.AccountLockFailures"
        " | Set-AdvancedSetting -Value 3 -Confirm:$false | Out-Null;"
        "(Get-AdvancedSetting -Entity (Get-VMHost) -Name 'Security.*').Value -join ','"
    )
    result = shell(host, script)
    assert (result.returncode, result.stderr) == (0, ""), result.stderr
    lines = result.stdout.splitlines()
    account = json.loads(lines[0])
    assert (account["Id"], account["Description"], account["Locked"]) == ("ops1", "Operator", False)
    assert lines[1].split(",") == [
        "System.Anonymous",
        "System.View",
        "VirtualMachine.Interact.PowerOff",
        "VirtualMachine.Interact.PowerOn",
        "VirtualMachine.Interact.Reset",
    ]
    assert json.loads(lines[2]) == {
        "Entity": "web01",
        "Principal": "ops1",
        "Role": "Operator",
        "Propagate": False,
    }
    assert lines[3] == "System.Anonymous,System.View,System.Read"  # the catalogue's order
    assert json.loads(lines[4]) == {"Mode": "Normal", "ExceptionUsers": ["root", "ops1"]}
    assert lines[5] == "3,900,0,99999,retry=3 min=disabled,disabled,disabled,7,7"

    as_ops = shell(
        host, "Start-VM web01 | Out-Null; (Get-VM).Name; Remove-VM web01 -Confirm:$false", "ops1", "Ops#20245"
    )
    assert as_ops.stdout == "web01\n"
    assert (
        as_ops.stderr.startswith("Remove-VM: NoPermission: ")
        and "VirtualMachine.Inventory.Unregister on VirtualMachine 'web01'" in as_ops.stderr
    )

    cleanup = shell(
        host,
        "Set-VMHostLockdown Disabled -Confirm:$false | Out-Null;"
        "Get-VISession -UserName ops1 | Remove-VISession -Confirm:$false;"
        "Get-VIPermission -Principal ops1 | Remove-VIPermission -Confirm:$false;"
        "Remove-VMHostAccount ops1 -Confirm:$false; (Get-VMHostAccount).Id -join ','",
    )
    assert (cleanup.returncode, cleanup.stderr, cleanup.stdout) == (0, "", "root\n")


def test_object_sdk_security_and_a_token_from_another_host(host: BootedHost, tmp_path: Path) -> None:
    with open_session(host.address, "root", host.password) as session:
        session.security.create_account("ops1", "Ops#20245", "Operator")
        session.security.set_permission(session.host(), "ops1", "ReadOnly")
        assert [(p.principal, p.role) for p in session.security.permissions(principal="ops1")] == [
            ("ops1", "ReadOnly")
        ]
        assert session.security.lockdown().mode == "disabled"

    async def aio_walk() -> tuple[list[str], str]:
        async with await aio.connect(host.address, "ops1", "Ops#20245") as ops:
            roles = [r.name for r in await ops.security.roles()]
            with pytest.raises(faults.NoPermission):
                await ops.security.create_role("Mine")
            return roles, (await ops.security.current_session()).user

    roles, user = asyncio.run(aio_walk())
    assert roles[:3] == ["Administrator", "ReadOnly", "NoAccess"] and user == "ops1"

    other = BootedHost(tmp_path / "other")
    try:
        with host.client() as client:
            stub = vm_pb2_grpc.VirtualMachineServiceStub(client._channel)
            stub.ListVMs(
                vm_pb2.ListVMsRequest(), metadata=[(SESSION_KEY, client.session_key)]
            )  # its own host
            with connect(other.address, "root", other.password) as elsewhere:
                foreign = vm_pb2_grpc.VirtualMachineServiceStub(elsewhere._channel)
                with pytest.raises(grpc.RpcError) as info:
                    foreign.ListVMs(vm_pb2.ListVMsRequest(), metadata=[(SESSION_KEY, client.session_key)])
                assert isinstance(fault_from_rpc_error(info.value), faults.NotAuthenticated)
    finally:
        other.stop()


def test_a_hostd_restart_keeps_accounts_roles_permissions_lockdown_and_settings(
    host: BootedHost, client: Client
) -> None:
    vm = client.wait_for_task(client.create_vm("kept", no_network=True).id).result_vm
    assert vm is not None
    client.create_account("ops1", "Ops#20245", "Operator")
    client.create_role("Operator", ["VirtualMachine.Interact.PowerOn"])
    client.set_permission(vm.id, "ops1", "Operator", propagate=False)
    client.set_lockdown("normal", ["root", "ops1"])
    client.update_host_settings({"Security.AccountLockFailures": "7"})
    before = state(client)
    old_hostd = host.hostd_pid()
    os.kill(old_hostd, signal.SIGKILL)
    wait_until(lambda: (pid := host.hostd_pid()) != old_hostd and pid, what="hostd restart")
    with wait_until(lambda: host.client(), what="hostd serving") as again:
        with pytest.raises(faults.NotAuthenticated):
            client.list_vms()  # sessions live in hostd: they end with it
        assert state(again) == before
        with connect(host.address, "ops1", "Ops#20245") as ops:
            with pytest.raises(faults.NoPermission):  # ops1 may power the VM on, nothing more
                ops.lockdown()
            ops.wait_for_task(ops.power_on(vm.id).id)
        again.set_lockdown("disabled")

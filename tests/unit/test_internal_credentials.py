"""The VMkernel's internal credentials and what a vmx may ask (pyesx.rpc.credentials,
vmkernel.vmx_scope), without processes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pyesx import faults
from pyesx.api.v1 import performance_pb2
from pyesx.rpc.credentials import CREDENTIAL_KEY, Caller, InternalCredentials, current_caller
from pyesx.vmkernel.v1 import vmkernel_pb2
from vmkernel.vmx_scope import scoped, vmx_rules


class FakeVmkernel:
    async def StopVmx(self, request: Any, context: Any) -> str:
        return f"stopped {request.vm_id}"

    async def GetVirtualDisk(self, request: Any, context: Any) -> str:
        return f"disk {request.path}"

    async def GetWorldStats(self, request: Any, context: Any) -> performance_pb2.WorldStats:
        worlds = [performance_pb2.WorldStat(vm_id=vm, name=f"vmm0:{vm}") for vm in ("vm-1", "vm-2", "")]
        return performance_pb2.WorldStats(worlds=worlds)

    async def ListWorlds(self, request: Any, context: Any) -> str:
        return "all"

    async def WatchWorldEvents(self, request: Any, context: Any) -> Any:
        yield "event"


def _owner(path: Path) -> str | None:
    return {"/ds/a/a.vmdk": "vm-1", "/ds/b/b.vmdk": "vm-2"}.get(str(path))


def test_credentials_name_their_caller_and_die_with_their_vm() -> None:
    creds = InternalCredentials()
    one = creds.issue("vm-1")
    assert creds.caller(creds.hostd) == Caller() and creds.caller(creds.hostd).is_hostd  # type: ignore[union-attr]
    assert creds.caller(one) == Caller("vm-1")
    again = creds.issue("vm-1")
    assert creds.caller(one) is None and creds.caller(again) == Caller("vm-1")
    creds.revoke("vm-1")
    assert creds.caller(again) is None
    with pytest.raises(faults.NotAuthenticated):
        creds.authenticate("/x/Y", {})
    with pytest.raises(faults.NotAuthenticated):
        creds.authenticate("/x/Y", {CREDENTIAL_KEY: "made-up"})


async def test_a_vmx_reaches_only_its_own_vm() -> None:
    api = scoped(FakeVmkernel(), vmx_rules(_owner))
    current_caller.set(Caller("vm-1"))
    assert await api.StopVmx(vmkernel_pb2.StopVmxRequest(vm_id="vm-1"), None) == "stopped vm-1"
    with pytest.raises(faults.NoPermission) as refused:
        await api.StopVmx(vmkernel_pb2.StopVmxRequest(vm_id="vm-2"), None)
    assert (refused.value.privilege, refused.value.entity) == ("VMkernel.StopVmx", "vm-2")
    assert await api.GetVirtualDisk(vmkernel_pb2.DiskPathRequest(path="/ds/a/a.vmdk"), None)
    with pytest.raises(faults.NoPermission):
        await api.GetVirtualDisk(vmkernel_pb2.DiskPathRequest(path="/ds/b/b.vmdk"), None)
    with pytest.raises(faults.NoPermission):
        await api.ListWorlds(vmkernel_pb2.ListWorldsRequest(), None)
    with pytest.raises(faults.NoPermission):
        async for _ in api.WatchWorldEvents(vmkernel_pb2.WatchWorldEventsRequest(), None):
            pass
    stats = await api.GetWorldStats(performance_pb2.GetWorldStatsRequest(), None)
    assert [w.vm_id for w in stats.worlds] == ["vm-1"]


async def test_hostd_reaches_everything() -> None:
    api = scoped(FakeVmkernel(), vmx_rules(_owner))
    current_caller.set(Caller())
    assert await api.StopVmx(vmkernel_pb2.StopVmxRequest(vm_id="vm-2"), None) == "stopped vm-2"
    assert await api.ListWorlds(vmkernel_pb2.ListWorldsRequest(), None) == "all"
    assert [e async for e in api.WatchWorldEvents(vmkernel_pb2.WatchWorldEventsRequest(), None)] == ["event"]
    assert len((await api.GetWorldStats(performance_pb2.GetWorldStatsRequest(), None)).worlds) == 3


def test_credentials_are_written_out_only_when_a_test_asks(tmp_path: Path) -> None:
    assert InternalCredentials().expose_to is None
    creds = InternalCredentials(expose_to=tmp_path / "out")
    credential = creds.issue("vm-7")
    written = tmp_path / "out" / "vm-7"
    assert written.read_text() == credential and written.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "out" / "hostd").read_text() == creds.hostd

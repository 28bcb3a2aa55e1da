"""The asyncio object layer (``clients.aio``) over the same fake host as the sync tests."""

from __future__ import annotations

import pytest

from clients import aio
from pyesx import faults
from pyesx.api.v1 import host_pb2
from tests.unit.sdk_fake import FakeHost, async_session


@pytest.fixture
def fake() -> FakeHost:
    host = FakeHost()
    host.add_vm("web01")
    host.add_vm("web02", "poweredOn")
    return host


async def test_vms_and_lookup(fake: FakeHost) -> None:
    async with async_session(fake) as session:
        assert [vm.name for vm in await session.vms()] == ["web01", "web02"]
        vm = await session.vm("web02")
        assert isinstance(vm, aio.VM) and vm.power_state == "poweredOn"
        assert (await session.vm("vm-2")) == vm
        with pytest.raises(faults.NotFound):
            await session.vm("nope")


async def test_power_on_wait_and_wait_for(fake: FakeHost) -> None:
    session = async_session(fake)
    vm = await session.vm("web01")
    task = await vm.power_on()
    assert isinstance(task, aio.Task) and task.state == "running"
    assert await task.wait(timeout=5) is task
    assert task.state == "success"
    assert (await vm.refresh()).power_state == "poweredOn"


async def test_wait_for_and_the_change_feed(fake: FakeHost) -> None:
    session = async_session(fake)
    vm = await session.vm("web01")
    await vm.power_on()
    assert (await vm.wait_for(power_state="poweredOn")).power_state == "poweredOn"
    with pytest.raises(faults.Timedout):
        await vm.wait_for(power_state="suspended", timeout=1)
    kinds = [(c.kind, c.object_id) async for c in session.watch(["VirtualMachine"]) if not c.initial_done]
    assert kinds == [("enter", "vm-1"), ("enter", "vm-2")]


async def test_faults_are_the_server_classes(fake: FakeHost) -> None:
    session = async_session(fake)
    with pytest.raises(faults.InvalidPowerState):
        await (await session.vm("web02")).power_on()
    task = await session.create_vm("web01")
    with pytest.raises(faults.DuplicateName):
        await task.wait()
    assert isinstance(task.error, faults.DuplicateName)


async def test_devices_and_snapshots(fake: FakeHost) -> None:
    session = async_session(fake)
    vm = await session.vm("web01")
    await (await vm.disks[0].extend(1 << 30)).wait()
    assert fake.requests[-1][1].change_disks[0].capacity_bytes == 1 << 30
    assert await vm.snapshots() == []
    assert await vm.current_snapshot() is None
    created = await (await (await session.create_vm("app01")).wait()).result_vm()
    assert created.name == "app01"


async def test_the_hosts_operations(fake: FakeHost) -> None:
    from clients.hostops import AutoPowerInfo, AutoStartDefaults

    async with async_session(fake) as session:
        host = await session.host()
        assert not host.in_maintenance_mode
        (lock,) = await host.set_advanced_settings({"Security.AccountLockFailures": "3"})
        assert (lock.key, lock.value) == ("Security.AccountLockFailures", "3")
        assert [s.value for s in await host.advanced_settings()] == ["3"]
        await (await host.enter_maintenance_mode()).wait(timeout=5)
        assert (await host.refresh()).in_maintenance_mode
        config = await host.reconfigure_autostart(
            AutoStartDefaults(enabled=True), [AutoPowerInfo("vm-1", start_order=1, start_action="powerOn")]
        )
        assert config.defaults.enabled and config.power_info[0].start_action == "powerOn"
        assert (await host.autostart()).power_info[0].vm_id == "vm-1"
        assert (await host.log("hostd", num_lines=1)).lines == ("x",)
        reboot = await host.reboot(force=True)
        assert reboot.description_id == "HostSystem.RebootHost"
        await (await host.exit_maintenance_mode()).wait(timeout=5)
        assert not (await host.refresh()).in_maintenance_mode
    assert ("RebootHost", host_pb2.HostPowerRequest(force=True)) in fake.requests

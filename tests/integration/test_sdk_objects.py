"""The SDK's object model against a real host, in both flavours: sync (``clients.objects``) and
asyncio (``clients.aio``)."""

from __future__ import annotations

import pytest

from clients import Client, aio, objects
from pyesx import faults
from tests.harness import BootedHost

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]
MIB = 1 << 20


def test_sync_objects(host: BootedHost, client: Client) -> None:
    session = objects.Session.of(client)
    assert session.host().num_cpu >= 1
    vm = session.create_vm("web01", memory_mb=64, disk_capacity_bytes=[16 * MIB]).wait(60).result_vm()
    assert (vm.name, vm.power_state, vm.num_cpu) == ("web01", "poweredOff", 1)
    assert session.vm("web01") == session.vm(vm.id) == vm
    assert [v.name for v in session.vms("web*")] == ["web01"]

    # devices and reconfigure
    [disk] = vm.disks
    disk.extend(32 * MIB).wait(60)
    vm.reconfigure(num_cpu=2, notes="front end", set_extra_config={"guestinfo.password": "s3cret!"}).wait(60)
    vm.refresh()
    assert (vm.num_cpu, vm.notes, vm.disks[0].capacity_bytes) == (2, "front end", 32 * MIB)
    assert vm.nics[0].network_name == "VM Network"

    # snapshots
    vm.create_snapshot("before").wait(60)
    vm.create_snapshot("after").wait(60)
    assert [s.name for s in vm.snapshots()] == ["before", "after"]
    vm.snapshot("before").revert().wait(60)
    current = vm.current_snapshot()
    assert current is not None and current.name == "before"
    vm.snapshot("after").remove().wait(60)
    assert [s.name for s in vm.snapshots()] == ["before"]

    # power, the change feed, faults with their fields
    task = vm.power_on()
    assert task.wait(120).state == "success"
    assert vm.wait_for(power_state="poweredOn", timeout=60).power_state == "poweredOn"
    with pytest.raises(faults.InvalidPowerState) as raised:
        vm.power_on()
    assert (raised.value.requested_state, raised.value.existing_state) == ("poweredOff", "poweredOn")
    assert "VmPoweredOnEvent" in [e.type for e in vm.events()]
    assert task in vm.tasks()

    # guest operations (the appliance's tools are up when its power-on ends)
    assert vm.guest().tools_status == "toolsOk"
    result = vm.run_script("echo hello; exit 3", "root", "s3cret!")
    assert (result.exit_code, result.script_output) == (3, "hello\n")
    with pytest.raises(faults.InvalidGuestLogin):
        vm.run_script("true", "root", "wrong")

    # datastores
    store = session.datastore()
    names = {f.name for f in store.browse("web01")}
    assert {"web01.vmx", "web01.vmdk"} <= names
    assert store.make_directory("notes").is_folder
    store.write("notes/readme.txt", b"hello")
    assert store.read("notes/readme.txt") == b"hello"

    # resource pools
    root = session.resource_pool()
    pool = root.create_child("web", cpu_allocation={"reservation": 0})
    vm.move_to(pool)
    assert vm.resource_pool_id == pool.id
    assert pool.vms() == [vm]
    assert pool in root.children()

    # network
    switch = session.virtual_switch("vSwitch0")
    group = switch.add_port_group("DMZ", vlan_id=10)
    assert session.port_group("DMZ").set_vlan(20).vlan_id == 20
    vm.nics[0].set_network("DMZ").wait(60)
    assert vm.refresh().nics[0].network_name == "DMZ"
    vm.nics[0].set_network("VM Network").wait(60)
    group.remove()
    assert "DMZ" not in [g.name for g in session.port_groups()]

    vm.power_off().wait(60)
    vm.destroy().wait(60)
    with pytest.raises(faults.NotFound):
        session.vm("web01")
    pool.remove()


async def test_async_objects(host: BootedHost) -> None:
    async with await aio.connect(host.address, "root", host.password) as session:
        vm = await (await (await session.create_vm("app01", memory_mb=64)).wait(60)).result_vm()
        assert isinstance(vm, aio.VM) and vm.power_state == "poweredOff"
        with pytest.raises(faults.DuplicateName):
            await session.create_vm("app01", memory_mb=64)

        changes = session.watch(["VirtualMachine"], [vm.id], timeout=120)
        first = await anext(changes)  # the initial state
        assert first.vm is not None and (first.kind, first.vm.name, first.vm.power_state) == (
            "enter",
            "app01",
            "poweredOff",
        )
        await (await vm.power_on()).wait(120)
        async for change in changes:
            if change.vm is not None and change.vm.power_state == "poweredOn":
                break
        await changes.aclose()
        assert (await vm.refresh()).power_state == "poweredOn"

        events = [e async for e in session.follow_events(vm, ["VmPoweredOnEvent"], timeout=2, after_key=1)]
        assert [e.vm_name for e in events] == ["app01"]
        await (await vm.power_off()).wait(60)
        assert (await vm.wait_for(power_state="poweredOff", timeout=60)).power_state == "poweredOff"
        await (await vm.destroy()).wait(60)
        with pytest.raises(faults.NotFound):
            await session.vm("app01")

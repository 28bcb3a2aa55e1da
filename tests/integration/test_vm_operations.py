"""Issue 3's VM operations on a real host: create with devices, register, reconfigure, suspend and
resume, reset, guest power through tools, tasks, events and the change feed."""

from __future__ import annotations

import datetime as dt
import os
import signal
from pathlib import Path

import pytest

from clients import Client
from pyesx import faults
from pyesx.vmxfile import VmxConfig
from tests.harness import BootedHost, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]
GiB = 2**30


def _create(client: Client, name: str = "web01", **kwargs: object) -> str:
    task = client.wait_for_task(client.create_vm(name, **kwargs).id)  # type: ignore[arg-type]
    assert task.result_vm is not None
    return task.result_vm.id


def test_create_with_disks_nics_and_a_cd_drive(host: BootedHost, client: Client) -> None:
    vm_id = _create(
        client,
        num_cpus=2,
        memory_mb=512,
        guest_id="ubuntu64Guest",
        notes="web tier",
        disk_capacity_bytes=[1 * GiB, 2 * GiB],
        network_names=["VM Network", "VM Network"],
        cd_drive=True,
    )
    vm = client.get_vm(vm_id)
    assert [(d.key, d.file_name, d.capacity_bytes) for d in vm.disks] == [
        ("scsi0:0", "[datastore1] web01/web01.vmdk", GiB),
        ("scsi0:1", "[datastore1] web01/web01_1.vmdk", 2 * GiB),
    ]
    assert [n.key for n in vm.network_adapters] == ["ethernet0", "ethernet1"]
    assert all(n.mac_address.startswith("00:0c:29:") for n in vm.network_adapters)
    assert vm.cd_drives == ("ide1:0",)
    assert vm.provisioned_bytes >= 3 * GiB and 0 < vm.used_bytes < GiB  # thin disks
    folder = host.root / "vmfs/volumes/datastore1/web01"
    descriptor = (folder / "web01.vmdk").read_text()
    assert (
        descriptor.startswith("# Disk DescriptorFile") and 'RW 2097152 VMFS "web01-flat.vmdk"' in descriptor
    )
    assert (folder / "web01-flat.vmdk").stat().st_size == GiB and (
        folder / "web01-flat.vmdk"
    ).stat().st_blocks < 64


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"network_names": ["VM Network"] * 11}, "networkAdapter"),
        ({"network_names": ["No Such Net"]}, "networkName"),
        ({"disk_capacity_bytes": [1000]}, "capacity"),
        ({"memory_mb": 258}, "memoryMB"),
    ],
)
def test_bad_devices_are_invalid_argument_and_create_nothing(
    host: BootedHost, client: Client, kwargs: dict[str, object], argument: str
) -> None:
    with pytest.raises(faults.InvalidArgument) as raised:
        client.create_vm("bad", **kwargs)  # type: ignore[arg-type]
    assert raised.value.argument == argument
    assert not (host.root / "vmfs/volumes/datastore1/bad").exists()


WORKSTATION_VMX = """.encoding = "UTF-8"
config.version = "8"
virtualHW.version = "19"
displayName = "Imported"
guestOS = "ubuntu-64"
memsize = "1024"
numvcpus = "1"
ethernet0.present = "TRUE"
ethernet0.networkName = "VM Network"
ethernet0.addressType = "generated"
ethernet0.generatedAddress = "00:0c:29:aa:bb:cc"
tools.syncTime = "FALSE"
vmci0.present = "TRUE"
"""


def test_register_a_real_vmx_keeps_unknown_keys(host: BootedHost, client: Client) -> None:
    folder = host.root / "vmfs/volumes/datastore1/imported"
    folder.mkdir()
    (folder / "imported.vmx").write_text(WORKSTATION_VMX)
    task = client.wait_for_task(client.register_vm("[datastore1] imported/imported.vmx").id)
    vm = task.result_vm
    assert vm is not None and (vm.name, vm.memory_mb, vm.guest_id) == ("Imported", 1024, "ubuntu-64")
    assert (folder / "imported.vmx").read_text() == WORKSTATION_VMX
    with pytest.raises(faults.FileAlreadyExists):
        client.register_vm("[datastore1] imported/imported.vmx")
    assert [e.type for e in client.events(vm_id=vm.id)] == ["VmRegisteredEvent"]


@pytest.mark.parametrize(
    ("path", "fault"),
    [
        ("[datastore1] ../../etc/shadow.json", faults.InvalidArgument),
        ("[datastore1] none/none.vmx", faults.NotFound),
        ("[nosuch] a/a.vmx", faults.NotFound),
        ("[datastore1] broken/broken.vmx", faults.InvalidArgument),
    ],
)
def test_register_refuses_bad_paths_and_files(
    host: BootedHost, client: Client, path: str, fault: type[faults.VimFault]
) -> None:
    broken = host.root / "vmfs/volumes/datastore1/broken"
    broken.mkdir()
    (broken / "broken.vmx").write_text('.encoding = "UTF-8"\ndisplayName = "cut\n')
    with pytest.raises(fault) as raised:
        client.register_vm(path)
    if "broken" in path:
        assert "line 2" in str(raised.value)
    assert client.list_vms() == []


def test_reconfigure_follows_esxi_power_state_rules(client: Client) -> None:
    vm_id = _create(client, num_cpus=1, memory_mb=256)
    client.wait_for_task(
        client.reconfigure_vm(vm_id, num_cpu=2, memory_mb=512, notes="n2", memory_hot_add=True).id
    )
    vm = client.get_vm(vm_id)
    assert (vm.num_cpu, vm.memory_mb, vm.notes, vm.memory_hot_add) == (2, 512, "n2", True)
    client.wait_for_task(client.power_on(vm_id).id)
    with pytest.raises(faults.InvalidPowerState) as cpu:
        client.reconfigure_vm(vm_id, num_cpu=1)
    assert (cpu.value.requested_state, cpu.value.existing_state) == ("poweredOff", "poweredOn")
    with pytest.raises(faults.InvalidPowerState):
        client.reconfigure_vm(vm_id, memory_mb=256)  # hot add only grows
    client.wait_for_task(client.reconfigure_vm(vm_id, memory_mb=1024, name="renamed").id)
    assert (client.get_vm(vm_id).memory_mb, client.get_vm(vm_id).name) == (1024, "renamed")
    _create(client, "other")
    with pytest.raises(faults.DuplicateName):
        client.reconfigure_vm(vm_id, name="other")
    with pytest.raises(faults.InvalidPowerState):
        client.reconfigure_vm(vm_id, add_network_names=["VM Network"])
    types = [e.type for e in client.events(vm_id=vm_id, types=["VmReconfiguredEvent"])]
    assert types == ["VmReconfiguredEvent", "VmReconfiguredEvent"]


def test_reconfigure_adds_and_removes_devices(host: BootedHost, client: Client) -> None:
    vm_id = _create(client, disk_capacity_bytes=[GiB])
    client.wait_for_task(
        client.reconfigure_vm(vm_id, add_disk_capacity_bytes=[GiB], add_network_names=["VM Network"]).id
    )
    vm = client.get_vm(vm_id)
    assert [d.key for d in vm.disks] == ["scsi0:0", "scsi0:1"] and len(vm.network_adapters) == 2
    task = client.reconfigure_vm(
        vm_id, remove_disk_keys=["scsi0:1"], remove_network_keys=["ethernet1"], delete_removed_disk_files=True
    )
    client.wait_for_task(task.id)
    vm = client.get_vm(vm_id)
    assert [d.key for d in vm.disks] == ["scsi0:0"] and [n.key for n in vm.network_adapters] == ["ethernet0"]
    assert not (host.root / "vmfs/volumes/datastore1/web01/web01_1.vmdk").exists()
    with pytest.raises(faults.InvalidArgument) as raised:
        client.reconfigure_vm(vm_id, remove_disk_keys=["scsi3:9"])
    assert raised.value.argument == "deviceKey"
    with pytest.raises(faults.InvalidArgument):
        client.reconfigure_vm(vm_id, add_network_names=["VM Network"] * 10)


def test_suspend_and_resume_continue_the_guest(host: BootedHost, client: Client) -> None:
    vm_id = _create(client, num_cpus=2)
    client.wait_for_task(client.power_on(vm_id).id)
    for _ in range(2):
        client.wait_for_task(client.reset(vm_id).id)
    before = client.guest_info(vm_id)
    old_vmx = client.get_vm(vm_id).vmx_pid
    assert before.boot_count == 2
    client.wait_for_task(client.suspend(vm_id).id)
    vm = client.get_vm(vm_id)
    vmss = host.root / "vmfs/volumes/datastore1/web01/web01.vmss"
    assert vm.power_state == "suspended" and vm.vmx_pid == 0 and vmss.exists()
    assert (
        VmxConfig.parse((host.root / "vmfs/volumes/datastore1/web01/web01.vmx").read_text())[
            "checkpoint.vmState"
        ]
        == "web01.vmss"
    )
    with pytest.raises(faults.InvalidPowerState):
        client.suspend(vm_id)
    client.wait_for_task(client.power_on(vm_id).id)
    after = client.guest_info(vm_id)
    resumed = client.get_vm(vm_id)
    assert resumed.power_state == "poweredOn" and resumed.vmx_pid != old_vmx
    assert after.boot_count == 2  # the same boot of the guest: a cold start would be 0
    assert after.uptime_seconds >= before.uptime_seconds  # its clock carried on
    assert not vmss.exists()
    types = [e.type for e in client.events(vm_id=vm_id, max_count=4)]
    assert types == ["VmPoweredOnEvent", "VmResumingEvent", "VmSuspendedEvent", "VmSuspendingEvent"]


def test_power_off_of_a_suspended_vm_discards_its_state(host: BootedHost, client: Client) -> None:
    vm_id = _create(client)
    client.wait_for_task(client.power_on(vm_id).id)
    client.wait_for_task(client.suspend(vm_id).id)
    client.wait_for_task(client.power_off(vm_id).id)
    assert client.get_vm(vm_id).power_state == "poweredOff"
    assert not (host.root / "vmfs/volumes/datastore1/web01/web01.vmss").exists()
    client.wait_for_task(client.power_on(vm_id).id)
    assert client.guest_info(vm_id).boot_count == 0


def test_reset_keeps_the_vmx_and_reboots_the_guest(client: Client) -> None:
    vm_id = _create(client)
    with pytest.raises(faults.InvalidPowerState):
        client.reset(vm_id)
    client.wait_for_task(client.power_on(vm_id).id)
    pid = client.get_vm(vm_id).vmx_pid
    client.wait_for_task(client.reset(vm_id).id)
    assert client.get_vm(vm_id).vmx_pid == pid and client.guest_info(vm_id).boot_count == 1
    assert client.events(vm_id=vm_id, max_count=1)[0].type == "VmResettingEvent"


def test_guest_shutdown_and_reboot_go_through_tools(client: Client) -> None:
    vm_id = _create(client)
    with pytest.raises(faults.InvalidPowerState):
        client.shutdown_guest(vm_id)
    client.wait_for_task(client.power_on(vm_id).id)
    assert client.guest_info(vm_id).tools_running_status == "guestToolsRunning"
    client.reboot_guest(vm_id)
    assert client.guest_info(vm_id).boot_count == 1
    client.shutdown_guest(vm_id)
    assert client.wait_for(vm_id, "poweredOff", timeout=30).vmx_pid == 0
    types = [e.type for e in client.events(vm_id=vm_id, max_count=3)]
    assert types == ["VmPoweredOffEvent", "VmGuestShutdownEvent", "VmGuestRebootEvent"]


def test_a_guest_without_tools_is_tools_unavailable(host: BootedHost, client: Client) -> None:
    folder = host.root / "vmfs/volumes/datastore1/notools"
    folder.mkdir()
    (folder / "notools.vmx").write_text(
        '.encoding = "UTF-8"\ndisplayName = "notools"\npyesx.guest.tools = "FALSE"\n'
    )
    vm_id = client.wait_for_task(client.register_vm("[datastore1] notools/notools.vmx").id).result_entity_id
    client.wait_for_task(client.power_on(vm_id).id)
    assert client.guest_info(vm_id).tools_running_status == "guestToolsNotRunning"
    with pytest.raises(faults.ToolsUnavailable):
        client.shutdown_guest(vm_id)
    with pytest.raises(faults.ToolsUnavailable):
        client.reboot_guest(vm_id)


def test_tasks_carry_state_user_entity_and_times(client: Client) -> None:
    vm_id = _create(client)
    task = client.wait_for_task(client.power_on(vm_id).id)
    assert (task.state, task.progress, task.user, task.entity_id, task.entity_name) == (
        "success",
        100,
        "root",
        vm_id,
        "web01",
    )
    assert task.queue_time and task.start_time and task.complete_time
    assert task.queue_time <= task.start_time <= task.complete_time
    assert task.description == "Power On virtual machine"
    recent = client.recent_tasks(vm_id)
    assert [t.description_id for t in recent] == ["VirtualMachine.powerOn"]
    with pytest.raises(faults.InvalidState):
        client.cancel_task(task.id)
    with pytest.raises(faults.NotFound):
        client.wait_for_task("task-999")
    with pytest.raises(faults.InvalidPowerState) as failed:
        client.wait_for_task(client.power_off(vm_id).id) and client.wait_for_task(client.power_off(vm_id).id)
    assert failed.value.existing_state == "poweredOff"


def test_events_filter_by_time_and_type(client: Client) -> None:
    start = dt.datetime.now(dt.UTC)
    vm_id = _create(client)
    client.wait_for_task(client.power_on(vm_id).id)
    assert {e.type for e in client.events(begin=start)} >= {
        "VmCreatedEvent",
        "VmStartingEvent",
        "VmPoweredOnEvent",
    }
    assert client.events(end=start - dt.timedelta(days=1)) == []
    assert [e.type for e in client.events(types=["VmPoweredOnEvent"])] == ["VmPoweredOnEvent"]
    newest = client.events(max_count=1)[0].key
    client.power_off(vm_id)
    stream = client.watch_events(vm_id=vm_id, after_key=newest, timeout=30)
    assert [next(stream).type, next(stream).type] == ["VmStoppingEvent", "VmPoweredOffEvent"]


def test_the_change_feed_reports_power_state_changes_with_versions(client: Client) -> None:
    vm_id = _create(client)
    feed = client.watch_changes(object_types=["VirtualMachine"], timeout=30)
    initial = next(feed)
    assert initial.vm.id == vm_id and initial.kind == 0  # ENTER
    assert next(feed).initial_done
    client.power_on(vm_id)
    change = next(feed)
    while "power_state" not in change.changed_properties:
        change = next(feed)
    assert change.vm.power_state == 1 and change.version > initial.version
    resumed = client.watch_changes(since_version=change.version - 1, object_ids=[vm_id], timeout=30)
    assert next(resumed).version == change.version


def test_ids_and_uuids_survive_host_restarts(tmp_path: Path) -> None:
    first = BootedHost(tmp_path / "h")
    try:
        with first.client() as c:
            vm = c.wait_for_task(c.create_vm("stable").id).result_vm
    finally:
        first.stop()
    again = BootedHost(tmp_path / "h")
    try:
        with again.client() as c:
            [after] = c.list_vms()
            assert vm is not None and (after.id, after.uuid) == (vm.id, vm.uuid)
            assert c.wait_for_task(c.create_vm("next").id).result_entity_id == "vm-2"
    finally:
        again.stop()


def test_cpu_hot_add_starts_vmm_worlds_in_the_running_vmx(host: BootedHost, client: Client) -> None:
    if host.client().host().num_cpu < 2:
        pytest.skip("needs a host with 2 PCPUs")
    vm_id = _create(client, num_cpus=1)
    client.wait_for_task(client.reconfigure_vm(vm_id, cpu_hot_add=True).id)
    client.wait_for_task(client.power_on(vm_id).id)
    before = client.get_vm(vm_id)
    client.wait_for_task(client.reconfigure_vm(vm_id, num_cpu=2).id)
    after = client.get_vm(vm_id)
    assert after.num_cpu == 2 and after.vmx_pid == before.vmx_pid
    assert after.vmm_pids[0] == before.vmm_pids[0] and len(after.vmm_pids) == 2
    assert Path(f"/proc/{after.vmm_pids[1]}/cmdline").read_text().startswith("pyesx-vmm1: web01")
    with pytest.raises(faults.InvalidPowerState):
        client.reconfigure_vm(vm_id, num_cpu=1)  # no hot remove
    os.kill(after.vmm_pids[1], signal.SIGKILL)  # a hot-added world is watched like the others
    wait_until(lambda: client.get_vm(vm_id).power_state == "poweredOff", what="poweredOff after its death")
    assert client.events(vm_id=vm_id, types=["VmDiedEvent"])

"""The VM life cycle beyond create/start/stop: devices, Set-VM, suspend/reset, the guest, snapshots,
tasks and events, through ``main`` against the fake host."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from clients.shell.conversions import to_datetime
from clients.shell.errors import ConversionError
from pyesx.faults import InvalidState
from tests.unit.shell_fake import T0, FakeConnector, run

pytestmark = pytest.mark.timeout(30)
GIB = 2**30
MIB = 2**20


@pytest.fixture
def fake() -> FakeConnector:
    connector = FakeConnector()
    connector.client.add_vm("web01")
    connector.client.add_vm("web02", "poweredOn")
    connector.client.add_vm("db01", disk_capacity_bytes=[GIB], network_names=["VM Network"])
    return connector


def as_list(data: Any) -> list[Any]:
    return data if isinstance(data, list) else [data]


def ok(capsys: pytest.CaptureFixture[str], text: str, fake: FakeConnector) -> Any:
    """Run text that must succeed and print JSON; the parsed JSON."""
    result = run(capsys, text, fake)
    assert (result.code, result.err) == (0, ""), result.err
    return result.json()


def options(fake: FakeConnector) -> dict[str, Any]:
    creates = [c for c in fake.client.calls if c[0] == "create_vm"]
    last = creates[-1][6]
    assert isinstance(last, dict)
    return last


# -- New-VM ---------------------------------------------------------------------------------------


def test_new_vm_with_disks_networks_cd_and_datastore(capsys: pytest.CaptureFixture[str]) -> None:
    fake = FakeConnector()
    text = (
        "New-VM app01 -MemoryMB 1024 -DiskMB 16, 32 -NetworkName 'VM Network' -CD -Datastore datastore1 "
        "| ConvertTo-Json"
    )
    data = ok(capsys, text, fake)
    assert options(fake) == {
        "disk_capacity_bytes": [16 * MIB, 32 * MIB],
        "network_names": ["VM Network"],
        "no_network": False,
        "cd_drive": True,
        "datastore": "datastore1",
    }
    assert data["ProvisionedSpaceGB"] == (48 * MIB + 1024 * MIB) / GIB
    assert data["UsedSpaceGB"] == 6 * MIB / GIB
    vm = fake.client.vms["vm-1"]
    assert [d.capacity_bytes for d in vm.disks] == [16 * MIB, 32 * MIB]
    assert vm.cd_drives == ("ide1:0",)


def test_new_vm_disk_gb_is_whole_kb_and_one_value_is_one_disk(capsys: pytest.CaptureFixture[str]) -> None:
    fake = FakeConnector()
    ok(capsys, "New-VM a -DiskGB 1.5 | ConvertTo-Json", fake)
    assert options(fake)["disk_capacity_bytes"] == [3 * GIB // 2]
    ok(capsys, "New-VM b -DiskGB 1, 2 | ConvertTo-Json", fake)
    assert options(fake)["disk_capacity_bytes"] == [GIB, 2 * GIB]
    result = run(capsys, "New-VM c -DiskGB 0.0000001", fake)  # 0 KB: the host refuses it, not the shell
    assert options(fake)["disk_capacity_bytes"] == [0]
    assert result.err_lines[0].startswith("New-VM: InvalidArgument: ")


def test_new_vm_bad_disk_or_network_is_the_hosts_fault(capsys: pytest.CaptureFixture[str]) -> None:
    fake = FakeConnector()
    result = run(capsys, "New-VM a -NetworkName Nowhere", fake)
    assert result.err_lines == [
        "New-VM: InvalidArgument: A specified parameter was not correct: networkName: "
        "there is no port group named 'Nowhere'"
    ]
    result = run(capsys, "New-VM a -DiskMB 0", fake)
    assert result.err_lines[0].startswith("New-VM: InvalidArgument: ")
    assert fake.client.vms == {}


def test_new_vm_disk_mb_and_gb_together_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    result = run(capsys, "New-VM a -DiskMB 16 -DiskGB 1")
    assert result.err_lines == [
        "New-VM: Parameter set cannot be resolved using the specified named parameters."
    ]


def test_new_vm_needs_a_name_unless_registering(capsys: pytest.CaptureFixture[str]) -> None:
    fake = FakeConnector()
    result = run(capsys, "New-VM -NumCpu 2", fake)
    assert result.err_lines == [
        "New-VM: Cannot process command because of one or more missing mandatory parameters: Name."
    ]
    result = run(capsys, "New-VM ''", fake)
    assert result.err_lines == [
        "New-VM: Cannot bind argument to parameter 'Name' because it is an empty string."
    ]
    assert fake.connects == []  # refused before connecting


def test_new_vm_vmfilepath_registers_the_files_remove_vm_kept(
    capsys: pytest.CaptureFixture[str], fake: FakeConnector
) -> None:
    assert run(capsys, "Remove-VM db01 -Confirm:$false", fake).code == 0
    data = ok(capsys, "New-VM -VMFilePath '[datastore1] db01/db01.vmx' | ConvertTo-Json", fake)
    assert (data["Name"], data["PowerState"], data["VmxPath"]) == (
        "db01",
        "PoweredOff",
        "[datastore1] db01/db01.vmx",
    )
    assert fake.client.calls[-4][:3] == ("register_vm", "[datastore1] db01/db01.vmx", "")
    result = run(capsys, "New-VM -VMFilePath '[datastore1] db01/db01.vmx' -Name other", fake)
    assert result.err_lines == [
        "New-VM: FileAlreadyExists: '[datastore1] db01/db01.vmx' is already registered."
    ]


def test_new_vm_vmfilepath_with_a_new_name_and_async(
    capsys: pytest.CaptureFixture[str], fake: FakeConnector
) -> None:
    assert run(capsys, "Remove-VM web01 -Confirm:$false", fake).code == 0
    text = "$t = New-VM -VMFilePath '[datastore1] web01/web01.vmx' -Name web03 -RunAsync; $t.Name; "
    result = run(capsys, text + "$t | Wait-Task | ConvertTo-Json", fake)
    assert result.code == 0
    name, json_text = result.out.split("\n", 1)
    assert name == "Folder.registerVm"
    assert '"Name": "web03"' in json_text


def test_new_vm_vmfilepath_errors(capsys: pytest.CaptureFixture[str], fake: FakeConnector) -> None:
    result = run(capsys, "New-VM -VMFilePath '[datastore1] nosuch/nosuch.vmx'", fake)
    assert result.err_lines == ["New-VM: NotFound: The File '[datastore1] nosuch/nosuch.vmx' was not found."]
    result = run(capsys, "New-VM -VMFilePath '[datastore1] x/x.vmx' -NumCpu 2", fake)
    assert result.err_lines == [
        "New-VM: Parameter set cannot be resolved using the specified named parameters."
    ]


# -- Set-VM ---------------------------------------------------------------------------------------


def test_set_vm_cpu_memory_name_notes(capsys: pytest.CaptureFixture[str], fake: FakeConnector) -> None:
    data = ok(
        capsys, "Set-VM web01 -NumCpu 4 -MemoryGB 2 -Notes 'app tier' -Confirm:$false | ConvertTo-Json", fake
    )
    assert (data["NumCpu"], data["MemoryMB"], data["Notes"]) == (4, 2048, "app tier")
    assert ("reconfigure_vm", "vm-1", 4, 2048, None, "app tier") in fake.client.calls
    data = ok(capsys, "Get-VM db01 | Set-VM -Name db02 | ConvertTo-Json", fake)
    assert data["Name"] == "db02"


def test_set_vm_respects_power_state_rules(capsys: pytest.CaptureFixture[str], fake: FakeConnector) -> None:
    result = run(capsys, "Set-VM web02 -NumCpu 2", fake)
    assert result.err_lines == [
        "Set-VM: InvalidPowerState: The attempted operation cannot be performed in the current state "
        "(poweredOn); it requires poweredOff."
    ]
    assert ok(capsys, "Set-VM web02 -Notes ok | ConvertTo-Json", fake)["Notes"] == "ok"


def test_set_vm_duplicate_name(capsys: pytest.CaptureFixture[str], fake: FakeConnector) -> None:
    result = run(capsys, "Set-VM web01 -Name db01", fake)
    assert result.err_lines == ["Set-VM: DuplicateName: The name 'db01' already exists."]


def test_set_vm_without_changes_outputs_the_vm(
    capsys: pytest.CaptureFixture[str], fake: FakeConnector
) -> None:
    assert ok(capsys, "Set-VM web01 | ConvertTo-Json", fake)["Name"] == "web01"
    assert not any(c[0] == "reconfigure_vm" for c in fake.client.calls)


def test_set_vm_run_async_outputs_the_task(capsys: pytest.CaptureFixture[str], fake: FakeConnector) -> None:
    data = ok(capsys, "Set-VM web01, db01 -MemoryMB 512 -RunAsync | ConvertTo-Json", fake)
    assert [(t["Name"], t["Entity"]) for t in data] == [
        ("VirtualMachine.reconfigure", "web01"),
        ("VirtualMachine.reconfigure", "db01"),
    ]


def test_set_vm_snapshot_excludes_configuration(
    capsys: pytest.CaptureFixture[str], fake: FakeConnector
) -> None:
    result = run(capsys, "Set-VM web01 -Snapshot s1 -NumCpu 2", fake)
    assert result.err_lines == [
        "Set-VM: Parameter set cannot be resolved using the specified named parameters."
    ]
    result = run(capsys, "Set-VM web01 -MemoryMB 512 -MemoryGB 1", fake)
    assert result.code == 1


# -- power: suspend, reset, guest -------------------------------------------------------------------


def test_suspend_then_resume(capsys: pytest.CaptureFixture[str], fake: FakeConnector) -> None:
    assert ok(capsys, "Suspend-VM web02 -Confirm:$false | ConvertTo-Json", fake)["PowerState"] == "Suspended"
    result = run(capsys, "Suspend-VM web02", fake)
    assert result.err_lines == [
        "Suspend-VM: InvalidPowerState: The attempted operation cannot be performed in the current state "
        "(suspended); it requires poweredOn."
    ]
    assert ok(capsys, "Start-VM web02 | ConvertTo-Json", fake)["PowerState"] == "PoweredOn"
    types = [e.type for e in fake.client.event_log]
    assert types == ["VmSuspendingEvent", "VmSuspendedEvent", "VmResumingEvent", "VmPoweredOnEvent"]


def test_suspended_vm_can_be_powered_off_not_killed(
    capsys: pytest.CaptureFixture[str], fake: FakeConnector
) -> None:
    assert run(capsys, "Suspend-VM web02 | Out-Null", fake).code == 0
    assert (
        run(capsys, "Stop-VM web02 -Kill -Confirm:$false", fake)
        .err_lines[0]
        .startswith("Stop-VM: InvalidPowerState: ")
    )
    assert ok(capsys, "Stop-VM web02 -Confirm:$false | ConvertTo-Json", fake)["PowerState"] == "PoweredOff"


def test_restart_vm_resets(capsys: pytest.CaptureFixture[str], fake: FakeConnector) -> None:
    assert ok(capsys, "Restart-VM web02 -Confirm:$false | ConvertTo-Json", fake)["PowerState"] == "PoweredOn"
    assert ("reset", "vm-2") in fake.client.calls
    assert run(capsys, "Restart-VM web01", fake).err_lines[0].startswith("Restart-VM: InvalidPowerState: ")


def test_a_refused_vm_in_a_list_stops_after_the_others_finish(
    capsys: pytest.CaptureFixture[str], fake: FakeConnector
) -> None:
    result = run(capsys, "Stop-VM web02, web01 -Confirm:$false", fake)
    assert result.code == 1
    assert "web02 PoweredOff" in result.out
    assert result.err_lines[0].startswith("Stop-VM: InvalidPowerState: ")


def test_stop_and_restart_vm_guest(capsys: pytest.CaptureFixture[str], fake: FakeConnector) -> None:
    data = ok(capsys, "Restart-VMGuest web02 -Confirm:$false | ConvertTo-Json", fake)
    assert data == {
        "VM": "web02",
        "VmName": "web02",
        "VmId": "VirtualMachine-vm-2",
        "State": "Running",
        "OSFullName": "PyESX Linux 1.0 (64-bit)",
        "IPAddress": [],
        "HostName": "web02",
        "ToolsVersion": "12.3.0",
        "ToolsStatus": "toolsOk",
        "ToolsRunningStatus": "guestToolsRunning",
        "Uptime": 42.0,
        "BootCount": 1,
        "Counters": {},
    }  # the guest as it was when asked
    assert ("reboot_guest", "vm-2") in fake.client.calls
    assert not any(c[0] == "wait_for_task" for c in fake.client.calls)  # not tasks
    assert ok(capsys, "Get-VMGuest web02 | ConvertTo-Json", fake)["BootCount"] == 2
    data = ok(capsys, "Get-VM web02 | Stop-VMGuest -Confirm:$false | ConvertTo-Json", fake)
    assert (data["VM"], data["State"]) == ("web02", "Running")
    assert fake.client.vms["vm-2"].power_state == "poweredOff"
    assert ok(capsys, "Get-VMGuest web02 | ConvertTo-Json", fake)["State"] == "NotRunning"
    assert (
        run(capsys, "Stop-VMGuest web02", fake).err_lines[0].startswith("Stop-VMGuest: InvalidPowerState: ")
    )


def test_guest_without_tools(capsys: pytest.CaptureFixture[str], fake: FakeConnector) -> None:
    fake.client.no_tools.add("vm-2")
    result = run(capsys, "Stop-VMGuest web02", fake)
    assert result.err_lines == [
        "Stop-VMGuest: ToolsUnavailable: VMware Tools are not running in the guest of 'web02'."
    ]
    table = run(capsys, "Get-VMGuest web02", fake).out
    assert table.splitlines()[1:4] == [
        "VM    State   ToolsRunningStatus",
        "--    -----   ------------------",
        "web02 Running guestToolsNotRunning",
    ]


# -- devices --------------------------------------------------------------------------------------


def test_get_hard_disk_and_network_adapter(capsys: pytest.CaptureFixture[str], fake: FakeConnector) -> None:
    disk = ok(capsys, "Get-VM db01 | Get-HardDisk | ConvertTo-Json", fake)
    assert disk == {
        "Name": "Hard disk 1",
        "CapacityGB": 1.0,
        "CapacityKB": 1024 * 1024,
        "Persistence": "Persistent",
        "StorageFormat": "Thin",
        "Filename": "[datastore1] db01/db01.vmdk",
        "Parent": "db01",
        "Id": "VirtualMachine-vm-3/scsi0:0",
    }
    assert run(capsys, "Get-HardDisk db01", fake).out.splitlines()[1:4] == [
        "CapacityGB Persistence Filename",
        "---------- ----------- --------",
        "     1.000 Persistent  [datastore1] db01/db01.vmdk",
    ]
    nic = ok(capsys, "Get-NetworkAdapter db01 'Network adapter*' | ConvertTo-Json", fake)
    assert (nic["Name"], nic["Type"], nic["NetworkName"]) == ("Network adapter 1", "Vmxnet3", "VM Network")
    assert nic["MacAddress"].startswith("00:0c:29:")
    assert run(capsys, "Get-HardDisk web01", fake).out == ""


# -- snapshots ------------------------------------------------------------------------------------


def test_new_snapshot_outputs_the_snapshot(capsys: pytest.CaptureFixture[str], fake: FakeConnector) -> None:
    data = ok(capsys, "New-Snapshot web02 before -Description 'pre upgrade' -Memory | ConvertTo-Json", fake)
    assert {k: data[k] for k in ("Name", "Description", "PowerState", "IsCurrent", "Memory", "VM")} == {
        "Name": "before",
        "Description": "pre upgrade",
        "PowerState": "PoweredOn",
        "IsCurrent": True,
        "Memory": True,
        "VM": "web02",
    }
    assert data["Id"] == "VirtualMachineSnapshot-vm-2-snapshot-1"
    assert data["ParentSnapshot"] is None and data["Children"] == []
    assert ("create_snapshot", "vm-2", "before", "pre upgrade", True) in fake.client.calls


def test_new_snapshot_run_async_then_wait_task(
    capsys: pytest.CaptureFixture[str], fake: FakeConnector
) -> None:
    text = (
        "$t = New-Snapshot -VM web01 -Name s1 -RunAsync; $t.Name; $t | Wait-Task | ConvertTo-Json -Compress"
    )
    result = run(capsys, text, fake)
    assert result.code == 0
    name, json_text = result.out.split("\n", 1)
    assert name == "VirtualMachine.createSnapshot"
    assert '"Name":"s1"' in json_text and '"VM":"web01"' in json_text


def test_new_snapshot_bad_name(capsys: pytest.CaptureFixture[str], fake: FakeConnector) -> None:
    result = run(capsys, "New-Snapshot web01 ('x' * 81)", fake)
    assert result.err_lines == [
        "New-Snapshot: InvalidArgument: A specified parameter was not correct: name: "
        "a snapshot name has 1 to 80 characters"
    ]


def snapshot_tree(capsys: pytest.CaptureFixture[str], fake: FakeConnector) -> None:
    """web01: base -> (app, db); current is db."""
    text = (
        "New-Snapshot web01 base; New-Snapshot web01 app; Set-VM web01 -Snapshot base; New-Snapshot web01 db"
    )
    assert run(capsys, text, fake).code == 0


def test_get_snapshot_flattens_the_tree(capsys: pytest.CaptureFixture[str], fake: FakeConnector) -> None:
    snapshot_tree(capsys, fake)
    data = ok(capsys, "Get-Snapshot -VM web01 | ConvertTo-Json", fake)
    assert [(s["Name"], s["ParentSnapshot"], s["Children"], s["IsCurrent"]) for s in data] == [
        ("base", None, ["app", "db"], False),
        ("app", "base", [], False),
        ("db", "base", [], True),
    ]
    assert run(capsys, "Get-Snapshot web01", fake).out.splitlines()[1:3] == [
        "Name Description PowerState",
        "---- ----------- ----------",
    ]


def test_get_snapshot_by_name_and_id(capsys: pytest.CaptureFixture[str], fake: FakeConnector) -> None:
    snapshot_tree(capsys, fake)
    assert [s["Name"] for s in ok(capsys, "Get-Snapshot web01 -Name *a* | ConvertTo-Json", fake)] == [
        "base",
        "app",
    ]
    assert ok(capsys, "Get-Snapshot web01 DB | ConvertTo-Json", fake)["Name"] == "db"
    data = ok(capsys, "Get-Snapshot web01 -Id VirtualMachineSnapshot-vm-1-snapshot-2 | ConvertTo-Json", fake)
    assert data["Name"] == "app"
    result = run(capsys, "Get-VM | Get-Snapshot -Name app, nosuch", fake)
    assert result.code == 1
    assert '"app"' not in result.out and "app" in result.out  # shown before the error
    assert result.err_lines == [
        "Get-Snapshot: NotFound: Snapshot with name 'nosuch' was not found using the specified filter(s)."
    ]
    assert ok(capsys, "Get-VM | Get-Snapshot -Name app | ConvertTo-Json", fake)["VM"] == "web01"


def test_set_vm_snapshot_reverts(capsys: pytest.CaptureFixture[str], fake: FakeConnector) -> None:
    assert (
        run(capsys, "New-Snapshot web01 one-cpu | Out-Null; Set-VM web01 -NumCpu 3 | Out-Null", fake).code
        == 0
    )
    data = ok(
        capsys, "Set-VM web01 -Snapshot (Get-Snapshot web01 one-cpu) -Confirm:$false | ConvertTo-Json", fake
    )
    assert (data["NumCpu"], data["PowerState"]) == (1, "PoweredOff")
    assert ("revert_to_snapshot", "vm-1-snapshot-1", False) in fake.client.calls
    assert ok(capsys, "Set-VM web01 -Snapshot ONE-CPU | ConvertTo-Json", fake)["Name"] == "web01"


def test_set_vm_snapshot_errors(capsys: pytest.CaptureFixture[str], fake: FakeConnector) -> None:
    assert run(capsys, "New-Snapshot web01 s | Out-Null; New-Snapshot db01 s | Out-Null", fake).code == 0
    result = run(capsys, "Set-VM web01 -Snapshot nosuch", fake)
    assert result.err_lines == ["Set-VM: NotFound: Snapshot with name 'nosuch' was not found on VM 'web01'."]
    result = run(capsys, "Set-VM web01 -Snapshot (Get-Snapshot db01)", fake)
    assert result.err_lines == ["Set-VM: The snapshot 's' does not belong to VM 'web01'."]
    result = run(capsys, "Set-VM web01 -Snapshot (Get-VM db01)", fake)
    assert result.err_lines == [
        "Set-VM: Cannot bind parameter 'Snapshot'. Cannot convert value 'db01' to type Snapshot."
    ]


def test_revert_to_a_memory_snapshot_powers_on(
    capsys: pytest.CaptureFixture[str], fake: FakeConnector
) -> None:
    text = "New-Snapshot web02 live -Memory | Out-Null; Stop-VM web02 -Confirm:$false | Out-Null; "
    text += "Set-VM web02 -Snapshot live | ConvertTo-Json"
    result = run(capsys, text, fake)
    assert result.json()["PowerState"] == "PoweredOn"


def test_remove_snapshot(capsys: pytest.CaptureFixture[str], fake: FakeConnector) -> None:
    snapshot_tree(capsys, fake)
    result = run(capsys, "Get-Snapshot web01 app | Remove-Snapshot -Confirm:$false", fake)
    assert (result.code, result.out, result.err) == (0, "", "")
    assert [s["Name"] for s in ok(capsys, "Get-Snapshot web01 | ConvertTo-Json", fake)] == ["base", "db"]
    # removing the root keeps its child (merged), which becomes a root
    assert run(capsys, "Remove-Snapshot (Get-Snapshot web01 base) -Confirm:$false", fake).code == 0
    data = ok(capsys, "Get-Snapshot web01 | ConvertTo-Json", fake)
    assert (data["Name"], data["ParentSnapshot"], data["IsCurrent"]) == ("db", None, True)


def test_remove_snapshot_with_children_and_async(
    capsys: pytest.CaptureFixture[str], fake: FakeConnector
) -> None:
    snapshot_tree(capsys, fake)
    data = ok(
        capsys, "Get-Snapshot web01 base | Remove-Snapshot -RemoveChildren -RunAsync | ConvertTo-Json", fake
    )
    assert (data["Name"], data["Entity"]) == ("VirtualMachine.removeSnapshot", "web01")
    assert ("remove_snapshot", "vm-1-snapshot-1", True) in fake.client.calls
    assert run(capsys, "Get-Snapshot web01", fake).out == ""
    assert fake.client.vms["vm-1"].current_snapshot_id == ""


def test_remove_snapshot_refuses_other_objects(
    capsys: pytest.CaptureFixture[str], fake: FakeConnector
) -> None:
    result = run(capsys, "Get-VM web01 | Remove-Snapshot", fake)
    assert result.err_lines == [
        "Remove-Snapshot: Cannot bind parameter 'Snapshot'. Cannot convert value 'web01' to type Snapshot."
    ]
    result = run(capsys, "Remove-Snapshot vm-1-snapshot-9 -Confirm:$false", fake)
    assert result.err_lines == ["Remove-Snapshot: NotFound: The Snapshot 'vm-1-snapshot-9' was not found."]


# -- tasks ----------------------------------------------------------------------------------------


def test_get_task_lists_recent_tasks(capsys: pytest.CaptureFixture[str], fake: FakeConnector) -> None:
    fake.client.task_fault = InvalidState("boom")
    assert run(capsys, "Start-VM web01", fake).code == 1
    assert run(capsys, "Start-VM web01 | Out-Null; Stop-VM web02 -RunAsync | Out-Null", fake).code == 0
    data = ok(capsys, "Get-Task | ConvertTo-Json", fake)
    assert [(t["Name"], t["State"], t["Entity"]) for t in data] == [
        ("VirtualMachine.powerOn", "Error", "web01"),
        ("VirtualMachine.powerOn", "Success", "web01"),
        ("VirtualMachine.powerOff", "Success", "web02"),
    ]
    assert data[0]["Error"] == "InvalidState: boom" and data[1]["Result"] == "vm-1"
    failed = ok(capsys, "Get-Task -Status error | ConvertTo-Json", fake)
    assert failed["Id"] == "Task-task-1"
    assert ok(capsys, "Get-Task -Id Task-task-3 | ConvertTo-Json", fake)["Entity"] == "web02"
    assert run(capsys, "Get-Task -Status Done", fake).err_lines == [
        "Get-Task: Cannot bind parameter 'Status'. Cannot convert value 'Done' to type TaskState. "
        "Possible values are: Queued, Running, Success, Error."
    ]
    assert run(capsys, "Get-Task -Id task-99", fake).err_lines == [
        "Get-Task: NotFound: The Task 'task-99' was not found."
    ]


def test_wait_task_outputs_the_vm_and_stop_task_of_a_finished_task(
    capsys: pytest.CaptureFixture[str], fake: FakeConnector
) -> None:
    data = ok(capsys, "Start-VM web01 -RunAsync | Wait-Task | ConvertTo-Json", fake)
    assert (data["Name"], data["PowerState"]) == ("web01", "PoweredOn")
    assert run(capsys, "Get-Task | Wait-Task | Out-Null", fake).code == 0
    assert run(capsys, "Remove-VM db01 -RunAsync | Wait-Task", fake).out == ""  # the VM is gone
    result = run(capsys, "Get-Task -Id task-1 | Stop-Task", fake)
    assert result.err_lines == ["Stop-Task: InvalidState: The task task-1 has already finished."]


# -- events ---------------------------------------------------------------------------------------


def test_get_vievent_newest_first_for_one_vm(capsys: pytest.CaptureFixture[str], fake: FakeConnector) -> None:
    assert run(capsys, "Start-VM web01, db01 | Out-Null; Stop-VM web01 | Out-Null", fake).code == 0
    data = ok(capsys, "Get-VIEvent -Entity web01 -MaxSamples 3 | ConvertTo-Json", fake)
    assert [e["EventTypeId"] for e in data] == ["VmPoweredOffEvent", "VmStoppingEvent", "VmPoweredOnEvent"]
    assert list(data[0]) == ["Key", "CreatedTime", "UserName", "Vm", "EventTypeId", "FullFormattedMessage"]
    assert (data[0]["Vm"], data[0]["UserName"], data[0]["FullFormattedMessage"]) == (
        "web01",
        "root",
        "web01 on esx01 is powered off",
    )
    assert ("events", "vm-1", None, 3, None, None) in fake.client.calls
    everything = ok(capsys, "Get-VIEvent | ConvertTo-Json", fake)
    assert [e["Key"] for e in everything] == [6, 5, 4, 3, 2, 1]
    assert len(ok(capsys, "Get-VM web01, db01 | Get-VIEvent | ConvertTo-Json", fake)) == 6


def test_get_vievent_types_are_categories_or_event_names(
    capsys: pytest.CaptureFixture[str], fake: FakeConnector
) -> None:
    client = fake.client
    client.record("VmFailedToPowerOnEvent", client.vms["vm-1"], "Cannot power on web01: no memory")
    client.record("HostdRestartedEvent", None, "hostd restarted")
    assert run(capsys, "Start-VM web01 | Out-Null", fake).code == 0
    error = ok(capsys, "Get-VIEvent -Types Error | ConvertTo-Json", fake)
    assert error["EventTypeId"] == "VmFailedToPowerOnEvent"
    both = ok(capsys, "Get-VIEvent -Types warning, VmPoweredOnEvent | ConvertTo-Json", fake)
    assert [e["EventTypeId"] for e in both] == ["VmPoweredOnEvent", "HostdRestartedEvent"]
    assert both[1]["Vm"] is None
    named = ok(capsys, "Get-VIEvent -Types VmStartingEvent | ConvertTo-Json", fake)
    assert named["EventTypeId"] == "VmStartingEvent"
    assert ("events", "", ["VmStartingEvent"], 100, None, None) in client.calls  # filtered by the host
    assert run(capsys, "Get-VIEvent -Types Critical", fake).err_lines == [
        "Get-VIEvent: Cannot bind parameter 'Types'. Cannot convert value 'Critical' to type EventCategory. "
        "Possible values are: Error, Info, Warning, or an event type such as VmPoweredOnEvent."
    ]


def test_get_vievent_time_window_user_and_limits(
    capsys: pytest.CaptureFixture[str], fake: FakeConnector
) -> None:
    assert run(capsys, "Start-VM web01 | Out-Null", fake).code == 0  # events at T0 and T0+1s
    start = (T0 + dt.timedelta(seconds=1)).isoformat()
    data = ok(capsys, f"Get-VIEvent -Start '{start}' | ConvertTo-Json", fake)
    assert data["EventTypeId"] == "VmPoweredOnEvent"
    data = ok(capsys, "Get-VIEvent -Finish '2024-11-27T07:26:00Z' | ConvertTo-Json", fake)
    assert data["EventTypeId"] == "VmStartingEvent"
    assert run(capsys, "Get-VIEvent -Username nobody", fake).out == ""
    assert len(ok(capsys, "Get-VIEvent -Username ROOT -MaxSamples 0 | ConvertTo-Json", fake)) == 2
    assert run(capsys, "Get-VIEvent -MaxSamples -1", fake).err_lines == [
        "Get-VIEvent: Cannot validate argument on parameter 'MaxSamples'. The -1 argument is less than the "
        "minimum allowed range of 0."
    ]
    assert run(capsys, "Get-VIEvent -Start yesterday", fake).err_lines == [
        "Get-VIEvent: Cannot bind parameter 'Start'. Cannot convert value 'yesterday' to type DateTime. "
        "String was not recognized as a valid DateTime."
    ]


def test_datetime_arguments() -> None:
    assert to_datetime("2024-11-27T07:26:00Z") == T0
    assert to_datetime("2024-11-27 07:26:00+00:00") == T0
    assert to_datetime(T0) is T0
    local = to_datetime("11/27/2024 7:26:00 AM")
    assert local.tzinfo is not None and (local.hour, local.minute) == (7, 26)
    assert to_datetime("11/27/2024").date() == dt.date(2024, 11, 27)
    with pytest.raises(ConversionError):
        to_datetime(42)

"""Cmdlets end to end: command lines through ``main`` against a fake host."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pyesx.faults import InvalidState
from tests.unit.shell_fake import FakeConnector, run

pytestmark = pytest.mark.timeout(30)


@pytest.fixture
def fake() -> FakeConnector:
    connector = FakeConnector()
    connector.client.add_vm("web01")
    connector.client.add_vm("web02", "poweredOn")
    connector.client.add_vm("db01")
    return connector


def names(result_json: Any) -> list[str]:
    items = result_json if isinstance(result_json, list) else [result_json]
    return [item["Name"] for item in items]


# -- New-VM / Start-VM / Get-VM -----------------------------------------------------------------


def test_create_start_and_show_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    fake = FakeConnector()
    text = "New-VM -Name web01 -NumCpu 2 -MemoryMB 256; Start-VM web01; Get-VM web01 | ConvertTo-Json"
    result = run(capsys, text, fake)
    assert (result.code, result.err) == (0, "")
    json_text = result.out[result.out.index("{") :]
    data = json.loads(json_text)
    assert data["Name"] == "web01"
    assert data["PowerState"] == "PoweredOn"
    assert (data["NumCpu"], data["MemoryMB"], data["MemoryGB"]) == (2, 256, 0.25)
    assert data["Id"] == "VirtualMachine-vm-1"
    assert list(data) == [
        "Name",
        "PowerState",
        "NumCpu",
        "MemoryMB",
        "MemoryGB",
        "GuestId",
        "Notes",
        "ProvisionedSpaceGB",
        "UsedSpaceGB",
        "Id",
        "Uuid",
        "VmxPath",
        "ResourcePool",
        "ResourcePoolId",
    ]
    assert "web01 PoweredOff 2        0.250" in result.out  # New-VM's output, as a PowerCLI table
    assert "web01 PoweredOn  2        0.250" in result.out  # Start-VM's output


def test_new_vm_defaults_and_memory_in_gb(capsys: pytest.CaptureFixture[str]) -> None:
    fake = FakeConnector()
    assert (
        run(capsys, "New-VM a | Out-Null; New-VM b -MemoryGB 1.5 -Notes 'hello there' | Out-Null", fake).code
        == 0
    )
    creates = [call[:6] for call in fake.client.calls if call[0] == "create_vm"]
    assert creates == [
        ("create_vm", "a", 1, 256, "otherGuest64", ""),
        ("create_vm", "b", 1, 1536, "otherGuest64", "hello there"),
    ]


def test_new_vm_waits_and_outputs_the_vm_the_task_made(capsys: pytest.CaptureFixture[str]) -> None:
    fake = FakeConnector()
    result = run(capsys, "New-VM web01 | ConvertTo-Json -Compress", fake)
    assert result.json()["PowerState"] == "PoweredOff"
    assert [c[0] for c in fake.client.calls] == ["create_vm", "wait_for_task", "logout", "close"]


def test_new_vm_duplicate_name(capsys: pytest.CaptureFixture[str], fake: FakeConnector) -> None:
    result = run(capsys, "New-VM web01", fake)
    assert (result.code, result.out) == (1, "")
    assert result.err_lines == ["New-VM: DuplicateName: The name 'web01' already exists."]


def test_get_vm_all_and_by_wildcard(capsys: pytest.CaptureFixture[str], fake: FakeConnector) -> None:
    assert names(run(capsys, "Get-VM | ConvertTo-Json", fake).json()) == ["web01", "web02", "db01"]
    assert names(run(capsys, "Get-VM web* | ConvertTo-Json", fake).json()) == ["web01", "web02"]
    assert names(run(capsys, "Get-VM WEB0? | ConvertTo-Json", fake).json()) == ["web01", "web02"]
    assert names(run(capsys, "Get-VM -Name db01, web02 | ConvertTo-Json", fake).json()) == ["db01", "web02"]
    assert names(run(capsys, "Get-VM *01, web* | ConvertTo-Json", fake).json()) == ["web01", "db01", "web02"]
    assert names(run(capsys, "Get-VM DB01 | ConvertTo-Json", fake).json()) == ["db01"]


def test_get_vm_wildcard_without_match_is_empty(
    capsys: pytest.CaptureFixture[str], fake: FakeConnector
) -> None:
    result = run(capsys, "Get-VM zz*", fake)
    assert (result.code, result.out, result.err) == (0, "", "")


def test_get_vm_unknown_name_is_an_error(capsys: pytest.CaptureFixture[str], fake: FakeConnector) -> None:
    result = run(capsys, "Get-VM web01, nosuch", fake)
    assert result.code == 1
    assert result.err_lines == [
        "Get-VM: NotFound: VM with name 'nosuch' was not found using the specified filter(s)."
    ]


def test_get_vm_by_id(capsys: pytest.CaptureFixture[str], fake: FakeConnector) -> None:
    assert names(run(capsys, "Get-VM -Id VirtualMachine-vm-3, vm-1 | ConvertTo-Json", fake).json()) == [
        "db01",
        "web01",
    ]
    result = run(capsys, "Get-VM -Id vm-99", fake)
    assert result.err_lines == ["Get-VM: NotFound: The VirtualMachine 'vm-99' was not found."]


def test_default_display_is_a_table(capsys: pytest.CaptureFixture[str], fake: FakeConnector) -> None:
    result = run(capsys, "Get-VM", fake)
    assert result.out == (
        "\n"
        "Name  PowerState Num CPUs MemoryGB\n"
        "----  ---------- -------- --------\n"
        "web01 PoweredOff 1        0.250\n"
        "web02 PoweredOn  1        0.250\n"
        "db01  PoweredOff 1        0.250\n"
        "\n"
    )


# -- Start-VM / Stop-VM / Remove-VM -------------------------------------------------------------


def test_start_vm_by_name_object_and_pipeline(
    capsys: pytest.CaptureFixture[str], fake: FakeConnector
) -> None:
    assert run(capsys, "Start-VM web01 | Out-Null", fake).code == 0
    assert run(capsys, "Start-VM -VM (Get-VM db01) | Out-Null", fake).code == 0
    powered = run(capsys, "Get-VM | ConvertTo-Json", fake).json()
    assert {vm["Name"]: vm["PowerState"] for vm in powered} == {
        "web01": "PoweredOn",
        "web02": "PoweredOn",
        "db01": "PoweredOn",
    }


def test_stop_vm_from_pipeline(capsys: pytest.CaptureFixture[str], fake: FakeConnector) -> None:
    assert run(capsys, "Start-VM web01 | Out-Null", fake).code == 0
    result = run(capsys, "Get-VM web* | Stop-VM -Confirm:$false | ConvertTo-Json", fake)
    assert result.code == 0
    assert [(vm["Name"], vm["PowerState"]) for vm in result.json()] == [
        ("web01", "PoweredOff"),
        ("web02", "PoweredOff"),
    ]
    assert [c for c in fake.client.calls if c[0] == "power_off"] == [
        ("power_off", "vm-1"),
        ("power_off", "vm-2"),
    ]


def test_names_from_the_pipeline(capsys: pytest.CaptureFixture[str], fake: FakeConnector) -> None:
    result = run(capsys, "'web01', 'db*' | Start-VM | ConvertTo-Json -Compress", fake)
    assert [vm["Name"] for vm in result.json()] == ["web01", "db01"]


def test_stop_vm_kill(capsys: pytest.CaptureFixture[str], fake: FakeConnector) -> None:
    assert run(capsys, "Stop-VM web02 -Kill -Confirm:$false | Out-Null", fake).code == 0
    assert ("kill", "vm-2") in fake.client.calls
    assert not any(c[0] == "power_off" for c in fake.client.calls)


def test_wrong_power_state_stops_the_script(capsys: pytest.CaptureFixture[str], fake: FakeConnector) -> None:
    result = run(capsys, "'before'; Start-VM web02; 'after'", fake)
    assert result.code == 1
    assert result.out == "before\n"
    assert result.err_lines == [
        "Start-VM: InvalidPowerState: The attempted operation cannot be performed in the current state "
        "(poweredOn); it requires poweredOff."
    ]
    assert "Traceback" not in result.err


def test_output_before_an_error_in_the_same_pipeline_is_shown(
    capsys: pytest.CaptureFixture[str], fake: FakeConnector
) -> None:
    result = run(capsys, "Get-VM web02, web01 | Stop-VM", fake)
    assert result.code == 1
    assert "web02 PoweredOff" in result.out
    assert result.err_lines[0].startswith("Stop-VM: InvalidPowerState: ")


def test_error_action_silently_continue(capsys: pytest.CaptureFixture[str], fake: FakeConnector) -> None:
    result = run(
        capsys, "Get-VM | Stop-VM -ErrorAction SilentlyContinue | ConvertTo-Json -Compress; 'done'", fake
    )
    assert (result.code, result.err) == (0, "")
    assert result.out.splitlines()[-1] == "done"
    assert '"Name":"web02"' in result.out
    assert run(capsys, "Get-VM nosuch -ea Ignore; 'ok'", fake).out == "ok\n"


def test_remove_vm_unregisters_unless_delete_permanently(
    capsys: pytest.CaptureFixture[str], fake: FakeConnector
) -> None:
    result = run(capsys, "Remove-VM web01 -Confirm:$false", fake)
    assert (result.code, result.out, result.err) == (0, "", "")
    assert ("unregister_vm", "vm-1") in fake.client.calls
    result = run(capsys, "Get-VM db01 | Remove-VM -DeletePermanently -Confirm:$false", fake)
    assert (result.code, result.out) == (0, "")
    assert ("destroy_vm", "vm-3") in fake.client.calls
    assert names(run(capsys, "Get-VM | ConvertTo-Json", fake).json()) == ["web02"]


def test_remove_vm_fault_from_unregister_propagates(
    capsys: pytest.CaptureFixture[str], fake: FakeConnector
) -> None:
    fake.client.unregister_fault = InvalidState("unregistering is not supported yet")
    result = run(capsys, "Remove-VM web01 -Confirm:$false", fake)
    assert (result.code, result.err_lines) == (
        1,
        ["Remove-VM: InvalidState: unregistering is not supported yet"],
    )


def test_remove_powered_on_vm_fails(capsys: pytest.CaptureFixture[str], fake: FakeConnector) -> None:
    result = run(capsys, "Remove-VM web02 -DeletePermanently -Confirm:$false", fake)
    assert result.code == 1
    assert result.err_lines[0].startswith("Remove-VM: InvalidPowerState: ")


def test_unknown_vm_name_for_start(capsys: pytest.CaptureFixture[str], fake: FakeConnector) -> None:
    result = run(capsys, "Start-VM nosuch", fake)
    assert result.err_lines == [
        "Start-VM: NotFound: VM with name 'nosuch' was not found using the specified filter(s)."
    ]


def test_non_vm_objects_are_refused(capsys: pytest.CaptureFixture[str], fake: FakeConnector) -> None:
    result = run(capsys, "Get-VMHost | Start-VM", fake)
    assert result.err_lines == [
        "Start-VM: Cannot bind parameter 'VM'. Cannot convert value 'esx01' to type VirtualMachine."
    ]


# -- tasks --------------------------------------------------------------------------------------


def test_run_async_returns_tasks(capsys: pytest.CaptureFixture[str], fake: FakeConnector) -> None:
    result = run(capsys, "Start-VM web01, db01 -RunAsync | ConvertTo-Json", fake)
    tasks = result.json()
    assert [(t["Name"], t["State"], t["Entity"]) for t in tasks] == [
        ("VirtualMachine.powerOn", "Running", "web01"),
        ("VirtualMachine.powerOn", "Running", "db01"),
    ]
    assert tasks[0]["Id"].startswith("Task-task-")
    assert list(tasks[0]) == [
        "Name",
        "State",
        "PercentComplete",
        "Id",
        "StartTime",
        "FinishTime",
        "Entity",
        "Description",
        "IsCancelable",
        "ObjectId",
        "Result",
        "Error",
    ]
    assert not any(c[0] == "wait_for_task" for c in fake.client.calls)


def test_run_async_new_vm_then_wait_task(capsys: pytest.CaptureFixture[str]) -> None:
    fake = FakeConnector()
    result = run(capsys, "$t = New-VM app01 -RunAsync; $t.State; $t | Wait-Task | ConvertTo-Json", fake)
    assert result.code == 0
    state, json_text = result.out.split("\n", 1)
    assert state == "Running"
    assert json.loads(json_text)["Name"] == "app01"


def test_run_async_task_table(capsys: pytest.CaptureFixture[str], fake: FakeConnector) -> None:
    result = run(capsys, "Stop-VM web02 -RunAsync -Confirm:$false", fake)
    header = result.out.splitlines()[1]
    assert header.split() == ["Name", "State", "%", "Complete", "Start", "Time", "Finish", "Time"]


def test_wait_task_raises_the_task_fault(capsys: pytest.CaptureFixture[str], fake: FakeConnector) -> None:
    fake.client.task_fault = InvalidState("the vmx could not start")
    result = run(capsys, "Start-VM web01 -RunAsync | Wait-Task", fake)
    assert result.err_lines == ["Wait-Task: InvalidState: the vmx could not start"]
    assert fake.client.vms["vm-1"].power_state == "poweredOff"


def test_a_refused_request_fails_before_any_task(
    capsys: pytest.CaptureFixture[str], fake: FakeConnector
) -> None:
    result = run(capsys, "Start-VM web02 -RunAsync", fake)
    assert (result.code, result.out) == (1, "")
    assert result.err_lines[0].startswith("Start-VM: InvalidPowerState: ")


# -- host ---------------------------------------------------------------------------------------


def test_get_vmhost(capsys: pytest.CaptureFixture[str], fake: FakeConnector) -> None:
    data = run(capsys, "Get-VMHost | ConvertTo-Json", fake).json()
    assert data == {
        "Name": "esx01",
        "ConnectionState": "Connected",
        "State": "Connected",
        "PowerState": "PoweredOn",
        "NumCpu": 8,
        "CpuTotalMhz": 19200,
        "CpuUsageMhz": 1200,
        "MemoryTotalGB": 64.0,
        "MemoryUsageGB": 8.0,
        "Version": "8.0.2",
        "Build": "22380479",
        "Uptime": 3600,
    }
    table = run(capsys, "Get-VMHost", fake).out.splitlines()
    assert table[1].startswith("Name  ConnectionState PowerState NumCpu CpuUsageMhz CpuTotalMhz")
    assert run(capsys, "Get-VMHost esx* | Out-Null", fake).code == 0
    assert run(capsys, "Get-VMHost other", fake).err_lines == [
        "Get-VMHost: NotFound: VMHost with name 'other' was not found using the specified filter(s)."
    ]


# -- output cmdlets -----------------------------------------------------------------------------


def test_convert_to_json_arrays_and_single_values(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "1, 2 | ConvertTo-Json").out == "[\n  1,\n  2\n]\n"
    assert run(capsys, "'x' | ConvertTo-Json").out == '"x"\n'
    assert run(capsys, "ConvertTo-Json -InputObject @(1)").out == "[\n  1\n]\n"
    assert run(capsys, "7 | ConvertTo-Json -AsArray -Compress").out == "[7]\n"
    assert run(capsys, "$null | ConvertTo-Json").out == "null\n"
    assert run(capsys, "@() | ConvertTo-Json").out == ""
    assert run(capsys, "ConvertTo-Json 'a', 'b' -Compress").out == '["a","b"]\n'


def test_convert_to_json_depth_warns_when_truncating(capsys: pytest.CaptureFixture[str]) -> None:
    result = run(capsys, "ConvertTo-Json -InputObject ((1, 2), (3, 4)) -Depth 0 -Compress")
    assert result.out == '["1 2","3 4"]\n'
    assert result.err_lines == [
        "WARNING: Resulting JSON is truncated as serialization has exceeded the set depth of 0."
    ]


def test_format_table_and_list(capsys: pytest.CaptureFixture[str], fake: FakeConnector) -> None:
    table = run(capsys, "Get-VM web* | Format-Table Name, NumCpu", fake).out
    assert table == "\nName  NumCpu\n----  ------\nweb01      1\nweb02      1\n\n"
    listing = run(capsys, "Get-VM web01 | fl Name, PowerState", fake).out
    assert listing == "\nName       : web01\nPowerState : PoweredOff\n\n"


def test_write_output_write_host_out_null_out_string(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "Write-Output a b; echo c").out == "a\nb\nc\n"
    assert run(capsys, "Write-Host one two -Separator '-'; Write-Host x -NoNewline").out == "one-two\nx"
    assert run(capsys, "Write-Output 1 | Out-Null").out == ""
    assert run(capsys, "$s = 'a', 'b' | Out-String; $s.Length").out == "4\n"

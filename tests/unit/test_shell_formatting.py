"""Output as text and JSON: tables, lists, the default display, ConvertTo-Json's shape."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from clients.shell.formatting import format_default, format_list, format_table
from clients.shell.jsonout import to_json
from clients.shell.psobject import PSObject
from clients.shell.views import host_object, task_object, vm_object
from tests.unit.shell_fake import T0, FakeClient

pytestmark = pytest.mark.timeout(30)


def vms() -> list[PSObject]:
    fake = FakeClient()
    fake.add_vm("web01", "poweredOn", num_cpu=2, memory_mb=256)
    fake.add_vm("database01", memory_mb=4096)
    return [vm_object(vm) for vm in fake.list_vms()]


def test_vm_object_properties_in_powercli_order() -> None:
    (vm, _) = vms()
    assert vm.names() == [
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
    assert (vm.get("powerstate"), vm.get("MemoryGB"), vm.get("Id")) == (
        "PoweredOn",
        0.25,
        "VirtualMachine-vm-1",
    )
    assert (vm.get("ProvisionedSpaceGB"), vm.get("UsedSpaceGB")) == (0.25, 0.0)  # memory, no disks


def test_default_display_of_vms_is_powercli_table() -> None:
    assert format_default(vms()) == (
        "\n"
        "Name       PowerState Num CPUs MemoryGB\n"
        "----       ---------- -------- --------\n"
        "web01      PoweredOn  2        0.250\n"
        "database01 PoweredOff 1        4.000\n"
        "\n"
    )


def test_host_table_aligns_numbers_right() -> None:
    text = format_default([host_object(FakeClient().host())])
    lines = text.splitlines()
    assert lines[1].split() == [
        "Name",
        "ConnectionState",
        "PowerState",
        "NumCpu",
        "CpuUsageMhz",
        "CpuTotalMhz",
        "MemoryUsageGB",
        "MemoryTotalGB",
        "Version",
    ]
    assert lines[3].split() == [
        "esx01",
        "Connected",
        "PoweredOn",
        "8",
        "1200",
        "19200",
        "8.000",
        "64.000",
        "8.0.2",
    ]
    assert lines[3].index("     8") > 0


def test_format_table_with_chosen_properties_and_wildcards() -> None:
    assert format_table(vms(), ["Name", "Memory*"]) == (
        "\n"
        "Name       MemoryMB MemoryGB\n"
        "----       -------- --------\n"
        "web01           256     0.25\n"
        "database01     4096        4\n"
        "\n"
    )


def test_format_list() -> None:
    text = format_list(vms()[:1], ["Name", "NumCpu"])
    assert text == "\nName   : web01\nNumCpu : 2\n\n"
    everything = format_list(vms()[:1])
    assert "VmxPath            : [datastore1] web01/web01.vmx" in everything


def test_format_list_indents_multiline_values() -> None:
    obj = PSObject("Custom", [("Name", "x"), ("Notes", "one\ntwo")])
    assert format_list([obj]) == "\nName  : x\nNotes : one\n        two\n\n"


def test_default_display_groups_by_type_and_prints_plain_values() -> None:
    objects: list[object] = ["hello", 42, None, *vms()[:1], host_object(FakeClient().host())]
    text = format_default(objects)
    assert text.startswith("hello\n42\n\nName  PowerState")
    assert text.count("----") >= 2


def test_small_custom_objects_are_tables_big_ones_lists() -> None:
    small = PSObject("Custom", [("a", 1), ("b", [1, 2])])
    assert format_default([small]) == "\na b\n- -\n1 {1, 2}\n\n"
    big = PSObject("Custom", [(k, 1) for k in "abcde"])
    assert format_default([big]).startswith("\na : 1\nb : 1\n")


def test_task_view() -> None:
    task = task_object(FakeClient()._task("VirtualMachine.powerOn", None))
    assert task.get("State") == "Running"
    assert task.get("Id") == "Task-task-1"
    assert format_default([task]).splitlines()[1].split() == [
        "Name",
        "State",
        "%",
        "Complete",
        "Start",
        "Time",
        "Finish",
        "Time",
    ]


def test_json_is_powershell_style() -> None:
    result = to_json(vms()[0])
    assert result.text.startswith('{\n  "Name": "web01",\n  "PowerState": "PoweredOn",\n  "NumCpu": 2,')
    assert not result.truncated
    assert to_json([1, "a", None, True, 1.5], compress=True).text == '[1,"a",null,true,1.5]'
    assert to_json([]).text == "[]"


def test_json_dates_are_iso_strings() -> None:
    task = task_object(FakeClient()._task("VirtualMachine.powerOn", None))
    data = json.loads(to_json(task).text)
    assert data["StartTime"] == T0.isoformat()
    assert dt.datetime.fromisoformat(data["StartTime"]) == T0
    assert data["FinishTime"] is None


def test_json_depth_truncates_to_strings() -> None:
    inner = PSObject("VirtualMachine", [("Name", "web01")], label="web01")
    outer = PSObject("Custom", [("vm", inner), ("list", [[1, 2]])])
    shallow = to_json(outer, depth=1)
    assert json.loads(shallow.text) == {"vm": {"Name": "web01"}, "list": ["1 2"]}
    assert shallow.truncated
    assert json.loads(to_json(outer, depth=0).text) == {"vm": "web01", "list": "1 2"}
    assert not to_json(outer, depth=2).truncated

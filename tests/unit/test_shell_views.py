"""Default views per type as PowerCLI shows them, tables fitted to the terminal, Format-Table/-List."""

from __future__ import annotations

import io

import pytest

from clients.shell.cmdlets import advanced, datastore, network, resources
from clients.shell.console import Console
from clients.shell.evaluator import Interpreter
from clients.shell.formatting import fit_widths, format_default, format_table
from clients.shell.runner import Runner
from clients.shell.session import Credentials, Session
from clients.shell.views import (
    ADVANCED_SETTING_TYPE,
    DATASTORE_TYPE,
    HOST_NIC_TYPE,
    RESOURCE_CONFIG_TYPE,
    VSWITCH_TYPE,
    vm_object,
)
from tests.unit.shell_fake import FakeClient, FakeConnector, run

pytestmark = pytest.mark.timeout(30)


@pytest.fixture
def fake() -> FakeConnector:
    connector = FakeConnector()
    connector.client.add_vm("web01", "poweredOn", num_cpu=2, memory_mb=2048)
    connector.client.add_vm("database-server-with-a-long-name", memory_mb=4096)
    return connector


def test_view_type_names_match_the_cmdlets() -> None:
    assert DATASTORE_TYPE == datastore.DATASTORE_TYPE
    assert VSWITCH_TYPE == network.SWITCH_TYPE
    assert HOST_NIC_TYPE == network.ADAPTER_TYPE
    assert RESOURCE_CONFIG_TYPE == resources.CONFIG_TYPE
    assert ADVANCED_SETTING_TYPE == advanced.SETTING_TYPE


def test_default_views(capsys: pytest.CaptureFixture[str], fake: FakeConnector) -> None:
    vms = run(capsys, "Get-VM", fake).out.splitlines()
    assert vms[1].split() == ["Name", "PowerState", "Num", "CPUs", "MemoryGB"]
    assert vms[3].split() == ["web01", "PoweredOn", "2", "2.000"]
    stores = run(capsys, "Get-Datastore", fake).out.splitlines()
    assert stores[1].split() == ["Name", "FreeSpaceGB", "CapacityGB"]
    switches = run(capsys, "Get-VirtualSwitch", fake).out.splitlines()
    assert switches[1].split() == ["Name", "NumPorts", "Mtu", "Nic"]
    assert switches[3].split() == ["vSwitch0", "128", "1500", "{vmnic0}"]
    config = run(capsys, "Get-VMResourceConfiguration web01", fake).out.splitlines()
    assert config[1].split() == [
        "VM",
        "NumCpuShares",
        "CpuReservationMhz",
        "NumMemShares",
        "MemReservationMB",
    ]


def test_tables_fit_the_width_by_cutting_the_widest_column() -> None:
    fake = FakeClient()
    fake.add_vm("database-server-with-a-long-name", memory_mb=4096)
    objects = [vm_object(vm) for vm in fake.list_vms()]
    lines = format_default(objects, width=40).splitlines()
    assert lines[1:4] == [
        "Name        PowerState Num CPUs MemoryGB",
        "----        ---------- -------- --------",
        "database-s… PoweredOff 1        4.000",
    ]
    assert all(len(line) <= 40 for line in lines)
    assert format_default(objects).splitlines()[3].startswith("database-server-with-a-long-name ")


def test_autosize_drops_the_columns_that_do_not_fit() -> None:
    fake = FakeClient()
    fake.add_vm("database-server-with-a-long-name", memory_mb=4096)
    objects = [vm_object(vm) for vm in fake.list_vms()]
    lines = format_table(objects, ["Name", "PowerState", "NumCpu"], width=45, autosize=True).splitlines()
    assert lines[1].split() == ["Name", "PowerState"]
    assert lines[3] == "database-server-with-a-long-name PoweredOff"
    assert fit_widths(["a", "b"], [3, 3], None, autosize=True) == [3, 3]


def test_the_terminal_width_applies_to_statements_and_format_table(fake: FakeConnector) -> None:
    out = io.StringIO()
    console = Console(out, io.StringIO(), width=40)
    runner = Runner(Interpreter(Session(fake, Credentials("fake:8443", "root", "secret")), console), console)
    assert runner.run_script("Get-VM; Get-VM | Format-Table Name, Notes, Id -AutoSize") == 0
    lines = out.getvalue().splitlines()
    assert all(len(line) <= 40 for line in lines)
    assert "database-s… PoweredOff 1        4.000" in lines
    assert "database-server-with-a-long-name" in lines  # -AutoSize keeps Name whole, drops the rest
    assert Console(io.StringIO(), io.StringIO()).width is None  # not a terminal: no limit


def test_format_list_star_and_table_properties(
    capsys: pytest.CaptureFixture[str], fake: FakeConnector
) -> None:
    everything = run(capsys, "Get-VM web01 | Format-List *", fake).out.splitlines()
    assert [line.split(":")[0].strip() for line in everything if line] == vm_object(
        fake.client.list_vms(["web01"])[0]
    ).names()
    table = run(capsys, "Get-VM web01 | Format-Table Name, Mem* -AutoSize", fake).out.splitlines()
    assert table[1:4] == ["Name  MemoryMB MemoryGB", "----  -------- --------", "web01     2048        2"]


def test_convert_to_json_depth(capsys: pytest.CaptureFixture[str], fake: FakeConnector) -> None:
    nested = "[pscustomobject]@{a=[pscustomobject]@{b=[pscustomobject]@{c=1}}}"
    assert run(capsys, f"{nested} | ConvertTo-Json -Depth 5 -Compress").json() == {"a": {"b": {"c": 1}}}
    shallow = run(capsys, f"{nested} | ConvertTo-Json -Depth 1 -Compress")
    assert shallow.json() == {"a": {"b": "@{c=1}"}}
    assert "Resulting JSON is truncated as serialization has exceeded the set depth of 1." in shallow.err


def test_format_calculated_properties(capsys: pytest.CaptureFixture[str], fake: FakeConnector) -> None:
    table = run(capsys, "Get-VM web01 | Format-Table Name, @{N='GB'; E={$_.MemoryMB / 1024}}", fake)
    assert table.out.splitlines()[1:4] == ["Name  GB", "----  --", "web01  2"]
    listing = run(capsys, "Get-VM web01 | Format-List Name, @{Label='Cpus'; Expression='NumCpu'}", fake)
    assert listing.out.splitlines() == ["", "Name : web01", "Cpus : 2", ""]

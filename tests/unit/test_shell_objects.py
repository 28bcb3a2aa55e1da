"""Object cmdlets without script blocks: Select/Sort/Group/Where (simplified)/ForEach (member), CSV."""

from __future__ import annotations

import pathlib

import pytest

from tests.unit.shell_fake import FakeConnector, run

pytestmark = pytest.mark.timeout(30)


@pytest.fixture
def fake() -> FakeConnector:
    connector = FakeConnector()
    connector.client.add_vm("web01", "poweredOn", num_cpu=2, memory_mb=2048)
    connector.client.add_vm("db01", memory_mb=4096)
    connector.client.add_vm("web02", num_cpu=4)
    return connector


def lines(capsys: pytest.CaptureFixture[str], text: str, fake: FakeConnector | None = None) -> list[str]:
    result = run(capsys, text, fake)
    assert result.code == 0, result.err
    return result.out.splitlines()


# -- Select-Object --------------------------------------------------------------------------------


def test_select_properties_and_wildcards(capsys: pytest.CaptureFixture[str], fake: FakeConnector) -> None:
    out = run(capsys, "Get-VM | Select-Object Name, Mem* | ConvertTo-Json -Compress", fake)
    assert out.json() == [
        {"Name": "web01", "MemoryMB": 2048, "MemoryGB": 2.0},
        {"Name": "db01", "MemoryMB": 4096, "MemoryGB": 4.0},
        {"Name": "web02", "MemoryMB": 256, "MemoryGB": 0.25},
    ]
    table = lines(capsys, "Get-VM | Select-Object name, numcpu", fake)
    assert table[1:4] == ["Name  NumCpu", "----  ------", "web01      2"]


def test_select_first_last_skip_unique(capsys: pytest.CaptureFixture[str], fake: FakeConnector) -> None:
    assert lines(capsys, "1,2,3,4,5 | Select-Object -First 2") == ["1", "2"]
    assert lines(capsys, "1,2,3,4,5 | Select-Object -Last 2") == ["4", "5"]
    assert lines(capsys, "1,2,3,4,5 | Select-Object -Skip 1 -First 2") == ["2", "3"]
    assert lines(capsys, "1,2,3,4,5 | Select-Object -Last 2 -Skip 1") == ["3", "4"]
    assert lines(capsys, "1,2,2,3,1 | Select-Object -Unique") == ["1", "2", "3"]
    assert lines(capsys, "Get-VM | Select-Object -Last 1 -ExpandProperty Name", fake) == ["web02"]


def test_select_expand_property(capsys: pytest.CaptureFixture[str], fake: FakeConnector) -> None:
    assert lines(capsys, "Get-VM | Select-Object -ExpandProperty Name", fake) == ["web01", "db01", "web02"]
    result = run(capsys, "Get-VM | Select-Object -ExpandProperty Nope", fake)
    assert result.code == 1
    assert result.err_lines == ['Select-Object: Property "Nope" cannot be found.']


def test_select_exclude_property(capsys: pytest.CaptureFixture[str], fake: FakeConnector) -> None:
    out = run(capsys, "Get-VM web01 | Select-Object Name, Mem* -ExcludeProperty *GB | ConvertTo-Json", fake)
    assert out.json() == {"Name": "web01", "MemoryMB": 2048}


# -- Sort-Object ----------------------------------------------------------------------------------


def test_sort_by_property_descending_and_stable(
    capsys: pytest.CaptureFixture[str], fake: FakeConnector
) -> None:
    assert lines(capsys, "Get-VM | Sort-Object MemoryMB -Descending | ForEach-Object Name", fake) == [
        "db01",
        "web01",
        "web02",
    ]
    # equal keys keep their input order
    assert lines(capsys, "Get-VM | Sort-Object PowerState | ForEach-Object Name", fake) == [
        "db01",
        "web02",
        "web01",
    ]
    assert lines(capsys, "Get-VM | Sort-Object PowerState, Name -Descending | ForEach-Object Name", fake) == [
        "web01",
        "web02",
        "db01",
    ]


def test_sort_values_ignore_case_and_unique(capsys: pytest.CaptureFixture[str]) -> None:
    assert lines(capsys, "'b', 'A', 'a', 'B' | Sort-Object") == ["A", "a", "b", "B"]
    assert lines(capsys, "'b', 'A', 'a', 'B', 'a' | Sort-Object -CaseSensitive -Unique") == [
        "a",
        "A",
        "b",
        "B",
    ]
    assert lines(capsys, "3, 10, 2, 10 | Sort-Object -Unique") == ["2", "3", "10"]
    assert lines(capsys, "'b', 'A', 'a' | Sort-Object -Unique") == ["A", "b"]


# -- Group-Object ---------------------------------------------------------------------------------


def test_group_object(capsys: pytest.CaptureFixture[str], fake: FakeConnector) -> None:
    assert lines(capsys, "Get-VM | Group-Object PowerState", fake) == [
        "",
        "Count Name       Group",
        "----- ----       -----",
        "    1 PoweredOn  {web01}",
        "    2 PoweredOff {db01, web02}",
        "",
    ]
    result = run(capsys, "Get-VM | Group-Object PowerState -NoElement | ConvertTo-Json -Compress", fake)
    assert result.json() == [
        {"Count": 1, "Name": "PoweredOn", "Values": ["PoweredOn"]},
        {"Count": 2, "Name": "PoweredOff", "Values": ["PoweredOff"]},
    ]
    assert lines(capsys, "'a','A','b' | Group-Object | ForEach-Object Count") == ["2", "1"]


# -- Where-Object (simplified syntax) ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("Name -eq WEB01", ["web01"]),
        ("Name -ceq WEB01", []),
        ("Name -ne web01", ["db01", "web02"]),
        ("Name -like 'web*'", ["web01", "web02"]),
        ("Name -notlike 'web*'", ["db01"]),
        ("MemoryMB -gt 1024", ["web01", "db01"]),
        ("NumCpu -le 2", ["web01", "db01"]),
        ("Name -match '^w.*2$'", ["web02"]),
        ("Name -notmatch '^w'", ["db01"]),
        ("Name -in 'db01','web02'", ["db01", "web02"]),
        ("Name -notin 'db01','web02'", ["web01"]),
        ("PowerState -eq PoweredOn", ["web01"]),
        ("Notes", []),
        ("Name", ["web01", "db01", "web02"]),
    ],
)
def test_where_object_simplified(
    capsys: pytest.CaptureFixture[str], fake: FakeConnector, condition: str, expected: list[str]
) -> None:
    assert lines(capsys, f"Get-VM | Where-Object {condition} | ForEach-Object Name", fake) == expected


def test_where_object_contains(capsys: pytest.CaptureFixture[str], fake: FakeConnector) -> None:
    fake.client.add_vm("multi")
    out = lines(
        capsys, "Get-Snapshot -VM web01 -ErrorAction SilentlyContinue; 'x' | Where-Object Length -eq 1"
    )
    assert out == ["x"]
    group = (
        "Get-VM | Group-Object PowerState | Where-Object Values -contains poweredoff | ForEach-Object Count"
    )
    assert lines(capsys, group, fake) == ["3"]


def test_where_object_bad_operator_combination(
    capsys: pytest.CaptureFixture[str], fake: FakeConnector
) -> None:
    result = run(capsys, "Get-VM | Where-Object Name -eq web01 -like web*", fake)
    assert result.code == 1
    assert result.err_lines == [
        "Where-Object: Parameter set cannot be resolved using the specified named parameters."
    ]


# -- ForEach-Object -MemberName ---------------------------------------------------------------------


def test_foreach_member_name(capsys: pytest.CaptureFixture[str], fake: FakeConnector) -> None:
    assert lines(capsys, "Get-VM | ForEach-Object -MemberName NumCpu", fake) == ["2", "1", "4"]
    assert lines(capsys, "Get-VM | foreach Name", fake) == ["web01", "db01", "web02"]
    result = run(capsys, "Get-VM | ForEach-Object Nope", fake)
    assert result.code == 1
    assert result.err_lines == ['ForEach-Object: Input name "Nope" cannot be resolved to a member.']


# -- Measure-Object -------------------------------------------------------------------------------


def test_measure_object_property(capsys: pytest.CaptureFixture[str], fake: FakeConnector) -> None:
    result = run(
        capsys, "Get-VM | Measure-Object MemoryMB -Sum -Average -Maximum -Minimum | ConvertTo-Json", fake
    )
    assert result.json() == {
        "Count": 3,
        "Average": 2133.3333333333335,
        "Sum": 6400.0,
        "Maximum": 4096.0,
        "Minimum": 256.0,
        "Property": "MemoryMB",
    }
    strings = run(capsys, "'abc', 'de' | Measure-Object -Property Length -Sum | ConvertTo-Json")
    assert strings.json()["Sum"] == 5.0


# -- CSV --------------------------------------------------------------------------------------------


def test_convert_to_csv_quotes_like_powershell_7(
    capsys: pytest.CaptureFixture[str], fake: FakeConnector
) -> None:
    fake.client.add_vm("odd")
    lines(capsys, "Set-VM odd -Notes 'say \"hi\", then go'", fake)
    text = "Get-VM | Select-Object Name, NumCpu, Notes | ConvertTo-Csv -NoTypeInformation"
    assert lines(capsys, text, fake) == [
        '"Name","NumCpu","Notes"',
        '"web01","2",""',
        '"db01","1",""',
        '"web02","4",""',
        '"odd","1","say ""hi"", then go"',
    ]
    as_needed = "Get-VM odd | Select-Object Name, Notes | ConvertTo-Csv -UseQuotes AsNeeded"
    assert lines(capsys, as_needed, fake) == ["Name,Notes", 'odd,"say ""hi"", then go"']
    typed = "Get-VM odd | Select-Object Name | ConvertTo-Csv -IncludeTypeInformation -Delimiter ';'"
    assert lines(capsys, typed, fake) == ["#TYPE Selected.VirtualMachine", '"Name"', '"odd"']


def test_export_append_and_import_csv(
    capsys: pytest.CaptureFixture[str], fake: FakeConnector, tmp_path: pathlib.Path
) -> None:
    path = tmp_path / "vms.csv"
    lines(
        capsys,
        f"Get-VM web0* | Select-Object Name, NumCpu | Export-Csv -Path '{path}' -NoTypeInformation",
        fake,
    )
    lines(capsys, f"Get-VM db01 | Select-Object Name, NumCpu | Export-Csv '{path}' -Append", fake)
    assert path.read_text().splitlines() == ['"Name","NumCpu"', '"web01","2"', '"web02","4"', '"db01","1"']
    imported = run(
        capsys, f"Import-Csv '{path}' | Where-Object NumCpu -gt 1 | ConvertTo-Json -Compress", fake
    )
    assert imported.json() == [{"Name": "web01", "NumCpu": "2"}, {"Name": "web02", "NumCpu": "4"}]
    mismatch = run(capsys, f"Get-VM db01 | Select-Object Name, Notes | Export-Csv '{path}' -Append", fake)
    assert mismatch.code == 1
    assert "does not have a property that corresponds to the following column: Notes" in mismatch.err


def test_convert_from_csv_round_trip(capsys: pytest.CaptureFixture[str], fake: FakeConnector) -> None:
    text = (
        "Get-VM | Select Name, PowerState | ConvertTo-Csv | ConvertFrom-Csv | Select -Last 1 | ConvertTo-Json"
    )
    assert run(capsys, text, fake).json() == {"Name": "web02", "PowerState": "PoweredOff"}


# -- script blocks and calculated properties ----------------------------------------------------------


def test_where_object_script_block(capsys: pytest.CaptureFixture[str], fake: FakeConnector) -> None:
    text = "Get-VM | Where-Object { $_.PowerState -eq 'PoweredOn' -or $_.NumCpu -gt 2 } | ForEach-Object Name"
    assert lines(capsys, text, fake) == ["web01", "web02"]
    assert lines(capsys, "1..6 | ? { $_ % 2 } | where { $PSItem -gt 1 }") == ["3", "5"]


def test_foreach_object_script_blocks(capsys: pytest.CaptureFixture[str], fake: FakeConnector) -> None:
    assert lines(capsys, "Get-VM | ForEach-Object { $_.Name + ': ' + $_.PowerState }", fake) == [
        "web01: PoweredOn",
        "db01: PoweredOff",
        "web02: PoweredOff",
    ]
    text = "1..3 | ForEach-Object -Begin { 'start' } -Process { $_ * 2 } -End { 'done' }"
    assert lines(capsys, text) == ["start", "2", "4", "6", "done"]
    assert lines(capsys, "$sum = 0; 1..4 | ForEach-Object { $sum += $_ }; $sum") == ["10"]


def test_select_calculated_properties(capsys: pytest.CaptureFixture[str], fake: FakeConnector) -> None:
    text = (
        "Get-VM web01 | Select-Object Name, @{N='MemoryMB2'; E={$_.MemoryMB * 2}},"
        " @{Name='Cpus'; Expression='NumCpu'}, @{Label='One'; Expression={1}} | ConvertTo-Json -Compress"
    )
    assert run(capsys, text, fake).json() == {"Name": "web01", "MemoryMB2": 4096, "Cpus": 2, "One": 1}
    bad = run(capsys, "Get-VM | Select-Object @{N='x'}", fake)
    assert bad.code == 1
    assert "Expression" in bad.err


def test_sort_and_group_by_script_block(capsys: pytest.CaptureFixture[str], fake: FakeConnector) -> None:
    assert lines(capsys, "Get-VM | Sort-Object { $_.Name.Length }, Name | % Name", fake) == [
        "db01",
        "web01",
        "web02",
    ]
    text = "Get-VM | Sort-Object @{Expression='NumCpu'; Descending=$true}, Name | ForEach-Object Name"
    assert lines(capsys, text, fake) == ["web02", "web01", "db01"]
    groups = "Get-VM | Group-Object { $_.NumCpu -gt 1 } | ForEach-Object { $_.Name + '=' + $_.Count }"
    assert lines(capsys, groups, fake) == ["True=2", "False=1"]


def test_where_object_not_and_group_as_hashtable(
    capsys: pytest.CaptureFixture[str], fake: FakeConnector
) -> None:
    assert lines(capsys, "Get-VM | Where-Object -Not Notes | ForEach-Object Name", fake) == [
        "web01",
        "db01",
        "web02",
    ]
    text = "$h = Get-VM | Group-Object PowerState -AsHashTable; $h.PoweredOff.Name; $h['PoweredOn'].Count"
    assert lines(capsys, text, fake) == ["db01", "web02", "1"]
    assert lines(capsys, "(1, 2, 3 | Group-Object { $_ % 2 } -AsHashTable -AsString).Keys") == ["1", "0"]


def test_select_index_and_sort_top_bottom(capsys: pytest.CaptureFixture[str]) -> None:
    assert lines(capsys, "1..10 | Select-Object -Index 0, 2, 9") == ["1", "3", "10"]
    assert lines(capsys, "5, 3, 9, 1 | Sort-Object -Top 2") == ["1", "3"]
    assert lines(capsys, "5, 3, 9, 1 | Sort-Object -Bottom 2") == ["5", "9"]
    assert lines(capsys, "5, 3, 9, 1 | Sort-Object -Top 2 -Descending") == ["9", "5"]


def test_foreach_object_positional_blocks_and_no_input(capsys: pytest.CaptureFixture[str]) -> None:
    assert lines(capsys, "1, 2 | ForEach-Object { 'begin' } { $_ * 10 } { 'end' }") == [
        "begin",
        "10",
        "20",
        "end",
    ]
    assert lines(capsys, "1, 2 | ForEach-Object { 'begin' } { $_ }") == ["begin", "1", "2"]
    assert lines(capsys, "ForEach-Object { 'once' }") == ["once"]


def test_measure_maximum_and_minimum_of_text(capsys: pytest.CaptureFixture[str]) -> None:
    text = "'pear', 'Apple', 'fig' | Measure-Object -Maximum -Minimum | % { $_.Maximum; $_.Minimum }"
    assert lines(capsys, text) == ["pear", "Apple"]
    result = run(capsys, "'a' | Measure-Object -Sum")
    assert result.err_lines == ['Measure-Object: Input object "a" is not numeric.']


def test_foreach_object_member_name_calls_methods(capsys: pytest.CaptureFixture[str]) -> None:
    assert lines(capsys, "'a.b', 'c' | ForEach-Object ToUpper") == ["A.B", "C"]
    assert lines(capsys, "'a.b' | ForEach-Object -MemberName Split -ArgumentList '.'") == ["a", "b"]


def test_select_first_stops_the_commands_before_it(
    capsys: pytest.CaptureFixture[str], fake: FakeConnector
) -> None:
    text = "Get-VM | Start-VM -ErrorAction Continue | Select-Object -First 1 | ForEach-Object Name"
    result = run(capsys, text, fake)
    assert result.out.splitlines() == ["db01"]  # web01 was on already: its Start-VM failed
    assert result.err_lines[0].startswith("Start-VM: InvalidPowerState")
    states = {vm.name: vm.power_state for vm in fake.client.list_vms()}
    assert states == {"web01": "poweredOn", "db01": "poweredOn", "web02": "poweredOff"}
    assert lines(capsys, "1..10 | Select-Object -Skip 2 -First 3") == ["3", "4", "5"]
    assert lines(capsys, "$n = 0; 1..10 | ForEach-Object { $n++; $_ } | Select-Object -First 2; $n") == [
        "1",
        "2",
        "2",
    ]

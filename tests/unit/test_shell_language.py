"""The language around the cmdlets: variables, strings, arrays, operators, member access."""

from __future__ import annotations

import pytest

from tests.unit.shell_fake import FakeConnector, run

pytestmark = pytest.mark.timeout(30)


def out(capsys: pytest.CaptureFixture[str], text: str, fake: FakeConnector | None = None) -> list[str]:
    result = run(capsys, text, fake)
    assert (result.code, result.err) == (0, ""), result.err
    return result.out.splitlines()


@pytest.fixture
def fake() -> FakeConnector:
    connector = FakeConnector()
    connector.client.add_vm("web01", num_cpu=2)
    connector.client.add_vm("web02", "poweredOn")
    return connector


def test_variables_are_case_insensitive(capsys: pytest.CaptureFixture[str]) -> None:
    assert out(capsys, "$Name = 'x'; $name; $NAME") == ["x", "x"]
    assert out(capsys, "$undefined; 'after'") == ["after"]


def test_constants(capsys: pytest.CaptureFixture[str]) -> None:
    assert out(capsys, "$true; $false; $null; 'end'") == ["True", "False", "end"]
    result = run(capsys, "$true = 1")
    assert result.err_lines == [
        "SessionStateUnauthorizedAccess: Cannot overwrite variable true because it is read-only or constant."
    ]
    assert out(capsys, "$null = 5; 'discarded'") == ["discarded"]


def test_numbers_with_suffixes(capsys: pytest.CaptureFixture[str]) -> None:
    assert out(capsys, "256MB; 1GB; 1.5KB; 0x10") == ["268435456", "1073741824", "1536", "16"]


def test_strings(capsys: pytest.CaptureFixture[str]) -> None:
    assert out(capsys, '$n = \'web\'; \'single $n\'; "double $n"; "sub $(1 + 2)"; "esc `$n `"q`""') == [
        "single $n",
        "double web",
        "sub 3",
        'esc $n "q"',
    ]
    assert out(capsys, '$a = 1, 2; "arr $a"') == ["arr 1 2"]


def test_arrays(capsys: pytest.CaptureFixture[str]) -> None:
    assert out(capsys, "$a = 1, 'two', 3; $a.Count; $a[1]; $a[-1]; $a[5]; 'x'") == ["3", "two", "3", "x"]
    assert out(capsys, "$a = @(); $a.Count; $b = @(7); $b.Count; (1, 2).Length") == ["0", "1", "2"]
    assert out(capsys, "$a = 1, 2; $a[0] = 9; $a") == ["9", "2"]


def test_operators(capsys: pytest.CaptureFixture[str]) -> None:
    assert out(capsys, "2 + 3 * 4; (2 + 3) * 4; 7 / 2; 8 / 2; 'ab' * 2; -(3)") == [
        "14",
        "20",
        "3.5",
        "4",
        "abab",
        "-3",
    ]
    assert out(capsys, "'Web01' -eq 'web01'; 'Web01' -ceq 'web01'; 5 -gt 3 -and 2 -lt 1; -not $false") == [
        "True",
        "False",
        "False",
        "True",
    ]
    assert out(capsys, "1, 5, 10 -ge 5") == ["5", "10"]
    assert out(capsys, "$a = 1; $a += 2; $a -= 1; $a *= 5; $a") == ["10"]


def test_short_circuit(capsys: pytest.CaptureFixture[str], fake: FakeConnector) -> None:
    assert out(capsys, "$false -and (Get-VM); $true -or (Get-VM)", fake) == ["False", "True"]
    assert not any(call[0] == "list_vms" for call in fake.client.calls)


def test_runtime_errors_are_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "1 / 0").err_lines == ["InvalidOperation: Attempted to divide by zero."]
    assert run(capsys, "$x = $null; $x[0]").err_lines == ["InvalidOperation: Cannot index into a null array."]


def test_cmdlet_output_in_variables_and_member_access(
    capsys: pytest.CaptureFixture[str], fake: FakeConnector
) -> None:
    lines = out(
        capsys, "$vms = Get-VM; $vms.Count; $vms.Name; $vms[0].NumCpu; (Get-VM web02).PowerState", fake
    )
    assert lines == ["2", "web01", "web02", "2", "PoweredOn"]
    assert out(capsys, "$vm = Get-VM web01; $vm.Count; $vm.name; $vm.NoSuchProperty; 'end'", fake) == [
        "1",
        "web01",
        "end",
    ]
    result = run(capsys, "$vm = Get-VM web01; $vm.Name = 'x'", fake)
    assert result.err_lines == ["InvalidOperation: 'Name' is a ReadOnly property."]


def test_variables_feed_cmdlets_and_pipelines(
    capsys: pytest.CaptureFixture[str], fake: FakeConnector
) -> None:
    lines = out(
        capsys,
        "$names = 'web01', 'web02'; $vms = Get-VM $names; $vms | Stop-VM -ea Ignore | Out-Null; "
        "(Get-VM).PowerState",
        fake,
    )
    assert lines == ["PoweredOff", "PoweredOff"]
    assert out(
        capsys, '$vm = Get-VM web01; Start-VM -VM $vm | Out-Null; "$((Get-VM web01).PowerState)"', fake
    ) == ["PoweredOn"]


def test_comparison_filters_cmdlet_output(capsys: pytest.CaptureFixture[str], fake: FakeConnector) -> None:
    assert out(capsys, "(Get-VM).PowerState -eq 'PoweredOn'", fake) == ["PoweredOn"]
    assert out(capsys, "(Get-VM).Name -like '*2'", fake) == ["web02"]


def test_environment_variables(capsys: pytest.CaptureFixture[str]) -> None:
    result = run(
        capsys,
        "$env:PYESX_TEST_VALUE; $env:PYESX_TEST_VALUE = 'set'; $env:PYESX_TEST_VALUE",
        env={"PYESX_TEST_VALUE": "from-env"},
    )
    assert result.out.splitlines() == ["from-env", "set"]


def test_default_viserver_is_read_only(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "$DefaultVIServer = 1").code == 1

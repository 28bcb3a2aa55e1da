"""Errors in scripts: try/catch/finally, throw, typed catch, $_ in catch, $?, $Error, terminating errors."""

from __future__ import annotations

import pytest

from tests.unit.shell_fake import FakeConnector, run

pytestmark = pytest.mark.timeout(30)


def out(capsys: pytest.CaptureFixture[str], text: str, fake: FakeConnector | None = None) -> list[str]:
    result = run(capsys, text, fake)
    assert (result.code, result.err) == (0, ""), result.err
    return result.out.splitlines()


def test_try_catch_finally_order(capsys: pytest.CaptureFixture[str]) -> None:
    script = """
    try { 'try'; throw 'boom'; 'not reached' }
    catch { 'catch' }
    finally { 'finally' }
    'after'
    """
    assert out(capsys, script) == ["try", "catch", "finally", "after"]
    assert out(capsys, "try { 'ok' } finally { 'finally' }") == ["ok", "finally"]


def test_dollar_underscore_in_catch_is_the_error_record(capsys: pytest.CaptureFixture[str]) -> None:
    script = """
    try { throw 'disk full' }
    catch {
        $_.Exception.Message
        "as text: $_"
        $_.FullyQualifiedErrorId
    }
    try { throw @{ Code = 42 } } catch { $_.TargetObject.Code }
    """
    assert out(capsys, script) == ["disk full", "as text: disk full", "disk full", "42"]


def test_cmdlet_faults_are_caught_by_type_name(capsys: pytest.CaptureFixture[str]) -> None:
    script = """
    try { Get-VM nosuch } catch [VMware.Vim.InvalidState] { 'wrong' } catch [NotFound] {
        "not found: $($_.Exception.Message)"
    }
    try { Get-VM nosuch } catch [VimFault] { 'base class matches' }
    try { Get-VM nosuch } catch [System.Exception] { $_.FullyQualifiedErrorId }
    try { [int]'abc' } catch [NotFound] { 'wrong' }
    catch [System.Management.Automation.PSInvalidCastException] { $_.Exception.Message }
    """
    assert out(capsys, script) == [
        "not found: VM with name 'nosuch' was not found using the specified filter(s).",
        "base class matches",
        "NotFound",
        "Cannot convert value 'abc' to type Int32.",
    ]


def test_an_unmatched_typed_catch_lets_the_error_through_after_finally(
    capsys: pytest.CaptureFixture[str],
) -> None:
    result = run(capsys, "try { throw 'x' } catch [NotFound] { 'no' } finally { 'cleanup' }; 'never'")
    assert (result.code, result.out, result.err_lines) == (1, "cleanup\n", ["Exception: x"])


def test_nested_try_and_rethrow(capsys: pytest.CaptureFixture[str]) -> None:
    script = """
    try {
        try { 1 / 0 } catch { 'inner'; throw $_ } finally { 'inner finally' }
    } catch [RuntimeException] {
        "outer: $($_.Exception.Message)"
    }
    try { try { Get-VM nosuch } catch { throw $_ } } catch [NotFound] { 'rethrown fault keeps its type' }
    """
    assert out(capsys, script) == [
        "inner",
        "inner finally",
        "outer: Attempted to divide by zero.",
        "rethrown fault keeps its type",
    ]


def test_finally_runs_when_leaving_by_return_or_break(capsys: pytest.CaptureFixture[str]) -> None:
    script = """
    function f { try { 'body'; return 'value' } finally { 'cleanup' } }
    f
    foreach ($i in 1..3) { try { if ($i -eq 2) { break }; $i } finally { "finally $i" } }
    """
    assert out(capsys, script) == ["body", "value", "cleanup", "1", "finally 1", "finally 2"]


def test_throw_stops_the_script_with_its_message(capsys: pytest.CaptureFixture[str]) -> None:
    result = run(capsys, "'a'; throw 'stop here'; 'b'")
    assert (result.code, result.out, result.err_lines) == (1, "a\n", ["Exception: stop here"])
    result = run(capsys, "function f { throw }; f")
    assert result.err_lines == ["Exception: ScriptHalted"]


def test_errors_inside_functions_and_loops_stop_the_script(capsys: pytest.CaptureFixture[str]) -> None:
    result = run(capsys, "function f { Get-VM nosuch; 'not reached' }; foreach ($i in 1..2) { f }; 'never'")
    assert result.code == 1
    assert result.out == ""
    assert result.err_lines == [
        "Get-VM: NotFound: VM with name 'nosuch' was not found using the specified filter(s)."
    ]


def test_status_and_error_variables(capsys: pytest.CaptureFixture[str]) -> None:
    script = """
    $Error.Count
    'x' | Out-Null; $?
    try { throw 'first' } catch { }
    $?
    try { Get-VM nosuch } catch { }
    $Error.Count
    $Error[0].Exception.Message
    "$($Error[1])"
    """
    assert out(capsys, script) == [
        "0",
        "True",
        "False",
        "2",
        "VM with name 'nosuch' was not found using the specified filter(s).",
        "first",
    ]


def test_runtime_errors_in_conditions_are_catchable(capsys: pytest.CaptureFixture[str]) -> None:
    script = "try { if ([int]'x' -gt 1) { 'no' } } catch { 'caught' }; try { $null[0] } catch { \"$_\" }"
    assert out(capsys, script) == ["caught", "Cannot index into a null array."]


def test_endless_recursion_is_reported(capsys: pytest.CaptureFixture[str]) -> None:
    result = run(capsys, "function Inf { Inf }; Inf; 'never'")
    assert (result.code, result.out) == (1, "")
    assert result.err_lines == ["CallDepthOverflow: The script failed due to call depth overflow."]


def test_errors_dropped_by_silently_continue_make_status_false(capsys: pytest.CaptureFixture[str]) -> None:
    script = """
    Get-VM nosuch -ErrorAction SilentlyContinue; $?
    $Error[0].Exception.Message
    Get-VMHost | Out-Null; $?
    """
    assert out(capsys, script) == [
        "False",
        "VM with name 'nosuch' was not found using the specified filter(s).",
        "True",
    ]

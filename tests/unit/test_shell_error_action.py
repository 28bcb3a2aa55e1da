"""-ErrorAction, $ErrorActionPreference and $?; binding errors reported as PowerShell words them."""

from __future__ import annotations

import pytest

from tests.unit.shell_fake import FakeConnector, run

pytestmark = pytest.mark.timeout(30)

NOT_FOUND = "Get-VM: NotFound: VM with name 'nosuch' was not found using the specified filter(s)."


@pytest.fixture
def fake() -> FakeConnector:
    connector = FakeConnector()
    connector.client.add_vm("web01")
    return connector


def test_errors_stop_the_script_by_default(capsys: pytest.CaptureFixture[str], fake: FakeConnector) -> None:
    result = run(capsys, "Get-VM nosuch; 'never'", fake)
    assert (result.code, result.out, result.err_lines) == (1, "", [NOT_FOUND])
    stop = run(capsys, "Get-VM nosuch -ErrorAction Stop; 'never'", fake)
    assert (stop.code, stop.out) == (1, "")


def test_continue_writes_the_error_and_goes_on(
    capsys: pytest.CaptureFixture[str], fake: FakeConnector
) -> None:
    result = run(capsys, "Get-VM nosuch -ErrorAction Continue; $?; 'after'; Get-VM web01 | % Name; $?", fake)
    assert result.err_lines == [NOT_FOUND]
    assert result.out.splitlines() == ["False", "after", "web01", "True"]


def test_silently_continue_and_ignore(capsys: pytest.CaptureFixture[str], fake: FakeConnector) -> None:
    silent = run(capsys, 'Get-VM nosuch -ea SilentlyContinue; $?; $Error.Count; "$($Error[0])"', fake)
    assert silent.err == ""
    assert silent.out.splitlines() == ["False", "1", NOT_FOUND.split(": ", 2)[2]]
    ignored = run(capsys, "Get-VM nosuch -ErrorAction Ignore; $?; $Error.Count", fake)
    assert (ignored.err, ignored.out.splitlines()) == ("", ["False", "0"])


def test_error_action_preference_variable(capsys: pytest.CaptureFixture[str], fake: FakeConnector) -> None:
    result = run(capsys, "$ErrorActionPreference = 'Continue'; Get-VM nosuch; 'after'", fake)
    assert result.err_lines == [NOT_FOUND]
    assert result.out.splitlines() == ["after"]
    stop = run(capsys, "$ErrorActionPreference = 'Continue'; Get-VM nosuch -ErrorAction Stop; 'never'", fake)
    assert stop.out == ""


def test_pipeline_input_that_does_not_bind_is_skipped_with_continue(
    capsys: pytest.CaptureFixture[str], fake: FakeConnector
) -> None:
    result = run(capsys, "(Get-VMHost), (Get-VM web01) | Start-VM -ErrorAction Continue | % Name", fake)
    assert result.out.splitlines() == ["web01"]
    assert len(result.err_lines) == 1 and result.err_lines[0].startswith(
        "Start-VM: Cannot bind parameter 'VM'"
    )


def test_try_catch_sees_the_terminating_error(
    capsys: pytest.CaptureFixture[str], fake: FakeConnector
) -> None:
    result = run(capsys, "try { Get-VM nosuch } catch { 'caught' }; 'after'", fake)
    assert result.out.splitlines() == ["caught", "after"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "Set-VM web01 -NumCpu abc",
            "Set-VM: Cannot bind parameter 'NumCpu'. Cannot convert value 'abc' to type Int32.",
        ),
        (
            "New-VM",
            "New-VM: Cannot process command because of one or more missing mandatory parameters: Name.",
        ),
        ("Get-VM -Bogus", "Get-VM: A parameter cannot be found that matches parameter name 'Bogus'."),
        (
            "Get-VM -N x",
            "Get-VM: Parameter cannot be processed because the parameter name 'N' is ambiguous. "
            "Possible matches include: -Name -NoRecursion.",
        ),
        (
            "Get-VM web01 web02",
            "Get-VM: A positional parameter cannot be found that accepts argument 'web02'.",
        ),
        (
            "Start-VM -VM",
            "Start-VM: Missing an argument for parameter 'VM'. Specify a parameter of type "
            "'VirtualMachine[]' and try again.",
        ),
        (
            "Get-VM | Where-Object Name -eq x -gt y",
            "Where-Object: Parameter set cannot be resolved using the specified named parameters.",
        ),
        (
            "Stop-VMm web01",
            "Stop-VMm: The term 'Stop-VMm' is not recognized as a name of a cmdlet, function, script file, "
            "or executable program. Did you mean Stop-VM?",
        ),
    ],
)
def test_binding_errors(
    capsys: pytest.CaptureFixture[str], fake: FakeConnector, text: str, message: str
) -> None:
    result = run(capsys, text, fake)
    assert result.code == 1
    assert result.err_lines == [message]

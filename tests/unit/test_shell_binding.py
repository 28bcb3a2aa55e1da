"""Parameter binding: names and prefixes, positions, switches, sets, mandatory parameters, pipeline input."""

from __future__ import annotations

import pytest

from clients.shell.binding import Binder, BoundArguments, NamedArgument, Parameter, PositionalArgument
from clients.shell.conversions import DOUBLE, INT32, OBJECT, STRING, STRINGS, SWITCH
from clients.shell.errors import ShellError
from tests.unit.shell_fake import FakeConnector, run

pytestmark = pytest.mark.timeout(30)

NEW_VM_LIKE = Binder(
    (
        Parameter("Name", STRING, position=0, mandatory=True),
        Parameter("NumCpu", INT32),
        Parameter("Notes", STRING),
        Parameter("MemoryMB", INT32, sets=("MB",)),
        Parameter("MemoryGB", DOUBLE, sets=("GB",)),
        Parameter("RunAsync", SWITCH),
        Parameter("Items", STRINGS, pipeline=True),
    ),
    default_set="MB",
)


def bind(*arguments: NamedArgument | PositionalArgument, expects_input: bool = False) -> BoundArguments:
    return NEW_VM_LIKE.bind(arguments, expects_input)


def named(name: str, value: object = None, attached: bool = False) -> NamedArgument:
    return NamedArgument(name, value, attached)


def test_names_are_case_insensitive_and_prefixes_work() -> None:
    args = bind(named("name"), PositionalArgument("web01"), named("NUM"), PositionalArgument("2"))
    assert args.values == {"Name": "web01", "NumCpu": 2}
    assert bind(named("MemoryG"), PositionalArgument(1.5), PositionalArgument("x")).values["MemoryGB"] == 1.5


def test_ambiguous_prefix() -> None:
    with pytest.raises(ShellError) as caught:
        bind(named("Mem"), PositionalArgument(1))
    assert caught.value.message == (
        "Parameter cannot be processed because the parameter name 'Mem' is ambiguous. "
        "Possible matches include: -MemoryMB -MemoryGB."
    )


def test_error_action_values() -> None:
    binder = Binder(())
    for value, expected in [
        ("silentlycontinue", "SilentlyContinue"),
        (0, "SilentlyContinue"),
        ("Stop", "Stop"),
    ]:
        assert binder.bind([NamedArgument("ea", value, attached=True)], False).get("ErrorAction") == expected


def test_exact_name_wins_over_longer_names_and_aliases_work() -> None:
    binder = Binder((Parameter("VM", OBJECT), Parameter("VMHost", OBJECT)))
    assert binder.resolve("vm").name == "VM"
    assert binder.resolve("ea").name == "ErrorAction"


def test_unknown_parameter() -> None:
    with pytest.raises(ShellError, match=r"A parameter cannot be found that matches parameter name 'Bogus'."):
        bind(named("Bogus"))


def test_positional_arguments_fill_positions_then_fail() -> None:
    assert bind(PositionalArgument("web01")).values == {"Name": "web01"}
    with pytest.raises(
        ShellError, match=r"A positional parameter cannot be found that accepts argument 'extra'."
    ):
        bind(PositionalArgument("web01"), PositionalArgument("extra"))


def test_switches() -> None:
    assert bind(PositionalArgument("x"), named("RunAsync")).flag("RunAsync")
    assert not bind(PositionalArgument("x"), named("RunAsync", False, attached=True)).flag("RunAsync")
    # a value after a bare switch is positional, as in PowerShell
    assert bind(named("RunAsync"), PositionalArgument("x")).values == {"RunAsync": True, "Name": "x"}


def test_missing_argument_and_duplicates() -> None:
    with pytest.raises(
        ShellError, match=r"Missing an argument for parameter 'NumCpu'. Specify a parameter of type 'Int32'"
    ):
        bind(PositionalArgument("x"), named("NumCpu"))
    with pytest.raises(ShellError, match="Missing an argument for parameter 'Name'"):
        bind(named("Name"), named("RunAsync"))
    with pytest.raises(ShellError, match="parameter 'Name' is specified more than once"):
        bind(named("Name", "a", True), named("Na", "b", True))


def test_mandatory_and_conversion_errors() -> None:
    with pytest.raises(ShellError, match=r"missing mandatory parameters: Name."):
        bind()
    with pytest.raises(ShellError, match="because it is an empty string"):
        bind(PositionalArgument(""))
    with pytest.raises(ShellError) as caught:
        bind(PositionalArgument("x"), named("NumCpu", "abc", True))
    assert caught.value.message == "Cannot bind parameter 'NumCpu'. Cannot convert value 'abc' to type Int32."


def test_parameter_sets_are_exclusive() -> None:
    assert bind(PositionalArgument("x")).parameter_set == "MB"
    assert bind(PositionalArgument("x"), named("MemoryGB", 1, True)).parameter_set == "GB"
    with pytest.raises(ShellError, match="Parameter set cannot be resolved"):
        bind(PositionalArgument("x"), named("MemoryGB", 1, True), named("MemoryMB", 1, True))


def test_pipeline_input_binds_per_object() -> None:
    static = bind(PositionalArgument("x"), expects_input=True)
    assert NEW_VM_LIKE.bind_input(static, "a").strings("Items") == ["a"]
    already = bind(PositionalArgument("x"), named("Items", "b", True), expects_input=True)
    with pytest.raises(ShellError, match="The input object cannot be bound to any parameters"):
        NEW_VM_LIKE.bind_input(already, "a")


def test_mandatory_pipeline_parameter_waits_for_input() -> None:
    binder = Binder((Parameter("VM", STRINGS, position=0, mandatory=True, pipeline=True),))
    static = binder.bind((), expects_input=True)
    assert binder.bind_input(static, "web01").strings("VM") == ["web01"]
    with pytest.raises(ShellError, match=r"missing mandatory parameters: VM."):
        binder.bind((), expects_input=False)


def test_remaining_arguments_collect() -> None:
    binder = Binder((Parameter("InputObject", OBJECT, position=0, remaining=True),))
    args = binder.bind([PositionalArgument("a"), PositionalArgument("b")], False)
    assert args.values == {"InputObject": ["a", "b"]}


# -- through the shell --------------------------------------------------------------------------


def test_prefixes_through_the_shell(capsys: pytest.CaptureFixture[str]) -> None:
    fake = FakeConnector()
    result = run(capsys, "New-VM -na web01 -numc 2 -MemoryG 0.5 -gu ubuntu64Guest -no hi | Out-Null", fake)
    assert (result.code, result.err) == (0, "")
    assert fake.client.calls[0][:6] == ("create_vm", "web01", 2, 512, "ubuntu64Guest", "hi")


def test_ambiguous_prefix_through_the_shell(capsys: pytest.CaptureFixture[str]) -> None:
    result = run(capsys, "New-VM -Mem 512 web01")
    assert result.code == 1
    assert result.err_lines == [
        "New-VM: Parameter cannot be processed because the parameter name 'Mem' is ambiguous. "
        "Possible matches include: -MemoryMB -MemoryGB."
    ]


@pytest.mark.parametrize(
    ("text", "line"),
    [
        (
            "New-VM -NumCpu abc web01",
            "New-VM: Cannot bind parameter 'NumCpu'. Cannot convert value 'abc' to type Int32.",
        ),
        (
            "New-VM",
            "New-VM: Cannot process command because of one or more missing mandatory parameters: Name.",
        ),
        ("Get-VM -Bogus", "Get-VM: A parameter cannot be found that matches parameter name 'Bogus'."),
        (
            "Stop-VM -Confirm:'no' web01",
            "Stop-VM: Cannot bind parameter 'Confirm'. Cannot convert value 'no' to type "
            "SwitchParameter. Boolean parameters accept only Boolean values and numbers, "
            "such as $True, $False, 1 or 0.",
        ),
        (
            "Get-VM -Name",
            "Get-VM: Missing an argument for parameter 'Name'. Specify a parameter of type 'String[]' "
            "and try again.",
        ),
        (
            "Get-VM -Name a -Id b",
            "Get-VM: Parameter set cannot be resolved using the specified named parameters.",
        ),
        (
            "Get-VM -ErrorAction Sometimes",
            "Get-VM: Cannot bind parameter 'ErrorAction'. Cannot convert value "
            "'Sometimes' to type ActionPreference. Possible values are: Stop, Continue, SilentlyContinue, "
            "Ignore.",
        ),
        (
            "ConvertTo-Json -Depth 101 1",
            "ConvertTo-Json: Cannot validate argument on parameter 'Depth'. The 101 "
            "argument is outside the allowed range of 0 to 100.",
        ),
    ],
)
def test_binding_errors_are_one_line(capsys: pytest.CaptureFixture[str], text: str, line: str) -> None:
    fake = FakeConnector()
    fake.client.add_vm("web01")
    result = run(capsys, text, fake)
    assert (result.code, result.out, result.err_lines) == (1, "", [line])


def test_binding_happens_before_anything_runs(capsys: pytest.CaptureFixture[str]) -> None:
    fake = FakeConnector()
    fake.client.add_vm("web01")
    result = run(capsys, "Get-VM | Stop-VM -Bogus", fake)
    assert result.code == 1
    assert ("list_vms", None) not in fake.client.calls

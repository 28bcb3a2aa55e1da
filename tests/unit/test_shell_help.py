"""Discovery: every cmdlet's help and examples, Get-Help, Get-Command, Get-Member, suggestions."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest

from clients.shell import cmdlets, nodes
from clients.shell.cmdlets.base import Cmdlet
from clients.shell.parser import parse
from clients.shell.pipeline import binder_for
from tests.unit.shell_fake import FakeConnector, run

pytestmark = pytest.mark.timeout(30)


def commands(node: object) -> Iterator[nodes.Command]:
    """Every command in a syntax tree."""
    if isinstance(node, nodes.Command):
        yield node
    if dataclasses.is_dataclass(node):
        for item in dataclasses.fields(node):
            yield from commands(getattr(node, item.name))
    elif isinstance(node, tuple | list):
        for item in node:
            yield from commands(item)


@pytest.mark.parametrize("cmdlet", cmdlets.ALL, ids=lambda c: c.name)
def test_every_cmdlet_has_a_synopsis_and_examples_that_parse(cmdlet: type[Cmdlet]) -> None:
    assert cmdlet.synopsis, f"{cmdlet.name} has no synopsis"
    assert cmdlet.examples, f"{cmdlet.name} has no example"
    for text, remark in cmdlet.examples:
        assert remark
        used = list(commands(parse(text)))
        assert any(cmdlets.find(c.name) is cmdlet for c in used), f"{text!r} does not use {cmdlet.name}"
        for command in used:
            found = cmdlets.find(command.name)
            assert found is not None, f"{text!r}: unknown {command.name}"
            binder = binder_for(found)
            for element in command.elements:
                if isinstance(element, nodes.CommandParameter):
                    binder.resolve(element.name)  # raises on an unknown or ambiguous parameter


def test_get_help_shows_synopsis_syntax_parameters_and_examples(capsys: pytest.CaptureFixture[str]) -> None:
    result = run(capsys, "Get-Help Stop-VM", login=False)
    assert result.code == 0, result.err
    out = result.out
    for heading in ("NAME", "SYNOPSIS", "SYNTAX", "DESCRIPTION", "PARAMETERS", "EXAMPLES"):
        assert f"\n{heading}\n" in out
    assert "    Powers off VMs (-Kill: ends their vmx process)." in out
    assert (
        "    Stop-VM [-VM] <VirtualMachine[]> [-RunAsync] [-Kill] [-WhatIf] [-Confirm] [<CommonParameters>]"
        in out
    )
    assert "    -VM <VirtualMachine[]>\n        Required?                    true\n" in out
    assert "    PS> Stop-VM web01 -Confirm:$false\n\n    Powers off web01 without asking." in out


def test_get_help_syntax_per_parameter_set(capsys: pytest.CaptureFixture[str]) -> None:
    out = run(capsys, "help Get-VM", login=False).out
    assert (
        "    Get-VM [[-Name] <String[]>] [-Location <ResourcePool>] [-NoRecursion] [<CommonParameters>]"
        in out
    )
    assert "    Get-VM [-Id <String[]>] [<CommonParameters>]" in out


def test_get_help_examples_and_parameter(capsys: pytest.CaptureFixture[str]) -> None:
    examples = run(capsys, "Get-Help Where-Object -Examples", login=False).out
    assert "-------------------------- Example 2 --------------------------" in examples
    assert "PS> Get-VM | Where-Object Name -like 'web*'" in examples
    assert "PARAMETERS" not in examples
    parameter = run(capsys, "Get-Help New-VM -Parameter Memory*", login=False).out
    assert parameter.count("Required?") == 2
    assert "-MemoryMB <Int32>" in parameter and "-MemoryGB <Double>" in parameter
    missing = run(capsys, "Get-Help New-VM -Parameter Nope", login=False)
    assert missing.code == 1
    assert missing.err_lines == ["Get-Help: No parameter matches criteria Nope."]


def test_get_help_lists_wildcard_matches_and_suggests(capsys: pytest.CaptureFixture[str]) -> None:
    listing = run(capsys, "Get-Help *-Snapshot | ForEach-Object Name", login=False)
    assert listing.out.splitlines() == ["Get-Snapshot", "New-Snapshot", "Remove-Snapshot"]
    unknown = run(capsys, "Get-Help Get-VN", login=False)
    assert unknown.err_lines == [
        "Get-Help: Get-Help could not find Get-VN in a help file in this session. Did you mean Get-VM?"
    ]


def test_get_command(capsys: pytest.CaptureFixture[str]) -> None:
    out = run(capsys, "Get-Command -Noun VM", login=False).out.splitlines()
    assert out[1].split() == ["CommandType", "Name", "Version", "Source"]
    assert out[3].split() == ["Cmdlet", "Get-VM", "13.3.0", "VMware.VimAutomation.Core"]
    verbs_of_vm = ["Get", "Move", "New", "Remove", "Restart", "Set", "Start", "Stop", "Suspend"]
    assert [line.split()[1] for line in out[3:-1]] == [f"{verb}-VM" for verb in verbs_of_vm]
    verbs = run(capsys, "Get-Command -Verb Remove -Noun *Snap* | ForEach-Object Name", login=False)
    assert verbs.out.splitlines() == ["Remove-Snapshot"]
    source = run(
        capsys, "(Get-Command Select-Object).Source; (Get-Command Get-VMGuestProcess).Source", login=False
    )
    assert source.out.splitlines() == ["Microsoft.PowerShell.Utility", "pyesx"]
    alias = run(capsys, "Get-Command select | ForEach-Object Name", login=False)
    assert alias.out.splitlines() == ["select -> Select-Object"]
    syntax = run(capsys, "Get-Command Remove-VM -Syntax", login=False)
    assert syntax.out.splitlines() == [
        "Remove-VM [-VM] <VirtualMachine[]> [-RunAsync] [-DeletePermanently] [-WhatIf] [-Confirm] "
        "[<CommonParameters>]"
    ]
    unknown = run(capsys, "Get-Command Get-VN", login=False)
    assert unknown.code == 1
    assert unknown.err.endswith("Did you mean Get-VM?\n")


def test_get_member(capsys: pytest.CaptureFixture[str]) -> None:
    fake = FakeConnector()
    fake.client.add_vm("web01")
    out = run(capsys, "Get-VM | Get-Member -Name Mem*, Name", fake).out
    assert out.splitlines() == [
        "",
        "   TypeName: VirtualMachine",
        "",
        "Name     MemberType Definition",
        "----     ---------- ----------",
        "MemoryGB Property   double MemoryGB {get;}",
        "MemoryMB Property   int MemoryMB {get;}",
        "Name     Property   string Name {get;}",
        "",
    ]
    selected = run(capsys, "Get-VM | Select-Object Name | Get-Member | ForEach-Object MemberType", fake)
    assert selected.out.splitlines() == ["Method", "NoteProperty"]  # GetType(), then Name
    methods = run(capsys, "'text' | Get-Member -MemberType Method -Name To* | ForEach-Object Name", fake)
    assert methods.out.splitlines() == ["ToCharArray", "ToLower", "ToUpper"]
    properties = run(capsys, "'text' | Get-Member -MemberType Properties | ForEach-Object Name", fake)
    assert properties.out.splitlines() == ["Length"]
    assert "'Bogus' is not one of" in run(capsys, "'x' | Get-Member -MemberType Bogus", fake).err


def test_unknown_cmdlet_suggests_the_nearest(capsys: pytest.CaptureFixture[str]) -> None:
    result = run(capsys, "Get-VN", login=False)
    assert result.code == 1
    assert result.err_lines == [
        "Get-VN: The term 'Get-VN' is not recognized as a name of a cmdlet, function, script file, or "
        "executable program. Did you mean Get-VM?"
    ]
    far = run(capsys, "Frobnicate-Everything", login=False)
    assert "Did you mean" not in far.err


def test_question_mark_parameter_shows_help(capsys: pytest.CaptureFixture[str]) -> None:
    result = run(capsys, "Get-VM -?", login=False)
    assert result.code == 0
    assert "\nSYNTAX\n    Get-VM [[-Name] <String[]>]" in result.out

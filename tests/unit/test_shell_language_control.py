"""Control flow and functions: if, loops, break/continue, functions with parameters and pipeline input."""

from __future__ import annotations

from pathlib import Path

import pytest

from clients.shell import main
from tests.unit.shell_fake import LOGIN, FakeConnector, run

pytestmark = pytest.mark.timeout(30)


def out(capsys: pytest.CaptureFixture[str], text: str, fake: FakeConnector | None = None) -> list[str]:
    result = run(capsys, text, fake)
    assert (result.code, result.err) == (0, ""), result.err
    return result.out.splitlines()


def test_if_elseif_else(capsys: pytest.CaptureFixture[str]) -> None:
    script = """
    foreach ($n in 1, 2, 3) {
        if ($n -eq 1) { "one" }
        elseif ($n -eq 2)
        {
            "two"
        }
        else { "many" }
    }
    if ($null) { "no" }
    if (@()) { "no" } else { "empty arrays are false" }
    """
    assert out(capsys, script) == ["one", "two", "many", "empty arrays are false"]


def test_if_condition_may_be_a_command(capsys: pytest.CaptureFixture[str]) -> None:
    fake = FakeConnector()
    fake.client.add_vm("web01")
    script = (
        "if (Get-VM web* -ErrorAction SilentlyContinue) { 'found' }; if ($vm = Get-VM web01) { $vm.Name }"
    )
    assert out(capsys, script, fake) == ["found", "web01"]


def test_foreach_over_arrays_ranges_commands_and_null(capsys: pytest.CaptureFixture[str]) -> None:
    fake = FakeConnector()
    fake.client.add_vm("web01")
    fake.client.add_vm("web02")
    script = """
    foreach ($i in 1..3) { "i=$i" }
    foreach ($vm in Get-VM) { "vm $($vm.Name)" }
    foreach ($x in $null) { "never" }
    $i
    """
    assert out(capsys, script, fake) == ["i=1", "i=2", "i=3", "vm web01", "vm web02", "3"]


def test_while_do_and_for(capsys: pytest.CaptureFixture[str]) -> None:
    script = """
    $n = 0; while ($n -lt 3) { $n++ }; "while $n"
    do { $n-- } while ($n -gt 1); "do-while $n"
    do { $n++ } until ($n -ge 4); "do-until $n"
    for ($i = 0; $i -lt 3; $i++) { "for $i" }
    $k = 0; for (;;) { $k += 2; if ($k -gt 5) { break } }; "for-ever $k"
    """
    assert out(capsys, script) == [
        "while 3",
        "do-while 1",
        "do-until 4",
        "for 0",
        "for 1",
        "for 2",
        "for-ever 6",
    ]


def test_break_and_continue_act_on_the_innermost_loop(capsys: pytest.CaptureFixture[str]) -> None:
    script = """
    foreach ($i in 1..3) {
        foreach ($j in 1..3) {
            if ($j -eq 2) { continue }
            if ($j -eq 3) { break }
            "$i.$j"
        }
        if ($i -eq 2) { break }
    }
    "after"
    """
    assert out(capsys, script) == ["1.1", "2.1", "after"]


def test_break_outside_a_loop_ends_the_script(capsys: pytest.CaptureFixture[str]) -> None:
    result = run(capsys, "'a'; break; 'b'")
    assert (result.code, result.out, result.err) == (0, "a\n", "")
    assert out(capsys, "'a'; return; 'b'") == ["a"]


def test_loop_output_feeds_a_variable(capsys: pytest.CaptureFixture[str]) -> None:
    assert out(capsys, "$squares = foreach ($i in 1..4) { $i * $i }; $squares.Count; $squares[-1]") == [
        "4",
        "16",
    ]


def test_functions_positional_named_defaults_and_switches(capsys: pytest.CaptureFixture[str]) -> None:
    script = """
    function Add($a, $b = 10) { $a + $b }
    function Get-Size {
        param([string]$Name, [int]$Gb = 1, [switch]$Bytes)
        if ($Bytes) { "$Name $($Gb * 1GB)" } else { "$Name ${Gb}GB" }
    }
    Add 1 2; Add 1; Add -b 5 -a 1; Add -B 1 2
    Get-Size disk; Get-Size -Name disk -Gb 2 -Bytes; get-size disk 3 -Bytes:$false
    """
    lines = out(capsys, script)
    assert lines == ["3", "11", "6", "3", "disk 1GB", "disk 2147483648", "disk 3GB"]


def test_function_parameter_errors_read_like_cmdlet_errors(capsys: pytest.CaptureFixture[str]) -> None:
    define = "function Resize { param([Parameter(Mandatory)][string]$Name, [int]$Gb) $Name }; "
    assert run(capsys, define + "Resize -Gb 1").err_lines == [
        "Resize: Cannot process command because of one or more missing mandatory parameters: Name."
    ]
    assert run(capsys, define + "Resize x -Gb abc").err_lines == [
        "Resize: Cannot bind parameter 'Gb'. Cannot convert value 'abc' to type Int32."
    ]
    assert run(capsys, define + "Resize x -Force").err_lines == [
        "Resize: A parameter cannot be found that matches parameter name 'Force'."
    ]


def test_leftover_arguments_are_in_args(capsys: pytest.CaptureFixture[str]) -> None:
    assert out(capsys, "function f { $args.Count; $args -join '+' }; f a b c") == ["3", "a+b+c"]
    assert out(capsys, "function g($first) { $first; $args }; g 1 2 3") == ["1", "2", "3"]


def test_function_output_is_everything_the_body_writes(capsys: pytest.CaptureFixture[str]) -> None:
    script = """
    function f { 'one'; $null = 'discarded'; 2; return 3; 'never' }
    $r = f; $r.Count; $r
    """
    assert out(capsys, script) == ["3", "one", "2", "3"]


def test_functions_call_functions_and_recurse(capsys: pytest.CaptureFixture[str]) -> None:
    script = """
    function Fact([int]$n) { if ($n -le 1) { return 1 }; $n * (Fact ($n - 1)) }
    function Show($n) { "$n! = $(Fact $n)" }
    Show 5
    """
    assert out(capsys, script) == ["5! = 120"]


def test_function_variables_are_local(capsys: pytest.CaptureFixture[str]) -> None:
    script = """
    $x = 'outer'
    function f { $x; $x = 'inner'; $x; $global:g = 'set globally' }
    f; $x; $g
    """
    assert out(capsys, script) == ["outer", "inner", "outer", "set globally"]


def test_pipeline_input_process_block_and_input(capsys: pytest.CaptureFixture[str]) -> None:
    script = """
    function Double { process { $_ * 2 } }
    function Total { $sum = 0; foreach ($v in $input) { $sum += $v }; "total $sum" }
    function Tag { param([Parameter(ValueFromPipeline)]$Item, $Prefix = '>')
        begin { 'begin' } process { "$Prefix$Item" } end { 'end' } }
    1..3 | Double
    1..4 | Total
    'a', 'b' | Tag -Prefix '#'
    """
    assert out(capsys, script) == ["2", "4", "6", "total 10", "begin", "#a", "#b", "end"]


def test_functions_take_cmdlet_output_and_feed_cmdlets(capsys: pytest.CaptureFixture[str]) -> None:
    fake = FakeConnector()
    fake.client.add_vm("web01", num_cpu=2)
    fake.client.add_vm("db01", num_cpu=4)
    script = """
    function Get-Big { process { if ($_.NumCpu -gt 2) { $_ } } }
    Get-VM | Get-Big | Start-VM | Out-Null
    (Get-VM db01).PowerState; (Get-VM web01).PowerState
    """
    assert out(capsys, script, fake) == ["PoweredOn", "PoweredOff"]


def test_script_blocks_with_the_call_and_dot_operators(capsys: pytest.CaptureFixture[str]) -> None:
    script = """
    $greet = { param($who) "hello $who" }
    & $greet world
    $x = 1
    & { $x = 2 }; $x
    . { $x = 3 }; $x
    1..3 | & { process { $_ * 10 } }
    & 'Write-Output' via-name
    """
    assert out(capsys, script) == ["hello world", "1", "3", "10", "20", "30", "via-name"]


def test_closures_see_the_variables_of_their_scope(capsys: pytest.CaptureFixture[str]) -> None:
    script = """
    function New-Multiplier($factor) { { param($n) $n * $factor } }
    $triple = New-Multiplier 3
    & $triple 5
    $count = 0
    $bump = { $script:count += 1 }
    & $bump; & $bump; $count
    """
    assert out(capsys, script) == ["15", "2"]


def test_script_file_with_multi_line_control_flow(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    script = tmp_path / "deploy.ps1"
    script.write_text(
        """param([int]$Count = 2, $Prefix = 'web')
# create the VMs
<# a block
   comment #>
function New-Fleet {
    param($n)
    foreach ($i in 1..$n) {
        New-VM -Name ("{0}{1:D2}" -f $Prefix, $i) `
            -NumCpu 1 | Out-Null
    }
}
New-Fleet $Count
$names = @(
    (Get-VM).Name
)
foreach ($name in $names) {
    try {
        if ($name -match '02$') { throw "skipping $name" }
        "ok $name"
    }
    catch {
        "caught: $_"
    }
    finally {
        "checked $name"
    }
}
"""
    )
    fake = FakeConnector()
    assert main([*LOGIN, str(script)], connect=fake) == 0
    assert capsys.readouterr().out.splitlines() == [
        "ok web01",
        "checked web01",
        "caught: skipping web02",
        "checked web02",
    ]


def test_switch(capsys: pytest.CaptureFixture[str]) -> None:
    script = """
    switch (3) { 1 { 'one' } 3 { 'three' } default { 'other' } }
    switch ('web01', 'db02', 'x') {
        { $_ -like 'web*' } { "web: $_" }
        'DB02' { "db: $_"; continue }
        'db02' { 'not reached: continue goes to the next value' }
        default { "none: $_" }
    }
    switch -Wildcard ('web01') { 'web*' { 'wild' } '*01' { 'every matching clause runs' } }
    switch -Regex ('vm-42') { 'vm-(\\d+)' { "number $($Matches[1])"; break } 'vm' { 'not reached' } }
    switch -CaseSensitive ('A') { 'a' { 'lower' } default { 'no match' } }
    """
    assert out(capsys, script) == [
        "three",
        "web: web01",
        "db: db02",
        "none: x",
        "wild",
        "every matching clause runs",
        "number 42",
        "no match",
    ]


def test_script_files_run_as_commands(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "lib.ps1").write_text('function Get-Greeting($who) { "hello $who" }\n$libLoaded = $true\n')
    (tmp_path / "child.ps1").write_text(
        "param([int]$Count = 1, $Name = 'x')\nforeach ($i in 1..$Count) { \"$Name$i\" }\n"
        "$childVar = 'set in child'\nreturn\n'not reached'\n"
    )
    (tmp_path / "bad.ps1").write_text("Get-VM )\n")
    monkeypatch.chdir(tmp_path)
    script = (
        ". ./lib.ps1; Get-Greeting you; $libLoaded; ./child.ps1 -Count 2 -Name vm; & ./child.ps1; $childVar"
    )
    assert out(capsys, script) == ["hello you", "True", "vm1", "vm2", "x1"]
    assert run(capsys, "./missing.ps1").err_lines == [
        "./missing.ps1: The term './missing.ps1' is not recognized as a name of a cmdlet, function, "
        "script file, or executable program."
    ]
    assert run(capsys, "'before'; ./bad.ps1").err_lines == [
        "ParserError: At ./bad.ps1:1 char:8: Unexpected token ')' in expression or statement.",
        "+ Get-VM )",
        "+        ^",
    ]


def test_splatting_hashtables_and_arrays(capsys: pytest.CaptureFixture[str]) -> None:
    fake = FakeConnector()
    script = """
    $spec = @{ Name = 'web09'; NumCpu = 2; MemoryMB = 128 }
    New-VM @spec | Out-Null
    $names = @('web09')
    (Get-VM @names).NumCpu
    function Show($a, [switch]$Loud) { if ($Loud) { "$a!" } else { $a } }
    $on = @{ a = 'hi'; Loud = $true }; $off = @{ a = 'hi'; Loud = $false }
    Show @on; Show @off
    """
    assert out(capsys, script, fake) == ["2", "hi!", "hi"]


def test_advanced_function_attributes_are_accepted(capsys: pytest.CaptureFixture[str]) -> None:
    script = """
    function Get-Thing {
        [CmdletBinding()]
        param([Parameter(Mandatory = $true)][string]$Name, [ValidateNotNullOrEmpty()]$Kind = 'vm')
        "$Kind $Name"
    }
    Get-Thing web01
    """
    assert out(capsys, script) == ["vm web01"]
    assert out(capsys, "function f { [CmdletBinding()] param($n = 'd') $n }; f") == ["d"]


def test_script_files_know_their_folder_and_exit_only_themselves(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "common.ps1").write_text("$inLib = $PSScriptRoot.EndsWith('lib')\n")
    (tmp_path / "child.ps1").write_text("param($n = 1)\n\"child $n\"\nexit 7\n'not reached'\n")
    main_script = tmp_path / "main.ps1"
    main_script.write_text(
        '. "$PSScriptRoot/lib/common.ps1"\n$inLib\n$PSCommandPath.EndsWith("main.ps1")\n'
        '& "$PSScriptRoot/child.ps1" 3\n"after the child: $LASTEXITCODE"\nexit 2\n'
    )
    code = main([*LOGIN, str(main_script)], connect=FakeConnector())
    assert code == 2
    assert capsys.readouterr().out.splitlines() == ["True", "True", "child 3", "after the child: 7"]


def test_labelled_break_and_continue_reach_outer_loops(capsys: pytest.CaptureFixture[str]) -> None:
    script = """
    :outer foreach ($i in 1..3) {
        foreach ($j in 1..3) {
            if ($j -eq 2) { continue outer }
            if ($i -eq 3) { break outer }
            "$i.$j"
        }
    }
    :poll while ($true) { switch ('done') { 'done' { break poll } } }
    $n = 0
    :counting for (;;) { do { $n++; if ($n -ge 5) { break counting } } while ($true) }
    "n=$n"
    """
    assert out(capsys, script) == ["1.1", "2.1", "n=5"]


_VALIDATED = """
function New-Disk {
    param(
        [ValidateSet('Thin', 'Thick')][string]$Format = 'Thin',
        [ValidateRange(1, 10)][int]$Gb = 1,
        [Alias('N')][ValidateNotNullOrEmpty()]$Name = 'disk',
        [ValidateScript({ $_ -like 'web*' })]$Vm = 'web0',
        [ValidatePattern('^\\d+$')]$Id = '1',
        [ValidateCount(1, 2)][string[]]$Tags = 'a'
    )
    "$Format $Gb $Name $Vm $Id $($Tags.Count)"
}
"""


def test_parameter_validation_attributes(capsys: pytest.CaptureFixture[str]) -> None:
    assert out(capsys, _VALIDATED + "New-Disk; New-Disk thick 10 -N d2 -Vm web9 -Id 42 -Tags x, y") == [
        "Thin 1 disk web0 1 1",
        "thick 10 d2 web9 42 2",
    ]
    prefix = "New-Disk: Cannot validate argument on parameter "
    cases = {
        "New-Disk bogus": '\'Format\'. The argument "bogus" does not belong to the set "Thin,Thick" '
        "specified by the ValidateSet attribute. Supply an argument that is in the set and then try the "
        "command again.",
        "New-Disk -Gb 11": "'Gb'. The 11 argument is greater than the maximum allowed range of 10. Supply an "
        "argument that is less than or equal to 10 and then try the command again.",
        "New-Disk -Name ''": "'Name'. The argument is null or empty. Provide an argument that is not null or "
        "empty, and then try the command again.",
        "New-Disk -Vm db1": "'Vm'. The \"$_ -like 'web*'\" validation script for the argument with value "
        '"db1" did not return a result of True. Determine why the validation script failed, and then try the '
        "command again.",
        "New-Disk -Id x1": '\'Id\'. The argument "x1" does not match the "^\\d+$" pattern. Supply an '
        'argument that matches "^\\d+$" and try the command again.',
        "New-Disk -Tags a, b, c": "'Tags'. The parameter requires at least 1 value(s) and no more than 2 "
        "value(s) - 3 value(s) were provided.",
    }
    for call, message in cases.items():
        assert run(capsys, _VALIDATED + call).err_lines == [prefix + message], call

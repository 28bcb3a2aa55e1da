"""Operators, hashtables and casts: -match/$Matches, -contains/-in, -replace, -split, -join, -f, ranges."""

from __future__ import annotations

import pytest

from tests.unit.shell_fake import FakeConnector, run

pytestmark = pytest.mark.timeout(30)


def out(capsys: pytest.CaptureFixture[str], text: str, fake: FakeConnector | None = None) -> list[str]:
    result = run(capsys, text, fake)
    assert (result.code, result.err) == (0, ""), result.err
    return result.out.splitlines()


def test_match_sets_matches(capsys: pytest.CaptureFixture[str]) -> None:
    script = """
    'Web01' -match 'web(\\d+)'; $Matches[0]; $Matches[1]
    'db-7' -match '(?<kind>\\w+)-(?<n>\\d)'; $Matches.kind; $Matches['N']
    'Web' -cmatch 'web'; 'Web' -notmatch 'x'; 'Web' -imatch 'WEB'
    """
    assert out(capsys, script) == ["True", "Web01", "01", "True", "db", "7", "False", "True", "True"]


def test_comparison_operators_filter_arrays(capsys: pytest.CaptureFixture[str]) -> None:
    assert out(capsys, "1, 2, 3 -gt 1") == ["2", "3"]
    assert out(capsys, "'web01', 'db01', 'web02' -match '^web'") == ["web01", "web02"]
    assert out(capsys, "'web01', 'db01' -notlike 'web*'") == ["db01"]
    assert out(capsys, "(1, 2, 3 -eq 5).Count") == ["0"]


def test_containment(capsys: pytest.CaptureFixture[str]) -> None:
    script = "1,2,3 -contains 2; 'a','B' -contains 'b'; 'a','B' -ccontains 'b'; 2 -in 1,2; 'x' -notin 'a','b'"
    assert out(capsys, script) == ["True", "True", "False", "True", "True"]
    assert out(capsys, "1,2 -notcontains '2'; 'z' -in 'a'") == ["False", "False"]


def test_replace_split_join(capsys: pytest.CaptureFixture[str]) -> None:
    script = """
    'hello world' -replace 'O', '0'
    'John Smith' -replace '(\\w+) (\\w+)', '$2, $1'
    'vm-01', 'vm-02' -replace 'vm-', 'web'
    'strip digits 123' -replace '\\d'
    ('a,b,,c' -split ',').Count
    (-split '  a b  c ') -join '|'
    'a1b2c' -split '\\d', 2
    1, 2, 3 -join ', '
    -join ('x', 'y')
    """
    assert out(capsys, script) == [
        "hell0 w0rld",
        "Smith, John",
        "web01",
        "web02",
        "strip digits ",
        "4",
        "a|b|c",
        "a",
        "b2c",
        "1, 2, 3",
        "xy",
    ]


def test_format_operator(capsys: pytest.CaptureFixture[str]) -> None:
    script = """
    '{0} has {1:N1} GB' -f 'web01', 1.25
    '[{0,5}|{1,-4}]' -f 'r', 'l'
    '{0:D3} {1:X2} {2:P0} {3:0.00} {4:N0}' -f 7, 10, 0.5, 3.14159, 1234567
    '{{literal}} {0}' -f 1
    """
    assert out(capsys, script) == [
        "web01 has 1.3 GB",
        "[    r|l   ]",
        "007 0A 50% 3.14 1,234,567",
        "{literal} 1",
    ]
    assert run(capsys, "'{1}' -f 'a'").err_lines == [
        "InvalidOperation: Error formatting a string: Index (zero based) must be greater than or equal to "
        "zero and less than the size of the argument list."
    ]


def test_ranges(capsys: pytest.CaptureFixture[str]) -> None:
    assert out(capsys, "1..3; 3..1 -join ','; $n = 2; ($n..($n + 2)).Count") == ["1", "2", "3", "3,2,1", "3"]


def test_logical_and_not(capsys: pytest.CaptureFixture[str]) -> None:
    script = "!$true; -not 0; !''; $true -xor $true; $null -eq $null; 1 -and 'x'; 0 -or ''"
    assert out(capsys, script) == ["False", "True", "True", "False", "True", "True", "False"]


def test_casts(capsys: pytest.CaptureFixture[str]) -> None:
    script = """
    [int]'42' + 1
    [string]5 + 5
    [bool]'x'; [bool]0
    [double]'1.5' * 2
    [int]2.5; [int]3.5
    ([int[]]('1', '2'))[1] + 1
    [array]'one' -is [array]
    ([datetime]'2024-11-27T07:26:00Z').Year
    """
    assert out(capsys, script) == ["43", "55", "True", "False", "3", "2", "4", "3", "True", "2024"]
    assert run(capsys, "[int]'abc'").err_lines == [
        "InvalidArgument: Cannot convert value 'abc' to type Int32."
    ]
    assert run(capsys, "[Frobnicator]1").err_lines == ["InvalidOperation: Unable to find type [Frobnicator]."]


def test_is_and_as(capsys: pytest.CaptureFixture[str]) -> None:
    script = "5 -is [int]; 'x' -is [string]; 5 -isnot [string]; '5' -as [int]; $null -eq ('x' -as [int])"
    assert out(capsys, script) == ["True", "True", "True", "5", "True"]


def test_increment_decrement_and_compound_assignment(capsys: pytest.CaptureFixture[str]) -> None:
    script = """
    $i = 5; $i++; ++$i; $i
    $j = $i--; $j; $i
    $a = @(); $a += 1; $a += 2, 3; $a.Count
    $s = 'a'; $s += 'b'; $s *= 2; $s
    $h = @{ n = 1 }; $h.n++; $h['n'] += 10; $h.n
    """
    assert out(capsys, script) == ["7", "7", "6", "3", "abab", "12"]


def test_hashtables(capsys: pytest.CaptureFixture[str]) -> None:
    script = """
    $h = @{ Name = 'web01'; Cpu = 2
            'Memory GB' = 4 }
    $h.name; $h['NAME']; $h.'Memory GB'; $h.Count
    $h.Keys -join ','
    $h.Cpu = 4; $h.New = 'added'; $h['cpu']; $h.Count
    $h.Missing -eq $null
    $e = @{}; $e.Count
    $o = [ordered]@{ z = 1; a = 2 }; $o.Keys -join ','
    """
    assert out(capsys, script) == [
        "web01",
        "web01",
        "4",
        "3",
        "Name,Cpu,Memory GB",
        "4",
        "4",
        "True",
        "0",
        "z,a",
    ]


def test_hashtable_values_may_be_pipelines_and_script_blocks(capsys: pytest.CaptureFixture[str]) -> None:
    fake = FakeConnector()
    fake.client.add_vm("web01")
    script = (
        "$h = @{ Count = (Get-VM).Count; E = { $_ * 2 } }; $h.Count; $h.E -is [scriptblock]; [string]$h.E"
    )
    assert out(capsys, script, fake) == ["1", "True", " $_ * 2 "]


def test_hashtable_display_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert out(capsys, "@{ Name = 'a'; Size = 2 }") == [
        "",
        "Name Value",
        "---- -----",
        "Name a",
        "Size 2",
        "",
    ]
    assert out(capsys, "@{ Name = 'a'; Size = 2 } | ConvertTo-Json -Compress") == ['{"Name":"a","Size":2}']


def test_hashtable_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "@{ a = 1; A = 2 }").err_lines == [
        "InvalidOperation: Duplicate keys 'A' are not allowed in hash literals."
    ]


def test_pscustomobject(capsys: pytest.CaptureFixture[str]) -> None:
    script = """
    $o = [pscustomobject]@{ Name = 'web01'; Cpu = 2 }
    $o.Cpu = 4
    $o
    $o | ConvertTo-Json -Compress
    """
    assert out(capsys, script) == ["", "Name  Cpu", "----  ---", "web01   4", "", '{"Name":"web01","Cpu":4}']
    assert run(capsys, "$o = [pscustomobject]@{ a = 1 }; $o.b = 2").err_lines == [
        "InvalidOperation: The property 'b' cannot be found on this object."
    ]


def test_method_calls(capsys: pytest.CaptureFixture[str]) -> None:
    script = """
    'a,b,c'.Split(',')[1].ToUpper()
    '  padded  '.Trim() + '|'
    'web01'.StartsWith('WEB', $true); 'web01'.Replace('web', 'db'); 'abcdef'.Substring(2, 3)
    $h = @{ a = 1 }; $h.ContainsKey('A'); $h.Add('b', 2); $h.Remove('a'); $h.Keys -join ','
    (1, 2, 3).Contains(2); (1, 2, 3).IndexOf(3)
    'x'.GetType().Name; (5).GetType().FullName; (1.5).ToString('F3')
    ([datetime]'2024-01-31T00:00:00').AddDays(1).Month
    $double = { param($n) $n * 2 }; $double.Invoke(21)
    ('a', 'bc').ToUpper() -join ','
    """
    assert out(capsys, script) == [
        "B", "padded|", "True", "db01", "cde", "True", "b", "True", "2", "String", "System.Int32", "1.500",
        "2", "42", "A,BC",
    ]  # fmt: skip


def test_static_members(capsys: pytest.CaptureFixture[str]) -> None:
    script = """
    [math]::Round(2.567, 2); [math]::Round(2.5); [math]::Max(3, 7); [math]::Floor(2.7)
    [string]::IsNullOrEmpty(''); [string]::Join('-', @('a', 'b')); [int]::MaxValue
    ([datetime]::Now) -is [datetime]
    """
    assert out(capsys, script) == ["2.57", "2", "7", "2", "True", "a-b", "2147483647", "True"]


def test_method_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "$null.Trim()").err_lines == [
        "InvalidOperation: You cannot call a method on a null-valued expression."
    ]
    assert run(capsys, "'x'.Frob()").err_lines == [
        "InvalidOperation: Method invocation failed because [System.String] does not contain a method named "
        "'Frob'."
    ]
    assert run(capsys, "'x'.Substring()").err_lines == [
        'InvalidOperation: Cannot find an overload for "Substring" and the argument count: "0".'
    ]
    assert run(capsys, "@{ a = 1 }.Add('a', 2)").err_lines == [
        'InvalidOperation: Exception calling "Add": "Item has already been added. Key in dictionary: \'a\'"'
    ]


def test_multiple_assignment(capsys: pytest.CaptureFixture[str]) -> None:
    script = "$a, $b, $rest = 1, 2, 3, 4; $a; $b; $rest -join '+'; $x, $y = 'only'; $x; $null -eq $y"
    assert out(capsys, script) == ["1", "2", "3+4", "only", "True"]


def test_hashtable_enumeration_and_type(capsys: pytest.CaptureFixture[str]) -> None:
    script = """
    $h = [ordered]@{ b = 2; a = 1 }
    foreach ($entry in $h.GetEnumerator()) { "$($entry.Key)=$($entry.Value)" }
    $h.GetType().FullName
    """
    assert out(capsys, script) == ["b=2", "a=1", "System.Collections.Hashtable"]


def test_error_records_show_as_their_message(capsys: pytest.CaptureFixture[str]) -> None:
    assert out(capsys, "try { throw 'it failed' } catch { $_ }; $Error[0]") == ["it failed", "it failed"]


def test_bitwise_operators(capsys: pytest.CaptureFixture[str]) -> None:
    script = "6 -band 3; 6 -bor 1; 6 -bxor 2; 1 -shl 4; 256 -shr 4; -bnot 0; 1 + 2 -band 3 -eq 3"
    assert out(capsys, script) == [
        "2", "7", "4", "16", "16", "-1", "True",
    ]  # fmt: skip


def test_nested_strings_in_subexpressions(capsys: pytest.CaptureFixture[str]) -> None:
    assert out(capsys, '"a $("b $(1 + 1) c") d"; "x `"q`" $("in""ner")"') == ["a b 2 c d", 'x "q" in"ner']


def test_array_slices_and_the_unary_comma(capsys: pytest.CaptureFixture[str]) -> None:
    script = """
    $r = 10..15; $r[1..3] -join ','; $r[-2..-1] -join ','; 'hello'[1]
    $a = @(1, 2); $b = $a; $b += 3; $a.Count
    function Get-Pair { , @('x', 'y') }
    $pair = Get-Pair; $pair.Count; (, 5).Count
    """
    assert out(capsys, script) == ["11,12,13", "14,15", "e", "2", "2", "1"]


def test_typed_variables_keep_their_type(capsys: pytest.CaptureFixture[str]) -> None:
    script = """
    [int]$n = '5'; $n = '7'; $n + 1; $n += '2'; $n
    function f([int]$count) { $count = '40'; $count + 2 }
    f 1
    [string]$s = 5; $s += 1; $s
    """
    assert out(capsys, script) == ["8", "9", "42", "51"]
    assert run(capsys, "[int]$n = 1; $n = 'abc'").err_lines == [
        "InvalidArgument: Cannot convert value 'abc' to type Int32."
    ]


def test_casts_of_unary_expressions(capsys: pytest.CaptureFixture[str]) -> None:
    script = "[int]-1; [bool]!$true; [int]-not 0; [string]-join ('a', 'b'); 'a,b' -as [string] -split ','"
    assert out(capsys, script) == ["-1", "False", "1", "ab", "a", "b"]


def test_text_operators_without_a_pattern_are_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "'a' -replace @()").err_lines == [
        "InvalidOperation: The -replace operator needs a pattern: -replace 'pattern', 'replacement'."
    ]
    assert run(capsys, "'a' -split @()").err_lines == [
        "InvalidOperation: The -split operator needs a pattern: -split 'pattern'[, max]."
    ]
    assert run(capsys, "'a' -split ',', 'x'").err_lines == [
        "InvalidOperation: Cannot convert value 'x' to type Int32."
    ]


def test_date_arithmetic_gives_timespans(capsys: pytest.CaptureFixture[str]) -> None:
    script = """
    $created = [datetime]'2024-11-25T05:00:30'; $now = [datetime]'2024-11-27T07:26:00'
    $age = $now - $created
    $age; $age.Days; $age.Hours; [math]::Round($age.TotalHours, 2); ($created - $now).Days
    $now - $age
    $age -gt ($now - $now)
    "$($created - $now)"
    """
    assert out(capsys, script) == [
        "2.02:25:30", "2", "2", "50.42", "-2", "11/25/2024 5:00:30 AM", "True", "-2.02:25:30",
    ]  # fmt: skip


def test_adding_hashtables(capsys: pytest.CaptureFixture[str]) -> None:
    assert out(capsys, "$h = @{ a = 1 } + @{ b = 2 }; $h.Keys -join ','") == ["a,b"]
    assert run(capsys, "@{ a = 1 } + @{ A = 2 }").err_lines == [
        "InvalidOperation: Item has already been added. Key in dictionary: 'a'  Key being added: 'A'"
    ]

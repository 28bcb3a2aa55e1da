"""Shell value semantics: conversions, operators, wildcards, string forms."""

from __future__ import annotations

import datetime as dt

import pytest

from clients.shell import operators
from clients.shell.conversions import INT32, STRING, STRINGS, SWITCH, to_double, to_int32
from clients.shell.errors import ConversionError, ShellError
from clients.shell.psobject import PSObject
from clients.shell.values import collect, format_date, format_float, is_true, to_string
from clients.shell.wildcard import is_wildcard, like, unescape

pytestmark = pytest.mark.timeout(30)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (5, 5),
        ("42", 42),
        (" 7 ", 7),
        ("1KB", 1024),
        ("0x10", 16),
        (2.5, 2),
        (3.5, 4),
        ("2.5", 2),
        (True, 1),
        (None, 0),
        ("", 0),
        ([9], 9),
    ],
)
def test_to_int32(value: object, expected: int) -> None:
    assert to_int32(value) == expected


@pytest.mark.parametrize("value", ["abc", [1, 2], 2**31, PSObject("X", [])])
def test_to_int32_refuses(value: object) -> None:
    with pytest.raises(ConversionError) as caught:
        to_int32(value)
    assert caught.value.message.startswith("Cannot convert value '")
    assert "to type Int32." in caught.value.message


def test_conversion_error_message() -> None:
    with pytest.raises(ConversionError, match=r"^Cannot convert value 'abc' to type Int32\.$"):
        INT32.convert("abc")
    assert to_double("1.5") == 1.5


def test_string_and_array_parameter_types() -> None:
    assert STRING.convert(12) == "12"
    assert STRING.convert(["a", "b"]) == "a b"
    assert STRINGS.convert("web*") == ["web*"]
    assert STRINGS.convert(["a", 1]) == ["a", "1"]
    assert STRING.convert(PSObject("VirtualMachine", [("Name", "x")], label="x")) == "x"
    with pytest.raises(ConversionError):
        STRING.convert(PSObject("Thing", [("Name", "x")]))


def test_switch_accepts_booleans_and_numbers_only() -> None:
    assert SWITCH.convert(True) is True
    assert SWITCH.convert(False) is False
    assert SWITCH.convert(0) is False
    with pytest.raises(ConversionError, match="Boolean parameters accept only Boolean values and numbers"):
        SWITCH.convert("false")


def test_to_string_forms() -> None:
    assert [to_string(v) for v in (None, True, 2.0, 0.25, [1, "a"], "x")] == [
        "",
        "True",
        "2",
        "0.25",
        "1 a",
        "x",
    ]
    assert to_string(PSObject("Custom", [("a", 1), ("b", "x")])) == "@{a=1; b=x}"
    assert format_float(1 / 3) == "0.333333333333333"
    assert format_float(1e20) == "1E+20"
    assert format_date(dt.datetime(2024, 1, 2, 15, 4, 5)) == "1/2/2024 3:04:05 PM"


def test_truthiness_and_collect() -> None:
    assert [is_true(v) for v in (None, 0, "", [], [0], [0, 0], "x", PSObject("T", []))] == [
        False,
        False,
        False,
        False,
        False,
        True,
        True,
        True,
    ]
    assert collect([]) is None
    assert collect([1]) == 1
    assert collect([1, 2]) == [1, 2]


def test_arithmetic() -> None:
    assert operators.binary("+", 1, "2") == 3
    assert operators.binary("+", "a", 1) == "a1"
    assert operators.binary("+", [1], 2) == [1, 2]
    assert operators.binary("+", None, 5) == 5
    assert operators.binary("*", "ab", 2) == "abab"
    assert operators.binary("/", 10, 4) == 2.5
    assert operators.binary("/", 10, 5) == 2
    assert operators.binary("%", -7, 3) == -1
    assert operators.unary("-", "3") == -3
    with pytest.raises(ShellError, match=r"Attempted to divide by zero\."):
        operators.binary("/", 1, 0)
    with pytest.raises(
        ShellError, match=r"\[VirtualMachine\] does not contain a method named 'op_Subtraction'"
    ):
        operators.binary("-", PSObject("VirtualMachine", []), 1)


def test_comparisons() -> None:
    assert operators.binary("eq", "Web01", "web01") is True
    assert operators.binary("ceq", "Web01", "web01") is False
    assert operators.binary("eq", 10, "10") is True
    assert operators.binary("eq", 10, "abc") is False
    assert operators.binary("gt", "b", "A") is True
    assert operators.binary("lt", None, 1) is True
    assert operators.binary("gt", [1, 2, 3], 1) == [2, 3]
    assert operators.binary("like", "WEB01", "web*") is True
    assert operators.binary("notlike", "db01", "web*") is True
    assert operators.binary("clike", "WEB01", "web*") is False
    with pytest.raises(ShellError, match='Could not compare "5" to "abc"'):
        operators.binary("gt", 5, "abc")


@pytest.mark.parametrize(
    ("text", "pattern", "matches"),
    [
        ("web01", "web*", True),
        ("WEB01", "web0?", True),
        ("web10", "web0?", False),
        ("db1", "[dw]*", True),
        ("a*b", "a`*b", True),
        ("axb", "a`*b", False),
        ("web01", "web01", True),
        ("x", "[", False),
        ("[", "[", True),
    ],
)
def test_wildcards(text: str, pattern: str, matches: bool) -> None:
    assert like(text, pattern) is matches


def test_wildcard_detection() -> None:
    assert is_wildcard("web*") and is_wildcard("a?") and is_wildcard("[ab]")
    assert not is_wildcard("web01") and not is_wildcard("a`*")
    assert unescape("a`*b") == "a*b"

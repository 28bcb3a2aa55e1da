"""The shell's tokenizer: command mode versus expression mode, numbers, strings, variables, trivia."""

from __future__ import annotations

import pytest

from clients.shell.errors import ParseError
from clients.shell.lexer import Kind, Lexer, Mode, SubexpressionPart, Token, VariablePart, line_column

pytestmark = pytest.mark.timeout(30)


def tokens(source: str, mode: Mode = Mode.COMMAND) -> list[Token]:
    lexer = Lexer(source)
    out: list[Token] = []
    pos = 0
    while True:
        token = lexer.scan(pos, mode)
        if token.kind is Kind.EOF:
            return out
        out.append(token)
        pos = token.end


def kinds(source: str, mode: Mode = Mode.COMMAND) -> list[tuple[Kind, str]]:
    return [(t.kind, t.text) for t in tokens(source, mode)]


def test_command_mode_words_parameters_and_punctuation() -> None:
    assert kinds("Get-VM web* -Name:x | Stop-VM -Confirm:$false;") == [
        (Kind.GENERIC, "Get-VM"),
        (Kind.GENERIC, "web*"),
        (Kind.PARAMETER, "-Name:"),
        (Kind.GENERIC, "x"),
        (Kind.PIPE, "|"),
        (Kind.GENERIC, "Stop-VM"),
        (Kind.PARAMETER, "-Confirm:"),
        (Kind.VARIABLE, "$false"),
        (Kind.SEMI, ";"),
    ]
    confirm = tokens("-Confirm:$false")[0]
    assert (confirm.value, confirm.colon) == ("Confirm", True)
    assert tokens("-RunAsync")[0].colon is False


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("42", 42),
        ("256MB", 256 * 1024 * 1024),
        ("1gb", 1 << 30),
        ("1.5GB", 1.5 * (1 << 30)),
        ("2KB", 2048),
        ("0x1F", 31),
        ("10l", 10),
        ("1e3", 1000.0),
        ("-5", -5),
        (".5", 0.5),
    ],
)
def test_numbers_in_command_mode(text: str, value: float) -> None:
    (token,) = tokens(text)
    assert token.kind is Kind.NUMBER
    assert token.number == value
    assert type(token.number) is type(value)


def test_words_that_only_start_like_numbers_are_words() -> None:
    assert kinds("1abc 1.2.3 web01") == [
        (Kind.GENERIC, "1abc"),
        (Kind.GENERIC, "1.2.3"),
        (Kind.GENERIC, "web01"),
    ]


def test_expression_mode_operators() -> None:
    assert kinds("$a -eq 1 + 2 * -3", Mode.EXPRESSION) == [
        (Kind.VARIABLE, "$a"),
        (Kind.OPERATOR, "-eq"),
        (Kind.NUMBER, "1"),
        (Kind.PLUS, "+"),
        (Kind.NUMBER, "2"),
        (Kind.STAR, "*"),
        (Kind.MINUS, "-"),
        (Kind.NUMBER, "3"),
    ]
    assert [t.value for t in tokens("-CLike -iEQ -notlike", Mode.EXPRESSION)] == ["clike", "ieq", "notlike"]
    assert [(t.kind, t.value) for t in tokens("+= =", Mode.EXPRESSION)] == [
        (Kind.ASSIGN, "+="),
        (Kind.ASSIGN, "="),
    ]


def test_unknown_dash_operator_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="Unexpected token '-bogus'"):
        tokens("1 -bogus 2", Mode.EXPRESSION)


def test_range_is_not_a_decimal_point() -> None:
    assert kinds("1..3", Mode.EXPRESSION) == [(Kind.NUMBER, "1"), (Kind.DOTDOT, ".."), (Kind.NUMBER, "3")]


def test_variables() -> None:
    assert [t.value for t in tokens("$x $_ ${odd name} $env:HOME $global:y $?")] == [
        "x",
        "_",
        "odd name",
        "env:HOME",
        "global:y",
        "?",
    ]
    assert tokens("$(")[0].kind is Kind.DOLLAR_PAREN
    assert [t.kind for t in tokens("@( @{")] == [Kind.AT_PAREN, Kind.AT_BRACE]


def test_single_quoted_strings_are_verbatim() -> None:
    (token,) = tokens("'it''s $x `n'")
    assert token.kind is Kind.STRING
    assert token.value == "it's $x `n"


def test_double_quoted_strings_have_parts() -> None:
    source = '"a $x b $($y + 1) `t""c`$d"'
    (token,) = tokens(source)
    assert token.kind is Kind.EXPANDABLE
    a, x, b, sub, tail = token.parts
    assert (a, b, tail) == ("a ", " b ", ' \t"c$d')
    assert isinstance(x, VariablePart) and x.name == "x"
    assert isinstance(sub, SubexpressionPart)
    assert source[sub.start : sub.end] == "$y + 1"


def test_subexpression_in_string_may_contain_parentheses_and_quotes() -> None:
    source = '"n=$((Get-VM ")").Count)"'
    (token,) = tokens(source)
    sub = token.parts[1]
    assert isinstance(sub, SubexpressionPart)
    assert source[sub.start : sub.end] == '(Get-VM ")").Count'


def test_comments_and_line_continuation_are_skipped() -> None:
    assert kinds("Get-VM `\n  web01 # a comment\n<# block\ncomment #> x") == [
        (Kind.GENERIC, "Get-VM"),
        (Kind.GENERIC, "web01"),
        (Kind.NEWLINE, "\n"),
        (Kind.GENERIC, "x"),
    ]


def test_spaced_flag() -> None:
    a, dot = tokens("$a .b", Mode.EXPRESSION)[:2]
    assert (a.spaced, dot.spaced) == (False, True)


@pytest.mark.parametrize("source", ["'open", '"open', "<# open", "${open"])
def test_unterminated_input_is_incomplete(source: str) -> None:
    with pytest.raises(ParseError) as caught:
        tokens(source)
    assert caught.value.incomplete


def test_line_column() -> None:
    assert line_column("ab\ncd", 0) == (1, 1)
    assert line_column("ab\ncd", 4) == (2, 2)


def test_here_strings() -> None:
    (expandable,) = tokens('@"\nVM: $name\n  "quoted" $(1 + 1)\n"@')
    assert expandable.kind is Kind.EXPANDABLE
    assert [p if isinstance(p, str) else type(p).__name__ for p in expandable.parts] == [
        "VM: ",
        "VariablePart",
        '\n  "quoted" ',
        "SubexpressionPart",
    ]
    (literal,) = tokens("@'\r\nno $expansion\r\n'@")
    assert (literal.kind, literal.value) == (Kind.STRING, "no $expansion")
    (empty,) = tokens("@'\n'@")
    assert empty.value == ""


def test_here_string_errors() -> None:
    with pytest.raises(ParseError) as caught:
        tokens('@" text\n"@')
    assert caught.value.message == (
        "No characters are allowed after a here-string header but before the end of the line."
    )
    with pytest.raises(ParseError) as caught:
        tokens("@'\nnever closed")
    assert (caught.value.message, caught.value.incomplete) == (
        "The string is missing the terminator: '@.",
        True,
    )

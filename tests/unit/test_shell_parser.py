"""The shell's parser: statement and pipeline structure, precedence, command elements, parse errors."""

from __future__ import annotations

import pytest

from clients.shell import nodes
from clients.shell.errors import ParseError
from clients.shell.parser import parse

pytestmark = pytest.mark.timeout(30)


def one(source: str) -> nodes.Statement:
    (statement,) = parse(source).statements
    return statement


def expression(source: str) -> nodes.Expression:
    statement = one(source)
    assert isinstance(statement, nodes.Pipeline)
    (head,) = statement.elements
    assert isinstance(head, nodes.Expression)
    return head


def shape(node: object) -> object:
    """A compact picture of an expression tree."""
    if isinstance(node, nodes.Binary):
        return (node.operator, shape(node.left), shape(node.right))
    if isinstance(node, nodes.Unary):
        return (node.operator, shape(node.operand))
    if isinstance(node, nodes.ArrayLiteral):
        return [shape(item) for item in node.items]
    if isinstance(node, nodes.Constant | nodes.StringConstant):
        return node.value
    if isinstance(node, nodes.Variable):
        return "$" + node.name
    if isinstance(node, nodes.Member):
        return (".", shape(node.target), node.name)
    if isinstance(node, nodes.Index):
        return ("[]", shape(node.target), shape(node.index))
    return type(node).__name__


def test_pipeline_of_commands() -> None:
    statement = one("Get-VM web* | Stop-VM -Confirm:$false -Kill")
    assert isinstance(statement, nodes.Pipeline)
    get, stop = statement.elements
    assert isinstance(get, nodes.Command) and isinstance(stop, nodes.Command)
    assert get.name == "Get-VM"
    (pattern,) = get.elements
    assert isinstance(pattern, nodes.StringConstant) and (pattern.value, pattern.quoted) == ("web*", False)
    confirm, kill = stop.elements
    assert isinstance(confirm, nodes.CommandParameter) and isinstance(kill, nodes.CommandParameter)
    assert (confirm.name, confirm.colon, shape(confirm.argument)) == ("Confirm", True, "$false")
    assert (kill.name, kill.colon, kill.argument) == ("Kill", False, None)


def test_command_arguments_with_commas_are_arrays() -> None:
    statement = one("Get-VM web01, 'db 01',$x -Name a")
    assert isinstance(statement, nodes.Pipeline)
    (command,) = statement.elements
    assert isinstance(command, nodes.Command)
    names, parameter, value = command.elements
    assert shape(names) == ["web01", "db 01", "$x"]
    assert isinstance(parameter, nodes.CommandParameter) and parameter.argument is None
    assert shape(value) == "a"


def test_command_argument_member_access_and_subexpressions() -> None:
    statement = one("Start-VM $vm.Name (Get-VM x) $(1) @(2)")
    assert isinstance(statement, nodes.Pipeline)
    (command,) = statement.elements
    assert isinstance(command, nodes.Command)
    kinds = [type(e).__name__ for e in command.elements]
    assert kinds == ["Member", "Paren", "SubExpression", "ArrayExpression"]


def test_statements_are_separated_by_semicolons_and_newlines() -> None:
    script = parse("Get-VM; Get-VMHost\n\n  'x' ;;\n")
    assert len(script.statements) == 3


def test_assignment_takes_a_whole_pipeline() -> None:
    statement = one("$vms = Get-VM web* | Start-VM")
    assert isinstance(statement, nodes.Assignment)
    assert shape(statement.target) == "$vms"
    assert statement.operator == "="
    assert isinstance(statement.value, nodes.Pipeline) and len(statement.value.elements) == 2
    compound = one("$a += 1")
    assert isinstance(compound, nodes.Assignment) and compound.operator == "+="


def test_expression_precedence() -> None:
    assert shape(expression("1 + 2 * 3")) == ("+", 1, ("*", 2, 3))
    assert shape(expression("1,2 + 3")) == ("+", [1, 2], 3)
    assert shape(expression("$a -eq 1 -and $b -like 'x*'")) == ("and", ("eq", "$a", 1), ("like", "$b", "x*"))
    assert shape(expression("-not $a -or !$b")) == ("or", ("not", "$a"), ("!", "$b"))
    assert shape(expression("-1 - -2")) == ("-", ("-", 1), ("-", 2))


def test_postfix_member_and_index() -> None:
    assert shape(expression("$x.Name[0]")) == ("[]", (".", "$x", "Name"), 0)
    assert shape(expression("(Get-VM).Count")) == (".", "Paren", "Count")


def test_expression_first_then_commands() -> None:
    statement = one("1, 2 | ConvertTo-Json")
    assert isinstance(statement, nodes.Pipeline)
    head, command = statement.elements
    assert shape(head) == [1, 2]
    assert isinstance(command, nodes.Command)


def test_expandable_string_parts() -> None:
    node = expression('"vm $name has $($vm.NumCpu) cpus"')
    assert isinstance(node, nodes.ExpandableString)
    assert [p if isinstance(p, str) else type(p).__name__ for p in node.parts] == [
        "vm ",
        "Variable",
        " has ",
        "SubExpression",
        " cpus",
    ]
    plain = expression('"no variables"')
    assert isinstance(plain, nodes.StringConstant) and plain.value == "no variables"


def test_exit_statement() -> None:
    statement = one("exit 3")
    assert isinstance(statement, nodes.Exit) and shape(statement.value) == 3
    bare = one("exit")
    assert isinstance(bare, nodes.Exit) and bare.value is None


@pytest.mark.parametrize(
    ("source", "message", "where"),
    [
        ("Get-VM (", "Missing closing ')' in expression.", (1, 9)),
        ("Get-VM |", "An empty pipe element is not allowed.", (1, 9)),
        ("Get-VM | 1", "Expressions are only allowed as the first element of a pipeline.", (1, 10)),
        ("Get-VM\n  )", "Unexpected token ')' in expression or statement.", (2, 3)),
        ("1 2", "Unexpected token '2' in expression or statement.", (1, 3)),
        ("$x .Name", "Unexpected token '.Name' in expression or statement.", (1, 4)),
        ("1 +", "You must provide a value expression here.", (1, 4)),
        ("'a' = 1", "The assignment expression is not valid.", (1, 5)),
        ("foreach ($x $y) {}", "Missing 'in' after variable in foreach loop.", (1, 13)),
        ("@{a 1}", "Missing '=' operator after key in hash literal.", (1, 5)),
        ("$a -bxor 'x'", "The '-bxor' operator is not supported by this shell yet.", (1, 4)),
        ("switch ($x) {}", "The 'switch' keyword is not supported by this shell yet.", (1, 1)),
        ("New-VM -Name:", "Missing an argument for parameter 'Name'.", (1, 14)),
    ],
)
def test_parse_errors_name_line_and_column(source: str, message: str, where: tuple[int, int]) -> None:
    with pytest.raises(ParseError) as caught:
        parse(source)
    error = caught.value
    assert error.message == message
    assert (error.line, error.column) == where
    assert error.render() == f"ParserError: At line:{where[0]} char:{where[1]}: {message}"


def test_parse_error_in_a_file_names_the_file() -> None:
    with pytest.raises(ParseError) as caught:
        parse("Get-VM\n)", source_name="deploy.ps1")
    assert caught.value.render().startswith("ParserError: At deploy.ps1:2 char:1: ")


@pytest.mark.parametrize(("source", "incomplete"), [("Get-VM |", True), ("(1 +", True), ("1 2", False)])
def test_incomplete_input_is_flagged_for_the_repl(source: str, incomplete: bool) -> None:
    with pytest.raises(ParseError) as caught:
        parse(source)
    assert caught.value.incomplete is incomplete

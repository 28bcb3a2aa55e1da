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
        ("$a -shl", "You must provide a value expression here.", (1, 8)),
        ("trap { }", "The 'trap' keyword is not supported by this shell yet.", (1, 1)),
        ("if ($a) { }; else { }", "Unexpected token 'else' in expression or statement.", (1, 14)),
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


def test_control_flow_statements() -> None:
    statement = one("if ($a) { 1 } elseif ($b) { 2 }\nelse { 3 }")
    assert isinstance(statement, nodes.If)
    assert len(statement.clauses) == 2 and statement.otherwise is not None
    loop = one("foreach ($vm in Get-VM) { $vm.Name }")
    assert isinstance(loop, nodes.ForEach) and loop.variable == "vm"
    assert isinstance(loop.items, nodes.Pipeline) and isinstance(loop.items.elements[0], nodes.Command)
    header = one("for ($i = 0; $i -lt 3; $i++) { }")
    assert isinstance(header, nodes.For)
    assert isinstance(header.init, nodes.Assignment) and isinstance(header.step, nodes.Pipeline)
    empty = one("for (;;) { break }")
    assert isinstance(empty, nodes.For) and (empty.init, empty.condition, empty.step) == (None, None, None)
    do = one("do { $n-- }\nuntil ($n -le 0)")
    assert isinstance(do, nodes.DoLoop) and do.until
    assert isinstance(one("while ($true) { continue }"), nodes.While)


def test_loop_labels() -> None:
    statement = one(":outer foreach ($i in 1..3) { break outer }")
    assert isinstance(statement, nodes.Labeled) and statement.label == "outer"
    assert isinstance(statement.loop, nodes.ForEach)
    (inner,) = statement.loop.body.statements
    assert isinstance(inner, nodes.Break) and inner.label == "outer"
    bare = one("continue")
    assert isinstance(bare, nodes.Continue) and bare.label is None


def test_function_definitions() -> None:
    short = one("function Add($a, [int]$b = 2) { $a + $b }")
    assert isinstance(short, nodes.FunctionDefinition) and short.name == "Add"
    assert short.body.parameters is not None
    assert [(p.name, p.type_name, shape(p.default)) for p in short.body.parameters] == [
        ("a", None, "NoneType"),
        ("b", "int", 2),
    ]
    full = one(
        "function Get-It {\n param([Parameter(Mandatory, ValueFromPipeline)][string]$Name, [switch]$Force)\n"
        " begin { 1 } process { $_ } end { 2 } }"
    )
    assert isinstance(full, nodes.FunctionDefinition) and full.body.parameters is not None
    name, force = full.body.parameters
    assert (name.mandatory, name.pipeline, name.type_name) == (True, True, "string")
    assert (force.mandatory, force.type_name) == (False, "switch")
    assert full.body.begin_block is not None and full.body.process_block is not None
    filt = one("filter Double { $_ * 2 }")
    assert isinstance(filt, nodes.FunctionDefinition) and filt.body.process_block is not None


def test_try_catch_finally() -> None:
    statement = one("try { 1 }\ncatch [NotFound], [System.Exception] { 2 }\ncatch { 3 }\nfinally { 4 }")
    assert isinstance(statement, nodes.Try)
    assert [c.types for c in statement.catches] == [("NotFound", "System.Exception"), ()]
    assert statement.final is not None
    assert isinstance(one("throw 'x'"), nodes.Throw) and isinstance(one("return"), nodes.Return)


def test_script_blocks_hashtables_and_casts() -> None:
    block = expression("{ param($x) $x * 2 }")
    assert isinstance(block, nodes.ScriptBlockExpression) and block.text == " param($x) $x * 2 "
    table = expression("@{ Name = 'a'; 'Two Words' = 1\n E = { $_ } }")
    assert isinstance(table, nodes.HashtableLiteral)
    assert [shape(key) for key, _ in table.entries] == ["Name", "Two Words", "E"]
    assert shape(expression("[int]'5' + 1")) == ("+", "Cast", 1)
    literal = expression("5 -is [int]")
    assert isinstance(literal, nodes.Binary) and isinstance(literal.right, nodes.TypeLiteral)
    ordered = expression("[ordered]@{ a = 1 }")
    assert isinstance(ordered, nodes.Cast) and isinstance(ordered.operand, nodes.HashtableLiteral)


def test_new_operator_precedence() -> None:
    assert shape(expression("1..3 -contains 2")) == ("contains", ("..", 1, 3), 2)
    assert shape(expression("'{0}' -f 1 + 1")) == ("+", ("f", "{0}", 1), 1)
    assert shape(expression("$a -match 'x' -or -not $b")) == ("or", ("match", "$a", "x"), ("not", "$b"))
    assert shape(expression("-split $s")) == ("split", "$s")
    increment = expression("$i++")
    assert isinstance(increment, nodes.IncDec) and (increment.operator, increment.prefix) == ("++", False)


def test_method_calls_and_static_members() -> None:
    call = expression("$s.Split(',', 2)[0].ToUpper()")
    assert isinstance(call, nodes.MethodCall) and call.name == "ToUpper" and call.arguments == ()
    assert isinstance(call.target, nodes.Index) and isinstance(call.target.target, nodes.MethodCall)
    assert [shape(a) for a in call.target.target.arguments] == [",", 2]
    static = expression("[math]::Round($x, 2)")
    assert isinstance(static, nodes.StaticMember) and (static.type_name, static.name) == ("math", "Round")
    now = expression("[datetime]::Now")
    assert isinstance(now, nodes.StaticMember) and now.arguments is None


def test_call_operators() -> None:
    statement = one("& $block 1 -Name x | . { process { $_ } }")
    assert isinstance(statement, nodes.Pipeline)
    call, dot = statement.elements
    assert isinstance(call, nodes.ScriptCall) and not call.dot and len(call.elements) == 3
    assert isinstance(dot, nodes.ScriptCall) and dot.dot


@pytest.mark.parametrize(
    ("source", "message", "where"),
    [
        ("if $x { }", "Missing '(' after 'if' in if statement.", (1, 4)),
        ("if ($x) 1", "Missing statement block after if ( condition ).", (1, 9)),
        ("foreach ($x in ) { }", "Missing foreach loop collection expression after 'in'.", (1, 16)),
        ("do { } 1", "Missing while or until keyword in do loop.", (1, 8)),
        ("function { }", "Missing name after function keyword.", (1, 10)),
        ("function f($a $b) { }", "Missing ')' in function parameter list.", (1, 15)),
        ("try { }", "The Try statement is missing its Catch or Finally block.", (1, 8)),
        ("@{ a = }", "Missing statement after '=' in hash literal.", (1, 8)),
        ("@{ a = 1 b = 2 }", "Missing '}' or ';' after a hash literal entry.", (1, 10)),
        ("$s.Trim(1 2)", "Missing ')' in method call.", (1, 11)),
        ("function f([Frob()]$a) { }", "The attribute [Frob] is not supported by this shell yet.", (1, 20)),
        ("switch -Bogus ($x) { }", "The switch option '-Bogus' is not supported by this shell yet.", (1, 8)),
        ("switch ($x) { 1 }", "Missing statement block in switch statement clause.", (1, 17)),
        ("break 'x'", "A loop label is a name: break outer, continue outer.", (1, 7)),
        (
            ":outer Get-VM",
            "A label (:outer) must be followed by a foreach, for, while, do or switch loop.",
            (1, 8),
        ),
    ],
)
def test_new_parse_errors(source: str, message: str, where: tuple[int, int]) -> None:
    with pytest.raises(ParseError) as caught:
        parse(source)
    assert (caught.value.message, (caught.value.line, caught.value.column)) == (message, where)


def test_parse_error_display_shows_the_line_and_a_caret() -> None:
    with pytest.raises(ParseError) as caught:
        parse("$a = 1\n\tif ($a { 'x' }")
    assert caught.value.display().splitlines() == [
        "ParserError: At line:2 char:9: Missing closing ')' after expression in 'if' statement.",
        "+ \tif ($a { 'x' }",
        "+ \t       ^",
    ]


@pytest.mark.parametrize(
    "source",
    ["if ($a) {", "foreach ($x in 1..3) {\n 'a'", "function f {", "@{ a = 1", "try { 1 }\ncatch {", "{ 1"],
)
def test_unclosed_blocks_are_incomplete_for_the_repl(source: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse(source)
    assert caught.value.incomplete


def test_splatting() -> None:
    statement = one("New-VM @spec -Confirm:$false")
    assert isinstance(statement, nodes.Pipeline)
    (command,) = statement.elements
    assert isinstance(command, nodes.Command)
    splat, confirm = command.elements
    assert isinstance(splat, nodes.Splat) and splat.name == "spec"
    assert isinstance(confirm, nodes.CommandParameter)

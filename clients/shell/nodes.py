"""The syntax tree. Every node records the source span it came from.

    Node
    ├── StatementList(statements)                    a script, or the body of $( ) @( )
    ├── Statement
    │   ├── Pipeline(elements)                       expr-or-command | command | ...
    │   ├── Assignment(target, operator, value)      $x = <statement>
    │   ├── Exit(value)                              exit [expr]
    │   ├── If(clauses, otherwise)                   if (..) { } elseif (..) { } else { }
    │   ├── ForEach(variable, items, body)           foreach ($x in <pipeline>) { }
    │   ├── For(init, condition, step, body)         for ($i = 0; $i -lt 3; $i++) { }
    │   ├── While(condition, body)                   while (..) { }
    │   ├── DoLoop(body, condition, until)           do { } while (..)   do { } until (..)
    │   ├── Switch(value, clauses, default, mode)    switch -regex ($x) { 'a.*' { } default { } }
    │   ├── Break(label) / Continue(label)           break  continue outer
    │   ├── Labeled(label, loop)                     :outer foreach (...) { }
    │   ├── Return(value) / Throw(value)             return [pipeline]   throw [pipeline]
    │   ├── FunctionDefinition(name, body)           function Name($a) { param(..) ... }
    │   ├── ParamStatement(parameters)               param($a = 1) at the top of a script file
    │   └── Try(body, catches, final)                try { } catch [T] { } finally { }
    ├── Command(name, elements)                      Get-VM web* -Name:x
    ├── ScriptCall(target, elements, dot)            & $block 1 2   . { }
    ├── ParameterDecl(name, type_name, default ...)  [int]$b = 2   in param( )
    ├── ScriptBlockBody(parameters, begin_block, process_block, end_block)
    ├── CommandParameter(name, argument, colon)      -Name / -Confirm:$false
    ├── Splat(name)                                  @params
    └── Expression
        ├── Constant(value)                          42  1GB  (numbers)
        ├── StringConstant(value, quoted)            'text'  or a bare word
        ├── ExpandableString(parts)                  "VM $name: $($vm.Name)"
        ├── Variable(name)                           $x  $true  $_
        ├── ArrayLiteral(items)                      a, b, c
        ├── ArrayExpression(body)                    @( ... )
        ├── SubExpression(body)                      $( ... )
        ├── Paren(statement)                         ( ... )
        ├── Member(target, name)                     $vm.Name
        ├── Index(target, index)                     $vms[0]
        ├── Unary(operator, operand)                 -x  !x  -not x
        ├── Binary(operator, left, right)            a + b   a -eq b   a -and b   1..5
        ├── ScriptBlockExpression(body, text)        { $_.Name }
        ├── HashtableLiteral(entries)                @{ Name = 'x'; E = { } }
        ├── Cast(type_name, operand)                 [int]"5"   [ordered]@{}
        ├── TypeLiteral(type_name)                   [int]   (after -is / -as)
        ├── IncDec(operator, target, prefix)         $i++   --$i
        ├── MethodCall(target, name, arguments)      $s.ToUpper()   $h.ContainsKey('a')
        └── StaticMember(type_name, name, arguments) [math]::Round($x, 2)   [datetime]::Now

New syntax (script blocks, if/foreach, hashtables...) adds node classes and an
evaluator method each; existing nodes do not change.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Node:
    """Base of every node: ``start``/``end`` are offsets into the source."""

    start: int
    end: int


@dataclass(frozen=True)
class Statement(Node):
    """Something that runs and writes objects to the output stream."""


@dataclass(frozen=True)
class Expression(Node):
    """Something that evaluates to one value."""


@dataclass(frozen=True)
class StatementList(Node):
    statements: tuple[Statement, ...]


@dataclass(frozen=True)
class CommandParameter(Node):
    """``-Name`` (``argument`` None), or ``-Name:value`` (``colon`` True)."""

    name: str
    argument: Expression | None
    colon: bool


@dataclass(frozen=True)
class Splat(Node):
    """``@params`` among a command's arguments: a hashtable's entries as named arguments, an
    array's items as positional ones."""

    name: str


CommandElement = CommandParameter | Splat | Expression


@dataclass(frozen=True)
class Command(Node):
    name: str
    elements: tuple[CommandElement, ...]


@dataclass(frozen=True)
class ScriptCall(Node):
    """``& target args`` (a child scope) or ``. target args`` (``dot``: the current scope)."""

    target: Expression
    elements: tuple[CommandElement, ...]
    dot: bool


@dataclass(frozen=True)
class Pipeline(Statement):
    """Elements joined by ``|``; only the first may be an expression."""

    elements: tuple[Command | ScriptCall | Expression, ...]


@dataclass(frozen=True)
class Assignment(Statement):
    target: Expression
    operator: str  # "=", "+=", ...
    value: Statement


@dataclass(frozen=True)
class Exit(Statement):
    value: Expression | None


@dataclass(frozen=True)
class Constant(Expression):
    value: int | float


@dataclass(frozen=True)
class StringConstant(Expression):
    """A quoted string, or a bare word in command mode (``quoted`` False)."""

    value: str
    quoted: bool


@dataclass(frozen=True)
class ExpandableString(Expression):
    parts: tuple[str | Expression, ...]


@dataclass(frozen=True)
class Variable(Expression):
    name: str


@dataclass(frozen=True)
class ArrayLiteral(Expression):
    items: tuple[Expression, ...]


@dataclass(frozen=True)
class ArrayExpression(Expression):
    body: StatementList


@dataclass(frozen=True)
class SubExpression(Expression):
    body: StatementList


@dataclass(frozen=True)
class Paren(Expression):
    statement: Statement


@dataclass(frozen=True)
class Member(Expression):
    target: Expression
    name: str


@dataclass(frozen=True)
class Index(Expression):
    target: Expression
    index: Expression


@dataclass(frozen=True)
class Unary(Expression):
    operator: str  # "-", "+", "!", "not"
    operand: Expression


@dataclass(frozen=True)
class Binary(Expression):
    operator: str  # "+", "-", "*", "/", "%", or a dash operator name: "eq", "like", "and" ...
    left: Expression
    right: Expression


@dataclass(frozen=True)
class ParameterDecl(Node):
    """One parameter in ``param( )``: ``[Parameter(Mandatory)][int]$Count = 2``."""

    name: str
    type_name: str | None
    default: Expression | None
    mandatory: bool = False
    pipeline: bool = False
    #: ``[ValidateSet('a', 'b')]`` and the like: attribute name and arguments
    validators: tuple[tuple[str, tuple[Expression, ...]], ...] = ()


@dataclass(frozen=True)
class ScriptBlockBody(Node):
    """A script block's inside: ``parameters`` is None without ``param( )``.

    Without named blocks, the statements are the ``end`` block."""

    parameters: tuple[ParameterDecl, ...] | None
    begin_block: StatementList | None
    process_block: StatementList | None
    end_block: StatementList | None


@dataclass(frozen=True)
class ScriptBlockExpression(Expression):
    body: ScriptBlockBody
    text: str  # the source between the braces


@dataclass(frozen=True)
class HashtableLiteral(Expression):
    entries: tuple[tuple[Expression, Statement], ...]


@dataclass(frozen=True)
class Cast(Expression):
    type_name: str
    operand: Expression


@dataclass(frozen=True)
class TypeLiteral(Expression):
    type_name: str


@dataclass(frozen=True)
class IncDec(Expression):
    operator: str  # "++" or "--"
    target: Expression
    prefix: bool


@dataclass(frozen=True)
class If(Statement):
    clauses: tuple[tuple[Statement, StatementList], ...]
    otherwise: StatementList | None


@dataclass(frozen=True)
class ForEach(Statement):
    variable: str
    items: Statement
    body: StatementList


@dataclass(frozen=True)
class For(Statement):
    init: Statement | None
    condition: Statement | None
    step: Statement | None
    body: StatementList


@dataclass(frozen=True)
class While(Statement):
    condition: Statement
    body: StatementList


@dataclass(frozen=True)
class DoLoop(Statement):
    body: StatementList
    condition: Statement
    until: bool


@dataclass(frozen=True)
class Break(Statement):
    label: str | None = None


@dataclass(frozen=True)
class Continue(Statement):
    label: str | None = None


@dataclass(frozen=True)
class Labeled(Statement):
    """``:outer foreach (...) { }``: a loop that ``break outer`` / ``continue outer`` name."""

    label: str
    loop: Statement


@dataclass(frozen=True)
class Return(Statement):
    value: Statement | None


@dataclass(frozen=True)
class Throw(Statement):
    value: Statement | None


@dataclass(frozen=True)
class FunctionDefinition(Statement):
    name: str
    body: ScriptBlockBody


@dataclass(frozen=True)
class CatchClause(Node):
    """``catch [T1], [T2] { }``; no types catches everything."""

    types: tuple[str, ...]
    body: StatementList


@dataclass(frozen=True)
class Try(Statement):
    body: StatementList
    catches: tuple[CatchClause, ...]
    final: StatementList | None


@dataclass(frozen=True)
class ParamStatement(Statement):
    """``param( )`` at the top of a script: each parameter takes its default."""

    parameters: tuple[ParameterDecl, ...]


@dataclass(frozen=True)
class MethodCall(Expression):
    target: Expression
    name: str
    arguments: tuple[Expression, ...]


@dataclass(frozen=True)
class StaticMember(Expression):
    """``[type]::Name`` (``arguments`` None) or ``[type]::Name(args)``."""

    type_name: str
    name: str
    arguments: tuple[Expression, ...] | None


@dataclass(frozen=True)
class Switch(Statement):
    """``switch [-Regex|-Wildcard|-Exact] [-CaseSensitive] (value) { pattern { } ... default { } }``.

    A clause's pattern is a value, or a script block tested with ``$_`` bound."""

    value: Statement
    clauses: tuple[tuple[Expression, StatementList], ...]
    default: StatementList | None
    mode: str  # "exact", "wildcard" or "regex"
    case_sensitive: bool

"""The syntax tree. Every node records the source span it came from.

    Node
    ├── StatementList(statements)                    a script, or the body of $( ) @( )
    ├── Statement
    │   ├── Pipeline(elements)                       expr-or-command | command | ...
    │   ├── Assignment(target, operator, value)      $x = <statement>
    │   └── Exit(value)                              exit [expr]
    ├── Command(name, elements)                      Get-VM web* -Name:x
    ├── CommandParameter(name, argument, colon)      -Name / -Confirm:$false
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
        └── Binary(operator, left, right)            a + b   a -eq b   a -and b

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


CommandElement = CommandParameter | Expression


@dataclass(frozen=True)
class Command(Node):
    name: str
    elements: tuple[CommandElement, ...]


@dataclass(frozen=True)
class Pipeline(Statement):
    """Elements joined by ``|``; only the first may be an expression."""

    elements: tuple[Command | Expression, ...]


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

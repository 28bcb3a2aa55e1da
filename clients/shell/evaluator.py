"""The evaluator: runs statements (yielding output objects) and evaluates expressions.

Each node class has one method, found through a table keyed by class;
new syntax adds a node class and an entry here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from clients.shell import cmdlets, nodes, operators, pipeline
from clients.shell.binding import Argument, NamedArgument, PositionalArgument
from clients.shell.console import Console
from clients.shell.conversions import to_int32
from clients.shell.errors import ConversionError, ExitRequest, ShellError
from clients.shell.psobject import PSObject
from clients.shell.session import Session
from clients.shell.suggest import not_recognized
from clients.shell.values import collect, enumerate_value, is_true, to_string
from clients.shell.variables import Variables
from clients.shell.views import server_object

INVALID = "InvalidOperation"


class Interpreter:
    """Evaluates syntax trees against one session, console and variable scope."""

    def __init__(self, session: Session, console: Console, variables: Variables | None = None) -> None:
        self.session = session
        self.console = console
        self.variables = variables or Variables(
            {"DefaultVIServer": lambda: server_object(session.server) if session.server else None}
        )
        self._statements: dict[type[nodes.Statement], Callable[[Any], Iterator[object]]] = {
            nodes.Pipeline: self._pipeline,
            nodes.Assignment: self._assignment,
            nodes.Exit: self._exit,
        }
        self._expressions: dict[type[nodes.Expression], Callable[[Any], object]] = {
            nodes.Constant: lambda n: n.value,
            nodes.StringConstant: lambda n: n.value,
            nodes.ExpandableString: self._expandable,
            nodes.Variable: lambda n: self.variables.get(n.name),
            nodes.ArrayLiteral: lambda n: [self.evaluate(item) for item in n.items],
            nodes.ArrayExpression: lambda n: list(self.run(n.body)),
            nodes.SubExpression: lambda n: collect(list(self.run(n.body))),
            nodes.Paren: self._paren,
            nodes.Member: self._member,
            nodes.Index: self._index,
            nodes.Unary: lambda n: operators.unary(n.operator, self.evaluate(n.operand)),
            nodes.Binary: self._binary,
        }

    # -- statements ---------------------------------------------------------------------------

    def run(self, body: nodes.StatementList) -> Iterator[object]:
        """Run statements in order; their output, one object at a time."""
        for statement in body.statements:
            yield from self.execute(statement)

    def execute(self, statement: nodes.Statement) -> Iterator[object]:
        """Run one statement; its output stream."""
        return self._statements[type(statement)](statement)

    def _pipeline(self, node: nodes.Pipeline) -> Iterator[object]:
        head = node.elements[0]
        stream: Iterator[object]
        if isinstance(head, nodes.Command):
            stream = self._command(head, None)
        else:
            stream = enumerate_value(self.evaluate(head))
        for element in node.elements[1:]:
            assert isinstance(element, nodes.Command)
            stream = self._command(element, stream)
        return stream

    def _command(self, node: nodes.Command, upstream: Iterator[object] | None) -> Iterator[object]:
        cmdlet = cmdlets.find(node.name)
        if cmdlet is None:
            raise not_recognized(node.name, cmdlets.names())
        arguments: list[Argument] = []
        for element in node.elements:
            if isinstance(element, nodes.CommandParameter):
                value = None if element.argument is None else self.evaluate(element.argument)
                arguments.append(NamedArgument(element.name, value, element.colon))
            else:
                arguments.append(PositionalArgument(self.evaluate(element)))
        ctx = cmdlets.CommandContext(self.session, self.console, cmdlet.name)
        return pipeline.invoke(cmdlet, ctx, arguments, upstream)

    def _assignment(self, node: nodes.Assignment) -> Iterator[object]:
        value = collect(list(self.execute(node.value)))
        if node.operator != "=":
            value = operators.binary(node.operator[0], self.evaluate(node.target), value)
        self.assign(node.target, value)
        return iter(())

    def _exit(self, node: nodes.Exit) -> Iterator[object]:
        code = 0
        if node.value is not None:
            try:
                code = to_int32(self.evaluate(node.value))
            except ConversionError as error:
                raise error.labelled(INVALID) from None
        raise ExitRequest(code)

    def assign(self, target: nodes.Expression, value: object) -> None:
        """Store ``value`` into a variable or an array element."""
        if isinstance(target, nodes.Variable):
            self.variables.set(target.name, value)
        elif isinstance(target, nodes.Index):
            array = self.evaluate(target.target)
            if not isinstance(array, list):
                raise ShellError("Unable to index into an object of this type.", INVALID)
            position = self._position(self.evaluate(target.index), len(array))
            if position is None:
                raise ShellError("Index was outside the bounds of the array.", INVALID)
            array[position] = value
        elif isinstance(target, nodes.Member):
            raise ShellError(f"'{target.name}' is a ReadOnly property.", INVALID)
        else:
            raise ShellError("The assignment expression is not valid.", INVALID)

    # -- expressions --------------------------------------------------------------------------

    def evaluate(self, expression: nodes.Expression) -> object:
        """The value of one expression."""
        return self._expressions[type(expression)](expression)

    def _expandable(self, node: nodes.ExpandableString) -> str:
        return "".join(
            part if isinstance(part, str) else to_string(self.evaluate(part)) for part in node.parts
        )

    def _paren(self, node: nodes.Paren) -> object:
        statement = node.statement
        if isinstance(statement, nodes.Pipeline) and len(statement.elements) == 1:
            head = statement.elements[0]
            if isinstance(head, nodes.Expression):
                return self.evaluate(head)
        outputs = list(self.execute(statement))
        if isinstance(statement, nodes.Assignment):
            return self.evaluate(statement.target)
        return collect(outputs)

    def _member(self, node: nodes.Member) -> object:
        return member(self.evaluate(node.target), node.name)

    def _index(self, node: nodes.Index) -> object:
        target = self.evaluate(node.target)
        index = self.evaluate(node.index)
        if target is None:
            raise ShellError("Cannot index into a null array.", INVALID)
        if isinstance(index, list):
            return [self._index_one(target, i) for i in index]
        return self._index_one(target, index)

    def _index_one(self, target: object, index: object) -> object:
        if isinstance(target, PSObject) and isinstance(index, str):
            return target.get(index)
        items: list[object] | str = target if isinstance(target, list | str) else [target]
        position = self._position(index, len(items))
        return None if position is None else items[position]

    @staticmethod
    def _position(index: object, length: int) -> int | None:
        try:
            position = to_int32(index)
        except ConversionError as error:
            raise error.labelled(INVALID) from None
        if position < 0:
            position += length
        return position if 0 <= position < length else None

    def _binary(self, node: nodes.Binary) -> object:
        left = self.evaluate(node.left)
        if node.operator == "and":
            return is_true(left) and is_true(self.evaluate(node.right))
        if node.operator == "or":
            return is_true(left) or is_true(self.evaluate(node.right))
        return operators.binary(node.operator, left, self.evaluate(node.right))


def member(value: object, name: str) -> object:
    """``value.name``: a property; on an array, the property of each item (member enumeration)."""
    key = name.lower()
    if isinstance(value, PSObject) and (value.has(name) or key != "count"):
        return value.get(name)
    if isinstance(value, list | tuple):
        if key in ("count", "length"):
            return len(value)
        results: list[object] = []
        for item in value:
            results.extend(v for v in enumerate_value(member(item, name)) if v is not None)
        return collect(results)
    if key == "count":
        return 0 if value is None else 1
    if isinstance(value, str) and key == "length":
        return len(value)
    return None

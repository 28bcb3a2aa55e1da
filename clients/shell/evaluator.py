"""The evaluator: runs statements (yielding output objects) and evaluates expressions.

An ``Interpreter`` is one scope: it shares the session and console with its
parent and has its own ``Variables`` (a function call or ``& { }`` runs in a
child interpreter). Each node class has one handler, found through a table
keyed by class; loops, ``try`` and the like live in ``controlflow``, functions
and script-block invocation in ``functions``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from clients.shell import (
    casts,
    cmdlets,
    controlflow,
    errorrecord,
    functions,
    members,
    methods,
    nodes,
    operators,
    pipeline,
)
from clients.shell.binding import Argument, NamedArgument, PositionalArgument, action_preference
from clients.shell.console import Console
from clients.shell.conversions import to_int32
from clients.shell.errors import ConversionError, ExitRequest, ShellError
from clients.shell.hashtable import Hashtable
from clients.shell.psobject import PSObject
from clients.shell.scriptblock import ScriptBlock
from clients.shell.session import Session
from clients.shell.suggest import not_recognized
from clients.shell.textops import match
from clients.shell.values import collect, enumerate_value, is_true, to_string
from clients.shell.variables import Variables
from clients.shell.views import server_object

INVALID = "InvalidOperation"
#: how many error records ``$Error`` keeps
MAX_ERRORS = 256

_Statement = Callable[["Interpreter", Any], Iterator[object]]
_Expression = Callable[["Interpreter", Any], object]


class Interpreter:
    """Evaluates syntax trees in one scope, against one session and console."""

    def __init__(self, session: Session, console: Console, variables: Variables | None = None) -> None:
        self.session = session
        self.console = console
        if variables is None:
            variables = Variables(
                {"DefaultVIServer": lambda: server_object(session.server) if session.server else None}
            )
            variables.set_local("Error", [])
            variables.set_local("?", True)
        self.variables = variables

    def child(self) -> Interpreter:
        """A new scope inside this one (a function call, ``& { }``)."""
        return Interpreter(self.session, self.console, self.variables.child())

    # -- statements ---------------------------------------------------------------------------

    def run(self, body: nodes.StatementList) -> Iterator[object]:
        """Run statements in order; their output, one object at a time."""
        for statement in body.statements:
            yield from self.execute(statement)

    def execute(self, statement: nodes.Statement) -> Iterator[object]:
        """Run one statement; its output stream."""
        return _STATEMENTS[type(statement)](self, statement)

    def statement_value(self, statement: nodes.Statement) -> object:
        """A statement used as a value, as ``( )`` does: one expression's value, else the output."""
        if isinstance(statement, nodes.Pipeline) and len(statement.elements) == 1:
            head = statement.elements[0]
            if isinstance(head, nodes.Expression):
                return self.evaluate(head)
        outputs = list(self.execute(statement))
        if isinstance(statement, nodes.Assignment):
            return self.evaluate(statement.target)
        return collect(outputs)

    def invoke_block(
        self, block: ScriptBlock, args: Sequence[object], dollar_underscore: object, new_scope: bool
    ) -> list[object]:
        """Run a script block defined in this scope (``scriptblock.invoke``); its output."""
        return functions.invoke_block(self, block, args, dollar_underscore, new_scope)

    def set_status(self, ok: bool) -> None:
        """``$?``: whether the last command succeeded."""
        self.variables.root.set_local("?", ok)

    def record_error(self, error: BaseException) -> PSObject:
        """Add ``error`` to ``$Error`` (newest first), set ``$?`` to false; its error record."""
        record = errorrecord.error_record(error)
        errors = self.variables.root.local_value("Error")
        if isinstance(errors, list):
            errors.insert(0, record)
            del errors[MAX_ERRORS:]
        self.set_status(False)
        return record

    def _pipeline(self, node: nodes.Pipeline) -> Iterator[object]:
        head = node.elements[0]
        stream: Iterator[object]
        contexts: list[cmdlets.CommandContext] = []
        if isinstance(head, nodes.Command):
            stream = self._command(head, None, contexts)
        elif isinstance(head, nodes.ScriptCall):
            stream = self._script_call(head, None)
        elif len(node.elements) == 1 and _writes_nothing(head):
            self.evaluate(head)  # $i++ and [void](...) as statements write nothing
            stream = iter(())
        else:
            stream = enumerate_value(self.evaluate(head))
        for element in node.elements[1:]:
            if isinstance(element, nodes.Command):
                stream = self._command(element, stream, contexts)
            elif isinstance(element, nodes.ScriptCall):
                stream = self._script_call(element, stream)
        yield from stream
        dropped = [error for ctx in contexts for error in ctx.dropped]
        for error in dropped:
            self.record_error(error)
        self.set_status(not any(ctx.failed for ctx in contexts))

    def error_action_preference(self) -> str:
        """``$ErrorActionPreference`` (this shell's default: Stop, so that errors end scripts)."""
        value = self.variables.get("ErrorActionPreference")
        try:
            return action_preference(value) if value is not None else "Stop"
        except ConversionError:
            return "Stop"

    def arguments(self, elements: Sequence[nodes.CommandElement]) -> list[Argument]:
        """A command's arguments, evaluated."""
        arguments: list[Argument] = []
        for element in elements:
            if isinstance(element, nodes.CommandParameter):
                value = None if element.argument is None else self.evaluate(element.argument)
                arguments.append(NamedArgument(element.name, value, element.colon))
            elif isinstance(element, nodes.Splat):
                splatted = self.variables.get(element.name)
                if isinstance(splatted, dict):
                    arguments.extend(NamedArgument(to_string(k), v, True) for k, v in splatted.items())
                elif splatted is not None:
                    arguments.extend(PositionalArgument(v) for v in enumerate_value(splatted))
            else:
                arguments.append(PositionalArgument(self.evaluate(element)))
        return arguments

    def _command(
        self,
        node: nodes.Command,
        upstream: Iterator[object] | None,
        contexts: list[cmdlets.CommandContext] | None = None,
    ) -> Iterator[object]:
        return self.call_command(node.name, self.arguments(node.elements), upstream, contexts)

    def call_command(
        self,
        name: str,
        arguments: list[Argument],
        upstream: Iterator[object] | None,
        contexts: list[cmdlets.CommandContext] | None = None,
    ) -> Iterator[object]:
        """Run the function or cmdlet called ``name`` (its context is added to ``contexts``)."""
        function = self.variables.find_function(name)
        if isinstance(function, functions.Function):
            return functions.call(function, arguments, upstream)
        if functions.is_script_path(name):
            return functions.run_script(self.child(), name, arguments, upstream, dot_sourced=False)
        cmdlet = cmdlets.find(name)
        if cmdlet is None:
            raise not_recognized(name, cmdlets.names())
        ctx = cmdlets.CommandContext(self.session, self.console, cmdlet.name, self.error_action_preference)
        if contexts is not None:
            contexts.append(ctx)
        return pipeline.invoke(cmdlet, ctx, arguments, upstream)

    def _script_call(self, node: nodes.ScriptCall, upstream: Iterator[object] | None) -> Iterator[object]:
        target = self.evaluate(node.target)
        arguments = self.arguments(node.elements)
        if isinstance(target, ScriptBlock):
            definer = target.scope
            assert isinstance(definer, Interpreter)
            scope = self if node.dot else definer.child()
            return functions.run_body(scope, target.body, arguments, upstream, "ScriptBlock")
        if isinstance(target, str):
            if node.dot and functions.is_script_path(target):
                return functions.run_script(self, target, arguments, upstream, dot_sourced=True)
            return self.call_command(target, arguments, upstream)
        raise ShellError(
            f"The expression after '{'.' if node.dot else '&'}' in a pipeline element produced an object "
            "that was not valid. It must result in a command name, a script block, or a CommandInfo object.",
            "BadExpression",
        )

    def _assignment(self, node: nodes.Assignment) -> Iterator[object]:
        value = self.statement_value(node.value)
        target = node.target
        if isinstance(target, nodes.Cast):
            type_name, target = target.type_name, target.operand
            value = casts.cast(type_name, value)
            if isinstance(target, nodes.Variable):  # [int]$n = ... constrains $n from now on
                self.variables.constrain(target.name, functools.partial(casts.cast, type_name))
        if node.operator != "=":
            value = operators.binary(node.operator[0], self.evaluate(target), value)
        self.assign(target, value)
        return iter(())

    def _exit(self, node: nodes.Exit) -> Iterator[object]:
        code = 0
        if node.value is not None:
            try:
                code = to_int32(self.evaluate(node.value))
            except ConversionError as error:
                raise error.labelled(INVALID) from None
        raise ExitRequest(code)

    def _param(self, node: nodes.ParamStatement) -> Iterator[object]:
        functions.bind_defaults(self, node.parameters)
        return iter(())

    def _function_definition(self, node: nodes.FunctionDefinition) -> Iterator[object]:
        functions.define(self, node)
        return iter(())

    def assign(self, target: nodes.Expression, value: object) -> None:
        """Store ``value`` into a variable, an array element, a hashtable key or a property;
        ``$first, $rest = ...`` gives each target one item and the last one what is left."""
        if isinstance(target, nodes.ArrayLiteral):
            items = list(value) if isinstance(value, list | tuple) else [value]
            last = len(target.items) - 1
            for i, item_target in enumerate(target.items):
                part = (items[i] if i < len(items) else None) if i < last else collect(items[last:])
                self.assign(item_target, part)
            return
        if isinstance(target, nodes.Variable):
            self.variables.set(target.name, value)
        elif isinstance(target, nodes.Index):
            members.set_index(self.evaluate(target.target), self.evaluate(target.index), value)
        elif isinstance(target, nodes.Member):
            members.set_member(self.evaluate(target.target), target.name, value)
        else:
            raise ShellError("The assignment expression is not valid.", INVALID)

    # -- expressions --------------------------------------------------------------------------

    def evaluate(self, expression: nodes.Expression) -> object:
        """The value of one expression."""
        return _EXPRESSIONS[type(expression)](self, expression)

    def _expandable(self, node: nodes.ExpandableString) -> str:
        return "".join(
            part if isinstance(part, str) else to_string(self.evaluate(part)) for part in node.parts
        )

    def _paren(self, node: nodes.Paren) -> object:
        return self.statement_value(node.statement)

    def _index(self, node: nodes.Index) -> object:
        return members.index(self.evaluate(node.target), self.evaluate(node.index))

    def _binary(self, node: nodes.Binary) -> object:
        left = self.evaluate(node.left)
        operator = node.operator
        if operator == "and":
            return is_true(left) and is_true(self.evaluate(node.right))
        if operator == "or":
            return is_true(left) or is_true(self.evaluate(node.right))
        right = self.evaluate(node.right)
        if operator in ("match", "imatch", "cmatch") and not isinstance(left, list | tuple):
            found = match(left, right, operator == "cmatch")
            if found is not None:
                self.variables.set("Matches", found)
            return found is not None
        return operators.binary(operator, left, right)

    def _hashtable(self, node: nodes.HashtableLiteral) -> Hashtable:
        table = Hashtable()
        for key_node, value_node in node.entries:
            key = self.evaluate(key_node)
            if key in table:
                raise ShellError(
                    f"Duplicate keys '{to_string(key)}' are not allowed in hash literals.", INVALID
                )
            table[key] = self.statement_value(value_node)
        return table

    def _cast(self, node: nodes.Cast) -> object:
        return casts.cast(node.type_name, self.evaluate(node.operand))

    def _inc_dec(self, node: nodes.IncDec) -> object:
        old = self.evaluate(node.target)
        new = operators.binary(node.operator[0], old, 1)
        self.assign(node.target, new)
        return new if node.prefix else old


def _writes_nothing(head: nodes.Expression) -> bool:
    if isinstance(head, nodes.IncDec):
        return True
    return isinstance(head, nodes.Cast) and casts.normalize(head.type_name) == "void"


def member(value: object, name: str) -> object:
    """``value.name`` (kept here for callers of the evaluator; see ``members.member``)."""
    return members.member(value, name)


_STATEMENTS: dict[type[nodes.Statement], _Statement] = {
    nodes.Pipeline: Interpreter._pipeline,
    nodes.Assignment: Interpreter._assignment,
    nodes.Exit: Interpreter._exit,
    nodes.FunctionDefinition: Interpreter._function_definition,
    nodes.ParamStatement: Interpreter._param,
    **controlflow.STATEMENTS,
}
_EXPRESSIONS: dict[type[nodes.Expression], _Expression] = {
    nodes.Constant: lambda _, n: n.value,
    nodes.StringConstant: lambda _, n: n.value,
    nodes.ExpandableString: Interpreter._expandable,
    nodes.Variable: lambda i, n: i.variables.get(n.name),
    nodes.ArrayLiteral: lambda i, n: [i.evaluate(item) for item in n.items],
    nodes.ArrayExpression: lambda i, n: list(i.run(n.body)),
    nodes.SubExpression: lambda i, n: collect(list(i.run(n.body))),
    nodes.Paren: Interpreter._paren,
    nodes.Member: lambda i, n: members.member(i.evaluate(n.target), n.name),
    nodes.Index: Interpreter._index,
    nodes.Unary: lambda i, n: operators.unary(n.operator, i.evaluate(n.operand)),
    nodes.Binary: Interpreter._binary,
    nodes.ScriptBlockExpression: lambda i, n: ScriptBlock(n.body, n.text, i),
    nodes.HashtableLiteral: Interpreter._hashtable,
    nodes.Cast: Interpreter._cast,
    nodes.TypeLiteral: lambda _, n: casts.TypeName(n.type_name),
    nodes.IncDec: Interpreter._inc_dec,
    nodes.MethodCall: lambda i, n: methods.call_method(
        i.evaluate(n.target), n.name, [i.evaluate(a) for a in n.arguments]
    ),
    nodes.StaticMember: lambda i, n: methods.static_member(
        n.type_name, n.name, None if n.arguments is None else [i.evaluate(a) for a in n.arguments]
    ),
}

"""Statements that steer execution: if, foreach, for, while, do, switch, break, continue, return,
throw, try.

Each handler takes the interpreter (the current scope) and the node and
yields the output objects. Loops catch ``BreakSignal``/``ContinueSignal``;
``try`` catches shell errors and client faults (``catch [T]`` by name, see
``errorrecord``), runs ``catch`` with ``$_`` as the error record, and always
runs ``finally``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from clients.shell import errorrecord, nodes, operators, textops
from clients.shell.errors import ShellError
from clients.shell.flow import BreakSignal, ContinueSignal, ReturnSignal, ThrownError
from clients.shell.psobject import PSObject
from clients.shell.values import collect, enumerate_value, is_true, to_string
from clients.shell.wildcard import like
from pyesx.faults import VimFault

if TYPE_CHECKING:
    from clients.shell.evaluator import Interpreter


def _true(interpreter: Interpreter, condition: nodes.Statement | None) -> bool:
    return condition is None or is_true(interpreter.statement_value(condition))


def _mine(signal: BreakSignal | ContinueSignal, label: str | None) -> bool:
    """Whether a break/continue is for this loop: unlabelled, or naming this loop's label."""
    return signal.label is None or (label is not None and signal.label.lower() == label.lower())


def _loop_body(interpreter: Interpreter, body: nodes.StatementList, label: str | None) -> Iterator[object]:
    """Run a loop body once; a ``continue`` for this loop ends it, anything else passes."""
    try:
        yield from interpreter.run(body)
    except ContinueSignal as signal:
        if not _mine(signal, label):
            raise


def run_if(interpreter: Interpreter, node: nodes.If) -> Iterator[object]:
    """``if (..) { } elseif (..) { } else { }``: the first true clause's block."""
    for condition, body in node.clauses:
        if _true(interpreter, condition):
            yield from interpreter.run(body)
            return
    if node.otherwise is not None:
        yield from interpreter.run(node.otherwise)


def _items(interpreter: Interpreter, statement: nodes.Statement) -> list[object]:
    """What ``foreach`` iterates over: a pipeline's output, or an expression's items ($null: none)."""
    if isinstance(statement, nodes.Pipeline) and len(statement.elements) == 1:
        head = statement.elements[0]
        if isinstance(head, nodes.Expression):
            value = interpreter.evaluate(head)
            return [] if value is None else list(enumerate_value(value))
    return list(interpreter.execute(statement))


def run_foreach(interpreter: Interpreter, node: nodes.ForEach, label: str | None = None) -> Iterator[object]:
    """``foreach ($x in items) { }``: the items are gathered first, then the body runs per item."""
    for item in _items(interpreter, node.items):
        interpreter.variables.set(node.variable, item)
        try:
            yield from _loop_body(interpreter, node.body, label)
        except BreakSignal as signal:
            if _mine(signal, label):
                return
            raise


def run_for(interpreter: Interpreter, node: nodes.For, label: str | None = None) -> Iterator[object]:
    """``for (init; condition; step) { }``; a missing condition is true."""
    if node.init is not None:
        yield from interpreter.execute(node.init)
    while _true(interpreter, node.condition):
        try:
            yield from _loop_body(interpreter, node.body, label)
        except BreakSignal as signal:
            if _mine(signal, label):
                return
            raise
        if node.step is not None:
            yield from interpreter.execute(node.step)


def run_while(interpreter: Interpreter, node: nodes.While, label: str | None = None) -> Iterator[object]:
    """``while (condition) { }``."""
    while _true(interpreter, node.condition):
        try:
            yield from _loop_body(interpreter, node.body, label)
        except BreakSignal as signal:
            if _mine(signal, label):
                return
            raise


def run_do(interpreter: Interpreter, node: nodes.DoLoop, label: str | None = None) -> Iterator[object]:
    """``do { } while (condition)`` / ``do { } until (condition)``: the body runs at least once."""
    while True:
        try:
            yield from _loop_body(interpreter, node.body, label)
        except BreakSignal as signal:
            if _mine(signal, label):
                return
            raise
        if _true(interpreter, node.condition) == node.until:
            return


def run_switch(interpreter: Interpreter, node: nodes.Switch, label: str | None = None) -> Iterator[object]:
    """``switch (value) { pattern { } ... default { } }``: every matching clause runs, per value."""
    value = interpreter.statement_value(node.value)
    items = list(value) if isinstance(value, list | tuple) else [value]
    scope = interpreter.variables
    saved = scope.save("_", "PSItem")
    try:
        for item in items:
            scope.set_local("_", item)
            scope.set_local("PSItem", item)
            try:
                matched = False
                for pattern, body in node.clauses:
                    if _switch_matches(interpreter, node, pattern, item):
                        matched = True
                        yield from interpreter.run(body)
                if not matched and node.default is not None:
                    yield from interpreter.run(node.default)
            except ContinueSignal as signal:
                if not _mine(signal, label):
                    raise
            except BreakSignal as signal:
                if _mine(signal, label):
                    return
                raise
    finally:
        scope.restore(saved)


def _switch_matches(
    interpreter: Interpreter, node: nodes.Switch, pattern: nodes.Expression, item: object
) -> bool:
    if isinstance(pattern, nodes.ScriptBlockExpression):
        body = pattern.body.end_block
        return body is not None and is_true(collect(list(interpreter.run(body))))
    wanted = interpreter.evaluate(pattern)
    if node.mode == "wildcard":
        return like(to_string(item), to_string(wanted), node.case_sensitive)
    if node.mode == "regex":
        found = textops.match(item, wanted, node.case_sensitive)
        if found is not None:
            interpreter.variables.set("Matches", found)
        return found is not None
    return is_true(operators.compare("ceq" if node.case_sensitive else "eq", item, wanted))


def run_labeled(interpreter: Interpreter, node: nodes.Labeled) -> Iterator[object]:
    """A labelled loop: ``break label`` / ``continue label`` reach it from inner loops."""
    loop = node.loop
    if isinstance(loop, nodes.ForEach):
        return run_foreach(interpreter, loop, node.label)
    if isinstance(loop, nodes.For):
        return run_for(interpreter, loop, node.label)
    if isinstance(loop, nodes.While):
        return run_while(interpreter, loop, node.label)
    if isinstance(loop, nodes.DoLoop):
        return run_do(interpreter, loop, node.label)
    assert isinstance(loop, nodes.Switch)
    return run_switch(interpreter, loop, node.label)


def run_break(interpreter: Interpreter, node: nodes.Break) -> Iterator[object]:
    """``break [label]``."""
    raise BreakSignal(node.label)
    yield  # a generator, so that the signal is raised when the statement runs


def run_continue(interpreter: Interpreter, node: nodes.Continue) -> Iterator[object]:
    """``continue [label]``."""
    raise ContinueSignal(node.label)
    yield


def run_return(interpreter: Interpreter, node: nodes.Return) -> Iterator[object]:
    """``return [pipeline]``: write the pipeline's output, then leave the function or block."""
    if node.value is not None:
        yield from interpreter.execute(node.value)
    raise ReturnSignal


def run_throw(interpreter: Interpreter, node: nodes.Throw) -> Iterator[object]:
    """``throw [value]``: a terminating error (``throw $_`` rethrows the caught record)."""
    value = None if node.value is None else interpreter.statement_value(node.value)
    if isinstance(value, PSObject) and value.type_name == errorrecord.ERROR_RECORD:
        raise ThrownError(to_string(value), value.get("TargetObject"), record=value)
    message = "ScriptHalted" if value is None else to_string(value)
    raise ThrownError(message, value)
    yield


def run_try(interpreter: Interpreter, node: nodes.Try) -> Iterator[object]:
    """``try { } catch [T] { } finally { }``: ``finally`` runs however the block is left."""
    try:
        try:
            yield from interpreter.run(node.body)
        except (ShellError, VimFault) as error:
            clause = next((c for c in node.catches if errorrecord.catches(c.types, error)), None)
            if clause is None:
                raise
            record = interpreter.record_error(error)
            yield from _with_underscore(interpreter, record, clause.body)
    except GeneratorExit:
        if node.final is not None:
            for _ in interpreter.run(node.final):
                pass  # the consumer is gone: finally still runs, its output has nowhere to go
        raise
    except BaseException:
        if node.final is not None:
            yield from interpreter.run(node.final)
        raise
    if node.final is not None:
        yield from interpreter.run(node.final)


def _with_underscore(interpreter: Interpreter, value: object, body: nodes.StatementList) -> Iterator[object]:
    """Run ``body`` with ``$_``/``$PSItem`` bound to ``value`` (restored afterwards)."""
    scope = interpreter.variables
    saved = scope.save("_", "PSItem")
    scope.set_local("_", value)
    scope.set_local("PSItem", value)
    try:
        yield from interpreter.run(body)
    finally:
        scope.restore(saved)


STATEMENTS: dict[type[nodes.Statement], Callable[[Any, Any], Iterator[object]]] = {
    nodes.If: run_if,
    nodes.ForEach: run_foreach,
    nodes.For: run_for,
    nodes.While: run_while,
    nodes.DoLoop: run_do,
    nodes.Switch: run_switch,
    nodes.Labeled: run_labeled,
    nodes.Break: run_break,
    nodes.Continue: run_continue,
    nodes.Return: run_return,
    nodes.Throw: run_throw,
    nodes.Try: run_try,
}

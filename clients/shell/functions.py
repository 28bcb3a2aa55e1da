"""Functions, script files and script-block invocation: parameter binding, begin/process/end,
``$input``, ``$args``.

``function Name { param(...) ... }`` stores a ``Function`` in the scope that
defines it; calling it runs the body in a child of that scope (scopes are
lexical). Arguments bind like a cmdlet's (``binding.Binder``): by name or
unambiguous prefix, by position in declaration order, switches, ``[Parameter(
Mandatory)]``, ``[Parameter(ValueFromPipeline)]``; typed parameters convert
(``[int]$n`` rejects 'abc' as PowerShell does). Positional arguments left over
go to ``$args``. Pipeline input reaches a ``process { }`` block one object at
a time as ``$_``, or the body (the ``end`` block) all at once as ``$input``.
A ``.ps1`` file run as a command (``./deploy.ps1 -Count 3``, ``& $path``,
``. ./lib.ps1``) is a script block whose ``param( )`` is its first statement.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from clients.shell import casts, nodes, parser, validation
from clients.shell.binding import Argument, Binder, BoundArguments, Parameter, PositionalArgument
from clients.shell.conversions import OBJECT, ParamType, SwitchType
from clients.shell.errors import ExitRequest, ShellError
from clients.shell.flow import ReturnSignal
from clients.shell.hashtable import Hashtable
from clients.shell.scriptblock import NO_INPUT, ScriptBlock
from clients.shell.values import to_string

if TYPE_CHECKING:
    from clients.shell.evaluator import Interpreter

#: the hidden parameter that collects positional arguments left over (``$args``)
_REST = "__args"
#: automatic variables a script block run in its defining scope must not leave behind
_AUTOMATIC = ("_", "PSItem", "args", "input", "PSBoundParameters")


@dataclass(frozen=True)
class Function:
    """A function: its name, body, and the scope it was defined in."""

    name: str
    body: nodes.ScriptBlockBody
    scope: Interpreter


def define(scope: Interpreter, node: nodes.FunctionDefinition) -> None:
    """``function Name { }``: (re)define ``Name`` in ``scope``."""
    _binder(node.body, scope)  # unknown parameter types are reported when the function is defined
    scope.variables.functions[node.name.lower()] = Function(node.name, node.body, scope)


def is_script_path(name: str) -> bool:
    """Whether a command name names a script file (``./deploy.ps1``)."""
    return name.lower().endswith(".ps1")


def script_file(path: str) -> nodes.ScriptBlockBody:
    """A ``.ps1`` file as a script body; raises ShellError when it cannot be read, ParseError when it
    does not parse."""
    try:
        with open(path, encoding="utf-8-sig") as handle:
            text = handle.read()
    except OSError:
        raise ShellError(
            f"The term '{path}' is not recognized as a name of a cmdlet, function, script file, "
            "or executable program.",
            path,
        ) from None
    script = parser.parse(text, path)
    statements = script.statements
    parameters = None
    if statements and isinstance(statements[0], nodes.ParamStatement):
        parameters, statements = statements[0].parameters, statements[1:]
    body = nodes.StatementList(script.start, script.end, statements)
    return nodes.ScriptBlockBody(script.start, script.end, parameters, None, None, body)


def run_script(
    scope: Interpreter, path: str, arguments: Sequence[Argument], upstream: Iterator[object] | None
) -> Iterator[object]:
    """Run the ``.ps1`` file ``path`` in ``scope`` (a child scope, or the caller's when dot-sourced).

    ``$PSScriptRoot`` and ``$PSCommandPath`` name the file while it runs; ``exit N`` ends only the
    script and sets ``$LASTEXITCODE``."""
    body = script_file(path)
    variables = scope.variables
    saved = variables.save("PSScriptRoot", "PSCommandPath")
    full = os.path.abspath(path)
    variables.set_local("PSScriptRoot", os.path.dirname(full))
    variables.set_local("PSCommandPath", full)
    try:
        stream = run_body(scope, body, arguments, upstream, path)
    except BaseException:
        variables.restore(saved)
        raise
    return _script_run(scope, stream, saved)


def _script_run(scope: Interpreter, stream: Iterator[object], saved: dict[str, object]) -> Iterator[object]:
    try:
        yield from stream
    except ExitRequest as request:
        scope.variables.root.set_local("LASTEXITCODE", request.code)
    finally:
        scope.variables.restore(saved)


def call(
    function: Function, arguments: Sequence[Argument], upstream: Iterator[object] | None
) -> Iterator[object]:
    """Run ``function`` with ``arguments`` (and pipeline input); its output, lazily."""
    return run_body(function.scope.child(), function.body, arguments, upstream, function.name)


_binders: dict[int, tuple[nodes.ScriptBlockBody, Binder]] = {}


_ALLOW = ("allownull", "allowemptystring", "allowemptycollection")


def _binder(body: nodes.ScriptBlockBody, scope: Interpreter) -> Binder:
    """The binder for a body's parameters (cached; validation arguments are evaluated in ``scope``)."""
    cached = _binders.get(id(body))
    if cached is not None and cached[0] is body:
        return cached[1]
    parameters: list[Parameter] = []
    position = 0
    for decl in body.parameters or ():
        kind = _validated(casts.param_type(decl.type_name), decl, scope)
        attributes = {name for name, _ in decl.validators}
        aliases = tuple(
            to_string(scope.evaluate(a)) for name, args in decl.validators if name == "alias" for a in args
        )
        parameters.append(
            Parameter(
                decl.name,
                kind,
                position=None if kind.switch else position,
                mandatory=decl.mandatory,
                pipeline=decl.pipeline,
                aliases=aliases,
                allow_null=bool(attributes & set(_ALLOW)),
            )
        )
        position += 0 if kind.switch else 1
    parameters.append(Parameter(_REST, OBJECT, remaining=True))
    binder = Binder(parameters)
    _binders[id(body)] = (body, binder)
    return binder


def _validated(kind: ParamType, decl: nodes.ParameterDecl, scope: Interpreter) -> ParamType:
    """``kind`` followed by the parameter's validation attributes."""
    checks = [
        validation.check(name, [scope.evaluate(a) for a in args], decl.name)
        for name, args in decl.validators
        if name != "alias" and name not in _ALLOW
    ]
    if not checks:
        return kind

    def convert(value: object) -> object:
        converted = kind.convert(value)
        for check in checks:
            check(converted)
        return converted

    return SwitchType() if kind.switch else ParamType(kind.name, convert)


#: types whose unset parameters are their zero value rather than $null
_ZERO_TYPES = (
    "int",
    "int32",
    "long",
    "int64",
    "double",
    "string",
    "bool",
    "boolean",
    "switch",
    "switchparameter",
)


def _default(scope: Interpreter, decl: nodes.ParameterDecl) -> object:
    """An unbound parameter's value: its default, else the type's zero value, else $null."""
    if decl.default is not None:
        value = scope.evaluate(decl.default)
        return value if decl.type_name is None else casts.cast(decl.type_name, value)
    if decl.type_name is not None and casts.normalize(decl.type_name) in _ZERO_TYPES:
        return casts.cast(decl.type_name, None)
    return None


def bind_defaults(scope: Interpreter, parameters: Sequence[nodes.ParameterDecl]) -> None:
    """``param( )`` at the top of a script: each parameter is set to its default."""
    for decl in parameters:
        scope.variables.set_local(decl.name, _default(scope, decl))


def _bind(scope: Interpreter, body: nodes.ScriptBlockBody, bound: BoundArguments) -> None:
    """Set each parameter in ``scope``: its argument, else its default, else $null (or typed zero)."""
    variables = scope.variables
    for decl in body.parameters or ():
        value = bound.get(decl.name) if decl.name in bound else _default(scope, decl)
        variables.set_local(decl.name, value)
        if decl.type_name is not None and casts.normalize(decl.type_name) not in (
            "switch",
            "switchparameter",
        ):
            variables.constrain(decl.name, functools.partial(casts.cast, decl.type_name))
    rest = bound.get(_REST)
    variables.set_local(
        "args", list(rest) if isinstance(rest, list | tuple) else [] if rest is None else [rest]
    )
    variables.set_local(
        "PSBoundParameters",
        Hashtable(
            (name, value) for name, value in bound.values.items() if name not in (_REST, "ErrorAction")
        ),
    )


def _block(scope: Interpreter, block: nodes.StatementList) -> Iterator[object]:
    """Run one named block; ``return`` ends it."""
    try:
        yield from scope.run(block)
    except ReturnSignal:
        return


def run_body(
    scope: Interpreter,
    body: nodes.ScriptBlockBody,
    arguments: Sequence[Argument],
    upstream: Iterator[object] | None,
    name: str,
) -> Iterator[object]:
    """Bind ``arguments`` in ``scope`` and run begin, process (per input object) and end."""
    binder = _binder(body, scope)
    try:
        bound = binder.bind(arguments, expects_input=upstream is not None)
    except ShellError as error:
        raise error.labelled(name) from None
    return _run(scope, body, binder, bound, upstream, name)


def _run(
    scope: Interpreter,
    body: nodes.ScriptBlockBody,
    binder: Binder,
    bound: BoundArguments,
    upstream: Iterator[object] | None,
    name: str,
) -> Iterator[object]:
    _bind(scope, body, bound)
    variables = scope.variables
    if body.begin_block is not None:
        yield from _block(scope, body.begin_block)
    if body.process_block is not None:
        if upstream is None:
            yield from _block(scope, body.process_block)
        else:
            takes_input = [decl.name for decl in body.parameters or () if decl.pipeline]
            for obj in upstream:
                if takes_input:
                    try:
                        with_input = binder.bind_input(bound, obj)
                    except ShellError as error:
                        raise error.labelled(name) from None
                    for parameter in takes_input:
                        if parameter in with_input:
                            variables.set_local(parameter, with_input.get(parameter))
                variables.set_local("_", obj)
                variables.set_local("PSItem", obj)
                yield from _block(scope, body.process_block)
    if body.end_block is not None:
        if upstream is not None and body.process_block is None:
            variables.set_local("input", list(upstream))
        yield from _block(scope, body.end_block)
    elif upstream is not None and body.process_block is None:
        for _ in upstream:
            pass


def invoke_block(
    definer: Interpreter,
    block: ScriptBlock,
    args: Sequence[object],
    dollar_underscore: object,
    new_scope: bool,
) -> list[object]:
    """``scriptblock.invoke``: run ``block`` (defined in ``definer``) once; its output objects."""
    own_scope = new_scope or block.body.parameters is not None
    scope = definer.child() if own_scope else definer
    saved = scope.variables.save(*_AUTOMATIC)
    try:
        if dollar_underscore is not NO_INPUT:
            scope.variables.set_local("_", dollar_underscore)
            scope.variables.set_local("PSItem", dollar_underscore)
        arguments = [PositionalArgument(arg) for arg in args]
        return list(run_body(scope, block.body, arguments, None, "ScriptBlock"))
    finally:
        if not own_scope:
            scope.variables.restore(saved)

"""Script blocks ``{ ... }`` as values, and the API cmdlets use to run them.

A ``ScriptBlock`` holds its parsed body and the scope it was written in.
Cmdlets that take a script block (Where-Object, ForEach-Object, calculated
properties of Select-Object, Sort-Object keys) declare the parameter with
``SCRIPTBLOCK`` and run it per input object::

    from clients.shell.scriptblock import SCRIPTBLOCK, ScriptBlock, invoke, invoke_value

    class WhereObject(Cmdlet):
        parameters = (Parameter("FilterScript", SCRIPTBLOCK, position=0), Parameter("InputObject", ...))

        def process(self, args):
            block = args.get("FilterScript")
            assert isinstance(block, ScriptBlock)
            obj = args.get("InputObject")
            if is_true(invoke_value(block, self.ctx, dollar_underscore=obj)):
                yield obj

``invoke(block, ctx, args=(), dollar_underscore=obj)`` returns the list of
objects the block wrote (``[]`` when it wrote nothing). ``$_`` and ``$PSItem``
are ``obj`` while the block runs; ``args`` are its positional arguments
(``$args``, or its ``param( )`` parameters). Like ForEach-Object in
PowerShell, the block runs in the scope it was written in, so
``$sum = 0; 1..3 | ForEach-Object { $sum += $_ }`` changes ``$sum``; a block
with a ``param( )`` block gets a scope of its own. ``invoke_value`` is the
same, with the output as one value (``$null``, the object, or an array),
as ``$( )`` gives it.

Errors in the block propagate as ``ShellError`` (``throw`` raises
``flow.ThrownError``); ``break``/``continue``/``exit`` inside it unwind as
``BaseException`` signals, which a cmdlet must let pass (``pipeline.py``'s
guard does). ``ctx`` is the calling cmdlet's ``CommandContext``; the block
always runs with the session and console of the shell that defined it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from clients.shell import nodes
from clients.shell.conversions import ParamType
from clients.shell.errors import ConversionError
from clients.shell.values import collect, to_string

if TYPE_CHECKING:
    from clients.shell.variables import Variables

#: ``dollar_underscore`` default: ``$_`` keeps whatever value it has in the block's scope
NO_INPUT: object = object()


class BlockRunner(Protocol):
    """What runs a script block: the interpreter of the scope that defined it."""

    variables: Variables

    def invoke_block(
        self, block: ScriptBlock, args: Sequence[object], dollar_underscore: object, new_scope: bool
    ) -> list[object]: ...


class ScriptBlock:
    """``{ ... }``: parsed statements plus the scope they were written in."""

    __slots__ = ("body", "scope", "text")

    def __init__(self, body: nodes.ScriptBlockBody, text: str, scope: BlockRunner) -> None:
        self.body = body
        #: the source between the braces; also what ``[string]$block`` gives
        self.text = text
        self.scope = scope

    def invoke(self, *args: object, dollar_underscore: object = NO_INPUT) -> list[object]:
        """Run the block; its output objects (see the module docstring)."""
        return self.scope.invoke_block(self, args, dollar_underscore, new_scope=False)

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"ScriptBlock({{{self.text}}})"


def invoke(
    block: ScriptBlock,
    ctx: object = None,
    args: Sequence[object] = (),
    dollar_underscore: object = NO_INPUT,
) -> list[object]:
    """Run ``block`` with ``$_`` = ``dollar_underscore`` and ``$args`` = ``args``; its output objects."""
    del ctx  # the block runs in the shell that defined it
    return block.scope.invoke_block(block, tuple(args), dollar_underscore, new_scope=False)


def invoke_value(
    block: ScriptBlock,
    ctx: object = None,
    args: Sequence[object] = (),
    dollar_underscore: object = NO_INPUT,
) -> object:
    """``invoke``, with the output as one value: nothing is $null, one object itself, more an array."""
    return collect(invoke(block, ctx, args, dollar_underscore))


def _to_scriptblock(value: object) -> ScriptBlock:
    if isinstance(value, list | tuple) and len(value) == 1:
        value = value[0]
    if isinstance(value, ScriptBlock):
        return value
    raise ConversionError(to_string(value), "ScriptBlock")


#: the parameter type of a cmdlet parameter that takes a script block
SCRIPTBLOCK = ParamType("ScriptBlock", _to_scriptblock)

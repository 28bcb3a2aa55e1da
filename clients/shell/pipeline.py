"""Running one cmdlet inside a pipeline: bind, then begin / process per input / end, lazily.

Errors raised by the cmdlet's own code (client faults, shell errors, anything
else) are labelled with the cmdlet's name here, once; errors coming from
upstream commands pass through untouched. The cmdlet's own errors stop the
script (this shell's default ErrorAction is Stop); with ``-ErrorAction
Continue`` (or ``$ErrorActionPreference = 'Continue'``) they are written and
the pipeline goes on with the next input object, ``SilentlyContinue`` only
records them in ``$Error``, ``Ignore`` drops them; ``$?`` is false after.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Sequence

from clients.shell.binding import Argument, Binder, BoundArguments, NamedArgument
from clients.shell.cmdlets.base import Cmdlet, CommandContext
from clients.shell.errors import ShellError
from clients.shell.helptext import full_help
from clients.shell.shouldprocess import Decision, filter_targets
from pyesx.faults import VimFault

#: the ErrorActions under which a cmdlet's errors do not stop the script
_CONTINUING = ("Continue", "SilentlyContinue", "Ignore")
_Step = Callable[[], Iterable[object]]
_binders: dict[type[Cmdlet], Binder] = {}


def binder_for(cmdlet: type[Cmdlet]) -> Binder:
    """The (cached) binder for a cmdlet class."""
    binder = _binders.get(cmdlet)
    if binder is None:
        binder = _binders[cmdlet] = Binder(
            cmdlet.parameters, cmdlet.default_set, cmdlet.supports_should_process()
        )
    return binder


def invoke(
    cmdlet: type[Cmdlet],
    ctx: CommandContext,
    arguments: Sequence[Argument],
    upstream: Iterator[object] | None,
) -> Iterator[object]:
    """Bind the command line now; return the cmdlet's output stream (runs as it is consumed)."""
    if any(isinstance(a, NamedArgument) and a.name == "?" for a in arguments):
        return iter((full_help(cmdlet),))  # Get-VM -? is Get-Help Get-VM
    binder = binder_for(cmdlet)
    try:
        bound = binder.bind(arguments, expects_input=upstream is not None)
    except ShellError as error:
        raise error.labelled(cmdlet.name) from None
    return _run(cmdlet(ctx), binder, bound, upstream)


def _run(
    cmdlet: Cmdlet, binder: Binder, bound: BoundArguments, upstream: Iterator[object] | None
) -> Iterator[object]:
    preference = bound.get("ErrorAction")
    action = cmdlet.ctx.error_action(preference if isinstance(preference, str) else None)
    decision = Decision()

    def process(args: BoundArguments) -> Iterable[object]:
        agreed = filter_targets(cmdlet, args, decision)
        return () if agreed is None else cmdlet.process(agreed)

    yield from _guard(cmdlet, functools.partial(cmdlet.begin, bound), action)
    if upstream is None:
        yield from _guard(cmdlet, functools.partial(process, bound), action)
    else:
        for obj in upstream:
            try:
                args = binder.bind_input(bound, obj)
            except ShellError as error:
                if action in _CONTINUING:
                    cmdlet.ctx.write_error(error.labelled(cmdlet.name), action)
                    continue
                raise error.labelled(cmdlet.name) from None
            yield from _guard(cmdlet, functools.partial(process, args), action)
            if cmdlet.upstream_done:
                close = getattr(upstream, "close", None)
                if close is not None:
                    close()  # the commands before stop where they are, as PowerShell's do
                break
    yield from _guard(cmdlet, functools.partial(cmdlet.end, bound), action)


def _guard(cmdlet: Cmdlet, step: _Step, action: str) -> Iterator[object]:
    """Run one step; the cmdlet's own errors stop the script (Stop) or are written and skipped."""
    try:
        yield from step()
    except ShellError as error:
        if error.category is not None or action not in _CONTINUING:
            raise error.labelled(cmdlet.name) from None
        cmdlet.ctx.write_error(error.labelled(cmdlet.name), action)
    except VimFault as fault:
        failure = ShellError(str(fault), cmdlet.name)
        failure.__cause__ = fault
        if action not in _CONTINUING:
            raise failure from fault
        cmdlet.ctx.write_error(failure, action)
    except Exception as error:  # a bug: still one line, with the cause chained for PYESX_DEBUG
        raise ShellError(f"{type(error).__name__}: {error}", cmdlet.name) from error

"""-WhatIf and -Confirm: what a changing cmdlet says it would do, and the question it asks first.

With -WhatIf each target is named (``What if: Performing the operation "Remove" on
target "web01".``) and the cmdlet does nothing. An interactive shell asks before
each target of a High-impact cmdlet (Remove-, Stop-, Suspend-, Restart-VM …), and
before any changing cmdlet's targets with -Confirm; ``-Confirm:$false`` and a
non-interactive run (``-c``, a script file) never ask.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from clients.shell.binding import BoundArguments
from clients.shell.cmdlets.base import Cmdlet
from clients.shell.psobject import PSObject
from clients.shell.values import to_string

QUESTION = "Are you sure you want to perform this action?"
CHOICES = '[Y] Yes  [A] Yes to All  [N] No  [L] No to All  (default is "Y"): '


def target_label(item: object) -> str:
    """How a target is named: an object by its name, anything else as text."""
    if isinstance(item, PSObject):
        return to_string(item)
    name = getattr(item, "name", None)
    return name if isinstance(name, str) else to_string(item)


def target_parameter(cmdlet: Cmdlet) -> str | None:
    """The parameter whose items are the cmdlet's targets."""
    if cmdlet.target_parameter:
        return cmdlet.target_parameter
    declared = cmdlet.parameters
    for parameter in declared:
        if parameter.pipeline:
            return parameter.name
    positional = sorted((p for p in declared if p.position is not None), key=lambda p: p.position or 0)
    return positional[0].name if positional else None


@dataclass
class Decision:
    """The answers given so far in one pipeline run: per target, and ``Yes to All`` / ``No to All``."""

    always: bool | None = None
    answers: dict[str, bool] = field(default_factory=dict)


def _verb(cmdlet: Cmdlet) -> str:
    return cmdlet.name.split("-", 1)[0]


def filter_targets(cmdlet: Cmdlet, args: BoundArguments, decision: Decision) -> BoundArguments | None:
    """``args`` with only the targets the user agreed to; None when nothing is to be done."""
    if not type(cmdlet).supports_should_process():
        return args
    console = cmdlet.ctx.console
    what_if = args.flag("WhatIf")
    ask = args.flag("Confirm") if "Confirm" in args else type(cmdlet).impact() == "High"
    ask = ask and console.interactive and decision.always is None
    if not what_if and not ask:
        return None if decision.always is False else args
    name = target_parameter(cmdlet)
    value = args.get(name) if name else None
    single = not isinstance(value, list | tuple)
    items: list[object] = [] if value is None else list(value) if isinstance(value, list | tuple) else [value]
    targets: list[object] = cmdlet.resolve_targets(items) or [None]
    accepted: list[object] = []
    for target in targets:
        label = target_label(target) if target is not None else cmdlet.name.split("-", 1)[-1]
        operation = f'Performing the operation "{_verb(cmdlet)}" on target "{label}".'
        if label in decision.answers:  # asked (or announced) already in this pipeline
            if decision.answers[label]:
                accepted.append(target)
        elif what_if:
            console.write(f"What if: {operation}\n")
            decision.answers[label] = False
        elif decision.always is not None:
            if decision.always:
                accepted.append(target)
        else:
            decision.answers[label] = _confirm(cmdlet, operation, decision)
            if decision.answers[label]:
                accepted.append(target)
    if what_if or not accepted:
        return None
    if name is None or accepted == [None]:
        return args
    values = dict(args.values)
    values[name] = accepted[0] if single and len(accepted) == 1 else accepted
    return BoundArguments(values, args.parameter_set)


def _confirm(cmdlet: Cmdlet, operation: str, decision: Decision) -> bool:
    console = cmdlet.ctx.console
    console.write(f"\nConfirm\n{QUESTION}\n{operation}\n")
    while True:
        answer = console.ask(CHOICES).strip().lower()
        if answer in ("", "y", "yes"):
            return True
        if answer in ("n", "no"):
            return False
        if answer in ("a", "yes to all"):
            decision.always = True
            return True
        if answer in ("l", "no to all"):
            decision.always = False
            return False

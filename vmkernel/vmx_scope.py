"""What a vmx may ask of the VMkernel: only its own VM's worlds, disks and ports.

``scoped(servicer, rules)`` wraps a servicer for ``RpcGate.register``: hostd's
calls pass through; a vmx's call passes only if its method has a rule and the
rule finds the request about the caller's own VM (else NoPermission naming the
method and the VM it reached for). ``vmx_rules`` are the VMkernel API's rules.

    worlds  StopVmx, HotAddVcpus, SetAllocation (vm_id); GetWorldStats (its own worlds only)
    disks   GetVirtualDisk (a disk of its own, or in its own VM folder)
    ports   SetNicState (vm_id), and AnswerVmQuestion (vm_id)
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from pyesx import faults
from pyesx.api.v1 import performance_pb2
from pyesx.rpc.credentials import Caller, current_caller

#: rule(request, vm_id) -> the entity the request reaches for when it is not the caller's own, else None
Rule = Callable[[Any, str], str | None]
#: reply filter(reply, vm_id) -> what the vmx may see of it
Filter = Callable[[Any, str], Any]


def _vm_field(request: Any, vm_id: str) -> str | None:
    return None if request.vm_id == vm_id else request.vm_id or "(no VM)"


def _own_worlds(reply: performance_pb2.WorldStats, vm_id: str) -> performance_pb2.WorldStats:
    mine = [w for w in reply.worlds if w.vm_id == vm_id]
    del reply.worlds[:]
    reply.worlds.extend(mine)
    return reply


def vmx_rules(disk_owner: Callable[[Path], str | None]) -> dict[str, tuple[Rule, Filter | None]]:
    """The VMkernel API's rules; ``disk_owner(path)`` is the VM a disk path belongs to (or None)."""

    def own_disk(request: Any, vm_id: str) -> str | None:
        return None if disk_owner(Path(request.path)) == vm_id else request.path or "(no disk)"

    def anything(request: Any, vm_id: str) -> str | None:
        return None

    return {
        "StopVmx": (_vm_field, None),
        "HotAddVcpus": (_vm_field, None),
        "SetAllocation": (_vm_field, None),
        "SetNicState": (_vm_field, None),
        "AnswerVmQuestion": (_vm_field, None),
        "GetVirtualDisk": (own_disk, None),
        "GetWorldStats": (anything, _own_worlds),
    }


def _check(
    caller: Caller | None, method: str, rules: dict[str, tuple[Rule, Filter | None]], request: Any
) -> Filter | None:
    if caller is None or caller.is_hostd:
        return None
    rule = rules.get(method)
    if rule is None:
        raise faults.NoPermission(f"VMkernel.{method}", f"the host (vmx of {caller.vm_id})")
    reached = rule[0](request, caller.vm_id)
    if reached is not None:
        raise faults.NoPermission(
            f"VMkernel.{method}", reached, f"The vmx of {caller.vm_id} may not act on {reached} ({method})."
        )
    return rule[1]


class _Scoped:
    def __init__(self, servicer: Any, rules: dict[str, tuple[Rule, Filter | None]]) -> None:
        self._servicer, self._rules = servicer, rules

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._servicer, name)
        if not name[:1].isupper() or not callable(method):
            return method
        rules = self._rules
        if inspect.isasyncgenfunction(method):

            async def stream(request: Any, context: Any) -> AsyncIterator[Any]:
                _check(current_caller.get(), name, rules, request)
                async for item in method(request, context):
                    yield item

            return stream

        async def unary(request: Any, context: Any) -> Any:
            caller = current_caller.get()
            keep = _check(caller, name, rules, request)
            reply = await method(request, context)
            return keep(reply, caller.vm_id) if keep is not None and caller is not None else reply

        return unary


def scoped(servicer: Any, rules: dict[str, tuple[Rule, Filter | None]] | None = None) -> Any:
    """``servicer`` with every vmx call checked against ``rules`` (none: a vmx may call nothing)."""
    return _Scoped(servicer, rules or {})

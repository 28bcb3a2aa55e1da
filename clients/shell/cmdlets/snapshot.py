"""Snapshot cmdlets: New-Snapshot, Get-Snapshot, Remove-Snapshot (Set-VM -Snapshot reverts).

The host keeps each VM's snapshots as trees; these cmdlets show them flat,
parents before children, each with its parent's and children's names.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from clients.model import VM, Snapshot, Task
from clients.shell.binding import BoundArguments, Parameter
from clients.shell.cmdlets.base import Cmdlet, CommandContext
from clients.shell.cmdlets.vm import VMS, VMTaskCmdlet, flatten, resolve_vms, snapshot_id
from clients.shell.conversions import STRING, STRINGS, SWITCH, ArrayType, ParamType, shown
from clients.shell.errors import ConversionError
from clients.shell.psobject import PSObject
from clients.shell.session import Client
from clients.shell.views import snapshot_object, task_object
from clients.shell.wildcard import is_wildcard, like, unescape
from pyesx.faults import NotFound


def snapshot_objects(client: Client, vm: VM) -> list[PSObject]:
    """The VM's snapshots as Get-Snapshot outputs them."""
    return [snapshot_object(s, vm.name, parent) for s, parent in flatten(client.snapshots(vm.id))]


def find_snapshot_object(client: Client, vm: VM, ident: str) -> PSObject:
    """The snapshot with id ``ident`` as an output object; NotFound when the VM has no such snapshot."""
    for obj in snapshot_objects(client, vm):
        if isinstance(obj.base, Snapshot) and obj.base.id == ident:
            return obj
    raise NotFound("Snapshot", ident)


def _snapshot_or_id(value: object) -> Snapshot | str:
    if isinstance(value, PSObject) and isinstance(value.base, Snapshot):
        return value.base
    if isinstance(value, str) and "-snapshot-" in value:
        return snapshot_id(value)
    raise ConversionError(shown(value), "Snapshot")


#: Remove-Snapshot -Snapshot: snapshot objects (or their ids)
SNAPSHOTS = ArrayType(ParamType("Snapshot", _snapshot_or_id))


class NewSnapshot(VMTaskCmdlet):
    """New-Snapshot [-VM] <VirtualMachine[]> [-Name] <String> [-Description <String>] [-Memory]
    [-Quiesce] [-RunAsync] [-Confirm]

    -Memory keeps a powered-on VM's running state in the snapshot. -Quiesce is accepted and has no
    effect (the guest's tools do not quiesce file systems)."""

    name = "New-Snapshot"
    synopsis = "Takes a snapshot of VMs (-Memory: with the running state)."
    examples = (
        ("New-Snapshot -VM web01 -Name before-upgrade", "A disk-only snapshot."),
        (
            "New-Snapshot -VM web01 -Name live -Memory -Description 'with memory'",
            "A snapshot that keeps the VM running when reverted.",
        ),
    )
    parameters = (
        Parameter("VM", VMS, position=0, mandatory=True, pipeline=True),
        Parameter("Name", STRING, position=1, mandatory=True),
        Parameter("Description", STRING),
        Parameter("Memory", SWITCH),
        Parameter("Quiesce", SWITCH),
        Parameter("RunAsync", SWITCH),
        Parameter("Confirm", SWITCH),
    )

    def start(self, client: Client, vm: VM, args: BoundArguments) -> Task:
        return client.create_snapshot(
            vm.id, args.string("Name"), args.string("Description"), args.flag("Memory")
        )

    def finish(self, client: Client, vm: VM, done: Task | None) -> Iterable[object]:
        assert done is not None
        return (find_snapshot_object(client, vm, done.result_entity_id),)


class GetSnapshot(Cmdlet):
    """Get-Snapshot [-VM] <VirtualMachine[]> [[-Name] <String[]>] [-Id <String[]>]

    A name without wildcards that matches no snapshot of any of the VMs is an error."""

    name = "Get-Snapshot"
    synopsis = "Gets the snapshots of VMs."
    examples = (
        ("Get-Snapshot -VM web01", "web01's snapshots."),
        ("Get-VM | Get-Snapshot | Select-Object VM, Name, Created", "Every snapshot, with its VM."),
    )
    parameters = (
        Parameter("VM", VMS, position=0, mandatory=True, pipeline=True),
        Parameter("Name", STRINGS, position=1),
        Parameter("Id", STRINGS),
    )

    def __init__(self, ctx: CommandContext) -> None:
        super().__init__(ctx)
        self.unmatched: dict[str, str] = {}  # plain names not matched yet: lower-case -> as typed

    def begin(self, args: BoundArguments) -> Iterator[object]:
        self.unmatched = {
            unescape(p).lower(): unescape(p) for p in args.strings("Name") if not is_wildcard(p)
        }
        return iter(())

    def process(self, args: BoundArguments) -> Iterator[object]:
        client = self.ctx.client()
        patterns = args.strings("Name")
        ids = {snapshot_id(i) for i in args.strings("Id")}
        for vm in resolve_vms(client, args.items("VM")):
            for obj in snapshot_objects(client, vm):
                assert isinstance(obj.base, Snapshot)
                if ids and obj.base.id not in ids:
                    continue
                if patterns and not any(self._matches(obj.base.name, p) for p in patterns):
                    continue
                yield obj

    def _matches(self, name: str, pattern: str) -> bool:
        if is_wildcard(pattern):
            return like(name, pattern)
        if name.lower() == unescape(pattern).lower():
            self.unmatched.pop(name.lower(), None)
            return True
        return False

    def end(self, args: BoundArguments) -> Iterator[object]:
        if self.unmatched:
            name = next(iter(self.unmatched.values()))
            raise NotFound(
                "Snapshot", name, f"Snapshot with name '{name}' was not found using the specified filter(s)."
            )
        return iter(())


class RemoveSnapshot(Cmdlet):
    """Remove-Snapshot [-Snapshot] <Snapshot[]> [-RemoveChildren] [-RunAsync] [-Confirm]

    Snapshots are removed one after another (a VM runs one task at a time); the disks of a removed
    snapshot are merged into its child. Outputs nothing, or the tasks with -RunAsync."""

    name = "Remove-Snapshot"
    synopsis = "Removes snapshots (their disks merge into the child)."
    examples = (
        (
            "Get-Snapshot -VM web01 -Name before-upgrade | Remove-Snapshot -Confirm:$false",
            "Removes one snapshot.",
        ),
        ("Get-Snapshot -VM web01 | Remove-Snapshot -RemoveChildren -WhatIf", "Shows what would be removed."),
    )
    parameters = (
        Parameter("Snapshot", SNAPSHOTS, position=0, mandatory=True, pipeline=True),
        Parameter("RemoveChildren", SWITCH),
        Parameter("RunAsync", SWITCH),
        Parameter("Confirm", SWITCH),
    )

    def process(self, args: BoundArguments) -> Iterator[object]:
        client = self.ctx.client()
        for ref in args.items("Snapshot"):
            ident = ref.id if isinstance(ref, Snapshot) else str(ref)
            task = client.remove_snapshot(ident, args.flag("RemoveChildren"))
            if args.flag("RunAsync"):
                yield task_object(task)
            else:
                client.wait_for_task(task.id)


CMDLETS: tuple[type[Cmdlet], ...] = (NewSnapshot, GetSnapshot, RemoveSnapshot)

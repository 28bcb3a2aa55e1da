"""Task cmdlets: Get-Task, Wait-Task (for what -RunAsync returned) and Stop-Task."""

from __future__ import annotations

from collections.abc import Iterator

from clients.model import Task
from clients.shell.binding import BoundArguments, Parameter
from clients.shell.cmdlets.base import Cmdlet
from clients.shell.cmdlets.snapshot import find_snapshot_object
from clients.shell.conversions import STRINGS, SWITCH, ArrayType, ParamType, shown
from clients.shell.errors import ConversionError
from clients.shell.psobject import PSObject
from clients.shell.session import Client
from clients.shell.values import to_string
from clients.shell.views import TASK_ID_PREFIX, task_object, vm_object
from pyesx.faults import NotFound

TASK_STATES = ("Queued", "Running", "Success", "Error")


def task_id(text: str) -> str:
    """``Task-task-7`` or ``task-7`` -> ``task-7``."""
    return text[len(TASK_ID_PREFIX) :] if text.startswith(TASK_ID_PREFIX) else text


def _task_reference(value: object) -> str:
    if isinstance(value, PSObject) and isinstance(value.base, Task):
        return value.base.id
    if isinstance(value, str) and value:
        return task_id(value)
    raise ConversionError(shown(value), "Task")


TASKS = ArrayType(ParamType("Task", _task_reference))


def _task_state(value: object) -> str:
    text = to_string(value)
    for state in TASK_STATES:
        if state.lower() == text.lower():
            return state.lower()
    raise ConversionError(text, "TaskState", f"Possible values are: {', '.join(TASK_STATES)}.")


TASK_STATE = ParamType("TaskState", _task_state)


def task_result(client: Client, done: Task) -> Iterator[object]:
    """What a finished task made or changed, as an output object: a VM, a snapshot, or nothing."""
    if done.result_vm is not None:
        yield vm_object(done.result_vm)
        return
    vm_id, sep, _ = done.result_entity_id.partition("-snapshot-")
    if sep:
        try:
            yield find_snapshot_object(client, client.get_vm(vm_id), done.result_entity_id)
        except NotFound:
            return  # removed since


class GetTask(Cmdlet):
    """Get-Task [[-Status] <TaskState>] | -Id <String[]>: the host's recent tasks (oldest first)."""

    name = "Get-Task"
    synopsis = "Gets the host's recent tasks."
    examples = (
        ("Get-Task", "The recent tasks, oldest first."),
        ("Get-Task -Status Running", "Only running tasks."),
    )
    default_set = "Status"
    parameters = (
        Parameter("Status", TASK_STATE, position=0, sets=("Status",)),
        Parameter("Id", STRINGS, sets=("Id",)),
    )

    def process(self, args: BoundArguments) -> Iterator[object]:
        client = self.ctx.client()
        if "Id" in args:
            for ident in args.strings("Id"):
                yield task_object(client.get_task(task_id(ident)))
            return
        status = args.string("Status")
        for task in client.recent_tasks():
            if not status or task.state == status:
                yield task_object(task)


class WaitTask(Cmdlet):
    """Wait-Task [-Task] <Task[]>: waits for each task (raising its fault when it failed) and outputs
    what it made or changed: the VM of a VM task, the snapshot New-Snapshot took."""

    name = "Wait-Task"
    synopsis = "Waits for tasks to finish and outputs what they made or changed."
    examples = (("Start-VM web01 -RunAsync | Wait-Task", "Starts web01 in the background, then waits."),)
    parameters = (Parameter("Task", TASKS, position=0, mandatory=True, pipeline=True),)

    def process(self, args: BoundArguments) -> Iterator[object]:
        client = self.ctx.client()
        for ident in args.strings("Task"):
            yield from task_result(client, client.wait_for_task(ident))


class StopTask(Cmdlet):
    """Stop-Task [-Task] <Task[]> [-Confirm]: cancels running tasks whose operation allows it."""

    name = "Stop-Task"
    synopsis = "Cancels running tasks whose operation allows it."
    examples = (
        (
            "Get-Task -Status Running | Stop-Task -Confirm:$false",
            "Cancels every running task that can be cancelled.",
        ),
    )
    parameters = (
        Parameter("Task", TASKS, position=0, mandatory=True, pipeline=True),
        Parameter("Confirm", SWITCH),
    )

    def process(self, args: BoundArguments) -> Iterator[object]:
        client = self.ctx.client()
        for ident in args.strings("Task"):
            yield task_object(client.cancel_task(ident))


CMDLETS: tuple[type[Cmdlet], ...] = (GetTask, WaitTask, StopTask)

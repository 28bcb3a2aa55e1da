"""Tasks: every long operation runs as one, queued → running → success | error.

At most one task per entity runs at a time; a second gets TaskInProgress naming
the first. ``wait`` returns when the task ends (or the timeout passes). Every
task is journaled to ``etc/vmware/hostd/tasks.jsonl`` when it starts and when
it ends: a hostd that dies in between marks it failed on its next start, with
its recovery hint (say, a half-made VM folder to remove) handed to the owner.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pyesx import faults
from pyesx.atomic import atomic_write
from pyesx.logs import get_logger

HISTORY = 1000
INTERRUPTED = "hostd restarted while the operation was running"
JOURNAL_KEEP = 2000
_log = get_logger("tasks")

QUEUED, RUNNING, SUCCESS, ERROR = "queued", "running", "success", "error"
DESCRIPTIONS = {
    "Folder.createVm": "Create virtual machine",
    "Folder.registerVm": "Register virtual machine",
    "VirtualMachine.powerOn": "Power On virtual machine",
    "VirtualMachine.powerOff": "Power Off virtual machine",
    "VirtualMachine.terminateVM": "Terminate virtual machine",
    "VirtualMachine.suspend": "Suspend virtual machine",
    "VirtualMachine.reset": "Reset virtual machine",
    "VirtualMachine.reconfigure": "Reconfigure virtual machine",
    "VirtualMachine.unregister": "Unregister virtual machine",
    "VirtualMachine.destroy": "Delete virtual machine",
    "VirtualMachine.createSnapshot": "Create virtual machine snapshot",
    "VirtualMachine.revertToSnapshot": "Revert to snapshot",
    "VirtualMachine.removeSnapshot": "Remove snapshot",
    "VirtualMachine.removeAllSnapshots": "Remove all snapshots",
    "VirtualMachine.createScreenshot": "Create a virtual machine screenshot",
}


@dataclass
class Task:
    id: str
    description_id: str
    entity_id: str
    entity_name: str
    user: str
    state: str = QUEUED
    progress: int = 0
    queue_time: float = field(default_factory=time.time)
    start_time: float = 0.0
    complete_time: float = 0.0
    error: faults.VimFault | None = None
    result_entity_id: str = ""
    result: str = ""  # a value the operation returns (set by its work)
    cancelable: bool = False
    cancel_requested: bool = False
    recovery: dict[str, Any] = field(default_factory=dict)
    done: asyncio.Event = field(default_factory=asyncio.Event, repr=False)

    def check_canceled(self) -> None:
        """At a safe point of a cancelable operation: stop here (RequestCanceled) if a user asked."""
        if self.cancel_requested:
            raise faults.RequestCanceled(self.id)

    @property
    def description(self) -> str:
        return DESCRIPTIONS.get(self.description_id, self.description_id)


Work = Callable[[Task], Awaitable[str | None]]
OnChange = Callable[[Task], None]


class TaskManager:
    def __init__(self, journal: Path | None = None, on_change: OnChange | None = None) -> None:
        self._tasks: OrderedDict[str, Task] = OrderedDict()
        self._busy: dict[str, str] = {}  # entity id -> running task id
        self._runners: dict[str, asyncio.Task[None]] = {}
        self._journal_path = journal
        self._journal = None
        self.on_change: OnChange = on_change or (lambda task: None)
        self.interrupted: list[Task] = []  # tasks a previous hostd left unfinished
        last_id = self._recover() if journal else 0
        self._ids = itertools.count(last_id + 1)
        if journal:
            self._journal = open(journal, "a", buffering=1, encoding="utf-8")  # noqa: SIM115 - lives with hostd

    # -- journal --------------------------------------------------------------------------------

    def _recover(self) -> int:
        """Load the journal: finished tasks as history, unfinished ones failed. Return the last id."""
        assert self._journal_path is not None
        if not self._journal_path.exists():
            return 0
        records: dict[str, dict[str, Any]] = {}
        for line in self._journal_path.read_text().splitlines():
            with contextlib.suppress(ValueError, KeyError):
                record = json.loads(line)
                records.setdefault(record["id"], {}).update(record)
        last_id = max((int(task_id.split("-")[1]) for task_id in records), default=0)
        for record in list(records.values())[-HISTORY:]:
            task = Task(
                record["id"],
                record["description_id"],
                record["entity_id"],
                record["entity_name"],
                record["user"],
                queue_time=record["queue_time"],
                start_time=record.get("start_time", 0.0),
                result_entity_id=record.get("result_entity_id", ""),
                result=record.get("result", ""),
                recovery=record.get("recovery", {}),
            )
            if record.get("state") in (SUCCESS, ERROR):
                task.state, task.complete_time = record["state"], record["complete_time"]
                task.progress = 100 if task.state == SUCCESS else record.get("progress", 0)
                if task.state == ERROR:
                    reason = record.get("fault") or "failed"
                    task.error = faults.SystemError(reason, reason)
            else:
                task.state, task.complete_time = ERROR, time.time()
                task.error = faults.SystemError(INTERRUPTED)
                self.interrupted.append(task)
            task.done.set()
            self._tasks[task.id] = task
        self._compact(records)
        return last_id

    def _compact(self, records: dict[str, dict[str, Any]]) -> None:
        assert self._journal_path is not None
        keep = list(records.values())[-JOURNAL_KEEP:]
        for record in keep:
            if record.get("state") not in (SUCCESS, ERROR):
                record.update(state=ERROR, complete_time=time.time(), fault=INTERRUPTED)
        atomic_write(self._journal_path, "".join(json.dumps(r) + "\n" for r in keep))

    def _write(self, task: Task, **fields: Any) -> None:
        if self._journal is not None:
            self._journal.write(json.dumps({"id": task.id, **fields}) + "\n")

    # -- running --------------------------------------------------------------------------------

    def busy_task(self, entity_id: str) -> str | None:
        return self._busy.get(entity_id)

    def submit(
        self,
        description_id: str,
        entity_id: str,
        entity_name: str,
        user: str,
        work: Work,
        *,
        cancelable: bool = False,
        recovery: dict[str, Any] | None = None,
    ) -> Task:
        """Start work as a task on entity_id; TaskInProgress when the entity already has one."""
        if entity_id in self._busy:
            raise faults.TaskInProgress(self._busy[entity_id])
        task = Task(
            f"task-{next(self._ids)}",
            description_id,
            entity_id,
            entity_name,
            user,
            cancelable=cancelable,
            recovery=recovery or {},
        )
        self._tasks[task.id] = task
        self._forget_oldest()
        self._busy[entity_id] = task.id
        self._write(
            task,
            description_id=description_id,
            entity_id=entity_id,
            entity_name=entity_name,
            user=user,
            queue_time=task.queue_time,
            recovery=task.recovery,
        )
        self.on_change(task)
        self._runners[task.id] = asyncio.create_task(self._run(task, work))
        return task

    def _forget_oldest(self) -> None:
        """Keep HISTORY tasks (and any still running): the oldest finished ones go. A long task at
        the front must not hold every later one in memory."""
        excess = len(self._tasks) - HISTORY
        if excess <= 0:
            return
        doomed: list[str] = []
        for task_id, task in self._tasks.items():
            if len(doomed) == excess:
                break
            if task.done.is_set():
                doomed.append(task_id)
        for task_id in doomed:
            del self._tasks[task_id]

    async def _run(self, task: Task, work: Work) -> None:
        task.state, task.start_time = RUNNING, time.time()
        self.on_change(task)
        try:
            task.result_entity_id = await work(task) or ""
            task.state, task.progress = SUCCESS, 100
        except faults.VimFault as fault:
            task.state, task.error = ERROR, fault
        except asyncio.CancelledError:
            task.state, task.error = (
                ERROR,
                faults.InvalidState("canceled", "The task was canceled by a user."),
            )
        except (
            OSError
        ) as exc:  # a datastore's file-system error: a fault the user understands when there is one
            _log.error("task.os_error", task=task.id, description_id=task.description_id, exc_info=exc)
            task.state = ERROR
            task.error = faults.from_os_error(exc) or faults.SystemError(f"{type(exc).__name__}: {exc}")
        except Exception as exc:
            _log.error("task.crashed", task=task.id, description_id=task.description_id, exc_info=exc)
            task.state, task.error = ERROR, faults.SystemError(f"{type(exc).__name__}: {exc}")
        finally:
            task.complete_time = time.time()
            if self._busy.get(task.entity_id) == task.id:
                del self._busy[task.entity_id]
            self._runners.pop(task.id, None)
            self._write(
                task,
                state=task.state,
                complete_time=task.complete_time,
                progress=task.progress,
                result_entity_id=task.result_entity_id,
                result=task.result,
                fault=str(task.error) if task.error else None,
            )
            _log.info(
                "task.done",
                task=task.id,
                description_id=task.description_id,
                entity=task.entity_id,
                state=task.state,
                fault=str(task.error) if task.error else None,
                ms=round((task.complete_time - task.start_time) * 1000, 1),
            )
            task.done.set()
            self.on_change(task)

    def cancel(self, task_id: str) -> Task:
        """Cancel a running cancelable task; InvalidState for others."""
        task = self.get(task_id)
        if task.done.is_set():
            raise faults.InvalidState("finished", f"The task {task_id} has already finished.")
        if not task.cancelable:
            raise faults.InvalidState("not_cancelable", f"The operation of {task_id} cannot be canceled.")
        task.cancel_requested = True  # the operation stops at its next safe point and undoes what it must
        self.on_change(task)
        return task

    def find(self, task_id: str) -> Task | None:
        return self._tasks.get(task_id)

    def get(self, task_id: str) -> Task:
        try:
            return self._tasks[task_id]
        except KeyError:
            raise faults.NotFound("Task", task_id) from None

    async def wait(self, task_id: str, timeout: float | None) -> Task:
        task = self.get(task_id)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(task.done.wait(), timeout)
        return task

    def recent(self, entity_id: str = "") -> list[Task]:
        return [t for t in self._tasks.values() if not entity_id or t.entity_id == entity_id]

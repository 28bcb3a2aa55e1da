"""Tasks: every long operation runs as one, queued → running → success | error.

At most one task per entity runs at a time; a second gets TaskInProgress naming
the first. ``wait`` returns when the task ends (or the timeout passes).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from pyesx import faults
from pyesx.logs import get_logger

HISTORY = 1000
_log = get_logger("tasks")

QUEUED, RUNNING, SUCCESS, ERROR = "queued", "running", "success", "error"


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
    done: asyncio.Event = field(default_factory=asyncio.Event, repr=False)


Work = Callable[[Task], Awaitable[str | None]]


class TaskManager:
    def __init__(self) -> None:
        self._ids = itertools.count(1)
        self._tasks: OrderedDict[str, Task] = OrderedDict()
        self._busy: dict[str, str] = {}  # entity id -> running task id
        self._runners: set[asyncio.Task[None]] = set()

    def busy_task(self, entity_id: str) -> str | None:
        return self._busy.get(entity_id)

    def submit(self, description_id: str, entity_id: str, entity_name: str, user: str, work: Work) -> Task:
        """Start work as a task on entity_id; TaskInProgress when the entity already has one."""
        if entity_id in self._busy:
            raise faults.TaskInProgress(self._busy[entity_id])
        task = Task(f"task-{next(self._ids)}", description_id, entity_id, entity_name, user)
        self._tasks[task.id] = task
        while len(self._tasks) > HISTORY:
            oldest = next(iter(self._tasks.values()))
            if not oldest.done.is_set():
                break
            self._tasks.popitem(last=False)
        self._busy[entity_id] = task.id
        runner = asyncio.create_task(self._run(task, work))
        self._runners.add(runner)
        runner.add_done_callback(self._runners.discard)
        return task

    async def _run(self, task: Task, work: Work) -> None:
        task.state, task.start_time = RUNNING, time.time()
        try:
            task.result_entity_id = await work(task) or ""
            task.state, task.progress = SUCCESS, 100
        except faults.VimFault as fault:
            task.state, task.error = ERROR, fault
        except Exception as exc:
            _log.error("task.crashed", task=task.id, description_id=task.description_id, exc_info=exc)
            task.state, task.error = ERROR, faults.SystemError(f"{type(exc).__name__}: {exc}")
        finally:
            task.complete_time = time.time()
            if self._busy.get(task.entity_id) == task.id:
                del self._busy[task.entity_id]
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

    def recent(self) -> list[Task]:
        return list(self._tasks.values())

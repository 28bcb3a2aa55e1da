"""A progress bar for the tasks a command waits for, drawn on the terminal's stderr line by line.

The session reports each task a command starts and each wait for one
(``clients.shell.session``); the bar shows how many of them have finished
and what is being waited for, as PowerShell's progress bar does for
``Start-VM`` of many VMs or ``Wait-Task``. It is drawn only on a terminal
and erased when the last task finishes or the command ends.

    [############............] 4/8  VirtualMachine.powerOn web05
"""

from __future__ import annotations

import shutil
from typing import TextIO

from clients.model import Task

BAR_WIDTH = 24
ERASE = "\r\x1b[K"


def render(done: int, total: int, activity: str, width: int = 80) -> str:
    """One line of progress (without control characters), at most ``width`` characters."""
    filled = BAR_WIDTH * done // total if total else 0
    bar = "#" * filled + "." * (BAR_WIDTH - filled)
    line = f"[{bar}] {done:>{len(str(total))}}/{total}  {activity}"
    return line[: max(width - 1, 0)]


def describe(task: Task) -> str:
    """What a task does, for the progress line: its description (or id) and entity."""
    what = task.description_id or task.description or task.id
    return f"{what} {task.entity_name}".strip()


class TaskProgress:
    """Counts the tasks of the current command; draws the bar on ``stream`` when ``enabled``."""

    def __init__(self, stream: TextIO, enabled: bool) -> None:
        self.stream = stream
        self.enabled = enabled
        self._started: dict[str, Task] = {}
        self._finished: set[str] = set()
        self._drawn = False

    @property
    def counts(self) -> tuple[int, int]:
        """(finished, total) tasks of this command."""
        return len(self._finished), len(self._started)

    def reset(self) -> None:
        """A new command begins (or one ended): forget its tasks and erase the bar."""
        self._started.clear()
        self._finished.clear()
        self.erase()

    def started(self, task: Task) -> None:
        """The command started ``task``."""
        if self.enabled:
            self._started.setdefault(task.id, task)

    def waiting(self, task_id: str) -> None:
        """The command is about to wait for ``task_id``: draw the bar."""
        if not self.enabled:
            return
        if task_id not in self._started:
            self._started[task_id] = Task(task_id, "", "", "", "running", 0, "")
        self._draw(describe(self._started[task_id]))

    def finished(self, task_id: str) -> None:
        """The wait for ``task_id`` ended; erase the bar once every task has."""
        if not self.enabled:
            return
        self._finished.add(task_id)
        done, total = self.counts
        if done >= total:
            self.erase()

    def _draw(self, activity: str) -> None:
        done, total = self.counts
        width = shutil.get_terminal_size((80, 24)).columns
        self.stream.write(ERASE + render(done, total, activity, width))
        self.stream.flush()
        self._drawn = True

    def erase(self) -> None:
        """Remove the bar from the terminal line, if drawn."""
        if self._drawn:
            self.stream.write(ERASE)
            self.stream.flush()
            self._drawn = False

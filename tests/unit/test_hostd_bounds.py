"""hostd's in-memory structures stay bounded whatever clients do: a long task does not pin the task
history, an event watcher that stops reading is cut off, abandoned sessions are swept; and the
events loaded at start-up share their strings."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from hostd import events as events_module
from hostd import tasks as tasks_module
from hostd.events import EventFilter, EventLog
from hostd.tasks import Task, TaskManager
from tests.unit.auth_fakes import ROOT_PASSWORD, make_auth

pytestmark = pytest.mark.timeout(60)


async def test_a_long_task_at_the_front_does_not_hold_the_history(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tasks_module, "HISTORY", 10)
    tasks = TaskManager()
    release = asyncio.Event()

    async def long(task: Task) -> str:
        await release.wait()
        return ""

    async def quick(task: Task) -> str:
        return ""

    stuck = tasks.submit("VirtualMachine.powerOn", "vm-long", "long", "root", long)
    for n in range(100):
        await tasks.wait(tasks.submit("VirtualMachine.powerOn", f"vm-{n}", "quick", "root", quick).id, 5)
        assert len(tasks.recent()) <= 10 + 1  # the history, and the one task still running
    assert tasks.find(stuck.id) is stuck  # a running task is never forgotten
    assert [t.entity_id for t in tasks.recent()][-3:] == ["vm-97", "vm-98", "vm-99"]
    release.set()
    await tasks.wait(stuck.id, 5)


async def test_an_event_watcher_that_stops_reading_is_cut_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(events_module, "QUEUE_LIMIT", 5)
    log = EventLog(tmp_path / "events.jsonl")
    stream = log.watch(EventFilter())
    first = asyncio.ensure_future(anext(stream))  # it reads one event, then nothing more
    await asyncio.sleep(0)  # let it subscribe (a scheduling step, not a timing wait)
    log.record("VmPoweredOnEvent", "on 0")
    assert (await first).message == "on 0"
    for n in range(1, 1000):
        log.record("VmPoweredOnEvent", f"on {n}")
    assert not log._watchers  # the structure under test: nothing queues for it any more
    backlog = [event.message async for event in stream]  # what it had queued, then the end
    assert backlog == [f"on {n}" for n in range(1, 6)]


async def test_abandoned_sessions_are_swept(tmp_path: Path) -> None:
    auth = make_auth(tmp_path)
    for _ in range(3):  # clients that log in and vanish without logging out or calling again
        await auth.sessions.login("root", ROOT_PASSWORD)
    assert len(auth.sessions) == 3
    auth.clock.advance(auth.sessions.idle_timeout() + 1)
    kept = await auth.sessions.login("root", ROOT_PASSWORD)
    assert len(auth.sessions) == 1 and auth.sessions.is_live(kept.key)


def test_events_loaded_at_start_up_share_their_strings(tmp_path: Path) -> None:
    log = EventLog(tmp_path / "events.jsonl")
    for n in range(4):
        log.record(
            "VmPoweredOnEvent", f"web01 is powered on ({n})", user="root", vm_id="vm-1", vm_name="web01"
        )
    loaded = list(EventLog(tmp_path / "events.jsonl").events)
    assert [e.message for e in loaded] == [f"web01 is powered on ({n})" for n in range(4)]
    for field in ("type", "user", "vm_id", "vm_name"):  # one copy each, as events recorded at run time
        assert len({id(getattr(e, field)) for e in loaded}) == 1, field

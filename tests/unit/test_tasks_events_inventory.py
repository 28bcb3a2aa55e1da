"""hostd's domain pieces without processes: tasks, the event log, the inventory file, passwords."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from hostd.events import EventFilter, EventLog
from hostd.inventory import Inventory
from hostd.tasks import Task, TaskManager
from pyesx import faults
from pyesx.layout import HostLayout
from pyesx.passwords import hash_password, verify_password
from pyesx.vmkernel.v1 import vmkernel_pb2
from vmkernel.events import WorldEventBus

pytestmark = pytest.mark.timeout(10)


async def test_a_task_runs_to_success_and_frees_its_entity() -> None:
    tasks = TaskManager()
    release = asyncio.Event()

    async def work(task: object) -> str:
        await release.wait()
        return "vm-1"

    task = tasks.submit("VirtualMachine.powerOn", "vm-1", "web01", "root", work)
    with pytest.raises(faults.TaskInProgress) as busy:
        tasks.submit("VirtualMachine.powerOff", "vm-1", "web01", "root", work)
    assert busy.value.task_id == task.id
    assert (await tasks.wait(task.id, 0.01)).state in ("queued", "running")
    release.set()
    done = await tasks.wait(task.id, 5)
    assert (done.state, done.progress, done.result_entity_id) == ("success", 100, "vm-1")
    assert done.start_time >= done.queue_time and done.complete_time >= done.start_time
    assert tasks.busy_task("vm-1") is None


async def test_a_failing_task_keeps_its_fault_and_unexpected_errors_become_system_error() -> None:
    tasks = TaskManager()

    async def fault(task: object) -> str:
        raise faults.InvalidPowerState("poweredOff", "poweredOn")

    async def crash(task: object) -> str:
        raise ZeroDivisionError("x")

    first = await tasks.wait(tasks.submit("a", "e1", "e1", "root", fault).id, 5)
    second = await tasks.wait(tasks.submit("b", "e2", "e2", "root", crash).id, 5)
    assert first.state == "error" and isinstance(first.error, faults.InvalidPowerState)
    assert second.state == "error" and isinstance(second.error, faults.SystemError)
    with pytest.raises(faults.NotFound):
        tasks.get("task-999")


def test_events_persist_and_query_newest_first(tmp_path: Path) -> None:
    log = EventLog(tmp_path / "events.jsonl")
    log.record("VmCreatedEvent", "created", vm_id="vm-1")
    log.record("VmPoweredOnEvent", "on", vm_id="vm-1")
    log.record("UserLoginSessionEvent", "login", user="root")
    again = EventLog(tmp_path / "events.jsonl")
    assert [e.type for e in again.query(EventFilter(vm_id="vm-1"))] == ["VmPoweredOnEvent", "VmCreatedEvent"]
    assert [e.key for e in again.query(max_count=1)] == [3]
    assert again.record("VmRemovedEvent", "x").key == 4
    assert [e.type for e in again.query(EventFilter(types=frozenset({"UserLoginSessionEvent"})))] == [
        "UserLoginSessionEvent"
    ]


def test_inventory_round_trips_in_esxi_format(tmp_path: Path) -> None:
    layout = HostLayout(tmp_path)
    inventory = Inventory(layout)
    inventory.load()
    first = inventory.add(tmp_path / "vmfs/volumes/datastore1/a/a.vmx")
    second = inventory.add(tmp_path / "vmfs/volumes/datastore1/b/b.vmx")
    inventory.remove(first.obj_id)
    text = layout.inventory.read_text()
    assert "<vmxCfgPath>/vmfs/volumes/datastore1/b/b.vmx</vmxCfgPath>" in text and "<objID>2</objID>" in text
    reloaded = Inventory(layout)
    assert reloaded.load() == [second]
    assert reloaded.add(tmp_path / "c.vmx").vm_id == "vm-3"


def test_inventory_keeps_each_vms_resource_pool(tmp_path: Path) -> None:
    layout = HostLayout(tmp_path)
    inventory = Inventory(layout)
    inventory.load()
    root_vm = inventory.add(tmp_path / "a.vmx")
    pooled = inventory.add(tmp_path / "b.vmx", "pool3")
    inventory.set_pool(root_vm.obj_id, "pool7")
    inventory.set_pool(pooled.obj_id, "ha-root-pool")
    text = layout.inventory.read_text()
    assert text.count("<resourcePool>") == 1 and "<resourcePool>pool7</resourcePool>" in text
    assert {e.vm_id: e.pool_id for e in Inventory(layout).load()} == {"vm-1": "pool7", "vm-2": "ha-root-pool"}


def test_passwords_are_salted_and_verified() -> None:
    secret = "correct horse battery staple"  # long enough never to turn up in the hash's base64 by chance
    first, second = hash_password(secret), hash_password(secret)
    assert first != second and secret not in first
    assert verify_password(secret, first) and not verify_password(secret.upper(), first)
    assert not verify_password("pw", "garbage") and not verify_password("pw", "scrypt$x$y$z$a$b")


async def test_world_events_wait_for_a_subscriber() -> None:
    bus = WorldEventBus()
    bus.publish(vmkernel_pb2.WorldEvent(time=1, vmx_exited=vmkernel_pb2.VmxExited(vm_id="vm-1")))
    stream = bus.subscribe()
    assert (await anext(stream)).WhichOneof("kind") is None  # the subscription is live
    assert (await anext(stream)).vmx_exited.vm_id == "vm-1"
    bus.publish(vmkernel_pb2.WorldEvent(time=2, vmx_exited=vmkernel_pb2.VmxExited(vm_id="vm-2")))
    assert (await anext(stream)).vmx_exited.vm_id == "vm-2"
    await stream.aclose()  # type: ignore[attr-defined]


async def test_the_journal_fails_tasks_a_dead_hostd_left_running(tmp_path: Path) -> None:
    journal = tmp_path / "tasks.jsonl"
    first = TaskManager(journal)
    release = asyncio.Event()

    async def never(task: object) -> str:
        await release.wait()
        return ""

    async def quick(task: object) -> str:
        return "vm-1"

    done = await first.wait(first.submit("Folder.createVm", "name:a", "a", "root", quick).id, 5)
    stuck = first.submit(
        "Folder.createVm", "name:b", "b", "root", never, recovery={"remove_unregistered_folder": "/x"}
    )
    # hostd dies here: the second task never finishes; a new hostd reads the journal
    second = TaskManager(journal)
    assert second.get(done.id).state == "success"
    interrupted = second.get(stuck.id)
    assert interrupted.state == "error" and isinstance(interrupted.error, faults.SystemError)
    assert "restarted" in str(interrupted.error)
    assert second.interrupted == [interrupted] and interrupted.recovery == {
        "remove_unregistered_folder": "/x"
    }
    third = second.submit("a", "e", "e", "root", quick)
    assert third.id == "task-3"
    await second.wait(third.id, 5)
    assert TaskManager(journal).interrupted == []  # compacted: reported once
    release.set()


async def test_cancel_stops_a_cancelable_task_at_its_next_safe_point() -> None:
    tasks = TaskManager()
    step = asyncio.Event()
    reached: list[int] = []

    async def work(task: Task) -> str:
        for n in range(3):
            task.check_canceled()
            reached.append(n)
            await step.wait()
            step.clear()
        return "done"

    task = tasks.submit("VirtualMachine.removeAllSnapshots", "vm-1", "web01", "root", work, cancelable=True)
    await asyncio.sleep(0)  # let it reach its first wait (a scheduling step, not a timing wait)
    assert tasks.cancel(task.id).cancel_requested
    step.set()
    done = await tasks.wait(task.id, 5)
    assert done.state == "error" and isinstance(done.error, faults.RequestCanceled) and reached == [0]
    with pytest.raises(faults.InvalidState):
        tasks.cancel(task.id)  # finished
    other = tasks.submit("VirtualMachine.powerOn", "vm-2", "db01", "root", work)
    with pytest.raises(faults.InvalidState):
        tasks.cancel(other.id)  # not cancelable
    step.set()

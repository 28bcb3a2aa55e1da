"""hostd's start-up reconciliation: every VM's power state is explained by its newest events."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from hostd.events import EventFilter, EventLog
from hostd.inventory import Inventory
from hostd.reconcile import reconcile_power_events, sweep_interrupted_writes
from hostd.tasks import Task, TaskManager
from hostd.vms import POWERED_OFF, POWERED_ON, SUSPENDED, VmManager, VmRecord
from pyesx.layout import HostLayout
from pyesx.vmkernel.v1 import vmkernel_pb2
from pyesx.vmxfile import VmxConfig


def _manager(tmp_path: Path) -> VmManager:
    layout = HostLayout(tmp_path)
    events = EventLog(tmp_path / "events.jsonl")
    stub: Any = None
    return VmManager(
        layout, Inventory(layout), stub, TaskManager(), events, vmkernel_pb2.HostInfo(hostname="esx1")
    )


def _vm(vms: VmManager, number: int, state: str, *history: str) -> VmRecord:
    vm = VmRecord(
        f"vm-{number}", number, Path(f"/x/vm{number}.vmx"), VmxConfig({"displayName": f"vm{number}"})
    )
    vm.power_state = state
    vms.vms[vm.id] = vm
    for event in history:
        vms.record(event, vm, event, "")
    return vm


def _newest(vms: VmManager, vm: VmRecord) -> tuple[str, str]:
    event = vms.events.query(EventFilter(vm_id=vm.id))[0]
    return event.type, event.message


def test_each_unexplained_state_gets_the_event_that_explains_it(tmp_path: Path) -> None:
    vms = _manager(tmp_path)
    steady = _vm(vms, 1, POWERED_ON, "VmCreatedEvent", "VmPoweredOnEvent")
    died = _vm(vms, 2, POWERED_OFF, "VmCreatedEvent", "VmPoweredOnEvent")
    stopping = _vm(vms, 3, POWERED_OFF, "VmCreatedEvent", "VmPoweredOnEvent", "VmStoppingEvent")
    started = _vm(vms, 4, POWERED_ON, "VmCreatedEvent", "VmStartingEvent")
    suspended = _vm(vms, 5, SUSPENDED, "VmCreatedEvent", "VmPoweredOnEvent", "VmSuspendingEvent")
    registered = _vm(vms, 6, POWERED_OFF, "VmRegisteredEvent")
    assert reconcile_power_events(vms, boot_time=0.0) == 4
    assert _newest(vms, steady)[0] == "VmPoweredOnEvent"
    assert _newest(vms, died)[0] == "VmDiedEvent"
    assert "vm2 exited while hostd was not running" in _newest(vms, died)[1]
    assert _newest(vms, stopping)[0] == "VmPoweredOffEvent"
    assert _newest(vms, started)[0] == "VmPoweredOnEvent"
    assert _newest(vms, suspended)[0] == "VmSuspendedEvent"
    assert _newest(vms, registered)[0] == "VmRegisteredEvent"
    assert reconcile_power_events(vms, boot_time=0.0) == 0  # explained now


def test_a_vm_that_ran_before_the_host_went_down_is_off_with_an_event_saying_so(tmp_path: Path) -> None:
    vms = _manager(tmp_path)
    vm = _vm(vms, 1, POWERED_OFF, "VmCreatedEvent", "VmPoweredOnEvent")
    assert reconcile_power_events(vms, boot_time=time.time() + 1) == 1
    assert _newest(vms, vm) == ("VmDiedEvent", "vm1 was running when esx1 went down; it is powered off.")


def test_the_temporary_files_of_interrupted_vmx_writes_are_swept(tmp_path: Path) -> None:
    vms = _manager(tmp_path)
    folder = tmp_path / "web01"
    folder.mkdir()
    vm = VmRecord("vm-1", 1, folder / "web01.vmx", VmxConfig({"displayName": "web01"}))
    vms.vms[vm.id] = vm
    for name in (".web01.vmx.4242.tmp", ".web01.vmsd.17.tmp", "web01.vmx", ".other.tmp"):
        (folder / name).write_text("x")
    assert sweep_interrupted_writes(vms) == 2
    assert sorted(p.name for p in folder.iterdir()) == [".other.tmp", "web01.vmx"]


def test_a_destroy_killed_after_the_unregister_is_finished_by_the_next_hostd(tmp_path: Path) -> None:
    vms = _manager(tmp_path)
    folder = tmp_path / "gone01"
    folder.mkdir()
    (folder / "gone01-flat.vmdk").write_bytes(b"half deleted")
    task = Task(
        "task-9",
        "VirtualMachine.destroy",
        "vm-9",
        "gone01",
        "root",
        queue_time=0.0,
        recovery={"remove_unregistered_folder": str(folder)},
    )
    vms.recover([task])  # the journal says it never finished; the inventory no longer has the VM
    assert not folder.exists()
    assert _newest(vms, VmRecord("vm-9", 9, folder / "gone01.vmx", VmxConfig()))[0] == "VmRemovedEvent"

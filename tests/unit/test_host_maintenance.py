"""Maintenance mode and host power-down rules, with hostd's real task manager and event log."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pytest

from hostd.events import EventLog
from hostd.host_power import HostPower
from hostd.maintenance import MaintenanceMode, state_path
from hostd.tasks import Task, TaskManager
from hostd.vms import VmManager
from pyesx import faults
from pyesx.layout import HostLayout


@dataclass
class FakeVm:
    id: str
    name: str
    power_state: str = "poweredOff"


class FakeVms:
    """What maintenance mode reads of hostd's VmManager."""

    hostname = "esx01"

    def __init__(self, *vms: FakeVm) -> None:
        self.vms = {vm.id: vm for vm in vms}

    def all(self) -> list[FakeVm]:
        return list(self.vms.values())


def _mode(tmp_path: Path, vms: FakeVms, tasks: TaskManager) -> MaintenanceMode:
    (tmp_path / "log").mkdir(exist_ok=True)
    events = EventLog(tmp_path / "log" / "events.jsonl")
    return MaintenanceMode(HostLayout(tmp_path), cast(VmManager, vms), tasks, events)


async def test_enter_and_exit_persist_and_record_events(tmp_path: Path) -> None:
    tasks = TaskManager()
    mode = _mode(tmp_path, FakeVms(FakeVm("vm-1", "web01")), tasks)
    task = mode.enter()
    with pytest.raises(faults.InvalidState, match="entering maintenance mode"):
        mode.check_power_on("web01")  # from the moment the task is accepted
    done = await tasks.wait(task.id, 5)
    assert (done.state, mode.active) == ("success", True)
    with pytest.raises(faults.InvalidState, match="web01: the host is in maintenance mode"):
        mode.check_power_on("web01")
    assert _mode(tmp_path, FakeVms(), TaskManager()).active  # persisted
    await tasks.wait(mode.exit().id, 5)
    assert not mode.active and not _mode(tmp_path, FakeVms(), TaskManager()).active
    types = [e.type for e in mode.events.query()]
    assert types == [
        "ExitMaintenanceModeEvent",
        "EnteredMaintenanceModeEvent",
        "EnteringMaintenanceModeEvent",
    ]


async def test_refused_with_powered_on_vms_or_busy_ones(tmp_path: Path) -> None:
    tasks = TaskManager()
    vms = FakeVms(FakeVm("vm-1", "web01", "poweredOn"), FakeVm("vm-2", "db01"))
    mode = _mode(tmp_path, vms, tasks)
    with pytest.raises(faults.InvalidState, match=r"powered-on VMs \(web01\)"):
        mode.enter()
    vms.vms["vm-1"].power_state = "poweredOff"

    async def slow(task: Task) -> str:
        return "vm-2"

    busy = tasks.submit("VirtualMachine.powerOn", "vm-2", "db01", "root", slow)
    with pytest.raises(faults.InvalidState, match="in progress"):
        mode.enter()
    await tasks.wait(busy.id, 5)
    assert not mode.entering and not state_path(HostLayout(tmp_path)).exists()


async def test_concurrent_enters_and_exit_when_not_in_it(tmp_path: Path) -> None:
    tasks = TaskManager()
    mode = _mode(tmp_path, FakeVms(), tasks)
    with pytest.raises(faults.InvalidState, match="not in maintenance mode"):
        mode.exit()
    first = mode.enter()
    with pytest.raises(faults.TaskInProgress):
        mode.enter()
    await tasks.wait(first.id, 5)
    with pytest.raises(faults.InvalidState, match="already"):
        mode.enter()


async def test_power_down_needs_maintenance_mode_or_force(tmp_path: Path) -> None:
    tasks = TaskManager()
    mode = _mode(tmp_path, FakeVms(), tasks)
    stopped: list[str] = []
    requests: list[Any] = []

    async def stop_vms() -> None:
        stopped.append("stop actions")

    class FakeVmkernel:
        async def ShutdownHost(self, request: Any, **kwargs: Any) -> None:
            requests.append(request)

    power = HostPower(mode, tasks, mode.events, cast(Any, FakeVmkernel()), stop_vms)
    with pytest.raises(faults.InvalidState, match="not in maintenance mode"):
        power.power_down(reboot=True, force=False)
    done = await tasks.wait(power.power_down(reboot=True, force=True).id, 5)
    assert done.state == "success", done.error
    assert stopped == ["stop actions"] and [r.reboot for r in requests] == [True]
    with pytest.raises(faults.InvalidState, match="already shutting down"):
        power.power_down(reboot=False, force=True)

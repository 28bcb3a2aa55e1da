"""The fake host's console calls (mixed into ``FakeClient``): tickets, and screenshots written as real
PNGs into the fake datastore."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from clients.console import ConsoleTicket
from clients.model import VM, Task
from pyesx.faults import InvalidPowerState, NotFound
from vmx.console.screen import Screen
from vmx.console.screenshot import write_screenshot


class FakeConsole:
    vms: dict[str, VM]
    tasks: dict[str, Task]
    calls: list[tuple[object, ...]]
    server: str
    layout: Any
    _task: Any

    def _running(self, vm_id: str) -> VM:
        vm = self.vms.get(vm_id)
        if vm is None:
            raise NotFound("VirtualMachine", vm_id)
        if vm.power_state != "poweredOn":
            raise InvalidPowerState("poweredOn", vm.power_state)
        return vm

    def acquire_ticket(self, vm_id: str) -> ConsoleTicket:
        self.calls.append(("acquire_ticket", vm_id))
        self._running(vm_id)
        ticket = f"ticket-{len(self.calls)}"
        expires = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=30)
        url = f"pyesx+console://{self.server}/{vm_id}?ticket={ticket}"
        host, _, port = self.server.partition(":")
        return ConsoleTicket(ticket, host, int(port or 0), url, expires, vm_id)

    def create_screenshot(self, vm_id: str) -> Task:
        self.calls.append(("create_screenshot", vm_id))
        vm = self._running(vm_id)
        folder = vm.vmx_path.rpartition("/")[0]
        shots = sum(1 for c in self.calls if c[0] == "create_screenshot")
        path = f"{folder}/{vm.name}-{shots}.png"
        local = self.layout.resolve(path)
        local.parent.mkdir(parents=True, exist_ok=True)
        screen = Screen()
        screen.feed(f"{vm.name} console".encode())
        write_screenshot(screen.snapshot(), local)
        running: Task = self._task("VirtualMachine.createScreenshot", vm)
        self.tasks[running.id] = dataclasses.replace(self.tasks[running.id], result=path)
        return running

"""Maintenance mode: entered and left by tasks on the host, persisted across reboots.

Entering is refused (InvalidState) while any VM is powered on; while the host is in maintenance
mode, or entering it, a power-on is refused (InvalidState naming maintenance mode).
"""

from __future__ import annotations

import json
from pathlib import Path

from hostd.events import EventLog
from hostd.sessions import current_user
from hostd.tasks import Task, TaskManager
from hostd.vms import POWERED_ON, VmManager
from pyesx import faults
from pyesx.atomic import atomic_write
from pyesx.layout import HostLayout
from pyesx.logs import get_logger

HOST_ENTITY_ID = "ha-host"  # ESXi's managed object id of its one HostSystem
_log = get_logger("maintenance")


def state_path(layout: HostLayout) -> Path:
    return layout.etc / "vmware" / "hostd" / "maintenance.json"


class MaintenanceMode:
    def __init__(self, layout: HostLayout, vms: VmManager, tasks: TaskManager, events: EventLog) -> None:
        self.path = state_path(layout)
        self.vms, self.tasks, self.events = vms, tasks, events
        self.entering = False
        try:
            self.active = bool(json.loads(self.path.read_text()).get("inMaintenanceMode"))
        except (OSError, ValueError, AttributeError):
            self.active = False

    def _save(self, active: bool) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(self.path, json.dumps({"inMaintenanceMode": active}) + "\n")
        self.active = active

    def _powered_on(self) -> list[str]:
        return [vm.name for vm in self.vms.all() if vm.power_state == POWERED_ON]

    def check_power_on(self, vm_name: str) -> None:
        """InvalidState when a VM may not power on because of maintenance mode."""
        if self.active or self.entering:
            raise faults.InvalidState(
                "maintenanceMode",
                f"Cannot power on {vm_name}: the host is in maintenance mode"
                if self.active
                else f"Cannot power on {vm_name}: the host is entering maintenance mode",
            )

    def enter(self) -> Task:
        """EnterMaintenanceMode_Task: InvalidState if already in it or VMs are powered on."""
        if self.active:
            raise faults.InvalidState("inMaintenanceMode", "The host is already in maintenance mode.")
        self._refuse_running()
        hostname = self.vms.hostname

        async def work(task: Task) -> str:
            try:
                self.events.record(
                    "EnteringMaintenanceModeEvent",
                    f"Host {hostname} is entering maintenance mode",
                    user=task.user,
                )
                self._refuse_running()
                self._save(True)
            finally:
                self.entering = False
            self.events.record(
                "EnteredMaintenanceModeEvent",
                f"Host {hostname} in ha-datacenter has entered maintenance mode",
                user=task.user,
            )
            _log.info("host.entered_maintenance_mode")
            return HOST_ENTITY_ID

        self.entering = True  # from now on no VM powers on
        try:
            return self.tasks.submit(
                "HostSystem.enterMaintenanceMode", HOST_ENTITY_ID, hostname, current_user(), work
            )
        except faults.VimFault:
            self.entering = False
            raise

    def exit(self) -> Task:
        """ExitMaintenanceMode_Task: InvalidState when the host is not in maintenance mode."""
        if not self.active:
            raise faults.InvalidState("notInMaintenanceMode", "The host is not in maintenance mode.")
        hostname = self.vms.hostname

        async def work(task: Task) -> str:
            self._save(False)
            self.events.record(
                "ExitMaintenanceModeEvent",
                f"Host {hostname} in ha-datacenter has exited maintenance mode",
                user=task.user,
            )
            _log.info("host.exited_maintenance_mode")
            return HOST_ENTITY_ID

        return self.tasks.submit(
            "HostSystem.exitMaintenanceMode", HOST_ENTITY_ID, hostname, current_user(), work
        )

    def _refuse_running(self) -> None:
        running = self._powered_on()
        if running:
            raise faults.InvalidState(
                "poweredOnVms",
                f"The host has powered-on VMs ({', '.join(running[:10])}); power them off or move them "
                "before entering maintenance mode.",
            )
        busy = [vm.name for vm in self.vms.all() if self.tasks.busy_task(vm.id)]
        if busy:
            raise faults.InvalidState(
                "vmTasksRunning", f"VMs have operations in progress ({', '.join(busy[:10])})."
            )

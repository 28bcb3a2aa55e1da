"""Rebooting and shutting the host down (RebootHost_Task, ShutdownHost_Task).

Without ``force`` the host must be in maintenance mode (ESXi's rule; else InvalidState). The
task runs the VMs' autostart stop actions in reverse order, then asks the VMkernel to stop
every world and exit — and, for a reboot, to boot again on the same root.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from hostd.events import EventLog
from hostd.maintenance import HOST_ENTITY_ID, MaintenanceMode
from hostd.sessions import current_user
from hostd.tasks import Task, TaskManager
from pyesx import faults
from pyesx.logs import get_logger
from pyesx.rpc.channel import call
from pyesx.vmkernel.v1 import vmkernel_pb2, vmkernel_pb2_grpc

_log = get_logger("host_power")


class HostPower:
    def __init__(
        self,
        maintenance: MaintenanceMode,
        tasks: TaskManager,
        events: EventLog,
        vmkernel: vmkernel_pb2_grpc.VMkernelStub,
        stop_vms: Callable[[], Awaitable[None]],
    ) -> None:
        self.maintenance, self.tasks, self.events = maintenance, tasks, events
        self.vmkernel, self.stop_vms = vmkernel, stop_vms
        self.going_down = False

    def power_down(self, reboot: bool, force: bool, requested_by: str | None = None) -> Task:
        """Start the reboot (or shutdown) task; InvalidState outside maintenance mode without force.
        The task's user is the session's, or ``requested_by`` (the host itself was signalled)."""
        what = "reboot" if reboot else "shut down"
        if not force and not self.maintenance.active:
            raise faults.InvalidState(
                "notInMaintenanceMode",
                f"The host is not in maintenance mode; enter it first or {what} with force.",
            )
        if self.going_down:
            raise faults.InvalidState("hostShuttingDown", "The host is already shutting down.")
        hostname = self.maintenance.vms.hostname

        async def work(task: Task) -> str:
            self.going_down = True
            _log.info("host.powering_down", reboot=reboot, force=force, user=task.user)
            self.events.record(
                "HostShutdownEvent",
                f"Host {hostname} is {'rebooting' if reboot else 'shutting down'}: requested by {task.user}",
                user=task.user,
            )
            try:
                await self.stop_vms()
                await call(self.vmkernel.ShutdownHost, vmkernel_pb2.ShutdownHostRequest(reboot=reboot))
            except BaseException:
                self.going_down = False
                raise
            return HOST_ENTITY_ID

        description = "HostSystem.reboot" if reboot else "HostSystem.shutdown"
        user = current_user() if requested_by is None else requested_by
        return self.tasks.submit(description, HOST_ENTITY_ID, hostname, user, work)

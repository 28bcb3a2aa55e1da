"""The public HostService: the host's state, plus the host operations (advanced settings,
maintenance mode, autostart, reboot and shutdown, logs). Thin: it converts and calls the domain
modules."""

from __future__ import annotations

from dataclasses import dataclass

from hostd import host_logs
from hostd.autostart import AutoStart, Defaults, PowerInfo
from hostd.convert import task_to_proto
from hostd.host_catalogue import LOG_LEVEL
from hostd.host_power import HostPower
from hostd.host_reset import reset_configuration
from hostd.host_settings import CurrentSetting, HostSettings, text_of
from hostd.maintenance import MaintenanceMode
from hostd.service import Ctx, Hostd, HostServicer
from pyesx.api.v1 import host_pb2, task_pb2
from pyesx.layout import HostLayout
from pyesx.logs import flush, set_level


@dataclass
class HostOps:
    """The domain objects behind the host operations."""

    layout: HostLayout
    settings: HostSettings
    maintenance: MaintenanceMode
    autostart: AutoStart
    power: HostPower


def _option(current: CurrentSetting) -> host_pb2.HostOption:
    s = current.setting
    return host_pb2.HostOption(
        key=s.key,
        value=text_of(current.value),
        type=s.type,
        default_value=text_of(s.default),
        min=s.min,
        max=s.max,
        choices=s.choices,
        summary=s.summary,
    )


def _defaults_proto(d: Defaults) -> host_pb2.AutoStartDefaults:
    return host_pb2.AutoStartDefaults(
        enabled=d.enabled,
        start_delay=d.start_delay,
        stop_delay=d.stop_delay,
        wait_for_heartbeat=d.wait_for_heartbeat,
        stop_action=d.stop_action,
    )


class HostOpsServicer(HostServicer):
    def __init__(self, hostd: Hostd, ops: HostOps) -> None:
        super().__init__(hostd)
        self.ops = ops

    async def GetHost(self, request: host_pb2.GetHostRequest, context: Ctx) -> host_pb2.Host:
        host = await super().GetHost(request, context)
        host.in_maintenance_mode = self.ops.maintenance.active
        return host

    # -- advanced settings ----------------------------------------------------------------------

    async def QueryHostOptions(
        self, request: host_pb2.QueryHostOptionsRequest, context: Ctx
    ) -> host_pb2.HostOptions:
        return host_pb2.HostOptions(options=[_option(c) for c in self.ops.settings.query(request.keys)])

    async def UpdateHostOptions(
        self, request: host_pb2.UpdateHostOptionsRequest, context: Ctx
    ) -> host_pb2.HostOptions:
        updated = self.ops.settings.update(request.values)
        if LOG_LEVEL in request.values:
            set_level(str(self.ops.settings.get(LOG_LEVEL)))
        return host_pb2.HostOptions(options=[_option(c) for c in updated])

    # -- maintenance mode -----------------------------------------------------------------------

    async def EnterMaintenanceMode(
        self, request: host_pb2.EnterMaintenanceModeRequest, context: Ctx
    ) -> task_pb2.Task:
        return task_to_proto(self.ops.maintenance.enter())

    async def ExitMaintenanceMode(
        self, request: host_pb2.ExitMaintenanceModeRequest, context: Ctx
    ) -> task_pb2.Task:
        return task_to_proto(self.ops.maintenance.exit())

    # -- autostart ------------------------------------------------------------------------------

    def _autostart_config(self) -> host_pb2.AutoStartConfig:
        autostart = self.ops.autostart
        return host_pb2.AutoStartConfig(
            defaults=_defaults_proto(autostart.defaults),
            power_info=[
                host_pb2.AutoPowerInfo(
                    vm_id=p.vm_id,
                    vm_name=self.vms.vms[p.vm_id].name,
                    start_order=p.start_order,
                    start_delay=p.start_delay,
                    wait_for_heartbeat=p.wait_for_heartbeat,
                    start_action=p.start_action,
                    stop_delay=p.stop_delay,
                    stop_action=p.stop_action,
                )
                for p in autostart.power_info()
            ],
        )

    async def GetAutoStartConfig(
        self, request: host_pb2.GetAutoStartConfigRequest, context: Ctx
    ) -> host_pb2.AutoStartConfig:
        return self._autostart_config()

    async def ReconfigureAutoStart(
        self, request: host_pb2.ReconfigureAutoStartRequest, context: Ctx
    ) -> host_pb2.AutoStartConfig:
        d = request.defaults
        defaults = (
            Defaults(d.enabled, d.start_delay, d.stop_delay, d.wait_for_heartbeat, d.stop_action)
            if request.HasField("defaults")
            else None
        )
        power_info = [
            PowerInfo(
                p.vm_id,
                p.start_order,
                p.start_delay,
                p.wait_for_heartbeat,
                p.start_action,
                p.stop_delay,
                p.stop_action,
            )
            for p in request.power_info
        ]
        self.ops.autostart.reconfigure(defaults, power_info)
        return self._autostart_config()

    # -- reboot and shutdown --------------------------------------------------------------------

    async def RebootHost(self, request: host_pb2.HostPowerRequest, context: Ctx) -> task_pb2.Task:
        return task_to_proto(self.ops.power.power_down(reboot=True, force=request.force))

    async def ShutdownHost(self, request: host_pb2.HostPowerRequest, context: Ctx) -> task_pb2.Task:
        return task_to_proto(self.ops.power.power_down(reboot=False, force=request.force))

    async def ResetSystemConfiguration(
        self, request: host_pb2.ResetSystemConfigurationRequest, context: Ctx
    ) -> task_pb2.Task:
        ops = self.ops
        return task_to_proto(reset_configuration(ops.layout, self.vms, ops.power.events, ops.power))

    # -- logs -----------------------------------------------------------------------------------

    async def ListLogTypes(self, request: host_pb2.ListLogTypesRequest, context: Ctx) -> host_pb2.LogTypes:
        return host_pb2.LogTypes(
            types=[
                host_pb2.LogType(key=t.key, file_name=t.file_name, summary=t.summary)
                for t in host_logs.LOG_TYPES
            ]
        )

    async def BrowseLog(self, request: host_pb2.BrowseLogRequest, context: Ctx) -> host_pb2.LogLines:
        flush()  # hostd's own lines buffered so far (the VMkernel's follow within 0.2 s)
        found = host_logs.browse(self.ops.layout, request.key, request.start_line_num, request.num_lines)
        return host_pb2.LogLines(
            key=found.key,
            start_line_num=found.start_line_num,
            end_line_num=found.end_line_num,
            total_lines=found.total_lines,
            lines=found.lines,
        )

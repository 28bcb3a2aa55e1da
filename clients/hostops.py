"""The SDK's host operations: advanced settings, maintenance mode, autostart, reboot and shutdown,
and the host's logs. Mixed into ``clients.sdk.Client``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from clients.model import Task
from pyesx.api.v1 import host_pb2, host_pb2_grpc, task_pb2


@dataclass(frozen=True)
class HostSetting:
    """One host advanced setting: its value as text, its type (int, bool, string) and range."""

    key: str
    value: str
    type: str
    default_value: str
    min: int
    max: int
    choices: tuple[str, ...]
    summary: str


@dataclass(frozen=True)
class AutoStartDefaults:
    """The host's autostart defaults (Get-VMHostStartPolicy)."""

    enabled: bool = False
    start_delay: int = 120
    stop_delay: int = 120
    wait_for_heartbeat: bool = False
    stop_action: str = "powerOff"  # powerOff | suspend | guestShutdown | none


@dataclass(frozen=True)
class AutoPowerInfo:
    """One VM's autostart entry (Get-VMStartPolicy); -1 and systemDefault take the host's defaults."""

    vm_id: str
    vm_name: str = ""
    start_order: int = -1
    start_delay: int = -1
    wait_for_heartbeat: str = "systemDefault"  # yes | no | systemDefault
    start_action: str = "none"  # powerOn | none
    stop_delay: int = -1
    stop_action: str = "systemDefault"  # powerOff | suspend | guestShutdown | none | systemDefault


@dataclass(frozen=True)
class AutoStartConfig:
    defaults: AutoStartDefaults
    power_info: tuple[AutoPowerInfo, ...]  # in start order


@dataclass(frozen=True)
class LogType:
    key: str
    file_name: str
    summary: str


@dataclass(frozen=True)
class LogLines:
    key: str
    start_line_num: int
    end_line_num: int
    total_lines: int
    lines: tuple[str, ...]


def setting_from_proto(m: host_pb2.HostOption) -> HostSetting:
    return HostSetting(m.key, m.value, m.type, m.default_value, m.min, m.max, tuple(m.choices), m.summary)


def settings_from_proto(m: host_pb2.HostOptions) -> list[HostSetting]:
    return [setting_from_proto(o) for o in m.options]


def autostart_from_proto(m: host_pb2.AutoStartConfig) -> AutoStartConfig:
    d = m.defaults
    return AutoStartConfig(
        AutoStartDefaults(d.enabled, d.start_delay, d.stop_delay, d.wait_for_heartbeat, d.stop_action),
        tuple(
            AutoPowerInfo(
                p.vm_id,
                p.vm_name,
                p.start_order,
                p.start_delay,
                p.wait_for_heartbeat,
                p.start_action,
                p.stop_delay,
                p.stop_action,
            )
            for p in m.power_info
        ),
    )


def autostart_request(
    defaults: AutoStartDefaults | None, power_info: list[AutoPowerInfo]
) -> host_pb2.ReconfigureAutoStartRequest:
    request = host_pb2.ReconfigureAutoStartRequest(
        power_info=[
            host_pb2.AutoPowerInfo(
                vm_id=p.vm_id,
                start_order=p.start_order,
                start_delay=p.start_delay,
                wait_for_heartbeat=p.wait_for_heartbeat,
                start_action=p.start_action,
                stop_delay=p.stop_delay,
                stop_action=p.stop_action,
            )
            for p in power_info
        ]
    )
    if defaults is not None:
        request.defaults.CopyFrom(
            host_pb2.AutoStartDefaults(
                enabled=defaults.enabled,
                start_delay=defaults.start_delay,
                stop_delay=defaults.stop_delay,
                wait_for_heartbeat=defaults.wait_for_heartbeat,
                stop_action=defaults.stop_action,
            )
        )
    return request


def log_types_from_proto(m: host_pb2.LogTypes) -> list[LogType]:
    return [LogType(t.key, t.file_name, t.summary) for t in m.types]


def log_lines_from_proto(m: host_pb2.LogLines) -> LogLines:
    return LogLines(m.key, m.start_line_num, m.end_line_num, m.total_lines, tuple(m.lines))


class HostOperationCalls:
    """Host operation calls of a logged-in ``Client``."""

    _host: host_pb2_grpc.HostServiceStub
    _call: Callable[..., Any]
    _task: Callable[[task_pb2.Task], Task]

    def host_settings(self, keys: list[str] | None = None) -> list[HostSetting]:
        """The host's advanced settings (all, or these exact keys): Get-AdvancedSetting -Entity host."""
        request = host_pb2.QueryHostOptionsRequest(keys=keys or [])
        return settings_from_proto(self._call(self._host.QueryHostOptions, request))

    def update_host_settings(self, values: Mapping[str, str]) -> list[HostSetting]:
        """Set these settings (all validated first; InvalidArgument changes nothing)."""
        request = host_pb2.UpdateHostOptionsRequest(values=dict(values))
        return settings_from_proto(self._call(self._host.UpdateHostOptions, request))

    def enter_maintenance_mode(self) -> Task:
        return self._task(self._call(self._host.EnterMaintenanceMode, host_pb2.EnterMaintenanceModeRequest()))

    def exit_maintenance_mode(self) -> Task:
        return self._task(self._call(self._host.ExitMaintenanceMode, host_pb2.ExitMaintenanceModeRequest()))

    def autostart(self) -> AutoStartConfig:
        return autostart_from_proto(
            self._call(self._host.GetAutoStartConfig, host_pb2.GetAutoStartConfigRequest())
        )

    def reconfigure_autostart(
        self, defaults: AutoStartDefaults | None = None, power_info: list[AutoPowerInfo] | None = None
    ) -> AutoStartConfig:
        """Replace the defaults (when given) and these VMs' entries, all or nothing."""
        request = autostart_request(defaults, power_info or [])
        return autostart_from_proto(self._call(self._host.ReconfigureAutoStart, request))

    def reboot_host(self, force: bool = False) -> Task:
        """Reboot the host (its VMs' stop actions first); without force it must be in maintenance mode."""
        return self._task(self._call(self._host.RebootHost, host_pb2.HostPowerRequest(force=force)))

    def shutdown_host(self, force: bool = False) -> Task:
        return self._task(self._call(self._host.ShutdownHost, host_pb2.HostPowerRequest(force=force)))

    def reset_system_configuration(self) -> Task:
        """The DCUI's Reset System Configuration: install defaults at the reboot this task starts
        (root's password and the TLS certificate kept; VMs unregistered, their files kept)."""
        request = host_pb2.ResetSystemConfigurationRequest()
        return self._task(self._call(self._host.ResetSystemConfiguration, request))

    def log_types(self) -> list[LogType]:
        return log_types_from_proto(self._call(self._host.ListLogTypes, host_pb2.ListLogTypesRequest()))

    def browse_log(self, key: str, start_line_num: int = 0, num_lines: int = 0) -> LogLines:
        """Lines of a host log (hostd, vmkernel): from start_line_num, or the last num_lines."""
        request = host_pb2.BrowseLogRequest(key=key, start_line_num=start_line_num, num_lines=num_lines)
        return log_lines_from_proto(self._call(self._host.BrowseLog, request))

"""The fake host's host operations (mixed into ``FakeClient``): advanced settings, maintenance mode,
autostart, reboot and shutdown, logs. Validation is hostd's own (``hostd.host_settings.parse``,
``hostd.autostart.check_*``), so a value the fake takes is one the real host takes."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping

from clients.hostops import AutoPowerInfo, AutoStartConfig, AutoStartDefaults, HostSetting, LogLines, LogType
from clients.model import VM, Task
from hostd import autostart, host_logs
from hostd.host_catalogue import CATALOGUE
from hostd.host_settings import parse, text_of
from pyesx.faults import InvalidArgument, InvalidState, NotFound

HOST_ENTITY = ("ha-host", "esx01")
LOG_LINES = {"hostd": [f"hostd line {n}" for n in range(1, 31)], "vmkernel": ["vmkernel line 1"]}


class FakeHostOps:
    vms: dict[str, VM]
    calls: list[tuple[object, ...]]
    _run: Callable[..., Task]

    def __init__(self) -> None:
        self.host_values: dict[str, int | bool | str] = {}
        self.in_maintenance = False
        self.autostart_defaults = AutoStartDefaults()
        self.autostart_entries: dict[str, AutoPowerInfo] = {}
        self.host_power: list[tuple[str, bool]] = []  # (reboot | shutdown, force)

    def _setting(self, key: str) -> HostSetting:
        s = CATALOGUE[key]
        value = text_of(self.host_values.get(key, s.default))
        return HostSetting(key, value, s.type, text_of(s.default), s.min, s.max, s.choices, s.summary)

    def host_settings(self, keys: list[str] | None = None) -> list[HostSetting]:
        self.calls.append(("host_settings", keys))
        for key in keys or []:
            if key not in CATALOGUE:
                raise InvalidArgument("key", f"'{key}' is not a host advanced setting")
        return [self._setting(k) for k in sorted(keys or CATALOGUE)]

    def update_host_settings(self, values: Mapping[str, str]) -> list[HostSetting]:
        self.calls.append(("update_host_settings", dict(values)))
        for key in values:
            if key not in CATALOGUE:
                raise InvalidArgument("key", f"'{key}' is not a host advanced setting")
        parsed = {key: parse(CATALOGUE[key], text) for key, text in values.items()}
        self.host_values.update(parsed)
        return [self._setting(k) for k in sorted(parsed)]

    def enter_maintenance_mode(self) -> Task:
        self.calls.append(("enter_maintenance_mode",))
        if self.in_maintenance:
            raise InvalidState("inMaintenanceMode", "The host is already in maintenance mode.")
        running = [vm.name for vm in self.vms.values() if vm.power_state == "poweredOn"]
        if running:
            raise InvalidState("poweredOnVms", f"The host has powered-on VMs ({', '.join(running)})")

        def enter() -> str:
            self.in_maintenance = True
            return "ha-host"

        return self._run("HostSystem.enterMaintenanceMode", None, enter, HOST_ENTITY)

    def exit_maintenance_mode(self) -> Task:
        self.calls.append(("exit_maintenance_mode",))
        if not self.in_maintenance:
            raise InvalidState("notInMaintenanceMode", "The host is not in maintenance mode.")

        def leave() -> str:
            self.in_maintenance = False
            return "ha-host"

        return self._run("HostSystem.exitMaintenanceMode", None, leave, HOST_ENTITY)

    def check_maintenance(self, vm: VM) -> None:
        if self.in_maintenance:
            raise InvalidState(
                "maintenanceMode", f"Cannot power on {vm.name}: the host is in maintenance mode"
            )

    def autostart(self) -> AutoStartConfig:
        self.calls.append(("autostart",))
        live = [p for p in self.autostart_entries.values() if p.vm_id in self.vms]
        ordered = sorted(live, key=lambda p: (p.start_order == -1, p.start_order, p.vm_id))
        return AutoStartConfig(
            self.autostart_defaults,
            tuple(dataclasses.replace(p, vm_name=self.vms[p.vm_id].name) for p in ordered),
        )

    def reconfigure_autostart(
        self, defaults: AutoStartDefaults | None = None, power_info: list[AutoPowerInfo] | None = None
    ) -> AutoStartConfig:
        self.calls.append(("reconfigure_autostart", defaults, power_info))
        if defaults is not None:
            autostart.check_defaults(autostart.Defaults(**dataclasses.asdict(defaults)))
        for p in power_info or []:
            if p.vm_id not in self.vms:
                raise NotFound("VirtualMachine", p.vm_id)
            fields = {k: v for k, v in dataclasses.asdict(p).items() if k != "vm_name"}
            autostart.check_power_info(autostart.PowerInfo(**fields))
        self.autostart_defaults = defaults or self.autostart_defaults
        self.autostart_entries.update({p.vm_id: p for p in power_info or []})
        return self.autostart()

    def _power_down(self, what: str, force: bool) -> Task:
        self.calls.append((what, force))
        if not force and not self.in_maintenance:
            raise InvalidState("notInMaintenanceMode", "The host is not in maintenance mode.")
        self.host_power.append((what, force))
        return self._run(f"HostSystem.{what}", None, lambda: "ha-host", HOST_ENTITY)

    def reboot_host(self, force: bool = False) -> Task:
        return self._power_down("reboot", force)

    def shutdown_host(self, force: bool = False) -> Task:
        return self._power_down("shutdown", force)

    def log_types(self) -> list[LogType]:
        self.calls.append(("log_types",))
        return [LogType(t.key, t.file_name, t.summary) for t in host_logs.LOG_TYPES]

    def browse_log(self, key: str, start_line_num: int = 0, num_lines: int = 0) -> LogLines:
        self.calls.append(("browse_log", key, start_line_num, num_lines))
        if key not in LOG_LINES:
            raise InvalidArgument("key", f"'{key}' is not a log key; valid keys are hostd, vmkernel")
        lines = LOG_LINES[key]
        count = num_lines or host_logs.DEFAULT_LINES
        first = max(len(lines) - count, 0) if start_line_num == 0 else min(start_line_num - 1, len(lines))
        chosen = lines[first : first + count]
        return LogLines(key, first + 1 if chosen else 0, first + len(chosen), len(lines), tuple(chosen))

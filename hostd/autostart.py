"""VM autostart (ESXi's HostAutoStartManager): the host's defaults and one entry per VM, and their store.

Stored in ``etc/vmware/hostd/autostart.json`` (atomically). A reconfiguration is validated whole
first (unknown VM: NotFound; bad action, order or delay: InvalidArgument) and changes nothing
when any part is refused. ``hostd.autostart_run`` carries the entries out at boot and shutdown.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from pyesx import faults
from pyesx.atomic import atomic_write
from pyesx.layout import HostLayout
from pyesx.logs import get_logger

SYSTEM_DEFAULT = "systemDefault"
START_ACTIONS = ("none", "powerOn")
DEFAULT_STOP_ACTIONS = ("none", "powerOff", "suspend", "guestShutdown")
STOP_ACTIONS = (*DEFAULT_STOP_ACTIONS, SYSTEM_DEFAULT)
HEARTBEAT = ("yes", "no", SYSTEM_DEFAULT)
MAX_DELAY_S = 86400  # (model) a day; ESXi takes any int
MAX_ORDER = 1024  # VMs per host
_log = get_logger("autostart")


@dataclass(frozen=True)
class Defaults:
    """ESXi's defaults: autostart off, 120 s delays, stop by powering off."""

    enabled: bool = False
    start_delay: int = 120
    stop_delay: int = 120
    wait_for_heartbeat: bool = False
    stop_action: str = "powerOff"


@dataclass(frozen=True)
class PowerInfo:
    """One VM's entry; -1 and systemDefault take the host's defaults."""

    vm_id: str
    start_order: int = -1
    start_delay: int = -1
    wait_for_heartbeat: str = SYSTEM_DEFAULT
    start_action: str = "none"
    stop_delay: int = -1
    stop_action: str = SYSTEM_DEFAULT


def store_path(layout: HostLayout) -> Path:
    return layout.etc / "vmware" / "hostd" / "autostart.json"


def _choice(argument: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise faults.InvalidArgument(argument, f"'{value[:40]}' is not one of {', '.join(allowed)}")
    return value


def _delay(argument: str, value: int, allow_default: bool) -> int:
    low = -1 if allow_default else 0
    if not low <= value <= MAX_DELAY_S:
        raise faults.InvalidArgument(
            argument, f"{value} is out of range; it takes {low} to {MAX_DELAY_S} seconds"
        )
    return value


def check_defaults(d: Defaults) -> Defaults:
    _delay("startDelay", d.start_delay, allow_default=False)
    _delay("stopDelay", d.stop_delay, allow_default=False)
    _choice("stopAction", d.stop_action, DEFAULT_STOP_ACTIONS)
    return d


def check_power_info(p: PowerInfo) -> PowerInfo:
    if p.start_order != -1 and not 1 <= p.start_order <= MAX_ORDER:
        raise faults.InvalidArgument(
            "startOrder", f"{p.start_order} is out of range; it takes -1 or 1 to {MAX_ORDER}"
        )
    _delay("startDelay", p.start_delay, allow_default=True)
    _delay("stopDelay", p.stop_delay, allow_default=True)
    _choice("startAction", p.start_action, START_ACTIONS)
    _choice("stopAction", p.stop_action, STOP_ACTIONS)
    _choice("waitForHeartbeat", p.wait_for_heartbeat, HEARTBEAT)
    return p


class AutoStart:
    """The autostart configuration; ``exists`` says whether a VM id is registered."""

    def __init__(self, layout: HostLayout, exists: Callable[[str], bool]) -> None:
        self.path, self.exists = store_path(layout), exists
        self.defaults = Defaults()
        self.entries: dict[str, PowerInfo] = {}
        try:
            stored = json.loads(self.path.read_text())
            self.defaults = check_defaults(Defaults(**stored.get("defaults", {})))
            for raw in stored.get("powerInfo", []):
                info = check_power_info(PowerInfo(**raw))
                self.entries[info.vm_id] = info
        except FileNotFoundError:
            pass
        except (OSError, ValueError, TypeError, AttributeError, faults.VimFault) as exc:
            _log.error("autostart.unreadable", path=str(self.path), reason=str(exc))

    def power_info(self) -> list[PowerInfo]:
        """Entries of registered VMs in start order: ordered ones by order, then the rest."""
        live = [p for p in self.entries.values() if self.exists(p.vm_id)]
        return sorted(live, key=lambda p: (p.start_order == -1, p.start_order, p.vm_id))

    def reconfigure(self, defaults: Defaults | None, power_info: list[PowerInfo]) -> None:
        """Replace the defaults (when given) and these VMs' entries, all or nothing."""
        new_defaults = check_defaults(defaults) if defaults is not None else self.defaults
        entries = dict(self.entries)
        for info in power_info:
            if not self.exists(info.vm_id):
                raise faults.NotFound("VirtualMachine", info.vm_id)
            entries[info.vm_id] = check_power_info(info)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        live = [asdict(p) for p in entries.values() if self.exists(p.vm_id)]
        atomic_write(
            self.path, json.dumps({"defaults": asdict(new_defaults), "powerInfo": live}, indent=2) + "\n"
        )
        self.defaults, self.entries = new_defaults, {p["vm_id"]: PowerInfo(**p) for p in live}
        _log.info("autostart.reconfigured", enabled=new_defaults.enabled, vms=[p.vm_id for p in power_info])

    def start_delay(self, info: PowerInfo) -> int:
        return self.defaults.start_delay if info.start_delay == -1 else info.start_delay

    def stop_delay(self, info: PowerInfo) -> int:
        return self.defaults.stop_delay if info.stop_delay == -1 else info.stop_delay

    def stop_action(self, info: PowerInfo) -> str:
        return self.defaults.stop_action if info.stop_action == SYSTEM_DEFAULT else info.stop_action

    def wait_for_heartbeat(self, info: PowerInfo) -> bool:
        if info.wait_for_heartbeat == SYSTEM_DEFAULT:
            return self.defaults.wait_for_heartbeat
        return info.wait_for_heartbeat == "yes"

    def entry(self, vm_id: str) -> PowerInfo:
        return self.entries.get(vm_id, PowerInfo(vm_id))

"""ResetSystemConfiguration: ask the next boot to reset the host's configuration, then reboot.

Refused (InvalidState) while any VM is not powered off: the reset unregisters them all, and a
running VM must not lose its host's records. See ``pyesx.config_reset`` for what is reset and kept.
"""

from __future__ import annotations

from hostd.events import EventLog
from hostd.host_power import HostPower
from hostd.sessions import current_user
from hostd.tasks import Task
from hostd.vms import POWERED_OFF, VmManager
from pyesx import config_reset, faults
from pyesx.layout import HostLayout
from pyesx.logs import get_logger

_log = get_logger("host_reset")


def reset_configuration(layout: HostLayout, vms: VmManager, events: EventLog, power: HostPower) -> Task:
    """Write the reset request and start the reboot task that carries it out."""
    active = sorted(vm.name for vm in vms.all() if vm.power_state != POWERED_OFF)
    if active:
        raise faults.InvalidState(
            "vmsNotPoweredOff",
            f"Power off every VM before resetting the configuration ({', '.join(active[:10])}"
            f"{', …' if len(active) > 10 else ''} are not).",
        )
    user = current_user()
    config_reset.request(layout, user)
    try:
        task = power.power_down(reboot=True, force=True)
    except BaseException:
        config_reset.marker_path(layout).unlink(missing_ok=True)
        raise
    _log.info("host.config_reset_requested", user=user)
    events.record(
        "HostConfigResetEvent", f"User {user} reset the host's configuration; the host reboots", user=user
    )
    return task

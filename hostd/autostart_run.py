"""Carrying out autostart: power VMs on in order after the host boots, stop them in reverse at shutdown.

The boot sequence runs once per host boot: hostd leaves ``run/autostart.done`` behind, and
``run/`` is emptied only when the VMkernel boots, so a restarted hostd (``services.sh restart``)
does not power on again what the user powered off.
"""

from __future__ import annotations

import asyncio
import time

from hostd.autostart import AutoStart, PowerInfo
from hostd.power import PowerOps
from hostd.vms import POWERED_OFF, POWERED_ON, VmManager
from pyesx import faults
from pyesx.layout import HostLayout
from pyesx.logs import get_logger

_log = get_logger("autostart")


def boot_marker(layout: HostLayout) -> bool:
    """True the first time it is called after a VMkernel boot (it leaves the marker in run/)."""
    marker = layout.run / "autostart.done"
    try:
        marker.touch(exist_ok=False)
    except FileExistsError:
        return False
    return True


async def _heartbeat(power: PowerOps, vm_id: str, timeout: float) -> None:
    """Wait until the guest's tools run, at most timeout seconds (ESXi's waitForHeartbeat)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        info = await power.guest_info(vm_id)
        if info.tools_running_status == "guestToolsRunning":
            return
        await asyncio.sleep(min(1.0, max(0.0, deadline - time.monotonic())))


async def start_all(autostart: AutoStart, vms: VmManager, power: PowerOps, enabled: bool = True) -> list[str]:
    """Power on every VM whose StartAction is powerOn, in start order with its delay; return their ids
    (none when not ``enabled``: hostd restarted without a host boot)."""
    if not enabled or not autostart.defaults.enabled:
        return []
    started = []
    for info in [p for p in autostart.power_info() if p.start_action == "powerOn"]:
        vm = vms.vms.get(info.vm_id)
        if vm is None or vm.power_state == POWERED_ON:
            continue
        try:
            task = power.power_on(vm.id)
            await task.done.wait()
        except faults.VimFault as fault:
            _log.error("autostart.power_on_refused", vm_id=vm.id, vm=vm.name, reason=fault.message)
            continue
        if task.error is not None:
            _log.error("autostart.power_on_failed", vm_id=vm.id, vm=vm.name, reason=str(task.error))
            continue
        started.append(vm.id)
        _log.info("autostart.powered_on", vm_id=vm.id, vm=vm.name, order=info.start_order)
        delay = autostart.start_delay(info)
        if autostart.wait_for_heartbeat(info):
            await _heartbeat(power, vm.id, delay)
        elif delay:
            await asyncio.sleep(delay)  # ESXi's start delay before the next VM
    return started


async def _stop_one(autostart: AutoStart, vms: VmManager, power: PowerOps, info: PowerInfo) -> None:
    vm = vms.vms[info.vm_id]
    action = autostart.stop_action(info)
    if action == "none":
        return
    if action == "guestShutdown":
        try:
            await power.guest_power(vm.id, "shutdown")
            deadline = time.monotonic() + autostart.stop_delay(info)
            while vm.power_state != POWERED_OFF and time.monotonic() < deadline:  # noqa: ASYNC110
                await asyncio.sleep(0.1)  # the world event that powers it off lands in vms; poll it
        except faults.VimFault as fault:
            _log.warning("autostart.guest_shutdown_refused", vm_id=vm.id, reason=fault.message)
        if vm.power_state != POWERED_ON:
            return
        action = "powerOff"  # the guest did not stop in time: ESXi powers it off
    task = power.suspend(vm.id) if action == "suspend" else power.power_off(vm.id)
    await task.done.wait()


async def stop_all(autostart: AutoStart, vms: VmManager, power: PowerOps) -> None:
    """Run the stop actions of running VMs in reverse start order (when autostart is enabled)."""
    if not autostart.defaults.enabled:
        return
    for info in reversed(autostart.power_info()):
        vm = vms.vms.get(info.vm_id)
        if vm is None or vm.power_state != POWERED_ON:
            continue
        try:
            await _stop_one(autostart, vms, power, info)
        except faults.VimFault as fault:
            _log.error("autostart.stop_failed", vm_id=vm.id, vm=vm.name, reason=fault.message)

"""At hostd start-up, make the event log explain every VM's power state (and sweep the debris of
writes a killed hostd left).

A VM can change state while no hostd watches it: its vmx dies while hostd is down, the host
crashes (the VMkernel is killed and boots again: every VM is off), or hostd dies after a power
operation ended but before it recorded the event. Afterwards the VM's newest power event would
contradict its state. For each such VM, record the event that closes the gap, as hostd would have
recorded it had it been watching.
"""

from __future__ import annotations

from hostd.events import EventFilter
from hostd.vms import POWERED_OFF, POWERED_ON, SUSPENDED, VmManager, VmRecord

#: event -> the state it leaves the VM in
STATE_AFTER = {
    "VmCreatedEvent": POWERED_OFF,
    "VmPoweredOnEvent": POWERED_ON,
    "VmResettingEvent": POWERED_ON,
    "VmPoweredOffEvent": POWERED_OFF,
    "VmDiedEvent": POWERED_OFF,
    "VmSuspendedEvent": SUSPENDED,
}
IN_PROGRESS = {"VmStartingEvent", "VmResumingEvent", "VmStoppingEvent", "VmSuspendingEvent"}


def _last_power_events(vms: VmManager, vm: VmRecord) -> tuple[str, str, float]:
    """(the state the newest event naming one says, the newest power event of any kind, the time
    of the newest power event) of the VM."""
    newest, when = "", 0.0
    for event in vms.events.query(EventFilter(vm_id=vm.id)):
        if event.type == "VmRegisteredEvent":
            return "", newest, when  # registered: its state comes from its files
        if (event.type in IN_PROGRESS or event.type in STATE_AFTER) and not newest:
            newest, when = event.type, event.created_time
        if event.type in STATE_AFTER:
            return STATE_AFTER[event.type], newest, when
    return "", newest, when


def reconcile_power_events(vms: VmManager, boot_time: float) -> int:
    """Record the missing event of every VM whose state its events do not explain (``boot_time``:
    when the VMkernel booted, to tell a host that went down from a vmx that died); how many."""
    fixed = 0
    for vm in vms.all():
        said, newest, when = _last_power_events(vms, vm)
        if not said or said == vm.power_state:
            continue
        name, host = vm.name, vms.hostname
        if vm.power_state == POWERED_ON:
            vms.record("VmPoweredOnEvent", vm, f"{name} on {host} is powered on", "")
        elif vm.power_state == SUSPENDED:
            vms.record("VmSuspendedEvent", vm, f"{name} on {host} is suspended", "")
        elif newest == "VmStoppingEvent":
            vms.record("VmPoweredOffEvent", vm, f"{name} on {host} is powered off", "")
        elif when < boot_time:
            vms.record("VmDiedEvent", vm, f"{name} was running when {host} went down; it is powered off.", "")
        else:
            vms.record(
                "VmDiedEvent",
                vm,
                f"The virtual machine process of {name} exited while hostd was not running; "
                "the virtual machine is powered off.",
                "",
            )
        fixed += 1
    return fixed


def sweep_interrupted_writes(vms: VmManager) -> int:
    """Delete the temporary files of .vmx and .vmsd writes a killed hostd left in VM folders (hostd
    alone writes those files, and a new hostd starts before any write); how many."""
    swept = 0
    for vm in vms.all():
        for name in (vm.vmx_path.name, f"{vm.vmx_path.stem}.vmsd"):
            for debris in vm.folder.glob(f".{name}.*.tmp"):
                debris.unlink(missing_ok=True)
                swept += 1
    return swept

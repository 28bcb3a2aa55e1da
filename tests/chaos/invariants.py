"""What must hold on a host after faults: inventory against datastores, parseable .vmx files, power
states the events explain, no task running, no process orphaned, run/ state files only of live
worlds, and (host stopped) every acknowledged guest write on disk."""

from __future__ import annotations

import json
from pathlib import Path

from clients import Client
from clients.model import VM, Event
from pyesx import faults
from pyesx.layout import HostLayout
from pyesx.vmxfile import VmxConfig
from tests.chaos.guestdata import AckTracker, verify_disk
from tests.chaos.hostlink import HostLink
from tests.chaos.report import ScenarioResult
from tests.harness import wait_until

#: event -> the power state it leaves the VM in ("" leaves it as it was)
POWER_EVENTS = {
    "VmCreatedEvent": "poweredOff",
    "VmPoweredOnEvent": "poweredOn",
    "VmResettingEvent": "poweredOn",
    "VmPoweredOffEvent": "poweredOff",
    "VmDiedEvent": "poweredOff",
    "VmSuspendedEvent": "suspended",
}
SETTLE_TIMEOUT_S = 120.0


def explained_state(events: list[Event]) -> str:
    """The power state a user reads off a VM's events (newest first); "" when none says."""
    for event in events:
        if event.type in POWER_EVENTS:
            return POWER_EVENTS[event.type]
        if event.type == "VmRegisteredEvent":
            return ""  # registered: off or suspended, as its files say
    return ""


def check_host(link: HostLink, client: Client, result: ScenarioResult, excused: set[str]) -> None:
    """Every invariant of a live host (tasks are waited for first, with a deadline)."""
    try:
        wait_until(
            lambda: not [t for t in client.recent_tasks() if t.state in ("queued", "running")],
            SETTLE_TIMEOUT_S,
            "every task to end",
        )
    except AssertionError:
        stuck = [
            f"{t.id} {t.description_id} {t.state}"
            for t in client.recent_tasks()
            if t.state in ("queued", "running")
        ]
        result.lose(f"tasks still running {SETTLE_TIMEOUT_S:.0f} s after the storm: {stuck}")
    result.figures["tasks recorded"] = len(client.recent_tasks())
    vms = client.list_vms()
    _check_inventory(link, vms, result, excused)
    _check_power(client, vms, result)
    _check_processes(link, vms, result)


def _check_inventory(link: HostLink, vms: list[VM], result: ScenarioResult, excused: set[str]) -> None:
    layout = HostLayout(link.root)
    registered = set()
    for vm in vms:
        path = layout.resolve(vm.vmx_path)
        registered.add(path.parent.resolve())
        if not path.is_file():
            result.lose(f"{vm.id} ({vm.name}) is registered but {vm.vmx_path} does not exist")
    store = layout.datastore("datastore1")
    for folder in sorted(p for p in store.iterdir() if p.is_dir() and p.name != "iso"):
        if folder.resolve() in registered:
            continue
        if folder.name in excused:
            result.count("orphan folders excused (op in flight at a kill)")
        else:
            result.lose(
                f"folder {folder.name} on datastore1 is no registered VM's ({sorted(os_list(folder))})"
            )
    debris = sorted(
        str(p.relative_to(store)) for kind in ("vmx", "vmsd") for p in store.glob(f"*/.*.{kind}.*.tmp")
    )
    if debris:
        result.lose(f"temporary files of interrupted .vmx/.vmsd writes left behind: {debris}")
    parsed = 0
    for vmx in store.glob("*/*.vmx"):
        try:
            VmxConfig.parse(vmx.read_text(), str(vmx))
            parsed += 1
        except (OSError, faults.VimFault) as exc:
            result.lose(f"{vmx} does not parse: {exc}")
    result.figures[".vmx files parsed"] = parsed
    result.figures["VMs registered"] = len(vms)


def os_list(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir()]


def _check_power(client: Client, vms: list[VM], result: ScenarioResult) -> None:
    for vm in vms:
        expected = explained_state(client.events(vm_id=vm.id))
        if expected and expected != vm.power_state:
            result.lose(f"{vm.id} ({vm.name}) is {vm.power_state} but its events say {expected}")
        else:
            result.count("power states explained by events")


def _check_processes(link: HostLink, vms: list[VM], result: ScenarioResult) -> None:
    orphans = link.orphans()
    if orphans:
        result.lose(f"orphaned processes: {orphans}")
    live = {pid: cmd for pid, cmd in link.processes().items() if cmd.startswith("pyesx-vmx:")}
    running = {vm.vmx_pid for vm in vms if vm.power_state == "poweredOn"}
    if set(live) != running:
        result.lose(f"vmx processes {sorted(live)} are not the powered-on VMs' {sorted(running)}")
    states = {p.stem: json.loads(p.read_text()) for p in (link.root / "run/vmx").glob("*.json")}
    on = {vm.id for vm in vms if vm.power_state == "poweredOn"}
    if set(states) != on:
        result.lose(f"run/vmx state files {sorted(states)} are not the powered-on VMs' {sorted(on)}")
    result.figures["processes checked"] = len(link.processes())


def check_stopped_host(link: HostLink, result: ScenarioResult, tracker: AckTracker, vm_ids: set[str]) -> None:
    """After the host stopped: every acknowledged guest write is on its VM's disk."""
    layout = HostLayout(link.root)
    paths = {entry_id: path for entry_id, path in _inventory(layout).items()}
    blocks = 0
    for vm_id in sorted(vm_ids):
        acked = tracker.acked.get(vm_id, 0)
        if vm_id not in paths:
            result.lose(f"{vm_id} is gone from the inventory")
            continue
        try:
            checked, problems = verify_disk(paths[vm_id], vm_id, acked)
        except (OSError, faults.VimFault, AssertionError) as exc:
            result.lose(f"{vm_id}: its disk cannot be read back: {type(exc).__name__}: {exc}")
            continue
        blocks += checked
        for problem in problems:
            result.lose(problem)
    result.figures["guest writes acknowledged (blocks, lower bound)"] = tracker.total()
    result.figures["guest blocks read back and checked"] = blocks
    result.figures["acknowledgement samples"] = tracker.samples


def _inventory(layout: HostLayout) -> dict[str, Path]:
    from hostd.inventory import Inventory

    return {entry.vm_id: entry.vmx_path for entry in Inventory(layout).load()}

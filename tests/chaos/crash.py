"""Scenario 2, host crash and reboot: kill -9 of the VMkernel, boot again on the same root.

Before the crash the host gets configuration of every kind (a vSwitch and port group, a resource
pool, a capped datastore, VM advanced settings, a snapshot, a local user with a custom role and
permissions, host advanced settings, host name and DNS, NTP servers, an autostart policy) and VMs
in every power state. After the reboot: the same configuration, the same inventory, root and the
local user log in with their old passwords and the user's permissions still decide what they may
do, run/ holds only the new boot's sockets, VMs that ran are powered off with an event saying why
(ESXi: a host that went down comes back with its VMs powered off) except the one the autostart
policy powers on after boot, the suspended VM is still suspended and resumes, and nothing of the
old boot runs.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from clients import Client, connect
from clients.hostops import AutoPowerInfo, AutoStartDefaults
from pyesx.faults import NoPermission
from tests.chaos.guestdata import WORKLOAD, AckTracker
from tests.chaos.hostlink import HostLink
from tests.chaos.invariants import check_stopped_host
from tests.chaos.report import ScenarioResult
from tests.chaos.sizes import Size
from tests.harness import wait_until

MIB = 1 << 20
USER, USER_PASSWORD = "chaosop", "Chaos#Op2026"
ROLE = "ChaosOperator"


def _configure(client: Client, root: Path) -> dict[str, str]:
    """Give the host configuration of every kind and VMs in every power state; name -> VM id."""
    client.create_virtual_switch("vSwitchChaos", num_ports=64, mtu=9000)
    client.create_port_group("vSwitchChaos", "PG-Chaos", vlan_id=42)
    client.create_resource_pool("chaos-pool", cpu_allocation={"reservation": 100})
    store = root.parent / "crash-ds2"
    store.mkdir(exist_ok=True)
    client.create_datastore("chaosds", str(store), capacity_bytes=512 * MIB)
    vms = {}
    for name in ("running", "suspended", "off", "snapped"):
        task = client.create_vm(name, memory_mb=32, disk_capacity_bytes=[2 * MIB], network_names=["PG-Chaos"])
        vms[name] = client.wait_for_task(task.id).result_entity_id
        extra = {**WORKLOAD, "chaos.kept": name} if name == "running" else {"chaos.kept": name}
        client.wait_for_task(client.reconfigure_vm(vms[name], set_extra_config=extra).id)
    task = client.create_vm("autostarted", memory_mb=32, disk_capacity_bytes=[])
    vms["autostarted"] = client.wait_for_task(task.id).result_entity_id
    client.wait_for_task(client.create_snapshot(vms["snapped"], "before-crash").id)
    for name in ("running", "suspended", "snapped", "autostarted"):
        client.wait_for_task(client.power_on(vms[name]).id)
    client.wait_for_task(client.suspend(vms["suspended"]).id)
    # the host's own configuration: a user, a role, permissions, settings, name service, autostart
    client.create_account(USER, USER_PASSWORD, "chaos operator")
    client.create_role(ROLE, ["VirtualMachine.Interact.PowerOn", "VirtualMachine.Interact.PowerOff"])
    client.set_permission(vms["off"], USER, ROLE, propagate=False)
    client.set_permission("ha-host", USER, "ReadOnly")
    client.update_host_settings({"Security.AccountLockFailures": "7", "Mem.ShareScanGHz": "8"})
    client.update_host_network("chaos-esx", "chaos.test", ["192.0.2.53"], ["chaos.test"])
    client.add_ntp_servers(["ntp1.chaos.test", "192.0.2.123"])
    client.reconfigure_autostart(
        AutoStartDefaults(enabled=True, start_delay=0),
        [AutoPowerInfo(vms["autostarted"], start_order=1, start_action="powerOn")],
    )
    return vms


def _picture(client: Client) -> dict[str, Any]:
    """Everything the crash must not change (not power states or pids)."""
    return {
        "switches": sorted(
            (s.name, s.num_ports, s.mtu, tuple(sorted((p.name, p.vlan_id) for p in s.port_groups)))
            for s in client.virtual_switches()
        ),
        "pools": sorted(
            (p.id, p.name, p.parent_id, p.cpu_allocation.reservation) for p in client.list_resource_pools()
        ),
        "datastores": sorted(
            (d.name, d.path, d.capacity_bytes if d.capacity_limited else 0) for d in client.datastores()
        ),
        "vms": sorted(
            (
                v.id,
                v.name,
                v.vmx_path,
                v.num_cpu,
                v.memory_mb,
                v.resource_pool_id,
                v.disks[0].file_name if v.disks else "",
            )
            for v in client.list_vms()
        ),
        "settings": {v.id: client.advanced_settings(v.id).get("chaos.kept", "") for v in client.list_vms()},
        "snapshots": {v.id: [s.name for s in client.snapshots(v.id)] for v in client.list_vms()},
        "accounts": sorted((a.id, a.description) for a in client.list_accounts()),
        "roles": sorted((r.name, r.privileges) for r in client.list_roles() if not r.system),
        "permissions": sorted(
            (p.entity, p.principal, p.role, p.propagate) for p in client.list_permissions()
        ),
        "host settings": sorted(
            (s.key, s.value) for s in client.host_settings() if s.value != s.default_value
        ),
        "host network": client.host_network(),
        "ntp": client.ntp_config(),
        "autostart": client.autostart(),
    }


def _check_user(link: HostLink, vms: dict[str, str], result: ScenarioResult) -> None:
    """The local user logs in with the old password, and the old permissions decide what they may do."""
    with connect(link.host.address, USER, USER_PASSWORD, thumbprint=link.host.thumbprint) as user:
        user.wait_for_task(user.power_on(vms["off"]).id)  # their role, on that VM
        user.wait_for_task(user.power_off(vms["off"]).id)
        try:
            user.power_on(vms["snapped"])  # ReadOnly there: refused
        except NoPermission:
            result.count("permissions enforced after the reboot")
        else:
            result.lose(f"{USER} could power on a VM they hold no permission on, after the reboot")


def run_crash(workdir: Path, size: Size, seed: int = 0) -> ScenarioResult:
    result = ScenarioResult("Host crash and reboot", size.label, seed)
    started = time.monotonic()
    link = HostLink(workdir / "crash" / "host")
    tracker = AckTracker(2 * MIB // 4096)
    vms: dict[str, str] = {}
    try:
        client = link.client()
        vms.update(_configure(client, link.root))
        running = vms["running"]
        wait_until(
            lambda: client.guest_info(running).counters.get("disk.last_acked_seq", 0) >= 10,
            60,
            "guest writes",
        )
        tracker.observe(running, client.guest_info(running).counters)
        before = _picture(client)
        accounts = {p.name: p.read_bytes() for p in (link.root / "etc").glob("shadow*")}
        old_pids = set(link.processes())
        result.figures["processes before the crash"] = len(old_pids)
        link.kill_vmkernel_and_boot()
        result.count("kill -9 vmkernel")
        client = link.client()  # the root account logs in with its old password
        after = _picture(client)
        for key in before:
            if before[key] != after[key]:
                result.lose(f"{key} changed across the crash: {before[key]} -> {after[key]}")
            else:
                result.count("configuration areas intact")
        for name, data in accounts.items():
            if (link.root / "etc" / name).read_bytes() != data:
                result.lose(f"account file {name} changed across the crash")
        result.figures["account files intact"] = len(accounts)
        if set(link.processes()) & old_pids:
            result.lose(f"processes of the crashed boot still run: {set(link.processes()) & old_pids}")
        alive = set(link.processes())  # the new boot's: a VM autostart powered on has its state file
        stale = [
            p.name
            for p in (link.root / "run/vmx").glob("*.json")
            if json.loads(p.read_text()).get("pid") not in alive - old_pids
        ]
        if stale:
            result.lose(f"run/vmx state files survived the reboot: {stale}")
        result.figures["run/ entries after reboot"] = len(list((link.root / "run").rglob("*")))
        autostarted = vms["autostarted"]
        try:
            wait_until(lambda: client.get_vm(autostarted).power_state == "poweredOn", 60, "autostart")
            result.count("autostart VMs powered on after boot")
        except AssertionError:
            result.lose("the autostart VM did not power on after the reboot")
        _check_user(link, vms, result)
        states = {name: client.get_vm(vm_id).power_state for name, vm_id in vms.items()}
        result.figures["power states after reboot"] = ", ".join(f"{k}={v}" for k, v in sorted(states.items()))
        expected = {
            "autostarted": "poweredOn",
            "running": "poweredOff",
            "snapped": "poweredOff",
            "suspended": "suspended",
            "off": "poweredOff",
        }
        if states != expected:
            result.lose(f"power states after the reboot {states}, expected {expected}")
        for name in ("running", "snapped"):
            died = client.events(vm_id=vms[name], max_count=1)
            if not died or died[0].type != "VmDiedEvent":
                result.lose(f"{name}: no event says it went down with the host ({[e.type for e in died]})")
        client.wait_for_task(client.power_on(vms["suspended"]).id)  # resumes
        client.wait_for_task(client.power_on(vms["running"]).id)
        result.figures["VMs powered on again after reboot"] = 2
        if link.orphans():
            result.lose(f"orphaned processes: {link.orphans()}")
    finally:
        link.stop()
    check_stopped_host(link, result, tracker, {vms["running"]} if "running" in vms else set())
    if link.processes():
        result.lose(f"processes left after the host stopped: {link.processes()}")
    result.seconds = time.monotonic() - started
    return result

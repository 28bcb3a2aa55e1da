"""Issue 3's done-when: one VM walked through every transition of ESXI-SEMANTICS.md and its faults,
through the client library and through the shell, with the events and tasks ESXi would record."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from clients import Client
from pyesx import faults
from tests.harness import BootedHost

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]
MiB = 2**20
# Both walks start alike: what ESXi records for these transitions, oldest first.
OPENING = [
    "VmCreatedEvent",
    "VmStartingEvent", "VmPoweredOnEvent",
    "VmResettingEvent",
    "VmGuestRebootEvent",
    "VmSnapshotCreatedEvent",
    "VmSuspendingEvent", "VmSuspendedEvent",
    "VmResumingEvent", "VmPoweredOnEvent",
    "VmGuestShutdownEvent", "VmPoweredOffEvent",
    "VmReconfiguredEvent",
    "VmSnapshotRevertedEvent", "VmPoweredOnEvent",
    "VmStoppingEvent", "VmPoweredOffEvent",
]  # fmt: skip


def _done(client: Client, task_id: str) -> None:
    assert client.wait_for_task(task_id).state == "success"


def test_every_transition_and_fault_through_the_client(client: Client) -> None:
    vm_id = client.wait_for_task(client.create_vm("walk", disk_capacity_bytes=[8 * MiB]).id).result_entity_id

    def refused(call: object, requested: str, existing: str) -> None:
        with pytest.raises(faults.InvalidPowerState) as raised:
            call()  # type: ignore[operator]
        assert (raised.value.requested_state, raised.value.existing_state) == (requested, existing)

    refused(lambda: client.power_off(vm_id), "poweredOn", "poweredOff")
    refused(lambda: client.suspend(vm_id), "poweredOn", "poweredOff")
    refused(lambda: client.reset(vm_id), "poweredOn", "poweredOff")
    refused(lambda: client.shutdown_guest(vm_id), "poweredOn", "poweredOff")
    starting = client.power_on(vm_id)  # a power-on takes ~20 ms: long enough to collide with
    with pytest.raises(faults.TaskInProgress) as busy:
        client.reconfigure_vm(vm_id, notes="now")
    assert busy.value.task_id == starting.id
    _done(client, starting.id)
    refused(lambda: client.power_on(vm_id), "poweredOff", "poweredOn")
    refused(lambda: client.destroy_vm(vm_id), "poweredOff", "poweredOn")
    _done(client, client.reset(vm_id).id)
    client.reboot_guest(vm_id)
    _done(client, client.create_snapshot(vm_id, "live", memory=True).id)
    _done(client, client.suspend(vm_id).id)
    refused(lambda: client.suspend(vm_id), "poweredOn", "suspended")
    _done(client, client.power_on(vm_id).id)  # resume
    client.shutdown_guest(vm_id)
    client.wait_for(vm_id, "poweredOff", timeout=30)
    _done(client, client.reconfigure_vm(vm_id, num_cpu=2, notes="walked").id)
    snapshot = client.snapshots(vm_id)[0].id
    _done(client, client.revert_to_snapshot(snapshot).id)  # a memory snapshot: powers on
    assert client.get_vm(vm_id).power_state == "poweredOn"
    _done(client, client.kill(vm_id).id)
    _done(client, client.power_on(vm_id).id)
    _done(client, client.suspend(vm_id).id)
    _done(client, client.power_off(vm_id).id)  # from suspended
    _done(client, client.remove_snapshot(snapshot).id)
    _done(client, client.unregister_vm(vm_id).id)
    with pytest.raises(faults.NotFound):
        client.get_vm(vm_id)
    again = client.wait_for_task(client.register_vm("[datastore1] walk/walk.vmx").id).result_entity_id
    _done(client, client.destroy_vm(again).id)

    events = [e.type for e in reversed(client.events(vm_id=vm_id))]
    assert events == [
        *OPENING,
        "VmStartingEvent", "VmPoweredOnEvent",
        "VmSuspendingEvent", "VmSuspendedEvent",
        "VmStoppingEvent", "VmPoweredOffEvent",
        "VmSnapshotRemovedEvent",
        "VmRemovedEvent",
    ]  # fmt: skip
    assert [e.type for e in reversed(client.events(vm_id=again))] == ["VmRegisteredEvent", "VmRemovedEvent"]
    tasks = [t.description_id for t in client.recent_tasks(vm_id)]
    assert tasks == [
        "VirtualMachine.powerOn",
        "VirtualMachine.reset",
        "VirtualMachine.createSnapshot",
        "VirtualMachine.suspend",
        "VirtualMachine.powerOn",
        "VirtualMachine.reconfigure",
        "VirtualMachine.revertToSnapshot",
        "VirtualMachine.terminateVM",
        "VirtualMachine.powerOn",
        "VirtualMachine.suspend",
        "VirtualMachine.powerOff",
        "VirtualMachine.removeSnapshot",
        "VirtualMachine.unregister",
    ]
    assert all(t.user == "root" and t.state == "success" for t in client.recent_tasks(vm_id))


def test_the_same_walk_through_the_shell(host: BootedHost) -> None:
    script = """
New-VM -Name walk -DiskMB 8 | Out-Null
Start-VM walk | Out-Null
Restart-VM walk -Confirm:$false | Out-Null
Restart-VMGuest walk -Confirm:$false | Out-Null
New-Snapshot -VM walk -Name live -Memory | Out-Null
Suspend-VM walk -Confirm:$false | Out-Null
Start-VM walk | Out-Null
Stop-VMGuest walk -Confirm:$false | Out-Null
"""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYESX_")}
    env |= {"PYESX_SERVER": host.address, "PYESX_USER": "root", "PYESX_PASSWORD": host.password}
    pyesx = str(Path(sys.executable).with_name("pyesx"))

    def shell(text: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [pyesx, "shell", "-c", text], env=env, capture_output=True, text=True, timeout=60
        )

    first = shell(script)
    assert (first.returncode, first.stderr) == (0, "")
    with host.client() as client:  # the guest shuts itself down: wait for the VM to be off
        [vm] = client.list_vms()
        client.wait_for(vm.id, "poweredOff", timeout=30)
    second = shell(
        "Set-VM walk -NumCpu 2 -Confirm:$false | Out-Null; "
        "Set-VM walk -Snapshot live -Confirm:$false | Out-Null; "
        "Stop-VM walk -Kill -Confirm:$false | Out-Null; "
        "Remove-Snapshot (Get-Snapshot -VM walk) -Confirm:$false; "
        "Remove-VM walk -DeletePermanently -Confirm:$false; "
        "Get-VIEvent -MaxSamples 0 | ConvertTo-Json -Compress"
    )
    assert (second.returncode, second.stderr) == (0, "")
    events = json.loads(second.stdout)
    walked = [e["EventTypeId"] for e in reversed(events) if e["Vm"] == "walk"]
    assert walked == [*OPENING, "VmSnapshotRemovedEvent", "VmRemovedEvent"]
    failed = shell("Get-VM walk")
    assert failed.returncode == 1 and failed.stderr.startswith("Get-VM: ")

"""A snapshot interrupted between the VMkernel's new delta and hostd's .vmx (hostd killed there):
the guest's acknowledged writes in the delta must not be lost. hostd's start-up folds the orphan
delta back into the disk the .vmx names (found by the kill storm of the reliability campaign)."""

from __future__ import annotations

import os
import signal

import grpc
import pytest

from clients import Client
from pyesx.rpc.credentials import CREDENTIAL_KEY
from pyesx.vmkernel.v1 import vmkernel_pb2, vmkernel_pb2_grpc
from tests.chaos.guestdata import WORKLOAD, verify_disk
from tests.harness import BootedHost, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]
MIB = 1 << 20


def _acked(client: Client, vm: str) -> int:
    return int(client.guest_info(vm).counters.get("disk.last_acked_seq", 0))


def test_writes_into_the_delta_of_an_interrupted_snapshot_are_kept(host: BootedHost, client: Client) -> None:
    vm = client.wait_for_task(client.create_vm("halfsnap", memory_mb=32, disk_capacity_bytes=[2 * MIB]).id)
    vm_id = vm.result_entity_id
    client.wait_for_task(
        client.reconfigure_vm(vm_id, set_extra_config={**WORKLOAD, "sim.disk.iops": "100"}).id
    )
    client.wait_for_task(client.power_on(vm_id).id)
    wait_until(lambda: _acked(client, vm_id) >= 20, 30, "writes into the disk")
    folder = host.root / "vmfs/volumes/datastore1/halfsnap"
    with grpc.insecure_channel(f"unix://{host.root}/run/vmkernel.sock") as channel:
        # a snapshot's first step: the VMkernel puts a delta on the disk and moves the VM onto it …
        vmkernel_pb2_grpc.VMkernelStub(channel).CreateDeltaDisk(
            vmkernel_pb2.DiskPathRequest(path=str(folder / "halfsnap.vmdk")),
            metadata=[(CREDENTIAL_KEY, host.vmkernel_credential())],  # as hostd
            timeout=30,
        )
    into_delta = _acked(client, vm_id) + 40
    wait_until(lambda: _acked(client, vm_id) >= into_delta, 30, "writes into the delta")
    os.kill(host.hostd_pid(), signal.SIGKILL)  # … and hostd dies before the .vmx names the delta
    with wait_until(lambda: host.client(), 30, "hostd back") as again:
        [folded] = wait_until(
            lambda: [
                e for e in again.events(vm_id=vm_id, types=["VmMessageEvent"]) if "consolidated" in e.message
            ],
            30,
            "the orphan delta consolidated",
        )
        assert "halfsnap-000001.vmdk" in folded.message
        acked = _acked(again, vm_id)
        again.wait_for_task(again.power_off(vm_id).id)
    assert sorted(p.name for p in folder.glob("*.vmdk")) == ["halfsnap-flat.vmdk", "halfsnap.vmdk"]
    checked, problems = verify_disk(folder / "halfsnap.vmx", vm_id, acked)
    assert problems == [] and checked >= min(acked, 2 * MIB // 4096)


def test_a_vm_whose_snapshot_removal_was_interrupted_runs_on_the_merged_disk(
    host: BootedHost, client: Client
) -> None:
    vm_id = client.wait_for_task(
        client.create_vm("halfmerge", memory_mb=32, disk_capacity_bytes=[2 * MIB]).id
    ).result_entity_id
    client.wait_for_task(
        client.reconfigure_vm(vm_id, set_extra_config={**WORKLOAD, "sim.disk.iops": "100"}).id
    )
    client.wait_for_task(client.create_snapshot(vm_id, "s1").id)
    client.wait_for_task(client.power_on(vm_id).id)
    wait_until(lambda: _acked(client, vm_id) >= 40, 30, "writes into the snapshot's delta")
    folder = host.root / "vmfs/volumes/datastore1/halfmerge"
    with grpc.insecure_channel(f"unix://{host.root}/run/vmkernel.sock") as channel:
        # a removal's merge: the delta goes into the disk below, the VM moves onto it …
        vmkernel_pb2_grpc.VMkernelStub(channel).ConsolidateDisk(
            vmkernel_pb2.DiskPathRequest(path=str(folder / "halfmerge-000001.vmdk")),
            metadata=[(CREDENTIAL_KEY, host.vmkernel_credential())],  # as hostd
            timeout=60,
        )
    os.kill(host.hostd_pid(), signal.SIGKILL)  # … and hostd dies before the .vmx names that disk
    with wait_until(lambda: host.client(), 30, "hostd back") as again:
        wait_until(
            lambda: [
                e for e in again.events(vm_id=vm_id, types=["VmMessageEvent"]) if "runs on" in e.message
            ],
            30,
            "the .vmx mended",
        )
        acked = _acked(again, vm_id)
        again.wait_for_task(again.power_off(vm_id).id)
        again.wait_for_task(again.power_on(vm_id).id)  # the VM is whole: it powers on again
        again.wait_for_task(again.power_off(vm_id).id)
    assert 'scsi0:0.fileName = "halfmerge.vmdk"' in (folder / "halfmerge.vmx").read_text()
    _, problems = verify_disk(folder / "halfmerge.vmx", vm_id, min(acked, 2 * MIB // 4096))
    assert problems == []

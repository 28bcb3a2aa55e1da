"""What the fuzz campaign (test_fuzz.py) found, each pinned by a focused case on a real host."""

from __future__ import annotations

import math
import os
import signal
from pathlib import Path

import grpc
import pytest

from clients import Client
from clients.tls import secure_channel
from pyesx import faults
from pyesx.api.v1 import task_pb2, task_pb2_grpc
from pyesx.rpc.faultwire import fault_from_rpc_error
from pyesx.rpc.metadata import SESSION_KEY
from tests.harness import BootedHost, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]


def test_a_vm_whose_folder_was_deleted_fails_with_file_not_found(client: Client) -> None:
    """Fuzz: DeleteFile of a powered-off VM's folder, then PowerOnVM / CreateSnapshot: the tasks failed
    with SystemError (FileNotFoundError in the VMkernel and in hostd)."""
    vm_id = client.wait_for_task(client.create_vm("gone01").id).result_entity_id
    client.delete_file("[datastore1] gone01")
    with pytest.raises(faults.FileNotFound) as raised:
        client.wait_for_task(client.power_on(vm_id).id)
    assert raised.value.file.startswith("[datastore1] gone01")
    with pytest.raises(faults.FileNotFound):
        client.wait_for_task(client.create_snapshot(vm_id, "s1").id)
    assert client.get_vm(vm_id).power_state == "poweredOff"
    client.wait_for_task(client.unregister_vm(vm_id).id)  # an inaccessible VM can still be removed
    assert not client.list_vms(["gone01"])


def test_a_vmx_or_vmsd_overwritten_with_binary_is_invalid_argument_and_hostd_still_starts(
    host: BootedHost, client: Client, tmp_path: Path
) -> None:
    """Fuzz: UploadFile of random bytes over a powered-off VM's .vmsd, then CreateSnapshot: the task
    failed with SystemError (UnicodeDecodeError); over its .vmx, PowerOnVM did the same in the VMkernel,
    and a restarted hostd died reading it at start-up (the watchdog restarted it for ever)."""
    vm_id = client.wait_for_task(client.create_vm("binary01").id).result_entity_id
    client.wait_for_task(client.create_snapshot(vm_id, "s1").id)
    garbage = tmp_path / "garbage"
    garbage.write_bytes(b"\x00\xbb\xff\xfe" * 64)
    client.upload(garbage, "[datastore1] binary01/binary01.vmsd", overwrite=True)
    with pytest.raises(faults.InvalidArgument) as raised:
        client.wait_for_task(client.create_snapshot(vm_id, "s2").id)
    assert "not UTF-8" in raised.value.reason
    client.upload(garbage, "[datastore1] binary01/binary01.vmx", overwrite=True)
    with pytest.raises(faults.InvalidArgument):
        client.wait_for_task(client.power_on(vm_id).id)
    assert client.get_vm(vm_id).power_state == "poweredOff"

    old_hostd = host.hostd_pid()
    os.kill(old_hostd, signal.SIGKILL)
    wait_until(lambda: (pid := host.hostd_pid()) != old_hostd and pid, what="hostd restart")
    with wait_until(host.client, what="hostd serving") as again:
        assert not again.list_vms(["binary01"])  # kept out, logged: its .vmx is unreadable
        restarted = host.hostd_pid()
        assert again.host().name
    assert host.hostd_pid() == restarted  # and it stays up


@pytest.mark.parametrize("timeout", [math.nan, math.inf, -1.0])
def test_wait_for_task_refuses_a_timeout_that_is_no_number_of_seconds(client: Client, timeout: float) -> None:
    """Fuzz: WaitForTask(timeout_seconds=NaN) was INTERNAL (ValueError: cannot convert float NaN)."""
    vm_task = client.create_vm("waited01")
    client.wait_for_task(vm_task.id)
    request = task_pb2.WaitForTaskRequest(id=vm_task.id, timeout_seconds=timeout)
    with secure_channel(client.server) as channel, pytest.raises(grpc.RpcError) as raised:
        task_pb2_grpc.TaskServiceStub(channel).WaitForTask(
            request, metadata=[(SESSION_KEY, client.session_key)], timeout=10
        )
    fault = fault_from_rpc_error(raised.value)
    assert isinstance(fault, faults.InvalidArgument) and fault.argument == "timeout_seconds"


def test_a_revert_to_a_snapshot_whose_disk_is_gone_changes_nothing(host: BootedHost, client: Client) -> None:
    """Fuzz: RevertToSnapshot after DeleteFile of the snapshot disk's extent failed NotFound, but only
    after it had thrown away the suspended VM's state and made a new delta for the first disk."""
    vm_id = client.wait_for_task(
        client.create_vm("revert01", disk_capacity_bytes=[1 << 20]).id
    ).result_entity_id
    client.wait_for_task(client.create_snapshot(vm_id, "s1").id)
    client.wait_for_task(client.create_snapshot(vm_id, "s2").id)
    (s1,) = client.snapshots(vm_id)
    (s2,) = s1.children
    client.wait_for_task(client.power_on(vm_id).id)
    client.wait_for_task(client.suspend(vm_id).id)
    client.delete_file("[datastore1] revert01/revert01-000001-delta.vmdk")
    folder = host.root / "vmfs/volumes/datastore1/revert01"
    files = sorted(p.name for p in folder.iterdir() if not p.name.endswith(".log"))
    with pytest.raises((faults.NotFound, faults.FileNotFound)):
        client.wait_for_task(client.revert_to_snapshot(s2.id, suppress_power_on=True).id)
    assert client.get_vm(vm_id).power_state == "suspended"
    assert sorted(p.name for p in folder.iterdir() if not p.name.endswith(".log")) == files


def test_a_revert_whose_old_running_delta_lost_its_extent_still_reverts(
    host: BootedHost, client: Client
) -> None:
    """Fuzz: with the running delta's extent deleted, RevertToSnapshot switched the VM to the snapshot
    and then failed NotFound deleting that old delta (the revert half reported, the VM powered off)."""
    vm_id = client.wait_for_task(
        client.create_vm("revert02", disk_capacity_bytes=[1 << 20]).id
    ).result_entity_id
    client.wait_for_task(client.create_snapshot(vm_id, "s1").id)
    (s1,) = client.snapshots(vm_id)
    client.delete_file("[datastore1] revert02/revert02-000001-delta.vmdk")  # the running delta's extent
    client.wait_for_task(client.revert_to_snapshot(s1.id).id)
    folder = host.root / "vmfs/volumes/datastore1/revert02"
    assert not (folder / "revert02-000001.vmdk").exists()
    (disk,) = client.get_vm(vm_id).disks
    assert disk.file_name.endswith("revert02-000002.vmdk")


def test_a_revert_whose_old_running_delta_was_overwritten_still_reverts(
    host: BootedHost, client: Client, tmp_path: Path
) -> None:
    """Fuzz: UploadFile over the running delta's extent, then RevertToSnapshot: InvalidArgument (bad
    magic) after the VM had been switched to the snapshot."""
    vm_id = client.wait_for_task(
        client.create_vm("revert03", disk_capacity_bytes=[1 << 20]).id
    ).result_entity_id
    client.wait_for_task(client.create_snapshot(vm_id, "s1").id)
    (s1,) = client.snapshots(vm_id)
    garbage = tmp_path / "garbage"
    garbage.write_bytes(b"\xbb" * 4096)
    client.upload(garbage, "[datastore1] revert03/revert03-000001-delta.vmdk", overwrite=True)
    client.wait_for_task(client.revert_to_snapshot(s1.id).id)
    folder = host.root / "vmfs/volumes/datastore1/revert03"
    assert not (folder / "revert03-000001.vmdk").exists()
    assert not (folder / "revert03-000001-delta.vmdk").exists()


def test_a_snapshot_that_fails_on_a_missing_disk_leaves_nothing_behind(
    host: BootedHost, client: Client
) -> None:
    """Fuzz: CreateSnapshot of a VM whose .vmx and second disk's extent were deleted: the second delta
    failed NotFound, the rollback then failed re-reading the .vmx (FileNotFound), and the first
    disk's new delta stayed."""
    created = client.create_vm("snap01", disk_capacity_bytes=[1 << 20, 1 << 20])
    vm_id = client.wait_for_task(created.id).result_entity_id
    folder = host.root / "vmfs/volumes/datastore1/snap01"
    second = sorted(p.name for p in folder.glob("*-flat.vmdk"))[-1]
    client.delete_file(f"[datastore1] snap01/{second}")
    client.delete_file("[datastore1] snap01/snap01.vmx")
    files = sorted(p.name for p in folder.iterdir() if not p.name.endswith(".log"))
    with pytest.raises((faults.NotFound, faults.FileNotFound)) as raised:
        client.wait_for_task(client.create_snapshot(vm_id, "s1").id)
    assert second in str(raised.value)
    assert sorted(p.name for p in folder.iterdir() if not p.name.endswith(".log")) == files
    assert not client.snapshots(vm_id)


def test_a_snapshot_that_fails_under_a_broken_chain_leaves_nothing_behind(
    host: BootedHost, client: Client
) -> None:
    """Fuzz: a disk's base extent deleted under its snapshot delta: CreateDeltaDisk made the new delta,
    then failed NotFound describing the chain, and left the delta behind (CreateSnapshot too)."""
    created = client.create_vm("snap02", disk_capacity_bytes=[1 << 20, 1 << 20])
    vm_id = client.wait_for_task(created.id).result_entity_id
    client.wait_for_task(client.create_snapshot(vm_id, "s1").id)
    folder = host.root / "vmfs/volumes/datastore1/snap02"
    client.delete_file("[datastore1] snap02/snap02-flat.vmdk")
    client.delete_file("[datastore1] snap02/snap02_1-000001-delta.vmdk")
    files = sorted(p.name for p in folder.iterdir() if not p.name.endswith(".log"))
    with pytest.raises((faults.NotFound, faults.FileNotFound)):
        client.wait_for_task(client.create_snapshot(vm_id, "s2").id)
    after = sorted(p.name for p in folder.iterdir() if not p.name.endswith(".log"))
    assert after == files, (set(after) - set(files), set(files) - set(after))

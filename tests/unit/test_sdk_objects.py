"""The sync object layer (``clients.objects``) over a fake host: properties, plans, waits, faults."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from clients import objects
from pyesx import faults
from pyesx.api.v1 import datastore_pb2, vm_pb2
from tests.unit.sdk_fake import FakeHost, sync_session


@pytest.fixture
def fake() -> FakeHost:
    host = FakeHost()
    host.add_vm("web01")
    host.add_vm("web02", "poweredOn")
    host.add_vm("db01")
    return host


@pytest.fixture
def session(fake: FakeHost) -> objects.Session:
    return sync_session(fake)


def test_vms_are_objects_with_typed_properties(session: objects.Session) -> None:
    vms = session.vms()
    assert [(vm.name, vm.power_state) for vm in vms] == [
        ("web01", "poweredOff"),
        ("web02", "poweredOn"),
        ("db01", "poweredOff"),
    ]
    assert all(isinstance(vm, objects.VM) for vm in vms)
    assert vms[0].folder == "[datastore1] web01"
    assert vms[0].datastore_name == "datastore1"
    assert [vm.name for vm in session.vms("web*")] == ["web01", "web02"]


def test_a_vm_is_found_by_name_or_id(session: objects.Session) -> None:
    assert session.vm("db01").id == "vm-3"
    assert session.vm("vm-3").name == "db01"
    assert session.vm("vm-3") == session.vm("db01")
    assert len({session.vm("vm-1"), session.vm("web01")}) == 1
    with pytest.raises(faults.NotFound) as raised:
        session.vm("nope")
    assert raised.value.name == "nope"


def test_power_on_returns_a_task_that_waits_on_the_change_feed(session: objects.Session) -> None:
    vm = session.vm("web01")
    task = vm.power_on()
    assert isinstance(task, objects.Task)
    assert task.state == "running" and not task.done
    assert task.wait(timeout=5) is task
    assert task.state == "success" and task.done
    assert vm.power_state == "poweredOff"  # as last read
    assert vm.refresh().power_state == "poweredOn"


def test_wait_for_returns_once_the_vm_matches(session: objects.Session) -> None:
    vm = session.vm("web01")
    vm.power_on()
    assert vm.wait_for(power_state="poweredOn", timeout=5) is vm
    assert vm.power_state == "poweredOn"


def test_wait_for_times_out_or_sees_the_vm_leave(session: objects.Session) -> None:
    vm = session.vm("web01")
    with pytest.raises(faults.Timedout):
        vm.wait_for(power_state="suspended", timeout=1)
    vm.destroy()
    with pytest.raises(faults.NotFound):
        vm.wait_for(power_state="poweredOn")
    with pytest.raises(TypeError):
        vm.wait_for(colour="blue")


def test_a_refused_operation_raises_the_server_fault(session: objects.Session) -> None:
    with pytest.raises(faults.InvalidPowerState) as raised:
        session.vm("web02").power_on()
    assert raised.value.existing_state == "poweredOn"


def test_a_failed_task_raises_its_fault_on_wait(session: objects.Session) -> None:
    task = session.create_vm("web01")
    with pytest.raises(faults.DuplicateName) as raised:
        task.wait()
    assert raised.value.name == "web01"
    assert task.state == "error" and isinstance(task.error, faults.DuplicateName)


def test_create_then_the_result_vm(session: objects.Session) -> None:
    vm = session.create_vm("app01", num_cpu=2).wait().result_vm()
    assert vm.name == "app01"


def test_waiting_on_an_unknown_task_is_not_found(session: objects.Session) -> None:
    with pytest.raises(faults.NotFound):
        session.task("task-99")
    ghost = objects.Task(session, dataclasses.replace(session.vm("web01").power_on().record, id="task-99"))
    with pytest.raises(faults.NotFound):
        ghost.wait()


def test_reconfigure_sends_only_the_given_changes(session: objects.Session, fake: FakeHost) -> None:
    vm = session.vm("web01")
    vm.reconfigure(
        num_cpu=4, notes="", add_nics=[{"network_name": "VM Network"}], cpu_allocation={"limit": 500}
    )
    method, request = fake.requests[-1]
    assert method == "ReconfigureVM"
    assert request.id == "vm-1" and request.num_cpu == 4 and request.HasField("notes")
    assert not request.HasField("memory_mb")
    assert request.add_nics[0].start_connected
    assert request.cpu_allocation.limit == 500
    with pytest.raises(TypeError):
        vm.reconfigure(colour="blue")  # type: ignore[call-arg]


def test_devices_act_on_their_vm(session: objects.Session, fake: FakeHost) -> None:
    vm = session.vm("web01")
    [disk] = vm.disks
    assert disk.key == "scsi0:0" and disk.file_name == "[datastore1] web01/web01.vmdk"
    disk.extend(2 << 30).wait()
    request = fake.requests[-1][1]
    assert (request.id, request.change_disks[0].key, request.change_disks[0].capacity_bytes) == (
        "vm-1",
        "scsi0:0",
        2 << 30,
    )
    [nic] = vm.nics
    nic.set_network("DMZ")
    assert fake.requests[-1][1].change_nics[0].network_name == "DMZ"
    nic.remove()
    assert list(fake.requests[-1][1].remove_network_keys) == ["ethernet0"]


def test_snapshots_are_a_flat_list_oldest_first(session: objects.Session, fake: FakeHost) -> None:
    def snap(n: int, children: list[vm_pb2.Snapshot] | None = None) -> vm_pb2.Snapshot:
        message = vm_pb2.Snapshot(id=f"s{n}", name=f"snap{n}", children=children or [])
        message.create_time.FromDatetime(dt.datetime(2026, 1, n, tzinfo=dt.UTC))
        return message

    fake.snapshots["vm-1"] = vm_pb2.ListSnapshotsResponse(
        root_snapshots=[snap(1, [snap(2, [snap(3)])])], current_snapshot_id="s3"
    )
    vm = session.vm("web01")
    assert [s.name for s in vm.snapshots()] == ["snap1", "snap2", "snap3"]
    current = vm.current_snapshot()
    assert current is not None and current.name == "snap3"
    assert [c.name for c in vm.snapshot("snap1").children] == ["snap2"]
    vm.snapshot("snap2").revert().wait()
    assert fake.requests[-1] == ("RevertToSnapshot", vm_pb2.RevertToSnapshotRequest(snapshot_id="s2"))
    with pytest.raises(faults.NotFound):
        vm.snapshot("snap9")


def test_datastore_paths_are_relative_to_the_datastore(session: objects.Session, fake: FakeHost) -> None:
    from clients.datastores import Datastore

    fake.files["[datastore1] web01"] = [datastore_pb2.DatastoreFile(name="web01.vmx", type="VmConfigFile")]
    store = objects.Datastore(session, Datastore("datastore1", "", "", 10, 5, False, True))
    assert [f.name for f in store.browse("web01")] == ["web01.vmx"]
    assert store.path("") == "[datastore1]"
    assert store.path("[other] x") == "[other] x"

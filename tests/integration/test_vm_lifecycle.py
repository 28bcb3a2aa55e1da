"""VMs as folders with a .vmx; power-on starts a vmx with one VMM world per vCPU; faults are typed."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import grpc
import pytest

from clients import Client
from pyesx import faults
from pyesx.api.v1 import vm_pb2, vm_pb2_grpc
from pyesx.vmxfile import VmxConfig
from tests.harness import BootedHost, children_of, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


def _cmdline(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ")


def _create(client: Client, name: str = "web01", cpus: int = 2, memory_mb: int = 256) -> str:
    task = client.wait_for_task(client.create_vm(name, num_cpus=cpus, memory_mb=memory_mb, notes="n").id)
    assert task.state == "success" and task.result_vm is not None
    return task.result_vm.id


def test_create_writes_an_esxi_vmx_and_registers_it(host: BootedHost, client: Client) -> None:
    vm_id = _create(client)
    vm = client.get_vm(vm_id)
    assert (vm.name, vm.num_cpu, vm.memory_mb, vm.power_state) == ("web01", 2, 256, "poweredOff")
    assert vm.vmx_path == "[datastore1] web01/web01.vmx"
    vmx_file = host.root / "vmfs/volumes/datastore1/web01/web01.vmx"
    text = vmx_file.read_text()
    assert text.startswith('.encoding = "UTF-8"\n')
    config = VmxConfig.parse(text)
    assert (config["displayName"], config["numvcpus"], config["memSize"]) == ("web01", "2", "256")
    assert config["ethernet0.generatedAddress"].startswith("00:0c:29:")
    inventory = (host.root / "etc/vmware/hostd/vmInventory.xml").read_text()
    assert "<vmxCfgPath>/vmfs/volumes/datastore1/web01/web01.vmx</vmxCfgPath>" in inventory


def test_power_on_starts_vmx_with_one_vmm_world_per_vcpu(host: BootedHost, client: Client) -> None:
    vm_id = _create(client, cpus=2)
    task = client.wait_for_task(client.power_on(vm_id).id)
    assert task.state == "success" and task.description_id == "VirtualMachine.powerOn" and task.user == "root"
    vm = client.get_vm(vm_id)
    assert vm.power_state == "poweredOn"
    assert vm.vmx_pid in children_of(host.pid)
    assert _cmdline(vm.vmx_pid).startswith("pyesx-vmx: web01 (vm-1)")
    assert sorted(children_of(vm.vmx_pid)) == sorted(vm.vmm_pids) and len(vm.vmm_pids) == 2
    for pid in vm.vmm_pids:
        assert _cmdline(pid).startswith(("pyesx-vmm0: web01", "pyesx-vmm1: web01"))
    state = json.loads((host.root / f"run/vmx/{vm_id}.json").read_text())
    assert state["pid"] == vm.vmx_pid and state["vmm_pids"] == list(vm.vmm_pids)

    client.wait_for_task(client.power_off(vm_id).id)
    off = client.get_vm(vm_id)
    assert off.power_state == "poweredOff" and off.vmx_pid == 0
    for pid in (vm.vmx_pid, *vm.vmm_pids):
        assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text().split()[2]


def test_power_faults_carry_requested_and_existing_state(client: Client) -> None:
    vm_id = _create(client, cpus=1)
    with pytest.raises(faults.InvalidPowerState) as off:
        client.power_off(vm_id)
    assert (off.value.requested_state, off.value.existing_state) == ("poweredOn", "poweredOff")
    client.wait_for_task(client.power_on(vm_id).id)
    with pytest.raises(faults.InvalidPowerState) as on:
        client.power_on(vm_id)
    assert (on.value.requested_state, on.value.existing_state) == ("poweredOff", "poweredOn")
    with pytest.raises(faults.InvalidPowerState):
        client.destroy_vm(vm_id)
    client.wait_for_task(client.kill(vm_id).id)
    assert client.get_vm(vm_id).power_state == "poweredOff"


def test_second_operation_while_one_runs_is_task_in_progress(client: Client) -> None:
    vm_id = _create(client, cpus=1)
    first = client.power_on(vm_id)
    with pytest.raises(faults.TaskInProgress) as raised:
        client.power_on(vm_id)
    assert raised.value.task_id == first.id
    client.wait_for_task(first.id)


@pytest.mark.parametrize("name", ["a/b", "..", "../../etc", "x" * 81, "nul\x00byte", "", " lead"])
def test_bad_names_are_invalid_argument_and_create_nothing(
    host: BootedHost, client: Client, name: str
) -> None:
    before = sorted(p.name for p in (host.root / "vmfs/volumes/datastore1").iterdir())
    with pytest.raises(faults.InvalidArgument) as raised:
        client.create_vm(name)
    assert raised.value.argument == "name"
    assert sorted(p.name for p in (host.root / "vmfs/volumes/datastore1").iterdir()) == before
    assert client.list_vms() == []


@pytest.mark.parametrize(
    ("cpus", "memory_mb", "argument"),
    [(0 - 1, 256, "numCPUs"), (4096, 256, "numCPUs"), (1, 255, "memoryMB"), (1, 2**31 - 4, "memoryMB")],
)
def test_bad_sizes_are_invalid_argument(client: Client, cpus: int, memory_mb: int, argument: str) -> None:
    with pytest.raises(faults.InvalidArgument) as raised:
        client.create_vm("sized", num_cpus=cpus, memory_mb=memory_mb)
    assert raised.value.argument == argument


def test_duplicate_names_and_unknown_vms(client: Client) -> None:
    _create(client, "db01", cpus=1)
    with pytest.raises(faults.DuplicateName) as dup:
        client.create_vm("db01")
    assert dup.value.name == "db01"
    with pytest.raises(faults.NotFound) as missing:
        client.get_vm("vm-999")
    assert (missing.value.object_type, missing.value.name) == ("VirtualMachine", "vm-999")
    with pytest.raises(faults.NotFound):
        client.power_on("vm-999")


def test_destroy_deletes_files_and_unregister_keeps_them(host: BootedHost, client: Client) -> None:
    keep, gone = _create(client, "keep", cpus=1), _create(client, "gone", cpus=1)
    client.wait_for_task(client.unregister_vm(keep).id)
    client.wait_for_task(client.destroy_vm(gone).id)
    datastore = host.root / "vmfs/volumes/datastore1"
    assert (datastore / "keep/keep.vmx").exists() and not (datastore / "gone").exists()
    assert client.list_vms() == []
    assert "vmxCfgPath" not in (host.root / "etc/vmware/hostd/vmInventory.xml").read_text()


def test_kill_9_of_hostd_leaves_vms_running_and_it_reattaches(host: BootedHost, client: Client) -> None:
    vm_id = _create(client, cpus=2)
    client.wait_for_task(client.power_on(vm_id).id)
    before = client.get_vm(vm_id)
    old_hostd = host.hostd_pid()
    os.kill(old_hostd, signal.SIGKILL)
    new_hostd = wait_until(lambda: (pid := host.hostd_pid()) != old_hostd and pid, what="hostd restart")
    with host.client() as again:
        after = wait_until(lambda: again.get_vm(vm_id), what="hostd serving")
        assert after.power_state == "poweredOn"
        assert (after.vmx_pid, after.vmm_pids) == (before.vmx_pid, before.vmm_pids)
        assert sorted(children_of(after.vmx_pid)) == sorted(after.vmm_pids)
        events = wait_until(
            lambda: [e for e in _events(again) if e["type"] == "HostdRestartedEvent"],
            what="HostdRestartedEvent",
        )
        assert str(new_hostd) in events[0]["message"]
        again.wait_for_task(again.power_off(vm_id).id)
        assert again.get_vm(vm_id).power_state == "poweredOff"


def _events(client: Client) -> list[dict[str, str]]:
    from pyesx.api.v1 import event_pb2, event_pb2_grpc

    stub = event_pb2_grpc.EventServiceStub(client._channel)
    response = client._call(stub.QueryEvents, event_pb2.QueryEventsRequest())
    return [{"type": e.type, "message": e.message, "vm_id": e.vm_id} for e in response.events]


def test_a_vmx_that_dies_leaves_the_vm_powered_off_with_an_event(client: Client) -> None:
    vm_id = _create(client, cpus=1)
    client.wait_for_task(client.power_on(vm_id).id)
    os.kill(client.get_vm(vm_id).vmx_pid, signal.SIGKILL)
    wait_until(lambda: client.get_vm(vm_id).power_state == "poweredOff", what="poweredOff after vmx death")
    died = [e for e in _events(client) if e["type"] == "VmDiedEvent"]
    assert died and died[0]["vm_id"] == vm_id
    client.wait_for_task(client.power_on(vm_id).id)
    assert client.get_vm(vm_id).power_state == "poweredOn"


def test_events_record_the_lifecycle(client: Client) -> None:
    vm_id = _create(client, cpus=1)
    client.wait_for_task(client.power_on(vm_id).id)
    client.wait_for_task(client.power_off(vm_id).id)
    types = [e["type"] for e in _events(client) if e["vm_id"] == vm_id]
    assert types == [
        "VmPoweredOffEvent",
        "VmStoppingEvent",
        "VmPoweredOnEvent",
        "VmStartingEvent",
        "VmCreatedEvent",
    ]


def test_the_request_id_is_logged_by_hostd_vmkernel_and_the_vmx(host: BootedHost, client: Client) -> None:
    vm_id = _create(client, cpus=1)
    request_id = "feedc0ffee123456"
    stub = vm_pb2_grpc.VirtualMachineServiceStub(client._channel)
    task = stub.PowerOnVM(
        vm_pb2.VMRequest(id=vm_id),
        metadata=[("x-request-id", request_id), ("x-pyesx-session", client.session_key)],
        timeout=30,
    )
    client.wait_for_task(task.id)
    logs = {
        "hostd": host.root / "log/hostd.log",
        "vmkernel": host.root / "log/vmkernel.log",
        "vmx": host.root / "vmfs/volumes/datastore1/web01/vmware.log",
    }
    for component, path in logs.items():
        # info lines reach the file within the flush period (pyesx.logs.FLUSH_INTERVAL)
        wait_until(lambda: request_id in path.read_text(), what=f"{component} logging the request id")  # noqa: B023
        tagged = [json.loads(line) for line in path.read_text().splitlines() if request_id in line]
        assert all(record["request_id"] == request_id for record in tagged)


def test_raw_grpc_faults_have_typed_details(host: BootedHost, client: Client) -> None:
    from google.rpc import status_pb2

    from pyesx.api.v1 import faults_pb2

    stub = vm_pb2_grpc.VirtualMachineServiceStub(client._channel)
    with pytest.raises(grpc.RpcError) as raised:
        stub.GetVM(vm_pb2.GetVMRequest(id="vm-404"), metadata=[("x-pyesx-session", client.session_key)])
    assert raised.value.code() == grpc.StatusCode.NOT_FOUND
    details = dict(raised.value.trailing_metadata())["grpc-status-details-bin"]
    fault = faults_pb2.Fault()
    status_pb2.Status.FromString(details).details[0].Unpack(fault)
    assert fault.WhichOneof("kind") == "not_found" and fault.not_found.name == "vm-404"


def _factory_pid(host: BootedHost) -> int:
    [pid] = [p for p in children_of(host.pid) if _cmdline(p).startswith("pyesx-vmx-factory:")]
    return pid


def test_a_killed_vmx_factory_is_restarted_on_the_next_power_on(host: BootedHost, client: Client) -> None:
    running = _create(client, "running", cpus=1)
    client.wait_for_task(client.power_on(running).id)
    old_factory = _factory_pid(host)
    os.kill(old_factory, signal.SIGKILL)
    wait_until(lambda: old_factory not in children_of(host.pid), what="factory gone")
    assert client.get_vm(running).power_state == "poweredOn"  # vmx processes are the VMkernel's, not its
    later = _create(client, "later", cpus=2)
    client.wait_for_task(client.power_on(later).id)
    vm = client.get_vm(later)
    assert vm.power_state == "poweredOn" and sorted(children_of(vm.vmx_pid)) == sorted(vm.vmm_pids)
    assert _factory_pid(host) != old_factory


def test_kill_9_of_the_vmkernel_takes_every_world_with_it(tmp_path: Path) -> None:
    booted = BootedHost(tmp_path / "h")
    try:
        with booted.client() as c:
            vm_id = _create(c, cpus=2)
            c.wait_for_task(c.power_on(vm_id).id)
            vm = c.get_vm(vm_id)
        worlds = [booted.hostd_pid(), vm.vmx_pid, *vm.vmm_pids]
        booted.process.kill()
        booted.process.wait()
        wait_until(lambda: not any(Path(f"/proc/{pid}").exists() for pid in worlds), what="worlds gone")
    finally:
        booted.stop()


def test_a_hostd_crash_mid_operation_leaves_vms_consistent_and_no_task_running(
    host: BootedHost, client: Client
) -> None:
    vm_id = _create(client, "steady", cpus=1)
    power_on = client.power_on(vm_id)
    create = client.create_vm("halfway")
    os.kill(host.hostd_pid(), signal.SIGKILL)
    with wait_until(lambda: host.client(), what="hostd back") as again:
        for task_id in (power_on.id, create.id):
            assert again.get_task(task_id).state in ("success", "error")
        vm = again.get_vm(vm_id)
        state_file = host.root / f"run/vmx/{vm_id}.json"
        if vm.power_state == "poweredOn":  # as asked
            assert sorted(children_of(vm.vmx_pid)) == sorted(vm.vmm_pids)
            assert json.loads(state_file.read_text())["pid"] == vm.vmx_pid
        else:  # as it was
            assert vm.vmx_pid == 0 and not state_file.exists()
        registered = [v.name for v in again.list_vms()]
        folder = host.root / "vmfs/volumes/datastore1/halfway"
        assert ("halfway" in registered) == folder.exists()


def test_a_vmm_world_that_dies_takes_its_vm_down_like_a_vmx_crash(client: Client) -> None:
    vm_id = _create(client, "onecpu", cpus=2)
    client.wait_for_task(client.power_on(vm_id).id)
    vm = client.get_vm(vm_id)
    os.kill(vm.vmm_pids[1], signal.SIGKILL)
    wait_until(lambda: client.get_vm(vm_id).power_state == "poweredOff", what="poweredOff after a VMM death")
    wait_until(lambda: not any(Path(f"/proc/{p}").exists() for p in (vm.vmx_pid, *vm.vmm_pids)), what="gone")
    [died] = client.events(vm_id=vm_id, types=["VmDiedEvent"])
    assert "VMM world" in died.message
    client.wait_for_task(client.power_on(vm_id).id)
    assert client.get_vm(vm_id).power_state == "poweredOn"

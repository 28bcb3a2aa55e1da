"""Boot and install: layout, datastore1, vSwitch0, the root account, the ready line, shutdown."""

from __future__ import annotations

import json
import os
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from clients import Client, connect
from clients.tls import Trust, secure_channel
from pyesx import faults
from pyesx.api.v1 import vm_pb2, vm_pb2_grpc
from tests.harness import BootedHost, children_of, pyesx_processes, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


def test_first_boot_installs_the_host(host: BootedHost, client: Client) -> None:
    root = host.root
    for sub in ("etc", "run", "log", "vmfs/volumes/datastore1"):
        assert (root / sub).is_dir(), sub
    assert oct((root / "run").stat().st_mode & 0o777) == "0o700"
    info = client.host()
    assert info.connection_state == "connected" and info.power_state == "poweredOn"
    assert info.num_cpu == len(os.sched_getaffinity(0)) and info.cpu_mhz > 0 and info.memory_total_mb > 0
    shadow = (root / "etc/shadow.json").read_text()
    assert "test-root-pw" not in shadow and "scrypt$" in shadow
    assert oct((root / "etc/shadow.json").stat().st_mode & 0o777) == "0o600"
    config = json.loads((root / "etc/esx.conf.json").read_text())
    assert [d["name"] for d in config["datastores"]] == ["datastore1"]
    vswitch0 = config["vswitches"][0]
    assert vswitch0["name"] == "vSwitch0" and vswitch0["uplinks"] == ["vmnic0"]
    assert {pg["name"] for pg in vswitch0["port_groups"]} == {"VM Network", "Management Network"}


def test_host_api_reports_datastore_and_vswitch(host: BootedHost) -> None:
    from pyesx.api.v1 import host_pb2, host_pb2_grpc

    with host.client() as c:
        stub = host_pb2_grpc.HostServiceStub(c._channel)
        got = c._call(stub.GetHost, host_pb2.GetHostRequest())
    assert [d.name for d in got.datastores] == ["datastore1"]
    assert got.datastores[0].capacity_bytes > got.datastores[0].free_bytes > 0
    assert [pg.name for pg in got.virtual_switches[0].port_groups] == ["VM Network", "Management Network"]


def test_ready_line_is_printed_exactly_once(host: BootedHost) -> None:
    ready = [line for line in host.output if line.startswith("pyesx host ready")]
    assert len(ready) == 1
    assert f"grpc={host.address}" in ready[0] and f"root={host.root.resolve()}" in ready[0]


def test_generated_root_password_is_printed_once_and_works(tmp_path: Path) -> None:
    first = BootedHost(tmp_path / "h", password=None)
    try:
        lines = [line for line in first.output if "root password" in line]
        assert len(lines) == 1
        password = lines[0].rsplit(": ", 1)[1].strip()
        with connect(first.address, "root", password) as c:
            assert c.user == "root"
    finally:
        first.stop()
    second = BootedHost(tmp_path / "h", password=None)
    try:
        assert not [line for line in second.output if "root password" in line]
        with connect(second.address, "root", password):
            pass
    finally:
        second.stop()


def test_health_and_reflection_are_served(host: BootedHost) -> None:
    with secure_channel(host.address, Trust(ca_file=str(host.ca_file))) as channel:
        health = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5)
        assert health.status == health_pb2.HealthCheckResponse.SERVING
        responses = reflection_pb2_grpc.ServerReflectionStub(channel).ServerReflectionInfo(
            iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=5
        )
        services = {s.name for r in responses for s in r.list_services_response.service}
    assert "pyesx.api.v1.VirtualMachineService" in services and "grpc.health.v1.Health" in services


def test_calls_without_a_session_are_unauthenticated(host: BootedHost) -> None:
    with secure_channel(host.address, Trust(thumbprint=host.thumbprint)) as channel:
        stub = vm_pb2_grpc.VirtualMachineServiceStub(channel)
        with pytest.raises(grpc.RpcError) as raised:
            stub.ListVMs(vm_pb2.ListVMsRequest(), timeout=5)
    assert raised.value.code() == grpc.StatusCode.UNAUTHENTICATED
    with (
        pytest.raises(grpc.RpcError) as again,
        secure_channel(host.address, Trust(thumbprint=host.thumbprint)) as channel,
    ):
        vm_pb2_grpc.VirtualMachineServiceStub(channel).ListVMs(
            vm_pb2.ListVMsRequest(), metadata=[("x-pyesx-session", "forged")], timeout=5
        )
    assert again.value.code() == grpc.StatusCode.UNAUTHENTICATED


def test_wrong_password_is_not_authenticated(host: BootedHost) -> None:
    with pytest.raises(faults.NotAuthenticated):
        connect(host.address, "root", "wrong")
    with pytest.raises(faults.NotAuthenticated):
        connect(host.address, "nobody", "test-root-pw")


def test_a_second_host_on_the_same_root_is_refused(host: BootedHost) -> None:
    with pytest.raises(AssertionError, match="another host is running"):
        BootedHost(host.root)


def test_shutdown_powers_vms_off_and_leaves_no_process(tmp_path: Path) -> None:
    booted = BootedHost(tmp_path / "h")
    with booted.client() as c:
        vm = c.wait_for_task(c.create_vm("web01", num_cpus=2).id).result_vm
        assert vm is not None
        c.wait_for_task(c.power_on(vm.id).id)
        pids = {c.get_vm(vm.id).vmx_pid, *c.get_vm(vm.id).vmm_pids}
    assert booted.stop() == 0
    alive = set(pyesx_processes())
    assert not pids & alive
    assert not set(children_of(booted.pid))
    vmware_log = (tmp_path / "h/vmfs/volumes/datastore1/web01/vmware.log").read_text()
    assert "vmx.exited" in vmware_log
    again = BootedHost(tmp_path / "h")
    try:
        with again.client() as c:
            [vm_after] = c.list_vms()
            assert vm_after.id == vm.id and vm_after.power_state == "poweredOff"
    finally:
        again.stop()


def test_logs_are_json_lines_per_process(host: BootedHost, client: Client) -> None:
    client.host()
    expected = {"vmkernel.log": "VMkernel/GetHostInfo", "hostd.log": "HostService/GetHost"}
    for name, rpc in expected.items():
        path = host.root / "log" / name
        # info lines reach the file within the flush period (pyesx.logs.FLUSH_INTERVAL)
        wait_until(lambda: rpc in path.read_text(), what=f"{name} logging {rpc}")  # noqa: B023
        for line in path.read_text().splitlines():
            record = json.loads(line)
            assert {"component", "pid", "timestamp", "event"} <= set(record)
            assert record["component"] == name.removesuffix(".log")

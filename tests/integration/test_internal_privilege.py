"""Internal least privilege: a vmx's credential reaches only its own VM's worlds, disks and ports.

The test plays a compromised vmx: it holds VM a's credential (the VMkernel writes them out for
tests, ``PYESX_TEST_CREDENTIALS_DIR``; a vmx keeps its own in memory) and forges requests to the
VMkernel's socket for VM b."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import grpc
import pytest

from clients import Client
from pyesx.api.v1 import performance_pb2
from pyesx.rpc.credentials import CREDENTIAL_KEY
from pyesx.vmkernel.v1 import vmkernel_pb2, vmkernel_pb2_grpc
from tests.harness import BootedHost

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]
MIB = 1 << 20


def _power_on(host: BootedHost, client: Client, name: str) -> str:
    task = client.create_vm(name, num_cpus=1, memory_mb=64, disk_capacity_bytes=[4 * MIB])
    vm = client.wait_for_task(task.id).result_vm
    assert vm is not None
    client.wait_for_task(client.power_on(vm.id).id)
    return vm.id


@pytest.fixture
def vmkernel(host: BootedHost) -> Iterator[vmkernel_pb2_grpc.VMkernelStub]:
    with grpc.insecure_channel(f"unix://{host.root / 'run' / 'vmkernel.sock'}") as channel:
        yield vmkernel_pb2_grpc.VMkernelStub(channel)


def _refused(call: Callable[..., object], request: object, credential: str) -> grpc.StatusCode:
    with pytest.raises(grpc.RpcError) as refused:
        call(request, metadata=[(CREDENTIAL_KEY, credential)], timeout=10)
    code: grpc.StatusCode = refused.value.code()
    return code


def test_a_vmx_credential_acts_only_on_its_own_vm(
    host: BootedHost, client: Client, vmkernel: vmkernel_pb2_grpc.VMkernelStub
) -> None:
    a, b = _power_on(host, client, "priv-a"), _power_on(host, client, "priv-b")
    mine = host.vmkernel_credential(a)
    assert "credential" not in json.loads((host.root / "run" / "vmx" / f"{a}.json").read_text())
    disk_a, disk_b = (host.root / "vmfs/volumes/datastore1" / f"priv-{n}" / f"priv-{n}.vmdk" for n in "ab")
    assert disk_a.exists() and disk_b.exists()
    nic_b = client.get_vm(b).network_adapters[0]
    denied = grpc.StatusCode.PERMISSION_DENIED

    # another VM's world, disk and port
    assert _refused(vmkernel.StopVmx, vmkernel_pb2.StopVmxRequest(vm_id=b, kill=True), mine) == denied
    assert _refused(vmkernel.HotAddVcpus, vmkernel_pb2.HotAddVcpusRequest(vm_id=b, num_cpu=2), mine) == denied
    assert _refused(vmkernel.GetVirtualDisk, vmkernel_pb2.DiskPathRequest(path=str(disk_b)), mine) == denied
    forged_nic = vmkernel_pb2.VmNic(
        key=nic_b.key, network_name=nic_b.network_name, mac=nic_b.mac_address, connected=False
    )
    port = vmkernel_pb2.SetNicStateRequest(vm_id=b, nic=forged_nic)
    assert _refused(vmkernel.SetNicState, port, mine) == denied
    # what only hostd may do
    assert (
        _refused(vmkernel.DeleteVirtualDisk, vmkernel_pb2.DiskPathRequest(path=str(disk_b)), mine) == denied
    )
    assert _refused(vmkernel.ListWorlds, vmkernel_pb2.ListWorldsRequest(), mine) == denied
    # no credential, or a made-up one
    with pytest.raises(grpc.RpcError) as anonymous:
        vmkernel.GetHostInfo(vmkernel_pb2.GetHostInfoRequest(), timeout=10)
    assert anonymous.value.code() == grpc.StatusCode.UNAUTHENTICATED
    forged = vmkernel_pb2.GetHostInfoRequest()
    assert _refused(vmkernel.GetHostInfo, forged, "made-up") == grpc.StatusCode.UNAUTHENTICATED

    # its own VM: allowed, and it sees only its own worlds
    own = [(CREDENTIAL_KEY, mine)]
    assert vmkernel.GetVirtualDisk(
        vmkernel_pb2.DiskPathRequest(path=str(disk_a)), metadata=own
    ).capacity_bytes
    stats = vmkernel.GetWorldStats(performance_pb2.GetWorldStatsRequest(), metadata=own, timeout=10)
    assert stats.worlds and {w.vm_id for w in stats.worlds} == {a}

    # nothing happened to b; and once a is off its credential is worth nothing
    assert client.get_vm(b).power_state == "poweredOn"
    assert all(n.connected for n in client.get_vm(b).network_adapters)
    client.wait_for_task(client.power_off(a).id)
    assert _refused(vmkernel.GetWorldStats, performance_pb2.GetWorldStatsRequest(), mine) == (
        grpc.StatusCode.UNAUTHENTICATED
    )

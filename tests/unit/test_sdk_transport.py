"""The SDK's transports against a small in-process gRPC server: the session key and a request id
travel with every call, faults come back as their classes, and a watch ends at its deadline."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent import futures
from typing import Any

import grpc
import pytest

from clients import aio, objects, ops
from clients.transport import AsyncTransport, SyncTransport
from pyesx import faults
from pyesx.api.v1 import changes_pb2, changes_pb2_grpc, vm_pb2, vm_pb2_grpc
from pyesx.rpc.faultwire import fault_to_status
from pyesx.rpc.metadata import REQUEST_ID_KEY, SESSION_KEY

KEY = "session-1"


class VMs(vm_pb2_grpc.VirtualMachineServiceServicer):
    """GetVM of "vm-1" for the right session; NotFound otherwise."""

    def __init__(self) -> None:
        self.request_ids: list[str] = []

    def GetVM(self, request: vm_pb2.GetVMRequest, context: grpc.ServicerContext) -> vm_pb2.VirtualMachine:
        metadata = dict(context.invocation_metadata())
        self.request_ids.append(str(metadata.get(REQUEST_ID_KEY, "")))
        if metadata.get(SESSION_KEY) != KEY:
            context.abort(grpc.StatusCode.UNAUTHENTICATED, "no session")
        if request.id != "vm-1":
            code, details, trailing = fault_to_status(faults.NotFound("VirtualMachine", request.id))
            context.set_trailing_metadata(trailing)
            context.abort(code, details)
        return vm_pb2.VirtualMachine(id="vm-1", name="web01", power_state=vm_pb2.POWERED_ON)


class Feed(changes_pb2_grpc.ChangeFeedServiceServicer):
    """The VM's state, the end of the replay, then nothing until the client goes."""

    def WatchChanges(self, request: Any, context: grpc.ServicerContext) -> Iterator[changes_pb2.Change]:
        vm = vm_pb2.VirtualMachine(id="vm-1", name="web01")
        yield changes_pb2.Change(version=1, object_type="VirtualMachine", object_id="vm-1", vm=vm)
        yield changes_pb2.Change(version=1, initial_done=True)
        gone = threading.Event()
        context.add_callback(gone.set)
        gone.wait(30)


@pytest.fixture
def server() -> Iterator[tuple[str, VMs]]:
    vms = VMs()  # type: ignore[abstract]  # only GetVM is served
    grpc_server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    vm_pb2_grpc.add_VirtualMachineServiceServicer_to_server(vms, grpc_server)
    changes_pb2_grpc.add_ChangeFeedServiceServicer_to_server(Feed(), grpc_server)
    port = grpc_server.add_insecure_port("127.0.0.1:0")
    grpc_server.start()
    yield f"127.0.0.1:{port}", vms
    grpc_server.stop(None)


def test_sync_transport(server: tuple[str, VMs]) -> None:
    address, vms = server
    with objects.Session(SyncTransport(grpc.insecure_channel(address), KEY)) as session:
        vm = objects.VM(session, session._t.call(ops.get_vm("vm-1")))
        assert (vm.name, vm.refresh().power_state) == ("web01", "poweredOn")
        with pytest.raises(faults.NotFound) as raised:
            session._t.call(ops.get_vm("vm-9"))
        assert raised.value.name == "vm-9"
        with pytest.raises(faults.Timedout):  # the feed never shows it suspended
            vm.wait_for(power_state="suspended", timeout=0.5)
    assert len(set(vms.request_ids)) == len(vms.request_ids) == 3  # a fresh request id per call
    anonymous = SyncTransport(grpc.insecure_channel(address))
    with pytest.raises(faults.NotAuthenticated):
        anonymous.call(ops.get_vm("vm-1"))
    anonymous.close()


async def test_async_transport(server: tuple[str, VMs]) -> None:
    address, _ = server
    async with aio.AsyncSession(AsyncTransport(grpc.aio.insecure_channel(address), KEY)) as session:
        vm = aio.VM(session, await session._t.call(ops.get_vm("vm-1")))
        assert (await vm.refresh()).power_state == "poweredOn"
        with pytest.raises(faults.NotFound):
            await session._t.call(ops.get_vm("vm-9"))
        changes = [c async for c in session.watch(timeout=0.5)]
        assert [(c.object_id, c.initial_done) for c in changes] == [("vm-1", False), ("", True)]
        with pytest.raises(faults.Timedout):
            await vm.wait_for(power_state="suspended", timeout=0.5)

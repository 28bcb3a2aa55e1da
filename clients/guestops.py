"""The SDK's guest operations: run a script in a guest, list its processes, copy files in and out
(through the guest's tools, as a guest user). Mixed into ``clients.sdk.Client``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import grpc

from pyesx.api.v1 import guest_pb2, guest_pb2_grpc, vm_pb2, vm_pb2_grpc
from pyesx.rpc.faultwire import fault_from_rpc_error

CHUNK_BYTES = 1 << 20


@dataclass(frozen=True)
class ScriptResult:
    """What Invoke-VMScript returns: the script's exit code and its output."""

    exit_code: int
    script_output: str


@dataclass(frozen=True)
class GuestProcess:
    pid: int
    name: str
    cmd_line: str
    owner: str
    start_time: float


class GuestOperationCalls:
    """Guest operation calls of a logged-in ``Client``."""

    _guest: guest_pb2_grpc.GuestOperationsServiceStub
    _vms: vm_pb2_grpc.VirtualMachineServiceStub
    _call: Callable[..., Any]
    _metadata: Callable[[], list[tuple[str, str]]]

    def run_script(
        self, vm_id: str, user: str, password: str, script: str, timeout: float = 0.0
    ) -> ScriptResult:
        """Run ``script`` in the guest's shell as ``user`` and wait for it (timeout 0: 300 s; past it
        the guest ends the script and Timedout is raised)."""
        request = guest_pb2.RunScriptInGuestRequest(
            vm_id=vm_id,
            auth=guest_pb2.GuestAuth(username=user, password=password),
            script_text=script,
            timeout_seconds=timeout,
        )
        reply = self._call(self._guest.RunScriptInGuest, request, None)
        return ScriptResult(reply.exit_code, reply.script_output)

    def guest_processes(self, vm_id: str, user: str, password: str) -> list[GuestProcess]:
        request = guest_pb2.GuestAuthRequest(
            vm_id=vm_id, auth=guest_pb2.GuestAuth(username=user, password=password)
        )
        reply = self._call(self._guest.ListProcessesInGuest, request)
        return [GuestProcess(p.pid, p.name, p.cmd_line, p.owner, p.start_time) for p in reply.processes]

    def copy_to_guest(
        self, vm_id: str, user: str, password: str, data: bytes, guest_path: str, overwrite: bool = False
    ) -> int:
        """Write ``data`` to ``guest_path`` in the guest; returns the bytes copied."""
        auth = guest_pb2.GuestAuth(username=user, password=password)

        def chunks() -> Iterator[guest_pb2.GuestFileChunk]:
            yield guest_pb2.GuestFileChunk(
                vm_id=vm_id, auth=auth, guest_path=guest_path, overwrite=overwrite, data=data[:CHUNK_BYTES]
            )
            for start in range(CHUNK_BYTES, len(data), CHUNK_BYTES):
                yield guest_pb2.GuestFileChunk(data=data[start : start + CHUNK_BYTES])

        reply = self._call(self._guest.CopyFileToGuest, chunks(), None)
        return int(reply.size)

    def copy_from_guest(self, vm_id: str, user: str, password: str, guest_path: str) -> bytes:
        """The content of ``guest_path`` in the guest."""
        request = guest_pb2.CopyFileFromGuestRequest(
            vm_id=vm_id, auth=guest_pb2.GuestAuth(username=user, password=password), guest_path=guest_path
        )
        data = bytearray()
        try:
            for chunk in self._guest.CopyFileFromGuest(request, metadata=self._metadata()):
                data += chunk.data
        except grpc.RpcError as error:
            raise fault_from_rpc_error(error) from None
        return bytes(data)

    def standby_guest(self, vm_id: str) -> None:
        """Ask the guest OS to go to standby (it sleeps until a key is pressed on its console)."""
        self._call(self._vms.StandbyGuest, vm_pb2.VMRequest(id=vm_id))

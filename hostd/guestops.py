"""Guest operations (vSphere's GuestOperationsManager): programs, files and processes in a guest.

hostd checks the VM and the request, then asks the VM's vmx, which asks the
guest's tools over the backdoor. The guest authenticates the guest user;
hostd never sees the guest's accounts.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from typing import Any, TypeAlias

import grpc

from hostd.power import VmxClients
from hostd.vms import POWERED_ON, VmManager, VmRecord
from pyesx import faults
from pyesx.api.v1 import guest_pb2, guest_pb2_grpc
from pyesx.rpc.channel import call
from pyesx.vmx.v1 import vmx_pb2

Ctx: TypeAlias = grpc.aio.ServicerContext
DEFAULT_SCRIPT_TIMEOUT_S = 300.0
MAX_SCRIPT_TIMEOUT_S = 24 * 3600.0
MAX_GUEST_FILE_BYTES = 32 << 20  # what one copy moves (it crosses the backdoor in one message)
CHUNK_BYTES = 1 << 20
ANSWER_MARGIN_S = 10.0  # the guest ends a program at its timeout; the answer may take a moment more


def _credentials(vm: VmRecord, auth: guest_pb2.GuestAuth) -> dict[str, str]:
    if not auth.username:
        raise faults.InvalidGuestLogin(vm.name, f"A guest user name is required for {vm.name}.")
    return {"user": auth.username, "password": auth.password}


def _guest_path(path: str) -> str:
    if not path.startswith("/") or "\0" in path or len(path) > 4096:
        raise faults.InvalidArgument("guestPath", f"'{path[:200]}' is not an absolute guest path")
    return path


class GuestOperations:
    """The domain side: one method per operation, each a request to the guest's tools."""

    def __init__(self, vms: VmManager, vmx: VmxClients) -> None:
        self.vms, self.vmx = vms, vmx

    async def _tools(self, vm_id: str, op: str, fields: dict[str, Any], timeout: float) -> dict[str, Any]:
        vm = self.vms.get(vm_id)
        self.vms.require(vm, POWERED_ON, requested=POWERED_ON)
        request = vmx_pb2.ToolsCallRequest(op=op, fields_json=json.dumps(fields), timeout_seconds=timeout)
        response = await call(self.vmx.stub(vm).ToolsCall, request, timeout=timeout + ANSWER_MARGIN_S)
        answer: dict[str, Any] = json.loads(response.answer_json)
        return answer

    async def run_script(
        self, vm_id: str, auth: guest_pb2.GuestAuth, script: str, timeout: float
    ) -> tuple[int, str]:
        vm = self.vms.get(vm_id)
        timeout = timeout or DEFAULT_SCRIPT_TIMEOUT_S
        if not 0 < timeout <= MAX_SCRIPT_TIMEOUT_S:
            limit = f"{MAX_SCRIPT_TIMEOUT_S:.0f}"
            raise faults.InvalidArgument("timeout", f"{timeout} s is not from 0 to {limit} s")
        if len(script) > 1 << 20:
            raise faults.InvalidArgument("scriptText", "a script is at most 1 MiB")
        fields = {**_credentials(vm, auth), "command": script, "timeout_s": timeout}
        answer = await self._tools(vm_id, "exec", fields, timeout)
        return int(answer["exit_code"]), str(answer["output"])

    async def list_processes(self, vm_id: str, auth: guest_pb2.GuestAuth) -> list[dict[str, Any]]:
        vm = self.vms.get(vm_id)
        answer = await self._tools(vm_id, "ps", _credentials(vm, auth), 30.0)
        processes: list[dict[str, Any]] = answer["processes"]
        return processes

    async def copy_to_guest(
        self, vm_id: str, auth: guest_pb2.GuestAuth, path: str, data: bytes, overwrite: bool
    ) -> None:
        vm = self.vms.get(vm_id)
        fields = {
            **_credentials(vm, auth),
            "path": _guest_path(path),
            "data_b64": base64.b64encode(data).decode(),
            "overwrite": overwrite,
        }
        await self._tools(vm_id, "copy_in", fields, 120.0)

    async def copy_from_guest(self, vm_id: str, auth: guest_pb2.GuestAuth, path: str) -> bytes:
        vm = self.vms.get(vm_id)
        fields = {**_credentials(vm, auth), "path": _guest_path(path)}
        answer = await self._tools(vm_id, "copy_out", fields, 120.0)
        return base64.b64decode(answer["data_b64"])


class GuestOperationsServicer(guest_pb2_grpc.GuestOperationsServiceServicer):
    def __init__(self, operations: GuestOperations) -> None:
        self.operations = operations

    async def RunScriptInGuest(
        self, request: guest_pb2.RunScriptInGuestRequest, context: Ctx
    ) -> guest_pb2.RunScriptInGuestResponse:
        exit_code, output = await self.operations.run_script(
            request.vm_id, request.auth, request.script_text, request.timeout_seconds
        )
        return guest_pb2.RunScriptInGuestResponse(exit_code=exit_code, script_output=output)

    async def ListProcessesInGuest(
        self, request: guest_pb2.GuestAuthRequest, context: Ctx
    ) -> guest_pb2.ListProcessesInGuestResponse:
        processes = await self.operations.list_processes(request.vm_id, request.auth)
        return guest_pb2.ListProcessesInGuestResponse(
            processes=[
                guest_pb2.GuestProcess(
                    pid=int(p["pid"]),
                    name=str(p["name"]),
                    cmd_line=str(p.get("cmd", "")),
                    owner=str(p.get("owner", "")),
                    start_time=float(p.get("start_time", 0.0)),
                )
                for p in processes
            ]
        )

    async def CopyFileToGuest(
        self, request_iterator: AsyncIterator[guest_pb2.GuestFileChunk], context: Ctx
    ) -> guest_pb2.CopyFileToGuestResponse:
        first: guest_pb2.GuestFileChunk | None = None
        data = bytearray()
        async for chunk in request_iterator:
            first = first or chunk
            data += chunk.data
            if len(data) > MAX_GUEST_FILE_BYTES:
                raise faults.InvalidArgument(
                    "data", f"a guest file copy moves at most {MAX_GUEST_FILE_BYTES >> 20} MiB"
                )
        if first is None:
            raise faults.InvalidArgument("chunks", "the upload carried no message")
        await self.operations.copy_to_guest(
            first.vm_id, first.auth, first.guest_path, bytes(data), first.overwrite
        )
        return guest_pb2.CopyFileToGuestResponse(size=len(data))

    async def CopyFileFromGuest(
        self, request: guest_pb2.CopyFileFromGuestRequest, context: Ctx
    ) -> AsyncIterator[guest_pb2.GuestFileChunk]:
        data = await self.operations.copy_from_guest(request.vm_id, request.auth, request.guest_path)
        for start in range(0, max(len(data), 1), CHUNK_BYTES):
            yield guest_pb2.GuestFileChunk(data=data[start : start + CHUNK_BYTES])

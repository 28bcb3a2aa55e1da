"""The vmx's end of the guest's backdoor: guest tools requests, heartbeats, guest info, machine events.

VMware guests talk to their vmx through a backdoor port; ours is a stream
socket to vCPU 0's VMM world carrying one JSON object per line each way:

    vmx → guest   {"id": n, "op": "exec" | "copy_in" | "copy_out" | "ps" | "info" |
                   "shutdown" | "reboot" | "standby", ...}
    guest → vmx   {"id": n, ...answer} or {"id": n, "error": <fault>, "message": ...}
                  {"op": "heartbeat"}            about every second while the tools run
                  {"op": "guest_info", ...}      hostname, ip_addresses, os_full_name, tools_version
                  {"op": "power_off"} / {"op": "reset"}   the guest turns the machine off / resets it
                  {"op": "cpu_load", "vcpus": n, "percent": p}   the guest's runnable work per vCPU

The tools are ``toolsOk`` while heartbeats arrive, ``toolsNotRunning`` once
they stop, and ``toolsNotInstalled`` while the guest has not run them since
power-on (an empty disk, an installer, a guest without tools).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import socket
import time
from collections.abc import Awaitable, Callable
from typing import Any

from pyesx import faults
from pyesx.logs import get_logger

HEARTBEAT_TIMEOUT_S = 5.0
MAX_LINE = 64 << 20  # a copied file travels base64 in one line
TOOLS_OK, TOOLS_NOT_RUNNING, TOOLS_NOT_INSTALLED = "toolsOk", "toolsNotRunning", "toolsNotInstalled"

MachineEvent = Callable[[dict[str, Any]], Awaitable[None]]
_log = get_logger("vmx")


def guest_fault(vm_name: str, answer: dict[str, Any]) -> faults.VimFault:
    """The fault a guest's error answer stands for."""
    name, message = str(answer.get("error")), str(answer.get("message", ""))
    path = str(answer.get("path", ""))
    if name == "ToolsUnavailable":
        return faults.ToolsUnavailable(vm_name)
    if name == "InvalidGuestLogin":
        return faults.InvalidGuestLogin(vm_name)
    if name == "FileNotFound":
        return faults.FileNotFound(path or message)
    if name == "FileAlreadyExists":
        return faults.FileAlreadyExists(path or message)
    if name == "GuestPermissionDenied":
        return faults.GuestPermissionDenied(vm_name, path or message)
    if name in ("GuestOperationTimeout", "Timedout"):
        return faults.Timedout(message or "the guest program ran past its time limit")
    if name == "InvalidArgument":
        return faults.InvalidArgument(str(answer.get("argument", "")), message)
    return faults.SystemError(f"the guest answered {name}: {message}")


class Backdoor:
    """Requests to the guest's tools and what the guest tells the vmx unasked."""

    def __init__(self, vm_name: str, on_machine_event: MachineEvent) -> None:
        self.vm_name = vm_name
        self.tools_seen = False  # the guest has run its tools since power-on
        self.on_machine_event = on_machine_event
        self.guest_info: dict[str, Any] = {}
        self.last_heartbeat = 0.0  # monotonic; 0 = never
        self._ids = itertools.count(1)
        self._waiting: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._writer: asyncio.StreamWriter | None = None
        self._reader_task: asyncio.Task[None] | None = None
        self._first_heartbeat = asyncio.Event()

    async def attach(self, sock: socket.socket) -> None:
        """Start reading the guest's messages (inside the event loop)."""
        sock.setblocking(False)
        reader, self._writer = await asyncio.open_connection(sock=sock, limit=MAX_LINE)
        self._reader_task = asyncio.create_task(self._read(reader))

    def tools_status(self) -> str:
        if not self.tools_seen:
            return TOOLS_NOT_INSTALLED
        if self.last_heartbeat and time.monotonic() - self.last_heartbeat < HEARTBEAT_TIMEOUT_S:
            return TOOLS_OK
        return TOOLS_NOT_RUNNING

    async def tools_started(self, timeout: float) -> bool:
        """Wait for the guest's first heartbeat (False if none came within timeout)."""
        try:
            await asyncio.wait_for(self._first_heartbeat.wait(), timeout)
        except TimeoutError:
            return False
        return True

    def require_tools(self) -> None:
        if self.tools_status() != TOOLS_OK:
            raise faults.ToolsUnavailable(self.vm_name)

    async def call(self, op: str, fields: dict[str, Any], timeout: float) -> dict[str, Any]:
        """One request to the guest's tools; its answer (a guest error raised as its fault)."""
        self.require_tools()
        assert self._writer is not None
        request_id = next(self._ids)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[request_id] = future
        try:
            self._writer.write(json.dumps({**fields, "id": request_id, "op": op}).encode() + b"\n")
            await self._writer.drain()
            answer = await asyncio.wait_for(future, timeout)
        except TimeoutError:
            raise faults.Timedout(f"the guest's tools did not answer '{op}' within {timeout:.0f} s") from None
        except (ConnectionError, OSError):
            raise faults.ToolsUnavailable(self.vm_name) from None
        finally:
            self._waiting.pop(request_id, None)
        if "error" in answer:
            raise guest_fault(self.vm_name, answer)
        return answer

    async def _read(self, reader: asyncio.StreamReader) -> None:
        while True:
            try:
                line = await reader.readline()
            except (ConnectionError, ValueError) as exc:  # ValueError: a line past MAX_LINE
                _log.warning("vmx.backdoor_broken", error=str(exc))
                break
            if not line:
                break
            try:
                message = json.loads(line)
            except ValueError:
                _log.warning("vmx.backdoor_garbage", size=len(line))
                continue
            if isinstance(message, dict):
                await self._dispatch(message)
        self.last_heartbeat = 0.0
        for future in self._waiting.values():
            if not future.done():
                future.set_exception(ConnectionError("the guest's backdoor closed"))

    async def _dispatch(self, message: dict[str, Any]) -> None:
        request_id = message.get("id")
        if isinstance(request_id, int):
            future = self._waiting.get(request_id)
            if future is not None and not future.done():
                future.set_result(message)
            return
        op = message.get("op")
        if op == "heartbeat":
            if not self.last_heartbeat:
                _log.info("vmx.tools_running")
            self.last_heartbeat = time.monotonic()
            self.tools_seen = True
            self._first_heartbeat.set()
        elif op == "guest_info":
            self.guest_info = {k: v for k, v in message.items() if k != "op"}
            _log.info("vmx.guest_info", **self.guest_info)
        else:
            await self.on_machine_event(message)

    async def close(self) -> None:
        if self._reader_task is not None:
            self._reader_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader_task
        if self._writer is not None:
            self._writer.close()

"""vmtoolsd, the guest tools daemon: heartbeat, guest info, and the guest operations the vmx asks for.

Messages (see machine.py for the channel): it sends ``{"op": "heartbeat"}``
every HEARTBEAT_S and ``{"op": "guest_info", "hostname", "ip_addresses",
"os_full_name", "tools_version", "guest_state"}`` at start and on change. Each
request ``{"id", "op", ...}`` is served by a process of its own (several run at
once) and answered ``{"id", ...}`` or ``{"id", "error", "message"}``:

- ``exec`` (user, password, command, timeout_s) → exit_code, output (stdout and
  stderr, at most OUTPUT_CAP bytes), truncated; past timeout_s the command is
  killed: error GuestOperationTimeout.
- ``copy_in`` (user, password, path, data_b64, overwrite) → {}
- ``copy_out`` (user, password, path) → data_b64, size
- ``ps`` (user, password) → processes: [{pid, name, cmd, owner, start_time (epoch s)}]
- ``info`` → the guest_info fields
- ``shutdown`` / ``reboot`` / ``standby`` → {} then the guest acts.

Errors: InvalidGuestLogin, FileNotFound, FileAlreadyExists, GuestPermissionDenied,
InvalidArgument, GuestOperationTimeout, GuestOperationsFault (an I/O error).
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from vmx.guestos import accounts, layout
from vmx.guestos.accounts import Account
from vmx.guestos.context import Ctx
from vmx.guestos.kernel import SIGKILL_STATUS, Gen, Kernel, Wait
from vmx.guestos.shell import shell_body
from vmx.guestos.streams import BufferOutput, BytesInput
from vmx.guestos.vfs import normalize, strerror

HEARTBEAT_S = 1.0
OUTPUT_CAP = 1 << 20


class ToolsError(Exception):
    def __init__(self, fault: str, message: str) -> None:
        super().__init__(message)
        self.fault = fault


def guest_info(kernel: Kernel) -> dict[str, Any]:
    """What the tools report about the guest."""
    nic = kernel.machine.nic()
    addresses = [nic.address.split("/")[0]] if nic is not None and nic.connected and nic.address else []
    return {
        "hostname": kernel.hostname,
        "ip_addresses": addresses,
        "os_full_name": layout.OS_FULL_NAME,
        "tools_version": layout.TOOLS_VERSION,
        "guest_state": "running",
    }


def vmtoolsd(kernel: Kernel) -> Gen[int]:
    """The daemon's main loop: heartbeat, info changes, one worker process per request."""
    send = kernel.machine.tools_send
    kernel.tools_running = True
    try:
        info = guest_info(kernel)
        send({"op": "guest_info", **info})
        next_beat = kernel.now
        while True:
            if kernel.now >= next_beat:
                send({"op": "heartbeat"})
                next_beat = kernel.now + HEARTBEAT_S
                current = guest_info(kernel)
                if current != info:
                    info = current
                    send({"op": "guest_info", **info})
            while kernel.tools_requests:
                request = kernel.tools_requests.pop(0)
                kernel.spawn("vmtoolsd", f"vmtoolsd: {request.get('op')}", serve(kernel, request))
            yield Wait(lambda: bool(kernel.tools_requests), next_beat)
    finally:
        kernel.tools_running = False


def serve(kernel: Kernel, request: dict[str, Any]) -> Gen[int]:
    """Answer one request (a process of its own)."""
    ident = request.get("id")
    try:
        answer = yield from _handle(kernel, request)
    except GeneratorExit:  # the guest shuts down (or vmtoolsd is killed) with the request in flight
        kernel.machine.tools_send(
            {"id": ident, "error": "ToolsUnavailable", "message": "the guest tools stopped before answering"}
        )
        raise
    except ToolsError as exc:
        kernel.machine.tools_send({"id": ident, "error": exc.fault, "message": str(exc)})
        return 1
    except OSError as exc:
        kernel.machine.tools_send({"id": ident, "error": "GuestOperationsFault", "message": strerror(exc)})
        return 1
    except Exception as exc:  # a request the daemon cannot serve is still answered
        kernel.machine.tools_send({"id": ident, "error": "GuestOperationsFault", "message": repr(exc)})
        return 1
    kernel.machine.tools_send({"id": ident, **answer})
    op = request.get("op")
    if op in ("shutdown", "reboot", "standby"):
        kernel.request("poweroff" if op == "shutdown" else str(op))
    return 0


def _login(kernel: Kernel, request: dict[str, Any]) -> Account:
    user, password = request.get("user"), request.get("password")
    assert kernel.vfs is not None
    if not isinstance(user, str) or not isinstance(password, str):
        raise ToolsError("InvalidGuestLogin", "guest credentials are required")
    account = accounts.authenticate(kernel.vfs, user, password)
    if account is None:
        raise ToolsError(
            "InvalidGuestLogin",
            "Failed to authenticate with the guest operating system using the supplied credentials.",
        )
    return account


def _path(request: dict[str, Any]) -> str:
    path = request.get("path")
    if not isinstance(path, str) or not path.startswith("/"):
        raise ToolsError("InvalidArgument", f"the guest path must be absolute: {path!r}")
    return normalize("/", path)


def _may_write(account: Account, path: str) -> None:
    if account.uid == 0:
        return
    if not any(path == d or path.startswith(d.rstrip("/") + "/") for d in (account.home, "/tmp")):
        raise ToolsError("GuestPermissionDenied", f"{account.name} may not write {path}")


def _handle(kernel: Kernel, request: dict[str, Any]) -> Gen[dict[str, Any]]:
    op = request.get("op")
    vfs = kernel.vfs
    assert vfs is not None
    if op == "info":
        return guest_info(kernel)
    if op in ("shutdown", "reboot", "standby"):
        return {}
    if op not in ("exec", "copy_in", "copy_out", "ps"):
        raise ToolsError("InvalidArgument", f"unknown guest operation {op!r}")
    account = _login(kernel, request)
    if op == "exec":
        return (yield from _exec(kernel, account, request))
    if op == "ps":
        procs = sorted(kernel.procs.values(), key=lambda p: p.pid)
        return {
            "processes": [
                {"pid": p.pid, "name": p.name, "cmd": p.cmd, "owner": p.owner, "start_time": p.start_wall}
                for p in procs
            ]
        }
    path = _path(request)
    if op == "copy_out":
        try:
            info = vfs.stat(path)
        except FileNotFoundError as exc:
            raise ToolsError("FileNotFound", f"{path}: no such file in the guest") from exc
        if info.is_dir:
            raise ToolsError("InvalidArgument", f"{path} is a directory")
        data = vfs.read(path)
        return {"data_b64": base64.b64encode(data).decode(), "size": len(data)}
    try:
        data = base64.b64decode(str(request.get("data_b64", "")), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ToolsError("InvalidArgument", "data_b64 is not base64") from exc
    _may_write(account, path)
    parent = path.rsplit("/", 1)[0] or "/"
    if not vfs.is_dir(parent):
        raise ToolsError("FileNotFound", f"{parent}: no such directory in the guest")
    if vfs.exists(path):
        if vfs.is_dir(path):
            raise ToolsError("InvalidArgument", f"{path} is a directory")
        if not request.get("overwrite"):
            raise ToolsError("FileAlreadyExists", f"{path} already exists in the guest")
    vfs.write(path, data)
    return {}


def _exec(kernel: Kernel, account: Account, request: dict[str, Any]) -> Gen[dict[str, Any]]:
    command = request.get("command")
    if not isinstance(command, str):
        raise ToolsError("InvalidArgument", "command must be a string")
    timeout = request.get("timeout_s")
    if timeout is not None and (not isinstance(timeout, int | float) or timeout < 0):
        raise ToolsError("InvalidArgument", "timeout_s must be a positive number")
    assert kernel.vfs is not None
    output = BufferOutput(OUTPUT_CAP)
    env = {"HOME": account.home, "USER": account.name, "LOGNAME": account.name, "HOSTNAME": kernel.hostname}
    cwd = account.home if kernel.vfs.is_dir(account.home) else "/"
    ctx = Ctx(kernel, BytesInput(b""), output, output, cwd, env, account.name)
    child = kernel.spawn("sh", f"sh -c {command}", shell_body(ctx, command), owner=account.name)
    ctx.proc = child
    deadline = kernel.now + float(timeout) if timeout else None
    finished = yield from kernel.wait_child(child, deadline)
    if not finished:
        kernel.kill(child.pid, SIGKILL_STATUS)
        raise ToolsError(
            "GuestOperationTimeout", f"the command did not finish within {timeout} s and was killed"
        )
    text = output.data.decode(errors="replace")
    return {"exit_code": child.status, "output": text, "truncated": output.dropped > 0}

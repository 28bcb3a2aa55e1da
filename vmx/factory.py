"""``python -m vmx.factory``: the template every vmx is forked from.

The VMkernel execs it once at boot. It imports everything a vmx needs, freezes
those objects out of the garbage collector, and then holds no thread, no event
loop and no gRPC object — so forking it is safe, and its pages stay shared
copy-on-write with every vmx and VMM world (a vmx costs a few MiB of its own
and starts in milliseconds instead of an interpreter start plus imports).

Protocol on the SOCK_SEQPACKET socket from the VMkernel: one message per
request, a JSON VmxSpec with two fds attached (the handshake pipe's write end
and the vmx's stderr log); the answer is ``{"pid": N}`` or ``{"error": "…"}``.
Each vmx is double-forked, so the VMkernel (a subreaper) becomes its parent.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import socket
import sys
import traceback

os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "false")

import importlib

from pyesx.procs import die_with_parent, report_ready, set_title
from vmx.main import VmxSpec, run_forked

#: what the guest software loads when it boots (the appliance's OS, a PC's firmware, installer and
#: file systems): imported here once, so that every VMM world shares their pages
GUEST_MODULES = (
    "pyesx.guestfs.memfs",
    "pyesx.guestfs.ext2",
    "pyesx.guestfs.mbr",
    "pyesx.guestfs.iso9660",
    "pyesx.guestfs.blockdev",
    "vmx.guestos.boot",
    "vmx.guestos.commands",
    "vmx.guestos.installer",
    "vmx.guestos.osimage",
    "vmx.guestos.shell",
    "vmx.guestos.tools",
    "vmx.guestnet",
)

MAX_REQUEST = 64 * 1024


def _become_vmx(spec: VmxSpec, ready_fd: int, stderr_fd: int) -> int:
    os.dup2(stderr_fd, 2)
    os.close(stderr_fd)
    return run_forked(spec, ready_fd)


def spawn(spec: VmxSpec, ready_fd: int, stderr_fd: int, control: socket.socket) -> int:
    """Double-fork a vmx; return its pid once it has been reparented to the VMkernel."""
    pid_r, pid_w = os.pipe()
    go_r, go_w = os.pipe()
    middle = os.fork()
    if middle == 0:
        try:
            os.close(pid_r)
            os.close(go_w)
            vmx_pid = os.fork()
            if vmx_pid == 0:
                code = 1
                try:
                    os.close(pid_w)
                    control.close()
                    os.read(go_r, 1)  # wait until our parent is the VMkernel
                    os.close(go_r)
                    code = _become_vmx(spec, ready_fd, stderr_fd)
                except BaseException:
                    traceback.print_exc()
                finally:
                    os._exit(code)
            os.write(pid_w, str(vmx_pid).encode())
        finally:
            os._exit(0)
    os.close(pid_w)
    os.close(go_r)
    try:
        vmx_pid = int(os.read(pid_r, 32) or b"0")
        os.waitpid(middle, 0)
        if not vmx_pid:
            raise OSError("the intermediate fork failed")
        os.write(go_w, b"g")
        return vmx_pid
    finally:
        os.close(pid_r)
        os.close(go_w)


def serve(control: socket.socket) -> None:
    """Answer spawn requests until the VMkernel closes the socket."""
    while True:
        message, fds, _, _ = socket.recv_fds(control, MAX_REQUEST, 2)
        if not message:
            return
        try:
            if len(fds) != 2:
                raise ValueError(f"expected 2 fds, got {len(fds)}")
            reply: dict[str, int | str] = {
                "pid": spawn(VmxSpec.from_json(json.loads(message)), fds[0], fds[1], control)
            }
        except (OSError, ValueError, KeyError, TypeError) as exc:
            reply = {"error": f"{type(exc).__name__}: {exc}"}
        finally:
            for fd in fds:
                os.close(fd)
        control.send(json.dumps(reply).encode())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="vmx.factory")
    parser.add_argument("--root", required=True)
    parser.add_argument("--parent-pid", type=int, required=True)
    parser.add_argument("--control-fd", type=int, required=True)
    parser.add_argument("--ready-fd", type=int)
    args = parser.parse_args(argv)
    die_with_parent(args.parent_pid)
    set_title(f"pyesx-vmx-factory: root={args.root}")
    control = socket.socket(fileno=args.control_fd)
    for module in GUEST_MODULES:
        importlib.import_module(module)
    gc.collect()
    gc.freeze()  # keep imported objects out of collections, so their pages stay shared after fork
    report_ready(args.ready_fd)
    serve(control)
    sys.exit(0)


if __name__ == "__main__":
    main()

"""The vmx factory: the template every vmx, and hostd, is forked from.

The VMkernel forks it at boot from the host's zygote (``vmkernel.zygote``), before
it imports its own modules: the factory holds everything a vmx needs, imported
once and shared for good, and then holds no thread, no event loop and no gRPC
object — so forking it is safe, and its pages stay shared copy-on-write by the
VMkernel, the factory, hostd and every vmx and VMM world (a vmx costs a few MiB
of its own and starts in milliseconds instead of an interpreter start plus
imports). Should it die, the VMkernel execs ``python -m vmx.factory`` instead.

Protocol on the SOCK_SEQPACKET socket from the VMkernel: one message per
request, a JSON VmxSpec with two fds attached (the handshake pipe's write end
and the vmx's stderr log), or ``{"hostd": argv}`` with a third (hostd's
credential); the answer is ``{"pid": N}`` or ``{"error": "…"}``. Each child is
double-forked, so the VMkernel (a subreaper) becomes its parent.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sys
import traceback
from collections.abc import Callable

os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "false")

import importlib

from pyesx.procs import die_with_parent, report_ready, set_title
from pyesx.shared_pages import share_imported
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


def _become_hostd(argv: list[str], ready_fd: int, stderr_fd: int, credential_fd: int) -> int:
    """hostd, as ``python -m hostd argv`` would run it (its own session, as the VMkernel execs its
    other children)."""
    os.dup2(stderr_fd, 2)
    os.close(stderr_fd)
    os.setsid()
    full = [*argv, "--ready-fd", str(ready_fd), "--credential-fd", str(credential_fd)]
    set_title(" ".join([sys.executable, "-m", "hostd", *full]))
    from hostd.main import main as hostd_main  # here: hostd's own modules stay out of every vmx

    try:
        hostd_main(full)
    except SystemExit as exit_:
        code = exit_.code
        return code if isinstance(code, int) else 0 if code is None else 1
    return 0


def _request_from(message: bytes, fds: list[int]) -> Callable[[], int]:
    """What the forked child runs for this request: a vmx (a VmxSpec and 2 fds: the handshake pipe,
    stderr) or hostd (``{"hostd": argv}`` and 3 fds: the handshake pipe, stderr, its credential)."""
    request = json.loads(message)
    if isinstance(request, dict) and "hostd" in request:
        argv = request["hostd"]
        if len(fds) != 3 or not isinstance(argv, list) or not all(isinstance(a, str) for a in argv):
            raise ValueError("a hostd request is its argv and 3 fds")
        return lambda: _become_hostd(argv, fds[0], fds[1], fds[2])
    if len(fds) != 2:
        raise ValueError(f"expected 2 fds, got {len(fds)}")
    spec = VmxSpec.from_json(request)
    return lambda: _become_vmx(spec, fds[0], fds[1])


def spawn(become: Callable[[], int], control: socket.socket) -> int:
    """Double-fork a child that runs become(); return its pid once it has been reparented to the
    VMkernel."""
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
                    code = become()
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
        message, fds, _, _ = socket.recv_fds(control, MAX_REQUEST, 3)
        if not message:
            return
        try:
            reply: dict[str, int | str] = {"pid": spawn(_request_from(message, fds), control)}
        except (OSError, ValueError, KeyError, TypeError) as exc:
            reply = {"error": f"{type(exc).__name__}: {exc}"}
        finally:
            for fd in fds:
                os.close(fd)
        control.send(json.dumps(reply).encode())


def prepare() -> None:
    """Import what every vmx, VMM world and hostd run, then make those objects shared for good
    (see ``vmkernel.zygote``)."""
    for module in GUEST_MODULES:
        importlib.import_module(module)
    share_imported()


def run(root: str, parent_pid: int, control: socket.socket) -> int:
    """Be the factory of the host at root until the VMkernel closes control; the exit status."""
    die_with_parent(parent_pid)
    set_title(f"pyesx-vmx-factory: root={root}")
    serve(control)
    return 0


def main(argv: list[str] | None = None) -> None:
    """The factory exec'd on its own (when the one forked at boot has died)."""
    parser = argparse.ArgumentParser(prog="vmx.factory")
    parser.add_argument("--root", required=True)
    parser.add_argument("--parent-pid", type=int, required=True)
    parser.add_argument("--control-fd", type=int, required=True)
    parser.add_argument("--ready-fd", type=int)
    args = parser.parse_args(argv)
    prepare()
    report_ready(args.ready_fd)
    sys.exit(run(args.root, args.parent_pid, socket.socket(fileno=args.control_fd)))


if __name__ == "__main__":
    main()

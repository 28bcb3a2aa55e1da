"""A VMM world: the process that executes one vCPU of a VM (``python -m vmx.vmm``).

It imports only the standard library, tells its vmx it is running, and runs the
guest engine on its vCPU. Its parent is the vmx; if the vmx dies, so does it.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import os
import signal
import socket
import sys

from vmx.guest import IdleGuest

_PR_SET_PDEATHSIG = 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="vmm")
    parser.add_argument("--vm-id", required=True)
    parser.add_argument("--vcpu", type=int, required=True)
    parser.add_argument("--control-fd", type=int, required=True)
    parser.add_argument("--parent-pid", type=int, required=True)
    parser.add_argument("--root", required=True)
    args = parser.parse_args(argv)
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != args.parent_pid:
        return 1
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    control = socket.socket(fileno=args.control_fd)
    control.sendall(f"ready {os.getpid()}\n".encode())
    return IdleGuest().run(control)


if __name__ == "__main__":
    sys.exit(main())

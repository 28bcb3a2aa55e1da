"""A VMM world: the process that executes one vCPU of a VM.

The vmx forks one per vCPU before it creates any gRPC object; the world names
itself, dies with its vmx, says it runs, and executes the guest engine.
"""

from __future__ import annotations

import os
import signal
import socket

from pyesx.checkpoint import VcpuState
from pyesx.procs import die_with_parent, set_title
from vmx.guest import IdleGuest


def run_world(
    vm_id: str, vm_name: str, state: VcpuState, control: socket.socket, vmx_pid: int, root: str
) -> int:
    """Body of a forked VMM world; returns its exit status."""
    set_title(f"pyesx-vmm{state.vcpu}: {vm_name} ({vm_id}) root={root}")
    die_with_parent(vmx_pid)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    control.sendall(f"ready {os.getpid()}\n".encode())
    return IdleGuest(state).run(control)

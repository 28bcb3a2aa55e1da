"""A VMM world: the process that executes one vCPU of a VM.

The vmx forks one per vCPU before it creates any gRPC object. A vCPU hot added
to a running VM is exec'd instead (``python -m vmx.vmm``: a running vmx holds
gRPC objects and must not fork). Either way the world names itself, dies with
its vmx, says it runs, and executes the guest engine.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import sys
from dataclasses import dataclass
from pathlib import Path

from pyesx.checkpoint import VcpuState
from pyesx.guestsim import DiskWorkload, NetSettings
from pyesx.layout import HostLayout
from pyesx.procs import die_with_parent, set_title
from vmx.guest import SimGuest
from vmx.guestmem import GuestMemory
from vmx.guestport import GuestPort
from vmx.machine import VmmMachine


@dataclass
class Vcpu0Devices:
    """What vCPU 0's world owns beside its vCPU: the guest software's machine and the simulated
    guest's workloads."""

    vmx_path: str
    num_cpus: int
    bios: bool  # a PC's firmware (else the preinstalled appliance)
    backdoor: socket.socket
    console: socket.socket
    memory: GuestMemory | None = None
    disk_workload: DiskWorkload | None = None
    network: tuple[str, NetSettings] | None = None  # its first NIC's key and the guest's settings


def run_world(
    vm_id: str,
    vm_name: str,
    state: VcpuState,
    control: socket.socket,
    vmx_pid: int,
    root: str,
    cpu_demand: int,
    devices: Vcpu0Devices | None = None,
) -> int:
    """Body of a VMM world (``devices``: on vCPU 0); returns its exit status."""
    set_title(f"pyesx-vmm{state.vcpu}: {vm_name} ({vm_id}) root={root}")
    die_with_parent(vmx_pid)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    control.sendall(f"ready {os.getpid()}\n".encode())
    layout = HostLayout(Path(root))
    guest = SimGuest(state, cpu_demand, devices.memory if devices is not None else None)
    if devices is not None:
        if devices.disk_workload is not None:
            guest.attach_disk(str(layout.storage_socket), vm_id, devices.disk_workload)
        if devices.network is not None:
            guest.attach_network(str(layout.net_socket), vm_id, *devices.network)
        guest.attach_console(devices.console)
        machine = VmmMachine(
            vm_name,
            devices.num_cpus,
            devices.vmx_path,
            str(layout.storage_socket),
            vm_id,
            devices.backdoor,
            devices.memory,
            guest.console_write,
            guest.uptime,
            lambda: guest.net,
            guest.cdrom_device,
        )
        guest.attach_guest(GuestPort(machine, devices.bios, _log_to_stderr, guest.console_backlogged))
    try:
        return guest.run(control)
    finally:
        guest.close_devices()


def _log_to_stderr(message: str) -> None:
    print(f"vmm: {message}", file=sys.stderr, flush=True)  # the vmx's log collects a world's stderr


def exec_argv(
    vm_id: str, vm_name: str, state: VcpuState, control_fd: int, root: str, cpu_demand: int
) -> list[str]:
    """The command line that execs a hot-added VMM world."""
    return [
        sys.executable, "-m", "vmx.vmm", "--vm-id", vm_id, "--vm-name", vm_name, "--vcpu", str(state.vcpu),
        "--uptime", repr(state.uptime_at_resume), "--boot-count", str(state.boot_count),
        "--control-fd", str(control_fd), "--vmx-pid", str(os.getpid()), "--root", root,
        "--cpu-demand", str(cpu_demand),
    ]  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="vmx.vmm")
    for name in ("--vm-id", "--vm-name", "--root"):
        parser.add_argument(name, required=True)
    for name in ("--vcpu", "--control-fd", "--vmx-pid", "--boot-count", "--cpu-demand"):
        parser.add_argument(name, type=int, required=True)
    parser.add_argument("--uptime", type=float, required=True)
    args = parser.parse_args(argv)
    state = VcpuState(args.vcpu, args.uptime, args.boot_count)
    control = socket.socket(fileno=args.control_fd)
    return run_world(args.vm_id, args.vm_name, state, control, args.vmx_pid, args.root, args.cpu_demand)


if __name__ == "__main__":
    sys.exit(main())

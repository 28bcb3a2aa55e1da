"""The user world of one powered-on VM, forked by the vmx factory.

Phases: prepare (name, parent-death signal, logging to the VM's vmware.log),
launch (guest memory and the ``<vm>.vswp`` created, VMM worlds forked, then the
gRPC server on run/vmx/<vm-id>.sock and the state file), report ready to the
VMkernel; then run until PowerOff or SIGTERM, stop the worlds, delete the .vswp
and exit.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import structlog
import uvloop

from pyesx import __version__, guestsim
from pyesx.atomic import atomic_write
from pyesx.cdconfig import cd_drives
from pyesx.checkpoint import VcpuState, read_checkpoint, vcpu_states
from pyesx.exits import VMX_EXIT_VMM_DIED
from pyesx.layout import HostLayout
from pyesx.logs import configure, flush, flush_periodically, get_logger
from pyesx.procs import die_with_parent, report_ready, set_title
from pyesx.rpc.channel import INTERNAL_OPTIONS
from pyesx.rpc.metadata import request_id_var
from pyesx.rpc.server import RpcGate
from pyesx.vmx.v1 import vmx_pb2_grpc
from pyesx.vmxfile import VmxConfig
from vmx.cdrom import CdromDrives
from vmx.console import GuestConsole
from vmx.guestmem import GuestMemory
from vmx.nvram import runs_bios
from vmx.service import VmxRuntime, VmxServicer
from vmx.worlds import VmmWorlds


@dataclass(frozen=True)
class VmxSpec:
    """What the VMkernel asks the factory to start (sent as JSON)."""

    root: str
    vm_id: str
    vm_name: str
    vmx_path: str
    num_cpu: int
    memory_mb: int
    vmkernel_pid: int
    request_id: str = ""
    checkpoint_path: str = ""  # resume from this .vmss / .vmsn
    guest_tools: bool = True
    credential: str = ""  # this vmx's credential for the VMkernel's API (its own VM only)

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> VmxSpec:
        return cls(**{name: raw[name] for name in cls.__dataclass_fields__})


def run_forked(spec: VmxSpec, ready_fd: int) -> int:
    """Body of a forked vmx; returns its exit status."""
    set_title(f"pyesx-vmx: {spec.vm_name} ({spec.vm_id}) root={spec.root}")
    die_with_parent(spec.vmkernel_pid)
    configure("vmx", Path(spec.vmx_path).parent / "vmware.log", vm=spec.vm_name, vm_id=spec.vm_id)
    request_id_var.set(spec.request_id)
    structlog.contextvars.bind_contextvars(request_id=spec.request_id)
    get_logger("vmx").info(
        "vmx.starting",
        vmx_path=spec.vmx_path,
        num_cpu=spec.num_cpu,
        memory_mb=spec.memory_mb,
        pid=os.getpid(),
    )
    if spec.checkpoint_path:
        states = vcpu_states(read_checkpoint(Path(spec.checkpoint_path)), spec.num_cpu)
        get_logger("vmx").info("vmx.resuming", checkpoint=spec.checkpoint_path)
    else:
        states = [VcpuState(vcpu) for vcpu in range(spec.num_cpu)]
    config = VmxConfig.parse(Path(spec.vmx_path).read_text(), spec.vmx_path)
    memory = GuestMemory(spec.memory_mb, str(swap_path(spec.vmx_path)), 0)
    memory.set_wanted(guestsim.mem_active_mb(config))
    nic = guestsim.first_nic(config)
    network = (nic, guestsim.net_settings(config)) if nic else None
    worlds = VmmWorlds(
        spec.vm_id,
        spec.vm_name,
        spec.root,
        guestsim.cpu_demand(config),
        memory,
        guestsim.disk_workload(config),
        network,
        spec.vmx_path,
        runs_bios(config),
    )
    runtime = VmxRuntime(spec.vm_id, spec.vm_name, Path(spec.vmx_path), worlds, spec.guest_tools)
    runtime.cdroms = CdromDrives(worlds, Path(spec.vmx_path).parent, cd_drives(config))
    runtime.read_reservation(config)  # the .vswp's size: configured − reservation
    worlds.fork(states)  # before any gRPC object or event loop exists
    try:
        return uvloop.run(_serve(spec, runtime, ready_fd))
    finally:
        memory.close()
        flush()  # the factory's child ends with os._exit: nothing else writes the buffer out


def swap_path(vmx_path: str) -> Path:
    """The VM's swap file: ``<vm>.vswp`` beside its .vmx."""
    path = Path(vmx_path)
    return path.with_name(f"{path.stem}.vswp")


async def _first_world_exit(runtime: VmxRuntime, worlds: VmmWorlds) -> None:
    """A VMM world that exits while the VM runs takes the VM down, as a vmx crash would
    (hot-added worlds are watched from when they are added)."""
    while True:
        added = asyncio.ensure_future(worlds.added.wait())
        waits = {asyncio.ensure_future(w.child.wait()): w for w in worlds.worlds if w.child is not None}
        done, pending = await asyncio.wait([added, *waits], return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        exited = [waits[task] for task in done if task in waits]
        if not exited:
            worlds.added.clear()
            continue
        if not runtime.done.is_set():
            world = exited[0]
            code = world.child.returncode if world.child else None
            get_logger("vmx").error("vmx.vmm_world_died", vcpu=world.vcpu, vmm_pid=world.pid, exit_code=code)
            runtime.finish(VMX_EXIT_VMM_DIED)
        return


async def _serve(spec: VmxSpec, runtime: VmxRuntime, ready_fd: int) -> int:
    layout = HostLayout(Path(spec.root))
    log = get_logger("vmx")
    worlds = runtime.worlds
    flusher = asyncio.create_task(flush_periodically())
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, runtime.finish)
    await worlds.attach()
    if worlds.backdoor is not None:
        await runtime.backdoor.attach(worlds.backdoor)
    if runtime.cdroms is not None:
        await runtime.cdroms.power_on()  # start-connected drives get their media
    if worlds.console is not None:
        worlds.console.setblocking(False)
        runtime.console = await GuestConsole.open(worlds.console)

    socket_path = layout.vmx_socket(spec.vm_id)
    with contextlib.suppress(FileNotFoundError):
        socket_path.unlink()
    server = grpc.aio.server(options=INTERNAL_OPTIONS)
    RpcGate().register(vmx_pb2_grpc.add_VmxServicer_to_server, VmxServicer(runtime), server)
    server.add_insecure_port(f"unix://{socket_path}")
    await server.start()
    os.chmod(socket_path, 0o600)
    vmm_pids = [world.pid for world in worlds.worlds]
    state = {
        "pid": os.getpid(),
        "vm_id": spec.vm_id,
        "socket": str(socket_path),
        "vmm_pids": vmm_pids,
        "version": __version__,
        "started_at": runtime.started_at,
    }
    atomic_write(layout.vmx_state(spec.vm_id), json.dumps(state), mode=0o600)
    log.info("vmx.running", vmm_pids=vmm_pids, socket=str(socket_path))
    memfd = worlds.memory.fd if worlds.memory is not None else -1
    report_ready(ready_fd, socket=str(socket_path), vmm_pids=vmm_pids, guest_memory_fd=memfd)
    # the guest boots once the VMkernel knows the VM's worlds (their disks and ports answer them)
    await worlds.worlds[0].request("boot")
    structlog.contextvars.unbind_contextvars("request_id")

    vcpu_lost = asyncio.create_task(_first_world_exit(runtime, worlds))
    await runtime.done.wait()
    vcpu_lost.cancel()
    log.info("vmx.powering_off", exit_code=runtime.exit_code)
    await worlds.stop()
    await runtime.backdoor.close()
    if runtime.console is not None:
        await runtime.console.close()
    await server.stop(grace=0.5)
    for path in (socket_path, layout.vmx_state(spec.vm_id)):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
    log.info("vmx.exited", exit_code=runtime.exit_code)
    flusher.cancel()
    return runtime.exit_code

"""``python -m vmx``: the user world of one powered-on VM.

Phases: prepare (logging to the VM's vmware.log, parent-death signal), launch
(VMM worlds, gRPC server on run/vmx/<vm-id>.sock, state file), report ready to
the VMkernel; then run until PowerOff or SIGTERM, stop the worlds and exit.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
from pathlib import Path

import grpc
import structlog
import uvloop

from pyesx import __version__
from pyesx.atomic import atomic_write
from pyesx.layout import HostLayout
from pyesx.logs import configure, get_logger
from pyesx.procs import die_with_parent, report_ready
from pyesx.rpc.metadata import request_id_var
from pyesx.rpc.server import ServerInterceptor
from pyesx.vmx.v1 import vmx_pb2_grpc
from vmx.service import VmxRuntime, VmxServicer
from vmx.worlds import VmmWorlds


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="vmx")
    parser.add_argument("--root", required=True, type=Path)
    parser.add_argument("--vm-id", required=True)
    parser.add_argument("--vm-name", required=True)
    parser.add_argument("--vmx-path", required=True, type=Path)
    parser.add_argument("--num-cpu", type=int, default=1)
    parser.add_argument("--memory-mb", type=int, default=256)
    parser.add_argument("--parent-pid", type=int, required=True)
    parser.add_argument("--request-id", default="")
    parser.add_argument("--ready-fd", type=int)
    return parser.parse_args(argv)


async def run(args: argparse.Namespace) -> int:
    layout = HostLayout(args.root)
    log = get_logger("vmx")
    request_id_var.set(args.request_id)
    structlog.contextvars.bind_contextvars(request_id=args.request_id)
    log.info("vmx.starting", vmx_path=str(args.vmx_path), num_cpu=args.num_cpu, memory_mb=args.memory_mb)

    worlds = VmmWorlds(args.vm_id, str(layout.root))
    runtime = VmxRuntime(args.vm_id, args.vm_name, worlds)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, runtime.power_off_requested.set)

    vmm_pids = await worlds.start(args.num_cpu)
    socket_path = layout.vmx_socket(args.vm_id)
    with contextlib.suppress(FileNotFoundError):
        socket_path.unlink()
    server = grpc.aio.server(interceptors=[ServerInterceptor()])
    vmx_pb2_grpc.add_VmxServicer_to_server(VmxServicer(runtime), server)
    server.add_insecure_port(f"unix://{socket_path}")
    await server.start()
    os.chmod(socket_path, 0o600)
    state = {
        "pid": os.getpid(),
        "vm_id": args.vm_id,
        "socket": str(socket_path),
        "vmm_pids": vmm_pids,
        "version": __version__,
        "started_at": runtime.started_at,
    }
    atomic_write(layout.vmx_state(args.vm_id), json.dumps(state))
    log.info("vmx.running", vmm_pids=vmm_pids, socket=str(socket_path))
    report_ready(args.ready_fd, socket=str(socket_path), vmm_pids=vmm_pids)
    structlog.contextvars.unbind_contextvars("request_id")

    await runtime.power_off_requested.wait()
    log.info("vmx.powering_off")
    await worlds.stop()
    await server.stop(grace=0.5)
    for path in (socket_path, layout.vmx_state(args.vm_id)):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
    log.info("vmx.exited")
    return 0


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    die_with_parent(args.parent_pid)
    configure("vmx", args.vmx_path.parent / "vmware.log", vm=args.vm_name, vm_id=args.vm_id)
    raise SystemExit(uvloop.run(run(args)))

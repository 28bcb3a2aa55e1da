"""``python -m vmkernel`` (alias ``pyesx boot``): boot the host in the foreground.

Boot: install on an empty root, discover the physical host, serve the internal
API on run/vmkernel.sock, start hostd under the watchdog, print the ready line.
SIGTERM or Ctrl-C: a host shutdown as ESXi's, through hostd (the VMs' autostart stop actions,
then ShutdownHost), then power every VM still on off, stop hostd, exit leaving no process; a
second signal (or no hostd serving) skips the stop actions.
Reboot (hostd's RebootHost): the same clean stop, then this process execs itself again with
the same arguments — same pid, same root — and prints a new ready line.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import fcntl
import os
import signal
import sys
import time
from pathlib import Path
from typing import TextIO

import grpc
import uvloop

from pyesx import config_reset
from pyesx.api.v1 import vm_pb2 as api_vm_pb2
from pyesx.layout import HostLayout
from pyesx.logs import configure, flush, flush_periodically, get_logger
from pyesx.procs import ForkedChild, become_subreaper
from pyesx.rpc.credentials import TEST_CREDENTIALS_ENV, InternalCredentials
from pyesx.rpc.server import RpcGate
from pyesx.vmkernel.v1 import resourcepools_pb2_grpc, vmkernel_pb2, vmkernel_pb2_grpc
from vmkernel import hostinfo, install
from vmkernel.config import EsxConfig
from vmkernel.cpusched.scheduler import CpuScheduler
from vmkernel.datastores import DatastoreTable
from vmkernel.disk_service import DiskService
from vmkernel.events import WorldEventBus
from vmkernel.hostd_supervisor import HostdSupervisor
from vmkernel.memsched.scheduler import MemScheduler, RunningVm
from vmkernel.net.stack import NetStack
from vmkernel.pool_service import ResourcePoolsServicer
from vmkernel.resources.manager import PoolManager
from vmkernel.service import VMkernelServicer
from vmkernel.storage.io_service import DiskIoService
from vmkernel.vmx_factory import VmxFactory
from vmkernel.vmx_scope import scoped, vmx_rules
from vmkernel.vmxs import VmxManager
from vmkernel.vswitches import VirtualSwitchTable
from vmkernel.worlds import WorldTable
from vmkernel.zygote import ForkedFactory

READY_PREFIX = "pyesx host ready"
REBOOT_EXIT = -1  # boot()'s result when the host should boot again
GRACEFUL_SHUTDOWN_S = 600.0  # the most a signalled shutdown waits for hostd's stop actions


def _clean_run_dir(layout: HostLayout) -> None:
    """run/ holds only live sockets and state: rebuilt at every boot."""
    layout.run.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(layout.run, 0o700)
    for path in sorted(layout.run.rglob("*"), reverse=True):
        with contextlib.suppress(OSError):
            path.rmdir() if path.is_dir() else path.unlink()
    layout.vmx_run.mkdir(mode=0o700, exist_ok=True)


def _lock_root(layout: HostLayout) -> TextIO | None:
    """Hold an exclusive lock on the root for the host's lifetime; None when another host has it."""
    layout.root.mkdir(parents=True, exist_ok=True)
    lock = open(layout.root / ".vmkernel.lock", "w")  # noqa: SIM115 - held until exit
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.close()
        return None
    return lock


async def boot(args: argparse.Namespace, forked_factory: ForkedFactory | None = None) -> int:
    layout = HostLayout(args.root.resolve())
    root_lock = _lock_root(layout)
    if root_lock is None:
        print(f"pyesx boot failed: another host is running on {layout.root}", file=sys.stderr, flush=True)
        return 1
    physical = hostinfo.discover(args.memory_mb or None)
    generated_password = None
    reset = config_reset.pending(layout)
    if reset is not None:  # Reset System Configuration: the old etc/ set aside, the defaults installed
        aside = config_reset.set_aside(layout)
        install.install(layout, physical.hostname, quiet=True)
        config_reset.restore_root(layout, reset)
        print(f"pyesx reset the host's configuration; the old one is kept in {aside}", flush=True)
    if not install.is_installed(layout):
        generated_password = install.install(layout, physical.hostname)
    install.ensure_installer_iso(layout)
    install.ensure_certificates(layout, physical.hostname, args.listen)
    configure("vmkernel", layout.log / "vmkernel.log")
    log = get_logger("boot")
    flusher = asyncio.create_task(flush_periodically())
    log.info(
        "vmkernel.booting",
        root=str(layout.root),
        pcpus=physical.num_pcpus,
        cpu_mhz=physical.cpu_mhz,
        memory_bytes=physical.memory_bytes,
    )
    if generated_password:
        print(f"pyesx installed a new host; root password (shown once): {generated_password}", flush=True)
    _clean_run_dir(layout)

    config = EsxConfig.load(layout)
    worlds = WorldTable()
    worlds.add(vmkernel_pb2.VMKERNEL, os.getpid(), "vmkernel")
    events = WorldEventBus()
    become_subreaper()  # the vmx processes the factory double-forks become our children
    factory = VmxFactory(layout, forked_factory)
    await factory.start()
    scheduler = CpuScheduler(physical)
    pools = PoolManager(scheduler.tree, layout.resource_pools, scheduler.rebalance)
    pools.load()
    scheduling = asyncio.create_task(scheduler.run())
    datastores = DatastoreTable(layout, config)
    datastores.mount_all()

    def question(vm_id: str, question_id: str, text: str) -> None:
        asked = api_vm_pb2.VmQuestion(id=question_id, text=text, choices=["Retry", "Cancel"])
        raised = vmkernel_pb2.VmQuestionRaised(vm_id=vm_id, question=asked)
        events.publish(vmkernel_pb2.WorldEvent(time=time.time(), vm_question=raised))

    storage = DiskIoService(
        layout.storage_socket, datastores.capacity_iops, worlds.owns, datastores.capped_free_bytes, question
    )
    await storage.serve()
    disks = DiskService(layout, datastores, storage)
    vswitches = VirtualSwitchTable(layout, config, management_ip=args.listen.rsplit(":", 1)[0].strip("[]"))
    net = NetStack(layout.net_socket, vswitches, worlds.owns)
    await net.serve()
    exposed = os.environ.get(TEST_CREDENTIALS_ENV)  # tests only (pyesx.rpc.credentials)
    credentials = InternalCredentials(expose_to=Path(exposed) if exposed else None)
    vmxs = VmxManager(layout, worlds, events, factory, scheduler, storage, disks.disk_spec, net, credentials)
    memsched = MemScheduler(
        physical.memory_bytes / (1 << 20),
        scheduler.tree,
        lambda: {
            h.vm_id: RunningVm(h.vm_name, h.socket_path, h.process.pid, h.guest_memory_fd)
            for h in vmxs.handles.values()
        },
    )
    memory_scheduling = asyncio.create_task(memsched.run())
    server = grpc.aio.server()
    servicer = VMkernelServicer(
        layout, physical, config, worlds, vmxs, events, datastores, disks, memsched, vswitches, net
    )
    gate = RpcGate(credentials.authenticate)
    gate.register(
        vmkernel_pb2_grpc.add_VMkernelServicer_to_server,
        scoped(servicer, vmx_rules(vmxs.disk_owner)),
        server,
    )
    gate.register(
        resourcepools_pb2_grpc.add_ResourcePoolsServicer_to_server,
        scoped(ResourcePoolsServicer(pools)),  # hostd's alone
        server,
    )
    server.add_insecure_port(f"unix://{layout.vmkernel_socket}")
    await server.start()
    os.chmod(layout.vmkernel_socket, 0o600)

    stop = asyncio.Event()
    reboot = False
    hostd = HostdSupervisor(
        layout,
        args.listen,
        worlds,
        events,
        factory,
        stats_interval=args.stats_interval,
        credential=credentials.hostd,
    )
    servicer.restart_hostd = hostd.restart
    loop = asyncio.get_running_loop()
    graceful: list[asyncio.Task[None]] = []

    async def shut_down_through_hostd(asked: ForkedChild) -> None:
        """Until hostd calls ShutdownHost; or the hostd asked exits first, or GRACEFUL_SHUTDOWN_S."""
        waits = [asyncio.create_task(stop.wait()), asyncio.create_task(asked.wait())]
        await asyncio.wait(waits, timeout=GRACEFUL_SHUTDOWN_S, return_when=asyncio.FIRST_COMPLETED)
        for waiting in waits:
            waiting.cancel()
        stop.set()

    def on_signal() -> None:
        """The first SIGINT or SIGTERM shuts the host down as ESXi does, through hostd (the VMs'
        autostart stop actions first); a second one, or no hostd serving, stops at once."""
        asked = None if graceful else hostd.request_shutdown()
        if asked is not None:
            log.info("vmkernel.shutdown_requested", through="hostd", hostd_pid=asked.pid)
            print(
                "pyesx host shutting down: the VMs' autostart stop actions run first "
                "(Ctrl-C again powers them off now)",
                file=sys.stderr,
                flush=True,
            )
            graceful.append(asyncio.create_task(shut_down_through_hostd(asked)))
        else:
            stop.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, on_signal)

    def shutdown(again: bool) -> None:
        nonlocal reboot
        reboot = again
        stop.set()

    servicer.on_shutdown = shutdown

    try:
        address = await hostd.start()
    except Exception as exc:
        log.error("vmkernel.hostd_failed", reason=str(exc))
        print(f"pyesx boot failed: hostd did not start: {exc}", file=sys.stderr, flush=True)
        await factory.stop()
        await storage.close()
        await server.stop(None)
        return 1
    print(
        f"{READY_PREFIX} grpc={address} root={layout.root} thumbprint={hostd.thumbprint} — connect with: "
        f".venv/bin/pyesx shell --server {address} --user root",
        flush=True,
    )
    log.info("vmkernel.ready", address=address)

    await stop.wait()
    log.info("vmkernel.shutting_down", vms=len(vmxs.handles), reboot=reboot)
    await vmxs.stop_all()
    await storage.close()
    net.close()
    scheduling.cancel()
    memory_scheduling.cancel()
    await factory.stop()
    await hostd.stop()
    await server.stop(grace=1.0)
    log.info("vmkernel.stopped", reboot=reboot)
    flusher.cancel()
    root_lock.close()
    return REBOOT_EXIT if reboot else 0


def main(args: argparse.Namespace, forked_factory: ForkedFactory | None = None) -> None:
    """Boot the host (``python -m vmkernel`` parses the arguments and forks the factory first)."""
    code = uvloop.run(boot(args, forked_factory))
    if code == REBOOT_EXIT:
        flush()
        print("pyesx host rebooting", flush=True)
        sys.stderr.flush()
        os.execv(sys.executable, sys.orig_argv)  # boot again: same pid, arguments and root
    raise SystemExit(code)

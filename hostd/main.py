"""``python -m hostd``: the management agent, started and watched by the VMkernel.

Start-up: accounts and sessions, the event log, the VMkernel's view of the host,
the inventory from disk, then the running vmx worlds from the VMkernel (so a
restarted hostd reattaches to running VMs), then the public server.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
from pathlib import Path

import grpc
import uvloop
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from hostd import autostart_run
from hostd.accounts import Accounts
from hostd.auth_service import AuthorizationServicer, HostAccessServicer, HostAccountServicer
from hostd.authorizer import CallAuthorizer
from hostd.authz import Authorization
from hostd.autostart import AutoStart
from hostd.certificates import CertificateManagerServicer, ServerTls
from hostd.changes import ChangeFeed
from hostd.console import ConsoleServicer
from hostd.convert import task_to_proto, vm_to_proto
from hostd.datastores import DatastoreServicer
from hostd.disk_recovery import consolidate_orphan_deltas
from hostd.disks import DiskOps
from hostd.entities import EntityTree
from hostd.events import EventLog
from hostd.guestops import GuestOperations, GuestOperationsServicer
from hostd.host_catalogue import LOG_LEVEL
from hostd.host_power import HostPower
from hostd.host_service import HostOps, HostOpsServicer
from hostd.host_settings import HostSettings
from hostd.hostconfig_service import DateTimeServicer, HostNetworkServicer, HostServiceServicer
from hostd.hostservices import HostServiceTable, Runner, catalogue
from hostd.inventory import Inventory
from hostd.lockdown import Lockdown
from hostd.maintenance import MaintenanceMode
from hostd.names.config import HostNetworkStore
from hostd.network import NetworkServicer
from hostd.performance import PerformanceServicer
from hostd.perfsources import CpuSource, DiskSource, MemorySource, NetSource
from hostd.perfstats import DEFAULT_INTERVAL_S, PerfCollector
from hostd.pool_service import ResourcePoolServicer
from hostd.pools import PoolOps
from hostd.power import PowerOps
from hostd.reconcile import reconcile_power_events, sweep_interrupted_writes
from hostd.service import (
    ChangeFeedServicer,
    EventServicer,
    Hostd,
    SessionServicer,
    TaskServicer,
    VirtualMachineServicer,
)
from hostd.sessions import SessionManager
from hostd.snapshots import SnapshotOps
from hostd.tasks import Task, TaskManager
from hostd.timesync.config import NtpConfigStore
from hostd.timesync.daemon import NtpDaemon
from hostd.vms import ChangeKind, VmManager, VmRecord
from pyesx import certs, faults
from pyesx.api.v1 import (
    account_pb2,
    account_pb2_grpc,
    authorization_pb2,
    authorization_pb2_grpc,
    certificate_pb2,
    certificate_pb2_grpc,
    changes_pb2,
    changes_pb2_grpc,
    console_pb2,
    console_pb2_grpc,
    datastore_pb2,
    datastore_pb2_grpc,
    event_pb2,
    event_pb2_grpc,
    guest_pb2,
    guest_pb2_grpc,
    host_pb2,
    host_pb2_grpc,
    hostaccess_pb2,
    hostaccess_pb2_grpc,
    hostconfig_pb2,
    hostconfig_pb2_grpc,
    network_pb2,
    network_pb2_grpc,
    performance_pb2,
    performance_pb2_grpc,
    resourcepool_pb2,
    resourcepool_pb2_grpc,
    session_pb2,
    session_pb2_grpc,
    task_pb2,
    task_pb2_grpc,
    vm_pb2,
    vm_pb2_grpc,
)
from pyesx.layout import HostLayout
from pyesx.logs import configure, flush_periodically, get_logger, set_level
from pyesx.procs import HOST_SHUTDOWN_SIGNAL, die_with_parent, report_ready
from pyesx.rpc.channel import call, unix_channel
from pyesx.rpc.server import RpcGate
from pyesx.vmkernel.v1 import resourcepools_pb2_grpc, vmkernel_pb2, vmkernel_pb2_grpc

SIGNALLED = "the host's console (pyesx boot was signalled)"  # who asked, in the event
SERVICE_NAMES = [
    d.services_by_name[name].full_name
    for d, name in (
        (session_pb2.DESCRIPTOR, "SessionService"),
        (host_pb2.DESCRIPTOR, "HostService"),
        (vm_pb2.DESCRIPTOR, "VirtualMachineService"),
        (task_pb2.DESCRIPTOR, "TaskService"),
        (event_pb2.DESCRIPTOR, "EventService"),
        (changes_pb2.DESCRIPTOR, "ChangeFeedService"),
        (performance_pb2.DESCRIPTOR, "PerformanceService"),
        (datastore_pb2.DESCRIPTOR, "DatastoreService"),
        (network_pb2.DESCRIPTOR, "NetworkService"),
        (resourcepool_pb2.DESCRIPTOR, "ResourcePoolService"),
        (guest_pb2.DESCRIPTOR, "GuestOperationsService"),
        (console_pb2.DESCRIPTOR, "ConsoleService"),
        (certificate_pb2.DESCRIPTOR, "CertificateManagerService"),
        (account_pb2.DESCRIPTOR, "HostAccountService"),
        (authorization_pb2.DESCRIPTOR, "AuthorizationService"),
        (hostaccess_pb2.DESCRIPTOR, "HostAccessService"),
        (hostconfig_pb2.DESCRIPTOR, "HostServiceService"),
        (hostconfig_pb2.DESCRIPTOR, "DateTimeService"),
        (hostconfig_pb2.DESCRIPTOR, "HostNetworkService"),
    )
]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="hostd")
    parser.add_argument("--root", required=True, type=Path)
    parser.add_argument("--listen", required=True)
    parser.add_argument("--vmkernel-socket", required=True)
    parser.add_argument("--parent-pid", type=int, required=True)
    parser.add_argument("--ready-fd", type=int)
    parser.add_argument("--credential-fd", type=int, help="a pipe holding our VMkernel credential")
    parser.add_argument(
        "--stats-interval",
        type=int,
        default=DEFAULT_INTERVAL_S,
        help="realtime statistics interval in seconds (vSphere's: 20)",
    )
    return parser.parse_args(argv)


def _read_credential(fd: int | None) -> str:
    """The VMkernel credential from the pipe the VMkernel wrote it into ("" without one)."""
    if fd is None:
        return ""
    with os.fdopen(fd, "rb") as pipe:
        return pipe.read().decode()


async def _follow_world_events(stream: grpc.aio.UnaryStreamCall, vms: VmManager, stop: asyncio.Event) -> None:
    """Apply the VMkernel's world events; if the stream breaks, stop so the watchdog restarts us
    (a new hostd resubscribes and rereads the world table, so nothing is missed)."""
    try:
        async for event in stream:
            vms.on_world_event(event)
    except grpc.RpcError as error:
        get_logger("hostd").error("hostd.world_events_lost", code=str(error.code()))
    stop.set()


def _wire_change_feed(feed: ChangeFeed, vms: VmManager, tasks: TaskManager) -> None:
    """Every VM and task change goes to the feed as a Change with the object's new state."""
    kinds = {
        ChangeKind.ENTER: changes_pb2.ENTER,
        ChangeKind.MODIFY: changes_pb2.MODIFY,
        ChangeKind.LEAVE: changes_pb2.LEAVE,
    }

    def on_vm(vm: VmRecord, kind: ChangeKind, props: tuple[str, ...]) -> None:
        change = changes_pb2.Change(
            kind=kinds[kind], object_type="VirtualMachine", object_id=vm.id, changed_properties=props
        )
        change.vm.CopyFrom(vm_to_proto(vm, vms, feed.version + 1))
        feed.publish(change)

    def on_task(task: Task) -> None:
        feed.publish(
            changes_pb2.Change(
                kind=changes_pb2.MODIFY,
                object_type="Task",
                object_id=task.id,
                changed_properties=("state", "progress"),
                task=task_to_proto(task),
            )
        )

    vms.on_change, tasks.on_change = on_vm, on_task


def _forget_removed_entities(authz: Authorization, vms: VmManager, pools: PoolOps) -> None:
    """A removed VM's or pool's permissions go with it (a new one may get its id)."""
    feed_vm_change = vms.on_change

    def on_vm(vm: VmRecord, kind: ChangeKind, props: tuple[str, ...]) -> None:
        feed_vm_change(vm, kind, props)
        if kind is ChangeKind.LEAVE:
            authz.forget_entity(vm.id)

    def on_pools_gone(pool_ids: set[str]) -> None:
        for pool_id in pool_ids:
            authz.forget_entity(pool_id)

    vms.on_change, pools.on_pools_gone = on_vm, on_pools_gone


def _register_host_config(
    gate: RpcGate, server: grpc.aio.Server, layout: HostLayout, host_network: HostNetworkStore
) -> HostServiceTable:
    """Host services (ntpd really polls its servers), NTP and name resolution; the services that
    should run are started."""
    ntp_config = NtpConfigStore(layout.etc / "hostd" / "ntp.json")
    ntpd = NtpDaemon(ntp_config, host_network.resolver)
    runner = Runner(ntpd.start, ntpd.stop, lambda: bool(ntp_config.current.servers))
    table = HostServiceTable(
        catalogue(runner), layout.etc / "hostd" / "services.json", layout.run / "hostd" / "services.json"
    )
    table.boot()
    gate.register(
        hostconfig_pb2_grpc.add_HostServiceServiceServicer_to_server, HostServiceServicer(table), server
    )
    gate.register(
        hostconfig_pb2_grpc.add_DateTimeServiceServicer_to_server, DateTimeServicer(ntp_config, ntpd), server
    )
    gate.register(
        hostconfig_pb2_grpc.add_HostNetworkServiceServicer_to_server,
        HostNetworkServicer(host_network, ntpd),
        server,
    )
    return table


async def run(args: argparse.Namespace) -> int:
    layout = HostLayout(args.root)
    log = get_logger("hostd")
    flusher = asyncio.create_task(flush_periodically())
    events = EventLog(layout.log / "events.jsonl")
    accounts, settings = Accounts(layout), HostSettings(layout)
    set_level(str(settings.get(LOG_LEVEL)))
    lockdown = Lockdown(layout.etc / "lockdown.json")
    sessions = SessionManager(accounts, settings, events, lockdown)
    tasks = TaskManager(layout.inventory.parent / "tasks.jsonl")
    feed = ChangeFeed()

    # our credential for the VMkernel's API (pyesx.rpc.credentials), read from the pipe it came in
    channel = unix_channel(args.vmkernel_socket, credential=_read_credential(args.credential_fd))
    vmkernel = vmkernel_pb2_grpc.VMkernelStub(channel)
    host = await call(vmkernel.GetHostInfo, vmkernel_pb2.GetHostInfoRequest())
    vms = VmManager(layout, Inventory(layout), vmkernel, tasks, events, host)
    vms.load()
    vms.recover(tasks.interrupted)
    pools = PoolOps(vms, resourcepools_pb2_grpc.ResourcePoolsStub(channel))
    await pools.refresh()

    # Subscribe before reading the world table, so no vmx exit falls between the two.
    world_events = vmkernel.WatchWorldEvents(vmkernel_pb2.WatchWorldEventsRequest())
    await world_events.read()  # the empty event that says the subscription is live
    worlds = await call(vmkernel.ListWorlds, vmkernel_pb2.ListWorldsRequest())
    vms.attach(list(worlds.vmxs))
    reconcile_power_events(vms, host.boot_time)
    sweep_interrupted_writes(vms)
    _wire_change_feed(feed, vms, tasks)
    stop = asyncio.Event()
    follower = asyncio.create_task(_follow_world_events(world_events, vms, stop))

    power = PowerOps(vms, vmkernel)
    disks = DiskOps(vmkernel)
    authz = Authorization(layout.etc / "authorization.json", accounts, EntityTree(vms))
    authz.prune()
    _forget_removed_entities(authz, vms, pools)
    await consolidate_orphan_deltas(vms, disks)
    host_network = HostNetworkStore(layout.etc / "hostd" / "network.json", host.hostname)
    hostd = Hostd(
        sessions,
        events,
        tasks,
        vms,
        power,
        SnapshotOps(vms, power, disks),
        disks,
        feed,
        vmkernel,
        host_network,
        allowed=authz.has,
    )
    maintenance = MaintenanceMode(layout, vms, tasks, events)
    power.power_on_guard = maintenance.check_power_on
    autostart = AutoStart(layout, lambda vm_id: vm_id in vms.vms)
    host_power = HostPower(
        maintenance, tasks, events, vmkernel, lambda: autostart_run.stop_all(autostart, vms, power)
    )
    host_ops = HostOps(layout, settings, maintenance, autostart, host_power)
    server = grpc.aio.server()
    gate = RpcGate(sessions.authenticate, CallAuthorizer(authz))
    gate.register(
        account_pb2_grpc.add_HostAccountServiceServicer_to_server,
        HostAccountServicer(accounts, sessions, authz, settings, events),
        server,
    )
    gate.register(
        authorization_pb2_grpc.add_AuthorizationServiceServicer_to_server,
        AuthorizationServicer(authz, events),
        server,
    )
    gate.register(
        hostaccess_pb2_grpc.add_HostAccessServiceServicer_to_server,
        HostAccessServicer(lockdown, sessions, events),
        server,
    )
    gate.register(session_pb2_grpc.add_SessionServiceServicer_to_server, SessionServicer(hostd), server)
    gate.register(host_pb2_grpc.add_HostServiceServicer_to_server, HostOpsServicer(hostd, host_ops), server)
    gate.register(
        vm_pb2_grpc.add_VirtualMachineServiceServicer_to_server, VirtualMachineServicer(hostd), server
    )
    gate.register(task_pb2_grpc.add_TaskServiceServicer_to_server, TaskServicer(hostd), server)
    gate.register(event_pb2_grpc.add_EventServiceServicer_to_server, EventServicer(hostd), server)
    gate.register(changes_pb2_grpc.add_ChangeFeedServiceServicer_to_server, ChangeFeedServicer(hostd), server)
    # Statistics sources: the memory counters' source plugs in beside the CPU one.
    collector = PerfCollector(
        [CpuSource(vmkernel), MemorySource(vmkernel), DiskSource(vmkernel), NetSource(vmkernel)],
        interval_s=args.stats_interval,
    )
    collecting = asyncio.create_task(collector.run())
    gate.register(
        performance_pb2_grpc.add_PerformanceServiceServicer_to_server,
        PerformanceServicer(vmkernel, collector, lambda vm_id: vm_id in vms.vms),
        server,
    )
    gate.register(
        datastore_pb2_grpc.add_DatastoreServiceServicer_to_server, DatastoreServicer(vms, vmkernel), server
    )
    gate.register(
        network_pb2_grpc.add_NetworkServiceServicer_to_server, NetworkServicer(vms, vmkernel), server
    )
    gate.register(
        resourcepool_pb2_grpc.add_ResourcePoolServiceServicer_to_server, ResourcePoolServicer(pools), server
    )
    gate.register(
        guest_pb2_grpc.add_GuestOperationsServiceServicer_to_server,
        GuestOperationsServicer(GuestOperations(vms, power.vmx)),
        server,
    )
    console = ConsoleServicer(vms, power, sessions)
    gate.register(console_pb2_grpc.add_ConsoleServiceServicer_to_server, console, server)
    host_part = args.listen.rsplit(":", 1)[0]
    tls = ServerTls(certs.host_paths(layout.root), host.hostname, host_part)
    gate.register(
        certificate_pb2_grpc.add_CertificateManagerServiceServicer_to_server,
        CertificateManagerServicer(tls),
        server,
    )
    host_services = _register_host_config(gate, server, layout, host_network)
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection(
        [*SERVICE_NAMES, health.SERVICE_NAME, reflection.SERVICE_NAME], server
    )
    port = server.add_secure_port(args.listen, tls.credentials())  # TLS only: no plaintext port
    await server.start()
    await health_servicer.set("", health_pb2.HealthCheckResponse.SERVING)
    address = f"{host_part}:{port}"
    console.address = address
    log.info(
        "hostd.ready",
        address=address,
        thumbprint=tls.identity.thumbprint,
        vms=len(vms.vms),
        running=len(worlds.vmxs),
    )

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    def shut_down_host() -> None:  # the VMkernel was signalled (Ctrl-C or SIGTERM on pyesx boot)
        with contextlib.suppress(faults.InvalidState):  # already going down
            host_power.power_down(reboot=False, force=True, requested_by=SIGNALLED)

    loop.add_signal_handler(HOST_SHUTDOWN_SIGNAL, shut_down_host)
    report_ready(args.ready_fd, address=address, thumbprint=tls.identity.thumbprint)
    # Autostart once per host boot (not after a restart of hostd alone).
    starting = asyncio.create_task(
        autostart_run.start_all(autostart, vms, power)
        if autostart_run.boot_marker(layout)
        else asyncio.sleep(0)
    )
    await stop.wait()
    log.info("hostd.stopping")
    starting.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await starting
    lost_vmkernel = follower.done()
    collecting.cancel()
    follower.cancel()
    with contextlib.suppress(asyncio.CancelledError, grpc.RpcError):
        await follower
    with contextlib.suppress(asyncio.CancelledError):
        await collecting
    await server.stop(grace=1.0)
    await host_services.shutdown()
    await channel.close()
    flusher.cancel()
    return 1 if lost_vmkernel else 0


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    die_with_parent(args.parent_pid)
    configure("hostd", args.root / "log" / "hostd.log")
    raise SystemExit(uvloop.run(run(args)))

"""The public servicers of host configuration: host services, NTP, and the host's name and DNS.
Thin: they convert messages and call ``hostservices``, ``timesync`` and ``names``."""

from __future__ import annotations

from typing import TypeAlias

import grpc

from hostd.hostservices import HostService, HostServiceTable
from hostd.names.config import HostNetwork, HostNetworkStore
from hostd.timesync.config import NtpConfig, NtpConfigStore
from hostd.timesync.daemon import NtpDaemon, NtpServerStatus
from pyesx.api.v1 import hostconfig_pb2 as pb
from pyesx.api.v1 import hostconfig_pb2_grpc as pb_grpc

Ctx: TypeAlias = grpc.aio.ServicerContext


def host_service_to_proto(service: HostService) -> pb.HostServiceInfo:
    return pb.HostServiceInfo(
        key=service.key,
        label=service.label,
        policy=service.policy,
        running=service.running,
        required=service.required,
        uninstallable=service.uninstallable,
        state_only=service.state_only,
    )


def ntp_config_to_proto(config: NtpConfig) -> pb.NtpConfig:
    return pb.NtpConfig(servers=config.servers, poll_interval_seconds=config.poll_interval_seconds)


def _server_status(s: NtpServerStatus) -> pb.NtpServerStatus:
    return pb.NtpServerStatus(
        server=s.server,
        address=s.address,
        reachable=s.reachable,
        reach=s.reach,
        stratum=s.stratum,
        offset_seconds=s.offset_seconds,
        delay_seconds=s.delay_seconds,
        reference_id=s.reference_id,
        last_poll_time=s.last_poll_time,
        error=s.error,
        selected=s.selected,
    )


def host_network_to_proto(network: HostNetwork) -> pb.HostNetwork:
    return pb.HostNetwork(
        host_name=network.host_name,
        domain_name=network.domain_name,
        dns_servers=network.dns_servers,
        search_domains=network.search_domains,
    )


class HostServiceServicer(pb_grpc.HostServiceServiceServicer):
    def __init__(self, table: HostServiceTable) -> None:
        self.table = table

    async def ListHostServices(
        self, request: pb.ListHostServicesRequest, context: Ctx
    ) -> pb.ListHostServicesResponse:
        return pb.ListHostServicesResponse(services=[host_service_to_proto(s) for s in self.table.all()])

    async def StartHostService(self, request: pb.HostServiceRequest, context: Ctx) -> pb.HostServiceInfo:
        return host_service_to_proto(self.table.start(request.key))

    async def StopHostService(self, request: pb.HostServiceRequest, context: Ctx) -> pb.HostServiceInfo:
        return host_service_to_proto(await self.table.stop(request.key))

    async def RestartHostService(self, request: pb.HostServiceRequest, context: Ctx) -> pb.HostServiceInfo:
        return host_service_to_proto(await self.table.restart(request.key))

    async def UpdateHostServicePolicy(
        self, request: pb.UpdateHostServicePolicyRequest, context: Ctx
    ) -> pb.HostServiceInfo:
        return host_service_to_proto(self.table.set_policy(request.key, request.policy))


class DateTimeServicer(pb_grpc.DateTimeServiceServicer):
    def __init__(self, config: NtpConfigStore, daemon: NtpDaemon) -> None:
        self.config, self.daemon = config, daemon

    async def GetNtpConfig(self, request: pb.GetNtpConfigRequest, context: Ctx) -> pb.NtpConfig:
        return ntp_config_to_proto(self.config.current)

    async def AddNtpServers(self, request: pb.NtpServersRequest, context: Ctx) -> pb.NtpConfig:
        config = self.config.add(list(request.servers))
        self.daemon.wake()
        return ntp_config_to_proto(config)

    async def RemoveNtpServers(self, request: pb.NtpServersRequest, context: Ctx) -> pb.NtpConfig:
        config = self.config.remove(list(request.servers))
        self.daemon.wake()
        return ntp_config_to_proto(config)

    async def UpdateNtpConfig(self, request: pb.UpdateNtpConfigRequest, context: Ctx) -> pb.NtpConfig:
        config = self.config.current
        if request.HasField("poll_interval_seconds"):
            config = self.config.set_poll_interval(request.poll_interval_seconds)
            self.daemon.wake()
        return ntp_config_to_proto(config)

    async def GetNtpStatus(self, request: pb.GetNtpStatusRequest, context: Ctx) -> pb.NtpStatus:
        status = self.daemon.status()
        return pb.NtpStatus(
            running=status.running,
            synchronized=status.synchronized,
            sync_server=status.sync_server,
            stratum=status.stratum,
            offset_seconds=status.offset_seconds,
            servers=[_server_status(s) for s in status.servers],
        )


class HostNetworkServicer(pb_grpc.HostNetworkServiceServicer):
    def __init__(self, store: HostNetworkStore, daemon: NtpDaemon) -> None:
        self.store, self.daemon = store, daemon

    async def GetHostNetwork(self, request: pb.GetHostNetworkRequest, context: Ctx) -> pb.HostNetwork:
        return host_network_to_proto(self.store.current)

    async def UpdateHostNetwork(self, request: pb.UpdateHostNetworkRequest, context: Ctx) -> pb.HostNetwork:
        network = self.store.update(
            host_name=request.host_name if request.HasField("host_name") else None,
            domain_name=request.domain_name if request.HasField("domain_name") else None,
            dns_servers=list(request.dns_servers) if request.set_dns_servers else None,
            search_domains=list(request.search_domains) if request.set_search_domains else None,
        )
        self.daemon.wake()  # NTP server names resolve through the new DNS configuration
        return host_network_to_proto(network)

    async def ResolveName(self, request: pb.ResolveNameRequest, context: Ctx) -> pb.ResolveNameResponse:
        found = await self.store.resolver().resolve(request.name)
        return pb.ResolveNameResponse(name=found.name, addresses=found.addresses, dns_server=found.server)

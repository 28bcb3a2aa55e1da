"""The SDK's host configuration calls: host services (ntpd, SSH), NTP servers and status, and the
host's name, domain and DNS servers. Mixed into ``clients.sdk.Client``; the plans for the object
and asyncio SDKs are in ``clients.ops``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pyesx.api.v1 import hostconfig_pb2 as pb
from pyesx.api.v1 import hostconfig_pb2_grpc as pb_grpc


@dataclass(frozen=True)
class HostService:
    """A host service as Get-VMHostService shows it (``state_only``: nothing stands behind it)."""

    key: str
    label: str
    policy: str  # on | off | automatic
    running: bool
    required: bool
    uninstallable: bool
    state_only: bool


@dataclass(frozen=True)
class NtpConfig:
    servers: tuple[str, ...]
    poll_interval_seconds: float


@dataclass(frozen=True)
class NtpServerStatus:
    """What the host's ntpd knows of one server (ntpq's peer line)."""

    server: str
    address: str  # "ip:port" it resolved to ("" when it did not)
    reachable: bool  # the last poll was answered
    reach: int  # the last 8 polls, newest in bit 0
    stratum: int
    offset_seconds: float
    delay_seconds: float
    reference_id: str
    last_poll_time: float
    error: str
    selected: bool


@dataclass(frozen=True)
class NtpStatus:
    running: bool
    synchronized: bool
    sync_server: str
    stratum: int  # the host's: the selected server's + 1; 16 unsynchronized
    offset_seconds: float
    servers: tuple[NtpServerStatus, ...]


@dataclass(frozen=True)
class HostNetwork:
    """The host's name and name resolution (Get-VMHostNetwork)."""

    host_name: str
    domain_name: str
    dns_servers: tuple[str, ...]
    search_domains: tuple[str, ...]


@dataclass(frozen=True)
class Resolution:
    name: str
    addresses: tuple[str, ...]
    dns_server: str


def host_service_from_proto(m: pb.HostServiceInfo) -> HostService:
    return HostService(m.key, m.label, m.policy, m.running, m.required, m.uninstallable, m.state_only)


def ntp_config_from_proto(m: pb.NtpConfig) -> NtpConfig:
    return NtpConfig(tuple(m.servers), m.poll_interval_seconds)


def ntp_status_from_proto(m: pb.NtpStatus) -> NtpStatus:
    servers = tuple(
        NtpServerStatus(
            s.server,
            s.address,
            s.reachable,
            s.reach,
            s.stratum,
            s.offset_seconds,
            s.delay_seconds,
            s.reference_id,
            s.last_poll_time,
            s.error,
            s.selected,
        )
        for s in m.servers
    )
    return NtpStatus(m.running, m.synchronized, m.sync_server, m.stratum, m.offset_seconds, servers)


def host_network_from_proto(m: pb.HostNetwork) -> HostNetwork:
    return HostNetwork(m.host_name, m.domain_name, tuple(m.dns_servers), tuple(m.search_domains))


def resolution_from_proto(m: pb.ResolveNameResponse) -> Resolution:
    return Resolution(m.name, tuple(m.addresses), m.dns_server)


def host_network_request(
    host_name: str | None = None,
    domain_name: str | None = None,
    dns_servers: Sequence[str] | None = None,
    search_domains: Sequence[str] | None = None,
) -> pb.UpdateHostNetworkRequest:
    """The update of what is given (None: unchanged; [] clears a list)."""
    return pb.UpdateHostNetworkRequest(
        host_name=host_name,
        domain_name=domain_name,
        dns_servers=list(dns_servers or ()),
        set_dns_servers=dns_servers is not None,
        search_domains=list(search_domains or ()),
        set_search_domains=search_domains is not None,
    )


class HostConfigCalls:
    """Host configuration calls of a logged-in ``Client``."""

    _host_services: pb_grpc.HostServiceServiceStub
    _datetime: pb_grpc.DateTimeServiceStub
    _host_network: pb_grpc.HostNetworkServiceStub
    _call: Callable[..., Any]

    # -- services -----------------------------------------------------------------------------

    def host_services(self) -> list[HostService]:
        reply = self._call(self._host_services.ListHostServices, pb.ListHostServicesRequest())
        return [host_service_from_proto(s) for s in reply.services]

    def start_host_service(self, key: str) -> HostService:
        request = pb.HostServiceRequest(key=key)
        return host_service_from_proto(self._call(self._host_services.StartHostService, request))

    def stop_host_service(self, key: str) -> HostService:
        request = pb.HostServiceRequest(key=key)
        return host_service_from_proto(self._call(self._host_services.StopHostService, request))

    def restart_host_service(self, key: str) -> HostService:
        request = pb.HostServiceRequest(key=key)
        return host_service_from_proto(self._call(self._host_services.RestartHostService, request))

    def set_host_service_policy(self, key: str, policy: str) -> HostService:
        """``policy``: on (start with the host), off, automatic (start with the host when it has work)."""
        request = pb.UpdateHostServicePolicyRequest(key=key, policy=policy)
        return host_service_from_proto(self._call(self._host_services.UpdateHostServicePolicy, request))

    # -- NTP ----------------------------------------------------------------------------------

    def ntp_config(self) -> NtpConfig:
        return ntp_config_from_proto(self._call(self._datetime.GetNtpConfig, pb.GetNtpConfigRequest()))

    def add_ntp_servers(self, servers: Sequence[str]) -> NtpConfig:
        """Add ``host[:port]`` servers (names resolve through the host's DNS servers)."""
        request = pb.NtpServersRequest(servers=list(servers))
        return ntp_config_from_proto(self._call(self._datetime.AddNtpServers, request))

    def remove_ntp_servers(self, servers: Sequence[str]) -> NtpConfig:
        request = pb.NtpServersRequest(servers=list(servers))
        return ntp_config_from_proto(self._call(self._datetime.RemoveNtpServers, request))

    def set_ntp_poll_interval(self, seconds: float) -> NtpConfig:
        """How often ntpd polls each server (0.1 .. 1024 s; default 64)."""
        request = pb.UpdateNtpConfigRequest(poll_interval_seconds=seconds)
        return ntp_config_from_proto(self._call(self._datetime.UpdateNtpConfig, request))

    def ntp_status(self) -> NtpStatus:
        return ntp_status_from_proto(self._call(self._datetime.GetNtpStatus, pb.GetNtpStatusRequest()))

    # -- name resolution ----------------------------------------------------------------------

    def host_network(self) -> HostNetwork:
        reply = self._call(self._host_network.GetHostNetwork, pb.GetHostNetworkRequest())
        return host_network_from_proto(reply)

    def update_host_network(
        self,
        host_name: str | None = None,
        domain_name: str | None = None,
        dns_servers: Sequence[str] | None = None,
        search_domains: Sequence[str] | None = None,
    ) -> HostNetwork:
        """Change what is given (None: unchanged; [] clears a list); a bad value changes nothing."""
        request = host_network_request(host_name, domain_name, dns_servers, search_domains)
        return host_network_from_proto(self._call(self._host_network.UpdateHostNetwork, request))

    def resolve_name(self, name: str) -> Resolution:
        """Resolve ``name`` as the host does: through its own DNS servers."""
        reply = self._call(self._host_network.ResolveName, pb.ResolveNameRequest(name=name))
        return resolution_from_proto(reply)

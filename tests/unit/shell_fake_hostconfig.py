"""The fake host's services, NTP and name resolution: hostd's own domain objects (service table,
NTP and network stores, the ntpd itself on a private event loop) over a temporary root, answering
the SDK's host configuration calls in-process. The ntpd's queries go to ``ntp_answers`` (address →
stratum) instead of the network; names resolve through the host's DNS servers as in hostd."""

from __future__ import annotations

import asyncio
import functools
import weakref
from collections.abc import Coroutine, Sequence
from pathlib import Path
from typing import Any, TypeVar

from structlog.testing import capture_logs

from clients import hostconfig as sdk
from hostd import hostconfig_service as conv
from hostd.hostservices import HostService, HostServiceTable, Runner, catalogue
from hostd.names.config import HostNetworkStore
from hostd.timesync.client import NtpQueryError
from hostd.timesync.config import NtpConfigStore
from hostd.timesync.daemon import NtpDaemon
from hostd.timesync.wire import Reply
from pyesx.api.v1 import hostconfig_pb2 as pb

T = TypeVar("T")


class FakeHostConfig:
    def __init__(self, root: Path) -> None:
        etc = root / "hostconfig"
        self.ntp_answers: dict[str, int] = {"127.0.0.1": 3}  # address -> the server's stratum
        self._hc_loop = asyncio.new_event_loop()
        self.network_store = HostNetworkStore(etc / "network.json", "fakehost")
        self.ntp_store = NtpConfigStore(etc / "ntp.json")
        self.ntpd = NtpDaemon(self.ntp_store, self.network_store.resolver, self._hc_query)
        runner = Runner(self.ntpd.start, self.ntpd.stop, lambda: bool(self.ntp_store.current.servers))
        self.service_table = HostServiceTable(catalogue(runner), etc / "services.json", etc / "run.json")
        weakref.finalize(self, _close, self._hc_loop, self.service_table)

    async def _hc_query(self, host: str, port: int, timeout: float) -> Reply:
        if host not in self.ntp_answers:
            raise NtpQueryError("connection refused")
        return Reply(0, self.ntp_answers[host], "10.0.0.1", 100.0, 100.0015, 100.0016, 100.001)

    def _hc_run(self, coro: Coroutine[Any, Any, T]) -> T:
        return self._hc_loop.run_until_complete(coro)

    def host_services(self) -> list[sdk.HostService]:
        return [sdk.host_service_from_proto(conv.host_service_to_proto(s)) for s in self.service_table.all()]

    def _hc_service(self, service: HostService) -> sdk.HostService:
        return sdk.host_service_from_proto(conv.host_service_to_proto(service))

    def start_host_service(self, key: str) -> sdk.HostService:
        async def start() -> HostService:
            return self.service_table.start(key)

        return self._hc_service(self._hc_run(start()))

    def stop_host_service(self, key: str) -> sdk.HostService:
        return self._hc_service(self._hc_run(self.service_table.stop(key)))

    def restart_host_service(self, key: str) -> sdk.HostService:
        return self._hc_service(self._hc_run(self.service_table.restart(key)))

    def set_host_service_policy(self, key: str, policy: str) -> sdk.HostService:
        return self._hc_service(self.service_table.set_policy(key, policy))

    def ntp_config(self) -> sdk.NtpConfig:
        return sdk.ntp_config_from_proto(conv.ntp_config_to_proto(self.ntp_store.current))

    def add_ntp_servers(self, servers: Sequence[str]) -> sdk.NtpConfig:
        return sdk.ntp_config_from_proto(conv.ntp_config_to_proto(self.ntp_store.add(list(servers))))

    def remove_ntp_servers(self, servers: Sequence[str]) -> sdk.NtpConfig:
        return sdk.ntp_config_from_proto(conv.ntp_config_to_proto(self.ntp_store.remove(list(servers))))

    def ntp_status(self) -> sdk.NtpStatus:
        """The status after one more poll round, when ntpd runs."""
        if self.ntpd.running:
            self._hc_run(self.ntpd.poll_once())
        servicer = conv.DateTimeServicer(self.ntp_store, self.ntpd)
        reply = self._hc_run(servicer.GetNtpStatus(pb.GetNtpStatusRequest(), None))
        return sdk.ntp_status_from_proto(reply)

    def host_network(self) -> sdk.HostNetwork:
        return sdk.host_network_from_proto(conv.host_network_to_proto(self.network_store.current))

    def update_host_network(
        self,
        host_name: str | None = None,
        domain_name: str | None = None,
        dns_servers: Sequence[str] | None = None,
        search_domains: Sequence[str] | None = None,
    ) -> sdk.HostNetwork:
        changed = self.network_store.update(host_name, domain_name, dns_servers, search_domains)
        return sdk.host_network_from_proto(conv.host_network_to_proto(changed))

    def resolve_name(self, name: str) -> sdk.Resolution:
        found = self._hc_run(self.network_store.resolver().resolve(name))
        return sdk.Resolution(found.name, found.addresses, found.server)


def _quiet(method: Any) -> Any:
    """hostd's log lines (structlog) kept off the shell's stdout."""

    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with capture_logs():
            return method(*args, **kwargs)

    return wrapper


for _name, _method in list(vars(FakeHostConfig).items()):
    if not _name.startswith("_") and callable(_method):
        setattr(FakeHostConfig, _name, _quiet(_method))


def _close(loop: asyncio.AbstractEventLoop, table: HostServiceTable) -> None:
    """Stop the ntpd task and close the private loop."""
    with capture_logs():
        loop.run_until_complete(table.shutdown())
    loop.close()

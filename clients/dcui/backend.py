"""``DcuiHost`` over the public API (the flat SDK client): every change is checked and logged."""

from __future__ import annotations

import time

from clients.dcui.model import HostFacts, NetworkConfig
from clients.sdk import Client
from clients.tls import Trust, secure_channel
from pyesx import faults

CONNECT_TIMEOUT = 5.0
AGENTS_RESTART_TIMEOUT = 60.0  # how long the DCUI waits for hostd to serve again after a restart


class ApiHost:
    """The host at ``server`` through its public API; logs in only when the user does."""

    def __init__(self, server: str, trust: Trust | None = None) -> None:
        """A TLS channel to ``server``, its certificate trusted as ``clients.tls`` says (pinned on
        first use): SSLVerifyFault or HostCommunication now when it is not trusted or not there."""
        self.server = server
        self._client = Client(server, secure_channel(server, trust, CONNECT_TIMEOUT))
        self._credentials: tuple[str, str] | None = None

    def close(self) -> None:
        self._client.close()

    # -- sessions -------------------------------------------------------------------------------

    def login(self, user: str, password: str) -> None:
        self._client.login(user, password, local_console=True)  # lockdown's DCUI.Access users
        self._credentials = (user, password)

    def logout(self) -> None:
        self._credentials = None
        self._client.logout()

    def _login_again(self, timeout: float) -> None:
        """After hostd restarted: log in again as soon as it serves (polled, with a deadline)."""
        if self._credentials is None:
            return
        deadline = time.monotonic() + timeout
        while True:
            try:
                self._client.login(*self._credentials, local_console=True)
                return
            except faults.HostCommunication:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    # -- what the DCUI reads and changes --------------------------------------------------------

    def facts(self) -> HostFacts:
        about = self._client.about()
        facts = HostFacts(about.host_name, about.version, about.build, self.server)
        if self._client.session_key:
            host = self._client.host()
            facts = HostFacts(
                host.name,
                host.version,
                host.build,
                self.server,
                host.num_cpu,
                host.cpu_mhz,
                host.memory_total_mb,
            )
        return facts

    def restart_management_agents(self) -> None:
        self._client.restart_management_agents()
        self._login_again(AGENTS_RESTART_TIMEOUT)

    def change_password(self, user: str, password: str) -> None:
        self._client.update_account(user, password=password)
        if self._credentials is not None and self._credentials[0] == user:
            self._credentials = (user, password)  # a later automatic login uses the new one

    def lockdown_mode(self) -> str:
        return self._client.lockdown().mode

    def set_lockdown_mode(self, mode: str) -> None:
        self._client.set_lockdown(mode)

    def network(self) -> NetworkConfig:
        names = self._client.host_network()
        addresses = tuple(
            f"{nic.ip}/{nic.subnet_mask} ({nic.name})"
            for nic in self._client.host_network_adapters()
            if nic.kind == "vmkernel" and nic.ip
        )
        return NetworkConfig(
            names.host_name, names.domain_name, names.dns_servers, names.search_domains, addresses
        )

    def set_network(
        self,
        *,
        host_name: str | None = None,
        domain_name: str | None = None,
        dns_servers: list[str] | None = None,
        search_domains: list[str] | None = None,
    ) -> NetworkConfig:
        self._client.update_host_network(host_name, domain_name, dns_servers, search_domains)
        return self.network()

    def log_keys(self) -> list[str]:
        return [log.key for log in self._client.log_types()]

    def log_lines(self, key: str, count: int) -> list[str]:
        return list(self._client.browse_log(key, num_lines=count).lines)

    def reset_configuration(self) -> None:
        self._client.reset_system_configuration()

    def shutdown(self, *, restart: bool) -> None:
        # the user confirmed at the console: as ESXi's DCUI, this does not need maintenance mode
        if restart:
            self._client.reboot_host(force=True)
        else:
            self._client.shutdown_host(force=True)

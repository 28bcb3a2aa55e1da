"""What the DCUI shows and changes, and the host it talks to (``DcuiHost``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class HostFacts:
    """The front screen's facts about the host."""

    name: str
    version: str
    build: str
    address: str  # HOST:PORT of the management API
    num_cpu: int = 0
    cpu_mhz: int = 0
    memory_mb: int = 0


@dataclass(frozen=True)
class NetworkConfig:
    """The management network's names: host name, domain, DNS servers and search domains."""

    host_name: str
    domain_name: str = ""
    dns_servers: tuple[str, ...] = ()
    search_domains: tuple[str, ...] = ()
    addresses: tuple[str, ...] = field(default=())  # the management VMkernel NIC's addresses


class DcuiHost(Protocol):
    """The host as the DCUI drives it. Failures raise the API's faults (``pyesx.faults.VimFault``)."""

    def facts(self) -> HostFacts:
        """The host's facts (``login`` first: the API serves nothing to strangers)."""
        ...

    def login(self, user: str, password: str) -> None:
        """Log in; NotAuthenticated when the name or password is wrong."""
        ...

    def logout(self) -> None:
        """End the session (the front screen needs none)."""
        ...

    def change_password(self, user: str, password: str) -> None:
        """Give ``user`` a new password (the host's policy applies)."""
        ...

    def lockdown_mode(self) -> str:
        """ "disabled", "normal" or "strict"."""
        ...

    def set_lockdown_mode(self, mode: str) -> None:
        """Change the lockdown mode."""
        ...

    def network(self) -> NetworkConfig:
        """The management network's names."""
        ...

    def set_network(
        self,
        *,
        host_name: str | None = None,
        domain_name: str | None = None,
        dns_servers: list[str] | None = None,
        search_domains: list[str] | None = None,
    ) -> NetworkConfig:
        """Change what is given; the rest stays."""
        ...

    def log_keys(self) -> list[str]:
        """The logs there are ("hostd", "vmkernel", …)."""
        ...

    def log_lines(self, key: str, count: int) -> list[str]:
        """The last ``count`` lines of a log."""
        ...

    def restart_management_agents(self) -> None:
        """Restart hostd (running VMs are not disturbed); the DCUI logs in again afterwards."""
        ...

    def reset_configuration(self) -> None:
        """Put the host's configuration back to its install defaults (VMs stay on the datastores)."""
        ...

    def shutdown(self, *, restart: bool) -> None:
        """Shut the host down, or restart it."""
        ...

"""The host's name, domain, DNS servers and search domains (``etc/hostd/network.json``), validated
whole before anything is written and written atomically; the resolver they make."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from hostd.names.endpoints import parse_endpoint
from hostd.names.hostnames import check_domain_name, check_host_name
from hostd.names.resolver import Resolver
from pyesx.atomic import atomic_write
from pyesx.faults import InvalidArgument
from pyesx.logs import get_logger

DNS_PORT = 53
MAX_DNS_SERVERS = 8
MAX_SEARCH_DOMAINS = 6


@dataclass(frozen=True)
class HostNetwork:
    host_name: str
    domain_name: str = ""
    dns_servers: tuple[str, ...] = ()
    search_domains: tuple[str, ...] = ()


def _check_list(items: Sequence[str], most: int, argument: str) -> None:
    if len(items) > most:
        raise InvalidArgument(argument, f"at most {most} are allowed; {len(items)} were given")
    if len({i.lower() for i in items}) != len(items):
        raise InvalidArgument(argument, "lists the same entry twice")


def validate(network: HostNetwork) -> HostNetwork:
    """``network`` if every field is valid; InvalidArgument naming the first bad one otherwise."""
    check_host_name(network.host_name, "hostName")
    if network.domain_name:
        check_domain_name(network.domain_name, "domainName")
    _check_list(network.dns_servers, MAX_DNS_SERVERS, "dnsAddress")
    for server in network.dns_servers:
        parse_endpoint(server, DNS_PORT, "dnsAddress", names=False)
    _check_list(network.search_domains, MAX_SEARCH_DOMAINS, "searchDomain")
    for domain in network.search_domains:
        check_domain_name(domain, "searchDomain")
    return network


class HostNetworkStore:
    """The persisted HostNetwork; ``default_host_name`` until something is set."""

    def __init__(self, path: Path, default_host_name: str) -> None:
        self.path = path
        if path.exists():
            raw = json.loads(path.read_text())
            self.current = HostNetwork(
                raw["host_name"],
                raw.get("domain_name", ""),
                tuple(raw.get("dns_servers", ())),
                tuple(raw.get("search_domains", ())),
            )
        else:
            self.current = HostNetwork(default_host_name or "localhost")

    def update(
        self,
        host_name: str | None = None,
        domain_name: str | None = None,
        dns_servers: Sequence[str] | None = None,
        search_domains: Sequence[str] | None = None,
    ) -> HostNetwork:
        """Change what is given (None: unchanged); all checked first, so a refusal changes nothing."""
        changes: dict[str, object] = {}
        if host_name is not None:
            changes["host_name"] = host_name
        if domain_name is not None:
            changes["domain_name"] = domain_name
        if dns_servers is not None:
            changes["dns_servers"] = tuple(dns_servers)
        if search_domains is not None:
            changes["search_domains"] = tuple(search_domains)
        network = validate(dataclasses.replace(self.current, **changes))  # type: ignore[arg-type]
        self.path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(self.path, json.dumps(dataclasses.asdict(network), indent=2) + "\n")
        self.current = network
        get_logger("hostd").info("host_network.updated", changed=sorted(changes))
        return network

    def search_list(self) -> list[str]:
        """The search domains, or the host's domain when none is set (as resolv.conf does)."""
        network = self.current
        if network.search_domains:
            return list(network.search_domains)
        return [network.domain_name] if network.domain_name else []

    def resolver(self, timeout: float | None = None) -> Resolver:
        """A resolver over the DNS servers configured now."""
        servers = [parse_endpoint(s, DNS_PORT, "dnsAddress", names=False) for s in self.current.dns_servers]
        if timeout is None:
            return Resolver(servers, self.search_list())
        return Resolver(servers, self.search_list(), timeout)

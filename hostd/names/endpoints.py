"""``host[:port]`` endpoints as the host's configuration writes them: ``10.0.0.1``, ``10.0.0.1:5353``,
``ntp.lan:1123``, ``::1`` and ``[::1]:5353``."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from hostd.names.hostnames import check_domain_name
from pyesx.faults import InvalidArgument


@dataclass(frozen=True)
class Endpoint:
    host: str  # an IP address or a DNS name
    port: int

    @property
    def is_address(self) -> bool:
        return is_ip(self.host)

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


def is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _port(text: str, argument: str, whole: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise InvalidArgument(argument, f"'{whole}': the port must be a number from 1 to 65535")
    return int(text)


def parse_endpoint(text: str, default_port: int, argument: str, names: bool = True) -> Endpoint:
    """``text`` as an Endpoint; InvalidArgument when it is neither an address nor (if ``names``) a
    valid DNS name, or its port is out of range."""
    if not isinstance(text, str) or not text.strip():
        raise InvalidArgument(argument, "must not be empty")
    if text != text.strip():
        raise InvalidArgument(argument, f"'{text}' must not start or end with white space")
    if text.startswith("["):
        host, sep, rest = text[1:].partition("]")
        if not sep or not is_ip(host) or ":" not in host or (rest and not rest.startswith(":")):
            raise InvalidArgument(argument, f"'{text}' is not an IPv6 address like [::1]:123")
        return Endpoint(host, _port(rest[1:], argument, text) if rest else default_port)
    if text.count(":") > 1:  # a bare IPv6 address
        if not is_ip(text):
            raise InvalidArgument(argument, f"'{text}' is not an IP address")
        return Endpoint(str(ipaddress.ip_address(text)), default_port)
    host, sep, port_text = text.partition(":")
    port = _port(port_text, argument, text) if sep else default_port
    if is_ip(host):
        return Endpoint(host, port)
    if not names:
        raise InvalidArgument(argument, f"'{text}' is not an IP address")
    try:
        check_domain_name(host, argument)
    except InvalidArgument as error:
        raise InvalidArgument(argument, f"'{text}' is neither an IP address nor a valid host name") from error
    return Endpoint(host.lower(), port)

"""TLS to hostd: trust on first use with thumbprint pinning, as PowerCLI's InvalidCertificateAction.

Every client (SDK, asyncio SDK, shell, console, benchmarks) opens its channel
through ``secure_channel`` / ``secure_aio_channel``. How the host is trusted:

1. a CA file (``ca_file=`` or ``$PYESX_CA_FILE``, e.g. a host root's
   ``etc/ssl/ca.crt``): the host's certificate must chain to it; no pinning;
2. otherwise its certificate is fetched with a handshake and its SHA-256
   thumbprint compared with ``thumbprint=`` or the known-hosts file's entry
   for ``HOST:PORT``; the channel then trusts exactly that certificate.

``Trust.action`` says what to do with an unknown or changed certificate:

    pin     (default, PowerCLI's Unset) record an unknown host; refuse a changed one
    fail    refuse any certificate not already known (or given by thumbprint=)
    warn    accept anything, with a warning on stderr when unknown or changed
    ignore  accept anything silently
    prompt  ask ``Trust.accept(server, expected, presented)``; yes records it

A refusal raises ``faults.SSLVerifyFault`` naming both thumbprints. The
known-hosts file is ``$PYESX_KNOWN_HOSTS`` or
``$XDG_CONFIG_HOME/pyesx/known_hosts`` (``~/.config/pyesx/known_hosts``), JSON,
mode 0600, written atomically.
"""

from __future__ import annotations

import json
import os
import socket
import ssl
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
from cryptography import x509
from cryptography.exceptions import InvalidSignature

from pyesx import faults
from pyesx.atomic import atomic_write
from pyesx.certs import normalize_thumbprint, thumbprint

CA_FILE_ENV = "PYESX_CA_FILE"
KNOWN_HOSTS_ENV = "PYESX_KNOWN_HOSTS"
ACTIONS = ("pin", "fail", "warn", "ignore", "prompt")
FILE_MODE, DIR_MODE = 0o600, 0o700
Options = list[tuple[str, Any]]


def known_hosts_path() -> Path:
    """``$PYESX_KNOWN_HOSTS``, else ``$XDG_CONFIG_HOME/pyesx/known_hosts`` (``~/.config`` if unset)."""
    if os.environ.get(KNOWN_HOSTS_ENV):
        return Path(os.environ[KNOWN_HOSTS_ENV])
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "pyesx" / "known_hosts"


class KnownHosts:
    """``HOST:PORT`` → thumbprint; read afresh on every lookup so several clients can share it."""

    def __init__(self, path: Path | str | None = None) -> None:
        self.path = Path(path) if path is not None else known_hosts_path()

    def entries(self) -> dict[str, str]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as error:
            raise OSError(f"Cannot read the known-hosts file {self.path}: {error}") from error
        hosts = data.get("hosts", {}) if isinstance(data, dict) else {}
        return {str(k): str(v) for k, v in hosts.items()}

    def get(self, server: str) -> str | None:
        return self.entries().get(server)

    def set(self, server: str, thumb: str) -> None:
        hosts = {**self.entries(), server: thumb}
        self.path.parent.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        atomic_write(self.path, json.dumps({"version": 1, "hosts": hosts}, indent=1) + "\n", mode=FILE_MODE)

    def remove(self, server: str) -> bool:
        hosts = self.entries()
        if hosts.pop(server, None) is None:
            return False
        atomic_write(self.path, json.dumps({"version": 1, "hosts": hosts}, indent=1) + "\n", mode=FILE_MODE)
        return True


@dataclass
class Trust:
    """How a client decides to trust a host's certificate (see the module docstring)."""

    thumbprint: str | None = None
    action: str = "pin"
    ca_file: str | None = None
    known_hosts: KnownHosts = field(default_factory=KnownHosts)
    accept: Callable[[str, str | None, str], bool] | None = None

    def __post_init__(self) -> None:
        self.action = (self.action or "pin").lower()
        if self.action == "unset":
            self.action = "pin"
        if self.action not in ACTIONS:
            raise faults.InvalidArgument(
                "invalid_certificate_action", f"'{self.action}' is not one of {', '.join(ACTIONS)}"
            )


def split_server(server: str) -> tuple[str, int]:
    """``HOST:PORT`` / ``[::1]:PORT`` → (host, port)."""
    host, _, port = server.rpartition(":")
    if not host or not port.isdigit():
        raise faults.InvalidArgument("server", f"'{server}' is not HOST:PORT")
    return host.strip("[]"), int(port)


def _handshake(host: str, port: int, timeout: float) -> bytes | None:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.set_alpn_protocols(["h2"])
    with (
        socket.create_connection((host, port), timeout=timeout) as raw,
        context.wrap_socket(raw, server_hostname=host) as tls,
    ):
        return tls.getpeercert(binary_form=True)


def fetch_certificate(server: str, timeout: float = 10.0) -> bytes:
    """The DER certificate the server presents (not verified: the caller compares thumbprints).

    A refused connection is tried again until ``timeout``, with backoff, as a gRPC channel
    reconnects: a host (or a hostd being restarted) may not be listening yet."""
    host, port = split_server(server)
    deadline = time.monotonic() + timeout
    backoff = 0.02
    while True:
        try:
            der = _handshake(host, port, max(deadline - time.monotonic(), 0.1))
            break
        except ConnectionRefusedError as error:
            if time.monotonic() + backoff > deadline:
                raise faults.HostCommunication(f"no TLS answer from {server}: {error}") from None
            time.sleep(backoff)  # reconnect backoff, as gRPC's own
            backoff = min(backoff * 2, 0.5)
        except (OSError, ssl.SSLError) as error:
            raise faults.HostCommunication(f"no TLS answer from {server}: {error}") from None
    if not der:
        raise faults.HostCommunication(f"{server} presented no certificate")
    return der


def _warn(text: str) -> None:
    print(f"WARNING: {text}", file=sys.stderr, flush=True)


def _decide(server: str, trust: Trust, presented: str) -> None:
    """Accept the presented thumbprint (recording it when pinning) or raise SSLVerifyFault."""
    expected = normalize_thumbprint(trust.thumbprint) if trust.thumbprint else trust.known_hosts.get(server)
    if expected == presented:
        return
    if trust.action == "ignore":
        return
    if trust.action == "warn":
        what = "is not trusted" if expected is None else f"changed from {expected}"
        _warn(
            f"the certificate of {server} ({presented}) {what}; "
            "connecting anyway (InvalidCertificateAction Warn)"
        )
        return
    if trust.action == "prompt" and trust.accept is not None and trust.accept(server, expected, presented):
        trust.known_hosts.set(server, presented)
        return
    if trust.action == "pin" and expected is None:
        trust.known_hosts.set(server, presented)
        return
    raise faults.SSLVerifyFault(server, expected, presented)


def _target_name(der: bytes) -> str | None:
    """A DNS name of the certificate, so the pinned certificate verifies whatever address was dialled."""
    try:
        names = x509.load_der_x509_certificate(der).extensions.get_extension_for_class(
            x509.SubjectAlternativeName
        )
    except (ValueError, x509.ExtensionNotFound):
        return None
    dns = names.value.get_values_for_type(x509.DNSName)
    return dns[0] if dns else None


def _check_chain(server: str, der: bytes, ca_file: str) -> None:
    """SSLVerifyFault at once (not a channel that never comes up) when no CA in ``ca_file`` signed the
    host's certificate (the host CA signs it directly)."""
    cert = x509.load_der_x509_certificate(der)
    for ca in x509.load_pem_x509_certificates(Path(ca_file).read_bytes()):
        try:
            cert.verify_directly_issued_by(ca)
            return
        except (ValueError, TypeError, InvalidSignature):
            continue
    presented = thumbprint(der)
    message = f"The certificate of {server} (thumbprint {presented}) is not signed by a CA in {ca_file}."
    raise faults.SSLVerifyFault(server, None, presented, message)


def credentials(server: str, trust: Trust | None = None, timeout: float = 10.0) -> tuple[Any, Options]:
    """Channel credentials and options that trust the host as ``trust`` says (may raise SSLVerifyFault)."""
    trust = trust or Trust()
    ca_file = trust.ca_file or os.environ.get(CA_FILE_ENV)
    der = fetch_certificate(server, timeout)
    if ca_file and not trust.thumbprint:
        ca_pem = Path(ca_file).read_bytes()
        _check_chain(server, der, ca_file)
        return grpc.ssl_channel_credentials(ca_pem), []
    _decide(server, trust, thumbprint(der))
    name = _target_name(der)
    options: Options = [("grpc.ssl_target_name_override", name)] if name else []
    return grpc.ssl_channel_credentials(ssl.DER_cert_to_PEM_cert(der).encode()), options


def secure_channel(
    server: str, trust: Trust | None = None, timeout: float = 10.0, options: Options | None = None
) -> grpc.Channel:
    """A blocking TLS channel to HOST:PORT (not yet connected)."""
    creds, tls_options = credentials(server, trust, timeout)
    return grpc.secure_channel(server, creds, options=[*(options or []), *tls_options])


async def secure_aio_channel(
    server: str, trust: Trust | None = None, timeout: float = 10.0, options: Options | None = None
) -> grpc.aio.Channel:
    """A ``grpc.aio`` TLS channel to HOST:PORT (the certificate is fetched in a thread)."""
    import asyncio

    creds, tls_options = await asyncio.to_thread(credentials, server, trust, timeout)
    return grpc.aio.secure_channel(server, creds, options=[*(options or []), *tls_options])


def open_channel(server: str, timeout: float = 10.0, trust: Trust | None = None) -> grpc.Channel:
    """A blocking TLS channel to HOST:PORT once it is up (HostCommunication when it does not come up)."""
    channel = secure_channel(server, trust, timeout)
    try:
        grpc.channel_ready_future(channel).result(timeout=timeout)
    except grpc.FutureTimeoutError:
        channel.close()
        raise faults.HostCommunication(f"no TLS connection to {server} within {timeout:.0f}s") from None
    return channel


async def open_aio_channel(
    server: str, timeout: float = 10.0, trust: Trust | None = None
) -> grpc.aio.Channel:
    """A ``grpc.aio`` TLS channel to HOST:PORT once it is up."""
    import asyncio

    channel = await secure_aio_channel(server, trust, timeout)
    try:
        await asyncio.wait_for(channel.channel_ready(), timeout)
    except TimeoutError:
        await channel.close()
        raise faults.HostCommunication(f"no TLS connection to {server} within {timeout:.0f}s") from None
    return channel

"""The public port's TLS: hostd serves the host certificate from ``etc/ssl`` and can make a new one.

``ServerTls.credentials()`` are dynamic: gRPC asks ``_fetch`` at each new
handshake, which hands over the new certificate once ``regenerate`` made one,
so a regenerated certificate is served without restarting hostd (connections
already open keep the old one until they reconnect).
"""

from __future__ import annotations

import asyncio
from typing import Any

import grpc
from google.protobuf.timestamp_pb2 import Timestamp

from pyesx import certs
from pyesx.api.v1 import certificate_pb2, certificate_pb2_grpc
from pyesx.logs import get_logger

_log = get_logger("hostd.tls")


class ServerTls:
    """The identity hostd serves, reloadable."""

    def __init__(self, paths: certs.CertPaths, hostname: str, listen_host: str) -> None:
        self.paths, self.hostname, self.listen_host = paths, hostname, listen_host
        if certs.ensure(paths, hostname, listen_host):
            _log.info("tls.certificate_created", folder=str(paths.folder))
        self.identity = certs.load(paths)
        self._served = self.identity

    @staticmethod
    def _config(identity: certs.ServerIdentity) -> Any:
        return grpc.ssl_server_certificate_configuration([(identity.key_pem, identity.chain_pem)])

    def _fetch(self) -> Any:
        """gRPC's per-handshake hook: a new configuration after a regeneration, else None (keep)."""
        if self._served is self.identity:
            return None
        self._served = self.identity
        return self._config(self._served)

    def credentials(self) -> grpc.ServerCredentials:
        return grpc.dynamic_ssl_server_credentials(self._config(self.identity), self._fetch)

    async def regenerate(self) -> certs.ServerIdentity:
        """A new key and certificate signed by the host CA, served from the next handshake on."""
        old = self.identity.thumbprint
        await asyncio.to_thread(certs.regenerate, self.paths, self.hostname, self.listen_host)
        self.identity = await asyncio.to_thread(certs.load, self.paths)
        _log.info("tls.certificate_regenerated", old_thumbprint=old, thumbprint=self.identity.thumbprint)
        return self.identity


def to_proto(identity: certs.ServerIdentity) -> certificate_pb2.HostCertificate:
    not_after = Timestamp()
    not_after.FromDatetime(identity.not_after)
    return certificate_pb2.HostCertificate(
        thumbprint=identity.thumbprint,
        subject=identity.subject,
        issuer=identity.issuer,
        not_after=not_after,
        certificate_pem=identity.cert_pem.decode(),
        ca_certificate_pem=identity.ca_pem.decode(),
    )


class CertificateManagerServicer(certificate_pb2_grpc.CertificateManagerServiceServicer):
    def __init__(self, tls: ServerTls) -> None:
        self.tls = tls

    async def GetCertificate(
        self, request: certificate_pb2.GetCertificateRequest, context: grpc.aio.ServicerContext
    ) -> certificate_pb2.HostCertificate:
        return to_proto(self.tls.identity)

    async def RegenerateCertificate(
        self, request: certificate_pb2.RegenerateCertificateRequest, context: grpc.aio.ServicerContext
    ) -> certificate_pb2.HostCertificate:
        return to_proto(await self.tls.regenerate())

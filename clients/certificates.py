"""The host's TLS certificate from the SDK: read it, regenerate it (CertificateManagerService)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import grpc

from pyesx.api.v1 import certificate_pb2, certificate_pb2_grpc


@dataclass(frozen=True)
class HostCertificate:
    """The certificate hostd serves: its SHA-256 thumbprint, names, expiry and PEM text (and its CA's)."""

    thumbprint: str
    subject: str
    issuer: str
    not_after: dt.datetime
    certificate_pem: str
    ca_certificate_pem: str


def certificate_from_proto(m: certificate_pb2.HostCertificate) -> HostCertificate:
    return HostCertificate(
        m.thumbprint,
        m.subject,
        m.issuer,
        m.not_after.ToDatetime(tzinfo=dt.UTC),
        m.certificate_pem,
        m.ca_certificate_pem,
    )


class CertificateCalls:
    """The certificate calls of ``clients.sdk.Client``."""

    _channel: grpc.Channel
    _call: Callable[..., Any]

    def _certificates(self) -> certificate_pb2_grpc.CertificateManagerServiceStub:
        return certificate_pb2_grpc.CertificateManagerServiceStub(self._channel)

    def certificate(self) -> HostCertificate:
        """The host's current certificate."""
        stub = self._certificates()
        return certificate_from_proto(
            self._call(stub.GetCertificate, certificate_pb2.GetCertificateRequest())
        )

    def regenerate_certificate(self) -> HostCertificate:
        """Make the host a new certificate (signed by its CA); new connections see it at once, and
        clients that pinned the old thumbprint refuse the host until they accept the new one."""
        stub = self._certificates()
        request = certificate_pb2.RegenerateCertificateRequest()
        return certificate_from_proto(self._call(stub.RegenerateCertificate, request))

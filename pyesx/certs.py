"""The host's TLS identity: a host CA and a host certificate signed by it, under ``etc/ssl/``.

Made at install (and at boot on a root installed before TLS), made again by
``regenerate`` (CertificateManager.RegenerateCertificate). Keys are 0600 in a
0700 folder; every file is written atomically, the certificate last, so a crash
leaves the old pair or the new one.

    etc/ssl/ca.key  ca.crt      the host CA (self-signed, 10 years)
    etc/ssl/rui.key rui.crt     the host certificate (ESXi's names), signed by the CA
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import os
import socket
import ssl
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from pyesx.atomic import atomic_write

CA_YEARS = 10
HOST_YEARS = 5
_KEY_MODE = 0o600
_CERT_MODE = 0o644


@dataclass(frozen=True)
class CertPaths:
    """Where a host's TLS files live."""

    folder: Path

    @property
    def ca_key(self) -> Path:
        return self.folder / "ca.key"

    @property
    def ca_cert(self) -> Path:
        return self.folder / "ca.crt"

    @property
    def key(self) -> Path:
        return self.folder / "rui.key"

    @property
    def cert(self) -> Path:
        return self.folder / "rui.crt"

    def exists(self) -> bool:
        return all(p.exists() for p in (self.ca_key, self.ca_cert, self.key, self.cert))


def thumbprint(cert_pem_or_der: bytes) -> str:
    """SHA-256 thumbprint of a certificate as vSphere shows it: ``AB:CD:…`` (upper-case hex pairs)."""
    der = (
        ssl.PEM_cert_to_DER_cert(cert_pem_or_der.decode())
        if cert_pem_or_der.lstrip().startswith(b"-----")
        else cert_pem_or_der
    )
    return ":".join(f"{b:02X}" for b in hashlib.sha256(der).digest())


def normalize_thumbprint(text: str) -> str:
    """``ab cd:EF…`` → ``AB:CD:EF…`` (accepts colons, spaces or nothing between pairs)."""
    digits = "".join(c for c in text if c not in ": -").upper()
    return ":".join(digits[i : i + 2] for i in range(0, len(digits), 2))


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)  # a little slack for clock skew


def _new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _names(hostname: str, listen_host: str) -> list[x509.GeneralName]:
    """The SAN: host name, localhost, the loopback addresses and the listen address."""
    dns = dict.fromkeys(n for n in (hostname, "localhost") if n)
    ips = dict.fromkeys(["127.0.0.1", "::1"])
    host = listen_host.strip("[]")
    try:
        ips[str(ipaddress.ip_address(host))] = None
    except ValueError:
        if host:
            dns[host] = None
    return [x509.DNSName(n) for n in dns] + [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]


def _make_ca(hostname: str) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = _new_key()
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "pyesx"),
            x509.NameAttribute(NameOID.COMMON_NAME, f"pyesx host CA {hostname}"),
        ]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(_now())
        .not_valid_after(_now() + dt.timedelta(days=365 * CA_YEARS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def _make_host_cert(
    ca_key: ec.EllipticCurvePrivateKey, ca_cert: x509.Certificate, hostname: str, listen_host: str
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = _new_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname or "localhost")]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(_now())
        .not_valid_after(_now() + dt.timedelta(days=365 * HOST_YEARS))
        .add_extension(x509.SubjectAlternativeName(_names(hostname, listen_host)), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    return key, cert


def _write(key_path: Path, key: ec.EllipticCurvePrivateKey, cert_path: Path, cert: x509.Certificate) -> None:
    atomic_write(key_path, _key_pem(key), mode=_KEY_MODE)
    atomic_write(cert_path, cert.public_bytes(serialization.Encoding.PEM), mode=_CERT_MODE)


def _prepare(paths: CertPaths) -> None:
    paths.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(paths.folder, 0o700)


def ensure(paths: CertPaths, hostname: str = "", listen_host: str = "") -> bool:
    """Make the CA and the host certificate unless both exist; True when they were made."""
    if paths.exists():
        return False
    _prepare(paths)
    hostname = hostname or socket.gethostname()
    ca_key, ca_cert = _make_ca(hostname)
    _write(paths.ca_key, ca_key, paths.ca_cert, ca_cert)
    key, cert = _make_host_cert(ca_key, ca_cert, hostname, listen_host)
    _write(paths.key, key, paths.cert, cert)
    return True


def regenerate(paths: CertPaths, hostname: str = "", listen_host: str = "") -> str:
    """A new host key and certificate signed by the host CA (made first if missing); its thumbprint."""
    ensure(paths, hostname, listen_host)
    _prepare(paths)
    ca_key = serialization.load_pem_private_key(paths.ca_key.read_bytes(), password=None)
    assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
    ca_cert = x509.load_pem_x509_certificate(paths.ca_cert.read_bytes())
    key, cert = _make_host_cert(ca_key, ca_cert, hostname or socket.gethostname(), listen_host)
    _write(paths.key, key, paths.cert, cert)
    return thumbprint(cert.public_bytes(serialization.Encoding.DER))


def host_paths(root: Path) -> CertPaths:
    """A host root's TLS folder, ``etc/ssl``."""
    return CertPaths(root / "etc" / "ssl")


@dataclass(frozen=True)
class ServerIdentity:
    """What a TLS server presents: its key, and its certificate followed by the CA's."""

    key_pem: bytes
    cert_pem: bytes
    ca_pem: bytes
    thumbprint: str
    not_after: dt.datetime
    subject: str
    issuer: str

    @property
    def chain_pem(self) -> bytes:
        return self.cert_pem + self.ca_pem


def load(paths: CertPaths) -> ServerIdentity:
    """The host's current identity, read from disk."""
    cert_pem = paths.cert.read_bytes()
    cert = x509.load_pem_x509_certificate(cert_pem)
    return ServerIdentity(
        key_pem=paths.key.read_bytes(),
        cert_pem=cert_pem,
        ca_pem=paths.ca_cert.read_bytes(),
        thumbprint=thumbprint(cert_pem),
        not_after=cert.not_valid_after_utc,
        subject=cert.subject.rfc4514_string(),
        issuer=cert.issuer.rfc4514_string(),
    )

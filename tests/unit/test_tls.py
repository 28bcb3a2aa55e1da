"""The host's certificates (pyesx.certs) and the client's trust decisions (clients.tls), without a host."""

from __future__ import annotations

import ipaddress
import stat
from pathlib import Path

import pytest
from cryptography import x509

from clients import tls
from pyesx import certs, faults

A = ":".join(["AA"] * 32)
B = ":".join(["BB"] * 32)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_install_makes_a_ca_and_a_host_certificate_with_private_keys(tmp_path: Path) -> None:
    paths = certs.CertPaths(tmp_path / "etc" / "ssl")
    assert certs.ensure(paths, "esx01", "192.0.2.7")
    assert not certs.ensure(paths, "esx01", "192.0.2.7")  # made once
    assert _mode(paths.folder) == 0o700
    assert _mode(paths.key) == _mode(paths.ca_key) == 0o600
    cert = x509.load_pem_x509_certificate(paths.cert.read_bytes())
    ca = x509.load_pem_x509_certificate(paths.ca_cert.read_bytes())
    assert cert.issuer == ca.subject
    cert.verify_directly_issued_by(ca)
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["esx01", "localhost"]
    assert {str(ip) for ip in san.get_values_for_type(x509.IPAddress)} == {"127.0.0.1", "::1", "192.0.2.7"}
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca


def test_regenerate_signs_a_new_key_with_the_same_ca(tmp_path: Path) -> None:
    paths = certs.CertPaths(tmp_path)
    certs.ensure(paths, "esx01", "127.0.0.1")
    before, ca_before = certs.load(paths), paths.ca_cert.read_bytes()
    thumb = certs.regenerate(paths, "esx01", "127.0.0.1")
    after = certs.load(paths)
    assert thumb == after.thumbprint != before.thumbprint
    assert after.key_pem != before.key_pem and paths.ca_cert.read_bytes() == ca_before
    assert after.chain_pem.count(b"BEGIN CERTIFICATE") == 2


def test_thumbprints_are_sha256_in_colon_pairs() -> None:
    assert certs.normalize_thumbprint("ab cd-ef0102") == "AB:CD:EF:01:02"
    assert len(certs.thumbprint(b"\x30\x00").split(":")) == 32


def test_a_listen_name_goes_into_the_san(tmp_path: Path) -> None:
    paths = certs.CertPaths(tmp_path)
    certs.ensure(paths, "esx01", "esx01.example.com")
    cert = x509.load_pem_x509_certificate(paths.cert.read_bytes())
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "esx01.example.com" in san.get_values_for_type(x509.DNSName)
    assert ipaddress.ip_address("::1") in san.get_values_for_type(x509.IPAddress)


def test_known_hosts_file_is_private_and_rewritten_whole(tmp_path: Path) -> None:
    known = tls.KnownHosts(tmp_path / "cfg" / "known_hosts")
    assert known.get("h:1") is None
    known.set("h:1", A)
    known.set("h:2", B)
    assert known.entries() == {"h:1": A, "h:2": B}
    assert _mode(known.path) == 0o600 and _mode(known.path.parent) == 0o700
    assert known.remove("h:1") and not known.remove("h:1")
    assert [p.name for p in known.path.parent.iterdir()] == ["known_hosts"]  # no temporary left


def test_known_hosts_default_path_follows_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(tls.KNOWN_HOSTS_ENV, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert tls.known_hosts_path() == tmp_path / "pyesx" / "known_hosts"
    monkeypatch.setenv(tls.KNOWN_HOSTS_ENV, str(tmp_path / "k"))
    assert tls.known_hosts_path() == tmp_path / "k"


def _trust(tmp_path: Path, action: str = "pin", **kw: object) -> tls.Trust:
    return tls.Trust(action=action, known_hosts=tls.KnownHosts(tmp_path / "kh"), **kw)  # type: ignore[arg-type]


def test_pin_records_the_first_thumbprint_and_refuses_a_changed_one(tmp_path: Path) -> None:
    trust = _trust(tmp_path)
    tls._decide("h:1", trust, A)
    assert trust.known_hosts.get("h:1") == A
    tls._decide("h:1", trust, A)
    with pytest.raises(faults.SSLVerifyFault) as refused:
        tls._decide("h:1", trust, B)
    assert (refused.value.expected, refused.value.presented) == (A, B)
    assert A in str(refused.value) and B in str(refused.value)
    assert trust.known_hosts.get("h:1") == A


def test_fail_refuses_an_unknown_host_and_a_given_thumbprint_is_required(tmp_path: Path) -> None:
    with pytest.raises(faults.SSLVerifyFault, match="not trusted"):
        tls._decide("h:1", _trust(tmp_path, "fail"), A)
    tls._decide("h:1", _trust(tmp_path, "fail", thumbprint=A.lower()), A)
    with pytest.raises(faults.SSLVerifyFault):
        tls._decide("h:1", _trust(tmp_path, "pin", thumbprint=B), A)
    assert tls.KnownHosts(tmp_path / "kh").entries() == {}


def test_warn_and_ignore_accept_anything_without_recording(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tls.KnownHosts(tmp_path / "kh").set("h:1", A)
    tls._decide("h:1", _trust(tmp_path, "warn"), B)
    assert "changed from" in capsys.readouterr().err
    tls._decide("h:1", _trust(tmp_path, "Ignore"), B)
    assert capsys.readouterr().err == ""
    assert tls.KnownHosts(tmp_path / "kh").get("h:1") == A


def test_prompt_records_what_the_user_accepts(tmp_path: Path) -> None:
    asked: list[tuple[str, str | None, str]] = []

    def accept(server: str, expected: str | None, presented: str) -> bool:
        asked.append((server, expected, presented))
        return presented == B

    tls._decide("h:1", _trust(tmp_path, "prompt", accept=accept), B)
    with pytest.raises(faults.SSLVerifyFault):
        tls._decide("h:1", _trust(tmp_path, "prompt", accept=accept), A)
    assert asked == [("h:1", None, B), ("h:1", B, A)]
    assert tls.KnownHosts(tmp_path / "kh").get("h:1") == B


def test_an_unknown_action_is_an_invalid_argument() -> None:
    with pytest.raises(faults.InvalidArgument):
        tls.Trust(action="maybe")
    assert tls.Trust(action="Unset").action == "pin"


def test_a_server_that_is_not_there_is_a_communication_fault() -> None:
    with pytest.raises(faults.HostCommunication):
        tls.fetch_certificate("127.0.0.1:1", timeout=0.2)
    with pytest.raises(faults.InvalidArgument):
        tls.split_server("no-port")
    assert tls.split_server("[::1]:8443") == ("::1", 8443)

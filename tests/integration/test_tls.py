"""TLS on the public port: the certificate made at install, pinning, plaintext refused, regeneration,
the shell's InvalidCertificateAction, and private files."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from clients import connect, open_session
from clients.tls import KnownHosts, Trust, fetch_certificate
from pyesx import certs, faults
from tests.harness import BootedHost

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]
PYESX = str(Path(sys.executable).with_name("pyesx"))


def _shell(host: BootedHost, text: str, config: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYESX_", "XDG_"))}
    env |= {
        "PYESX_SERVER": host.address,
        "PYESX_USER": "root",
        "PYESX_PASSWORD": host.password,
        "XDG_CONFIG_HOME": str(config),
    }
    return subprocess.run(
        [PYESX, "shell", "-c", text], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def test_the_ready_line_names_the_thumbprint_the_port_serves(host: BootedHost) -> None:
    paths = certs.host_paths(host.root)
    assert host.thumbprint == certs.load(paths).thumbprint
    assert certs.thumbprint(fetch_certificate(host.address)) == host.thumbprint
    with host.client() as client:
        served = client.certificate()
    assert served.thumbprint == host.thumbprint and "pyesx host CA" in served.issuer
    assert served.ca_certificate_pem == paths.ca_cert.read_text()


def test_a_plaintext_client_is_refused(host: BootedHost) -> None:
    with grpc.insecure_channel(host.address) as channel, pytest.raises(grpc.RpcError) as refused:
        health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5)
    assert refused.value.code() == grpc.StatusCode.UNAVAILABLE


def test_the_host_ca_file_is_trusted_without_pinning(host: BootedHost, tmp_path: Path) -> None:
    trust = Trust(ca_file=str(host.ca_file), known_hosts=KnownHosts(tmp_path / "kh"))
    with connect(host.address, "root", host.password, trust=trust) as client:
        assert client.user == "root"
    assert not (tmp_path / "kh").exists()


def test_pinned_on_first_use_then_a_regenerated_certificate_is_refused_until_accepted(
    host: BootedHost, tmp_path: Path
) -> None:
    known = KnownHosts(tmp_path / "known_hosts")
    with connect(host.address, "root", host.password, trust=Trust(known_hosts=known)) as client:
        assert known.get(host.address) == host.thumbprint
        assert stat.S_IMODE(known.path.stat().st_mode) == 0o600
        new = client.regenerate_certificate()
        assert new.thumbprint != host.thumbprint
        assert client.host().connection_state == "connected"  # the open connection carries on
    assert certs.thumbprint(fetch_certificate(host.address)) == new.thumbprint  # served without restart
    with pytest.raises(faults.SSLVerifyFault) as refused:
        connect(host.address, "root", host.password, trust=Trust(known_hosts=known))
    assert (refused.value.expected, refused.value.presented) == (host.thumbprint, new.thumbprint)
    assert host.thumbprint in str(refused.value) and new.thumbprint in str(refused.value)
    with pytest.raises(faults.SSLVerifyFault):
        open_session(host.address, "root", host.password, thumbprint=host.thumbprint)
    with connect(host.address, "root", host.password, thumbprint=new.thumbprint) as client:
        assert client.certificate().thumbprint == new.thumbprint
    with connect(
        host.address, "root", host.password, trust=Trust(action="ignore", known_hosts=known)
    ) as client:
        assert client.user == "root"
    assert known.get(host.address) == host.thumbprint  # ignore records nothing
    # the shell: refused, then Connect-VIServer -Force trusts the new certificate and remembers it
    config = tmp_path / "config"
    KnownHosts(config / "pyesx" / "known_hosts").set(host.address, host.thumbprint)
    refused_run = _shell(host, "Get-VMHost | Out-Null", config)
    assert refused_run.returncode == 1 and "SSLVerifyFault" in refused_run.stderr
    assert new.thumbprint in refused_run.stderr
    forced = _shell(
        host,
        f"Connect-VIServer {host.address} -User root -Password {host.password} -Force | Out-Null; "
        "(Get-VIMachineCertificate).Thumbprint",
        config,
    )
    assert (forced.returncode, forced.stdout.strip()) == (0, new.thumbprint), forced.stderr
    assert _shell(host, "Get-VMHost | Out-Null", config).returncode == 0


def test_the_shell_honours_invalid_certificate_action(host: BootedHost, tmp_path: Path) -> None:
    config = tmp_path / "config"
    failed = _shell(
        host, "Set-PowerCLIConfiguration -InvalidCertificateAction Fail -Confirm:$false; Get-VM", config
    )
    assert failed.returncode == 1 and "not trusted" in failed.stderr
    ignored = _shell(
        host,
        "Set-PowerCLIConfiguration -InvalidCertificateAction Ignore -Scope User -Confirm:$false | Out-Null; "
        "(Get-PowerCLIConfiguration -Scope User).InvalidCertificateAction; (Get-VMHost).ConnectionState",
        config,
    )
    assert (ignored.returncode, ignored.stdout.split()) == (0, ["Ignore", "Connected"]), ignored.stderr
    assert not (config / "pyesx" / "known_hosts").exists()
    assert stat.S_IMODE((config / "pyesx" / "powercli.json").stat().st_mode) == 0o600
    again = _shell(host, "(Get-PowerCLIConfiguration -Scope Session).InvalidCertificateAction", config)
    assert again.stdout.strip() == "Ignore"


def test_a_root_installed_before_tls_gets_certificates_at_boot(host: BootedHost) -> None:
    root = host.root
    host.stop()
    shutil.rmtree(root / "etc" / "ssl")
    upgraded = BootedHost(root)
    try:
        assert upgraded.thumbprint and upgraded.thumbprint != host.thumbprint
        assert certs.host_paths(root).exists()
        with upgraded.client() as client:
            assert client.user == "root"
    finally:
        upgraded.stop()


def test_files_holding_secrets_are_private(host: BootedHost, tmp_path: Path) -> None:
    with host.client() as client:
        vm = client.wait_for_task(client.create_vm("secrets01", num_cpus=1, memory_mb=64).id).result_vm
        assert vm is not None
        client.wait_for_task(client.power_on(vm.id).id)  # a vmx: its socket and state file in run/
    config = tmp_path / "config"
    done = _shell(
        host, "New-VICredentialStoreItem -Host h -User u -Password p | Out-Null; Get-VM | Out-Null", config
    )
    assert done.returncode == 0, done.stderr
    secret_names = {"shadow.json", "credstore.json", "known_hosts", "powercli.json"}
    secrets = []
    for top in (host.root, config):
        for path in top.rglob("*"):
            mode = stat.S_IMODE(path.lstat().st_mode)
            if path.name in secret_names or path.suffix == ".key":
                secrets.append(path.name)
                assert mode & 0o077 == 0, f"{path} is {oct(mode)}"
            if path.parent.name == "ssl" or path.name == "ssl":
                assert path.suffix == ".crt" or mode & 0o077 == 0, f"{path} is {oct(mode)}"
    assert {"shadow.json", "ca.key", "rui.key", "credstore.json", "known_hosts"} <= set(secrets)
    for folder in (host.root / "run", host.root / "etc" / "ssl", config / "pyesx"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
    states = list((host.root / "run" / "vmx").glob("*.json"))  # live worlds' pids and sockets
    assert states and all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in states)


def test_a_ca_file_that_did_not_sign_the_host_is_refused_at_once(host: BootedHost, tmp_path: Path) -> None:
    other = certs.CertPaths(tmp_path / "other")
    certs.ensure(other, "elsewhere", "127.0.0.1")
    with pytest.raises(faults.SSLVerifyFault, match="not signed by a CA"):
        connect(host.address, "root", host.password, ca_file=str(other.ca_cert))

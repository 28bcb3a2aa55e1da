"""Connections: the credential store, Connect-VIServer from it, $DefaultVIServer, a lost host."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from unittest import mock

import pytest

from clients.shell.credstore import CredentialStore, default_path
from pyesx.faults import HostCommunication
from tests.unit.shell_fake import FakeConnector, run

pytestmark = pytest.mark.timeout(30)


@pytest.fixture(autouse=True)
def config_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test has its own ``$XDG_CONFIG_HOME`` (where the store lives)."""
    home = tmp_path / "config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    return home


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_store_file_is_0600_under_the_config_home(config_home: Path) -> None:
    store = CredentialStore()
    assert store.path == config_home / "pyesx" / "credstore.json" == default_path()
    store.add("esx01", "root", "s3cret")
    assert _mode(store.path) == 0o600
    assert _mode(store.path.parent) == 0o700
    assert [(e.host, e.user, e.password) for e in store.items()] == [("esx01", "root", "s3cret")]


def test_store_replaces_an_entry_and_leaves_no_temporary_file(config_home: Path) -> None:
    store = CredentialStore()
    store.add("esx01", "root", "one")
    store.add("ESX01", "ROOT", "two")
    store.add("esx02", "root", "three")
    assert [(e.host, e.password) for e in store.items()] == [("ESX01", "two"), ("esx02", "three")]
    assert sorted(p.name for p in store.path.parent.iterdir()) == ["credstore.json"]


def test_store_write_is_atomic(config_home: Path) -> None:
    store = CredentialStore()
    store.add("esx01", "root", "old")
    with mock.patch("json.dump", side_effect=OSError("disk full")), pytest.raises(OSError):
        store.add("esx02", "root", "new")
    assert [e.host for e in store.items()] == ["esx01"]  # the old file, whole
    assert sorted(p.name for p in store.path.parent.iterdir()) == ["credstore.json"]


def test_store_lookup_by_host_with_or_without_port(config_home: Path) -> None:
    store = CredentialStore()
    store.add("esx01", "ops", "pw")
    assert store.lookup("esx01:8443") is not None
    assert store.lookup("esx01", "ops") is not None
    assert store.lookup("esx01", "root") is None
    assert store.lookup("esx0*") is None  # a host name is not a pattern


def test_credential_store_cmdlets(capsys: pytest.CaptureFixture[str], config_home: Path) -> None:
    result = run(
        capsys, "New-VICredentialStoreItem -Host esx01 -User root -Password pw | Out-Null", login=False
    )
    assert (result.code, result.err) == (0, "")
    path = config_home / "pyesx" / "credstore.json"
    assert _mode(path) == 0o600
    result = run(capsys, "Get-VICredentialStoreItem -Host esx* | ConvertTo-Json -Compress", login=False)
    assert result.json() == {"Host": "esx01", "User": "root", "Password": "pw", "File": str(path)}
    result = run(capsys, "Get-VICredentialStoreItem nosuch", login=False)
    assert result.err_lines == [
        "Get-VICredentialStoreItem: Could not find any credential store items for host 'nosuch' and user '*'."
    ]
    result = run(
        capsys, "Get-VICredentialStoreItem esx01 | Remove-VICredentialStoreItem; Get-VICredentialStoreItem"
    )
    assert (result.code, result.out) == (0, "")
    assert json.loads(path.read_text())["entries"] == []


def test_credential_store_item_in_another_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    other = tmp_path / "mine.json"
    text = f"New-VICredentialStoreItem esx01 root pw -File '{other}' | Out-Null; Get-VICredentialStoreItem"
    assert run(capsys, text, login=False).out == ""
    assert [e.host for e in CredentialStore(other).items()] == ["esx01"]
    assert run(capsys, f"Remove-VICredentialStoreItem -Host esx01 -File '{other}'", login=False).code == 0
    assert CredentialStore(other).items() == []


def test_connect_without_password_uses_the_store(capsys: pytest.CaptureFixture[str]) -> None:
    CredentialStore().add("esx01", "ops", "secret")
    fake = FakeConnector()
    result = run(
        capsys, "Connect-VIServer -Server esx01 | Out-Null; $DefaultVIServer.User", fake, login=False
    )
    assert (result.code, result.out) == (0, "ops\n")
    assert fake.connects == [("esx01:8443", "ops", "secret")]


def test_lazy_connect_uses_the_store(capsys: pytest.CaptureFixture[str]) -> None:
    CredentialStore().add("h", "ops", "secret")
    fake = FakeConnector()
    assert run(capsys, "Get-VM", fake, login=False, env={"PYESX_SERVER": "h:1"}).code == 0
    assert fake.connects == [("h:1", "ops", "secret")]


def test_connect_with_credential_object(capsys: pytest.CaptureFixture[str]) -> None:
    fake = FakeConnector()
    text = "$c = Get-VICredentialStoreItem h; Connect-VIServer h -Credential $c | Out-Null"
    CredentialStore().add("h", "ops", "secret")
    assert run(capsys, text, fake, login=False).code == 0
    text = "Connect-VIServer h:9 -Credential @{UserName='admin'; Password='secret'} | Out-Null"
    assert run(capsys, text, fake, login=False).code == 0
    assert fake.connects == [("h:8443", "ops", "secret"), ("h:9", "admin", "secret")]
    result = run(capsys, "Connect-VIServer h -Credential 'root'", fake, login=False)
    assert result.err_lines == [
        "Connect-VIServer: -Credential wants an object with UserName and Password properties."
    ]


def test_default_viserver_properties(capsys: pytest.CaptureFixture[str]) -> None:
    text = (
        "Connect-VIServer esx:9 -User root -Password secret | Out-Null;"
        " $global:DefaultVIServer | ConvertTo-Json -Compress"
    )
    assert run(capsys, text, login=False).json() == {
        "Name": "esx",
        "Port": 9,
        "User": "root",
        "IsConnected": True,
    }


def test_lost_host_is_a_clear_error_and_the_next_command_reconnects(
    capsys: pytest.CaptureFixture[str],
) -> None:
    fake = FakeConnector()
    fake.client.add_vm("web01")
    real = fake.client.list_vms
    failures = [HostCommunication("connection refused")]

    def flaky(names: list[str] | None = None) -> object:
        if failures:
            raise failures.pop()
        return real(names)

    fake.client.list_vms = flaky  # type: ignore[assignment,method-assign]
    result = run(capsys, "Get-VM", fake)
    assert (result.code, result.out) == (1, "")
    assert result.err_lines == [
        "Get-VM: The connection to fake:8443 was lost (HostCommunication: Could not communicate with the "
        "host: connection refused). The next command will reconnect."
    ]
    assert fake.client.closed == 1
    # within one session: the failing command, then the next one reconnects and works
    failures.append(HostCommunication("connection refused"))
    text = (
        "Get-VM -ErrorAction SilentlyContinue; $DefaultVIServer.IsConnected;"
        " (Get-VM).Name; $DefaultVIServer.IsConnected"
    )
    result = run(capsys, text, fake)
    assert (result.code, result.out) == (0, "False\nweb01\nTrue\n")
    assert len(fake.connects) == 3


def test_disconnect_after_a_loss(capsys: pytest.CaptureFixture[str]) -> None:
    fake = FakeConnector()
    failures = [HostCommunication("gone")]

    def broken(names: list[str] | None = None) -> object:
        raise failures[0]

    fake.client.list_vms = broken  # type: ignore[assignment,method-assign]
    result = run(
        capsys,
        "Get-VM -ErrorAction SilentlyContinue; $DefaultVIServer.IsConnected;"
        " Disconnect-VIServer -Confirm:$false; $DefaultVIServer",
        fake,
    )
    assert (result.code, result.out) == (0, "False\n")
    assert len(fake.connects) == 1


def test_remove_credential_store_item_what_if(capsys: pytest.CaptureFixture[str]) -> None:
    CredentialStore().add("h", "ops", "secret")
    result = run(capsys, "Get-VICredentialStoreItem h | Remove-VICredentialStoreItem -WhatIf", login=False)
    assert result.out == 'What if: Performing the operation "Remove" on target "h".\n'
    assert [e.host for e in CredentialStore().items()] == ["h"]

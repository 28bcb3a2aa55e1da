"""The configuration reset's steps on a root directory (the VMkernel runs them at boot)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pyesx import config_reset
from pyesx.layout import HostLayout
from vmkernel import install


def installed(tmp_path: Path) -> HostLayout:
    layout = HostLayout(tmp_path / "host")
    install.install(layout, "esx01")
    return layout


def test_a_request_keeps_roots_account_and_the_boot_resets_the_rest(tmp_path: Path) -> None:
    layout = installed(tmp_path)
    root = json.loads(layout.shadow.read_text())["users"]["root"]
    shadow = json.loads(layout.shadow.read_text())
    shadow["users"]["alice"] = {"password_hash": "x", "role": "ReadOnly"}
    layout.shadow.write_text(json.dumps(shadow))
    (layout.etc / "ssl").mkdir()
    (layout.etc / "ssl" / "rui.key").write_text("key")
    (layout.etc / "hostd-network.json").write_text("{}")

    config_reset.request(layout, "root")
    marker = config_reset.pending(layout)
    assert marker is not None and marker["requested_by"] == "root"
    assert oct(config_reset.marker_path(layout).stat().st_mode & 0o777) == "0o600"

    aside = config_reset.set_aside(layout)
    install.install(layout, "esx01", quiet=True)
    config_reset.restore_root(layout, marker)

    assert json.loads(layout.shadow.read_text())["users"] == {"root": root}
    assert (layout.etc / "ssl" / "rui.key").read_text() == "key"  # the certificate is kept
    assert not (layout.etc / "hostd-network.json").exists()
    assert config_reset.pending(layout) is None  # the request went aside with the old etc/
    assert (aside / "hostd-network.json").exists()
    assert "alice" in json.loads((aside / "shadow.json").read_text())["users"]
    assert oct(aside.stat().st_mode & 0o777) == "0o700"


def test_no_request_no_reset(tmp_path: Path) -> None:
    assert config_reset.pending(installed(tmp_path)) is None


def test_a_quiet_install_generates_no_password_to_print(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(install.ROOT_PASSWORD_ENV, raising=False)
    layout = HostLayout(tmp_path / "host")
    assert install.install(layout, "esx01", quiet=True) is None

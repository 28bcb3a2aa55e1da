"""Set-/Get-PowerCLIConfiguration -InvalidCertificateAction, Connect-VIServer -Force, and the host
certificate cmdlets, against the fake host."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from pyesx.faults import SSLVerifyFault
from tests.unit.shell_fake import FakeClient, FakeConnector, run
from tests.unit.test_shell_whatif import Terminal

pytestmark = pytest.mark.timeout(30)


@pytest.fixture(autouse=True)
def config_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    return home


def test_unset_passes_nothing_so_the_sdk_pins_on_first_use(capsys: pytest.CaptureFixture[str]) -> None:
    fake = FakeConnector()
    assert run(capsys, "Get-VM | Out-Null", fake).code == 0
    assert fake.certificate_options == [{}]


def test_the_session_action_reaches_the_connection(capsys: pytest.CaptureFixture[str]) -> None:
    fake = FakeConnector()
    done = run(
        capsys,
        "Set-PowerCLIConfiguration -InvalidCertificateAction ignore -Confirm:$false | Out-Null; "
        "Get-VM | Out-Null; (Get-PowerCLIConfiguration -Scope Session).InvalidCertificateAction",
        fake,
    )
    assert (done.code, done.out.strip()) == (0, "Ignore"), done.err
    assert fake.certificate_options[0]["invalid_certificate_action"] == "ignore"


def test_user_scope_is_saved_privately_and_read_by_the_next_shell(
    capsys: pytest.CaptureFixture[str], config_home: Path
) -> None:
    first = run(
        capsys,
        "Set-PowerCLIConfiguration -InvalidCertificateAction Fail -Scope User -Confirm:$false",
        login=False,
    )
    assert first.code == 0, first.err
    saved = config_home / "pyesx" / "powercli.json"
    assert json.loads(saved.read_text()) == {"InvalidCertificateAction": "Fail"}
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    fake = FakeConnector()
    second = run(capsys, "Get-VM | Out-Null; (Get-PowerCLIConfiguration)[0].InvalidCertificateAction", fake)
    assert second.out.strip() == "Fail"
    assert fake.certificate_options[0]["invalid_certificate_action"] == "fail"


def test_an_unknown_action_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    done = run(
        capsys, "Set-PowerCLIConfiguration -InvalidCertificateAction Maybe -Confirm:$false", login=False
    )
    assert done.code == 1 and "Fail, Warn, Ignore, Prompt" in done.err


def test_connect_force_accepts_the_presented_certificate(capsys: pytest.CaptureFixture[str]) -> None:
    fake = FakeConnector()
    done = run(
        capsys, "Connect-VIServer fake:8443 -User root -Password secret -Force | Out-Null", fake, login=False
    )
    assert done.code == 0, done.err
    options = fake.certificate_options[0]
    assert options["invalid_certificate_action"] == "prompt"
    accept = options["accept"]
    assert callable(accept) and accept("fake:8443", "AA", "BB")


def test_certificate_cmdlets(capsys: pytest.CaptureFixture[str]) -> None:
    done = run(
        capsys,
        "(Get-VIMachineCertificate).Thumbprint; (New-VIMachineCertificate -Confirm:$false).Thumbprint; "
        "New-VIMachineCertificate -WhatIf",
    )
    lines = done.out.splitlines()
    assert done.code == 0, done.err
    assert lines[0].startswith("AB:AB") and lines[1].startswith("CD:CD")
    assert lines[2].startswith("What if:")


class PromptingHost(FakeConnector):
    """A host whose certificate the connection asks about (as the SDK does with action "prompt")."""

    def __call__(self, server: str, user: str, password: str, **certificate: object) -> FakeClient:
        accept = certificate.get("accept")
        if certificate.get("invalid_certificate_action") == "prompt":
            assert callable(accept)
            if not accept(server, None, "AB:CD"):
                raise SSLVerifyFault(server, None, "AB:CD")
        return super().__call__(server, user, password, **certificate)


def test_prompt_asks_at_an_interactive_shell() -> None:
    connect = "Connect-VIServer fake:8443 -User root -Password secret | Out-Null"
    typed = ["Set-PowerCLIConfiguration -InvalidCertificateAction Prompt -Confirm:$false | Out-Null"]
    terminal = Terminal(PromptingHost(), [*typed, connect, "n", connect, "y"])
    question = 'Trust it from now on? [Y] Yes  [N] No  (default is "N"): '
    assert terminal.prompts.count(question) == 2
    assert "Thumbprint: AB:CD" in terminal.out.getvalue()
    assert (
        "SSLVerifyFault" in terminal.err.getvalue() and terminal.err.getvalue().count("SSLVerifyFault") == 1
    )

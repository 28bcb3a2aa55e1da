"""The shell's entry point: options and environment, connecting, scripts, stdin, the REPL, exit codes."""

from __future__ import annotations

import io
import os
from pathlib import Path
from unittest import mock

import pytest

from clients.shell import main
from clients.shell.session import split_server
from tests.unit.shell_fake import LOGIN, FakeConnector, run

pytestmark = pytest.mark.timeout(30)

NOT_CONNECTED = "You are not currently connected to any servers. Please connect first using a Connect cmdlet."


def test_lazy_connect_on_first_cmdlet_that_needs_the_server(capsys: pytest.CaptureFixture[str]) -> None:
    fake = FakeConnector()
    assert run(capsys, "'no server needed'", fake).code == 0
    assert fake.connects == []
    assert run(capsys, "Get-VM; Get-VMHost | Out-Null", fake).code == 0
    assert fake.connects == [("fake:8443", "root", "secret")]
    assert (fake.client.logged_out, fake.client.closed) == (1, 1)  # the session is closed at exit


def test_credentials_from_the_environment(capsys: pytest.CaptureFixture[str]) -> None:
    fake = FakeConnector(password="pw")
    env = {"PYESX_SERVER": "h:1234", "PYESX_USER": "ops", "PYESX_PASSWORD": "pw"}
    result = run(capsys, "Get-VM", fake, login=False, env=env)
    assert (result.code, result.err) == (0, "")
    assert fake.connects == [("h:1234", "ops", "pw")]


def test_flags_override_the_environment(capsys: pytest.CaptureFixture[str]) -> None:
    fake = FakeConnector()
    env = {"PYESX_SERVER": "other:1", "PYESX_USER": "other", "PYESX_PASSWORD": "nope"}
    assert run(capsys, "Get-VM", fake, env=env).code == 0
    assert fake.connects == [("fake:8443", "root", "secret")]


def test_not_connected_without_credentials(capsys: pytest.CaptureFixture[str]) -> None:
    fake = FakeConnector()
    result = run(capsys, "Get-VM", fake, login=False, env={"PYESX_SERVER": "h:1"})
    assert (result.code, result.out, result.err_lines) == (1, "", [f"Get-VM: {NOT_CONNECTED}"])
    assert fake.connects == []


def test_connect_viserver_explicitly(capsys: pytest.CaptureFixture[str]) -> None:
    fake = FakeConnector()
    text = "Connect-VIServer -Server esx.lab:9443 -User admin -Password secret | ConvertTo-Json -Compress"
    result = run(capsys, text, fake, login=False)
    assert result.json() == {"Name": "esx.lab", "Port": 9443, "User": "admin", "IsConnected": True}
    assert fake.connects == [("esx.lab:9443", "admin", "secret")]


def test_connect_viserver_positional_server_port_and_table(capsys: pytest.CaptureFixture[str]) -> None:
    fake = FakeConnector()
    result = run(
        capsys, "Connect-VIServer esx.lab -Port 7000 -User admin -Password secret", fake, login=False
    )
    assert result.out == "\nName    Port User\n----    ---- ----\nesx.lab 7000 admin\n\n"
    assert fake.connects == [("esx.lab:7000", "admin", "secret")]


def test_connect_viserver_uses_defaults_and_sets_default_viserver(capsys: pytest.CaptureFixture[str]) -> None:
    fake = FakeConnector()
    result = run(capsys, "$DefaultVIServer; Connect-VIServer | Out-Null; $DefaultVIServer.Name", fake)
    assert result.out == "fake\n"
    assert fake.connects == [("fake:8443", "root", "secret")]


def test_connect_viserver_missing_user(capsys: pytest.CaptureFixture[str]) -> None:
    result = run(capsys, "Connect-VIServer h:1", login=False)
    assert result.err_lines == [
        "Connect-VIServer: Cannot process command because of one or more missing mandatory parameters: User."
    ]


def test_bad_password_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    result = run(capsys, "Connect-VIServer h:1 -User root -Password wrong", login=False)
    assert result.code == 1
    assert result.err_lines == [
        "Connect-VIServer: NotAuthenticated: Cannot complete login due to an incorrect user name or password."
    ]


def test_disconnect_viserver(capsys: pytest.CaptureFixture[str]) -> None:
    fake = FakeConnector()
    result = run(capsys, "Get-VM; Disconnect-VIServer -Confirm:$false; Get-VM", fake)
    assert result.code == 1
    assert result.err_lines == [f"Get-VM: {NOT_CONNECTED}"]
    assert (fake.client.logged_out, fake.client.closed) == (1, 1)
    assert len(fake.connects) == 1  # no lazy reconnect after an explicit disconnect


def test_disconnect_viserver_by_name(capsys: pytest.CaptureFixture[str]) -> None:
    fake = FakeConnector()
    assert (
        run(capsys, "Connect-VIServer | Out-Null; Disconnect-VIServer fake -Confirm:$false", fake).code == 0
    )
    result = run(capsys, "Connect-VIServer | Out-Null; Disconnect-VIServer other", fake)
    assert result.err_lines == ["Disconnect-VIServer: Could not find any of the servers specified by name."]
    result = run(
        capsys, "Connect-VIServer | Out-Null; $DefaultVIServer | Disconnect-VIServer; $DefaultVIServer", fake
    )
    assert (result.code, result.out) == (0, "")


def test_split_server() -> None:
    assert split_server("h:1") == ("h", 1)
    assert split_server("h") == ("h", 8443)
    assert split_server("h:1", 2) == ("h", 2)
    assert split_server("[::1]:9") == ("::1", 9)


def test_unknown_cmdlet(capsys: pytest.CaptureFixture[str]) -> None:
    result = run(capsys, "Get-Qwxyz")
    assert result.err_lines == [
        "Get-Qwxyz: The term 'Get-Qwxyz' is not recognized as a name of a cmdlet, function, script file, "
        "or executable program."
    ]
    assert result.code == 1


def test_parse_error_runs_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    fake = FakeConnector()
    result = run(capsys, "Get-VM\nGet-VM )", fake)
    assert (result.code, result.out) == (1, "")
    assert result.err_lines == [
        "ParserError: At line:2 char:8: Unexpected token ')' in expression or statement.",
        "+ Get-VM )",
        "+        ^",
    ]
    assert fake.connects == []


def test_exit_code(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "'a'; exit 3; 'b'").code == 3
    assert run(capsys, "exit").code == 0


def test_unexpected_client_errors_are_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    fake = FakeConnector()

    def broken(names: list[str] | None = None) -> list[object]:
        raise RuntimeError("wire broke")

    fake.client.list_vms = broken  # type: ignore[assignment,method-assign]
    result = run(capsys, "Get-VM", fake)
    assert (result.code, result.err_lines) == (1, ["Get-VM: RuntimeError: wire broke"])


def test_debug_env_adds_the_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    fake = FakeConnector()
    fake.client.add_vm("web01")
    result = run(capsys, "Start-VM web01; Start-VM web01", fake, env={"PYESX_DEBUG": "1"})
    assert "Traceback" in result.err
    assert result.err_lines[-1].startswith("Start-VM: InvalidPowerState: ")


def _main(argv: list[str], fake: FakeConnector) -> int:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("PYESX_")}
    with mock.patch.dict(os.environ, environ, clear=True):
        return main(argv, connect=fake)


def test_script_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    script = tmp_path / "deploy.ps1"
    script.write_text(
        "\ufeff# make two VMs\nNew-VM web01 | Out-Null\nNew-VM web02 -NumCpu 2 |\n  Out-Null\n"
        "Get-VM | ConvertTo-Json -Compress\n"
    )
    fake = FakeConnector()
    assert _main([*LOGIN, str(script)], fake) == 0
    out = capsys.readouterr().out
    assert '"Name":"web02","PowerState":"PoweredOff","NumCpu":2' in out


def test_script_file_parse_error_names_the_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    script = tmp_path / "bad.ps1"
    script.write_text("Get-VM\n'unterminated\n")
    assert _main([str(script)], FakeConnector()) == 1
    assert (
        capsys.readouterr().err
        == f"ParserError: At {script}:2 char:1: The string is missing the terminator: '.\n"
        "+ 'unterminated\n"
        "+ ^\n"
    )


def test_missing_script_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert _main([str(tmp_path / "nope.ps1")], FakeConnector()) == 1
    assert capsys.readouterr().err.count("\n") == 1


def test_stdin_that_is_not_a_tty_runs_as_a_script(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("New-VM a | Out-Null\nGet-VM | ConvertTo-Json -Compress\n"))
    assert _main(LOGIN, FakeConnector()) == 0
    assert '"Name":"a"' in capsys.readouterr().out


def test_help_and_usage_errors_return_codes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    assert "pyesx shell" in capsys.readouterr().out
    assert main(["--bogus"]) == 2

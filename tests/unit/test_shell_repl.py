"""The REPL: prompts, multi-line statements, errors that do not end it, exit, piped -i, Ctrl-C, progress."""

from __future__ import annotations

import io
import os
import signal
import stat
import subprocess
import sys
import textwrap
from pathlib import Path
from unittest import mock

import pytest

from clients.shell import main
from clients.shell.console import RED, RESET, Console
from clients.shell.evaluator import Interpreter
from clients.shell.progress import ERASE, TaskProgress, render
from clients.shell.repl import needs_more, run_input
from clients.shell.runner import Runner
from clients.shell.session import Credentials, Session
from clients.shell.terminal import _private_file, history_path
from tests.unit.shell_fake import LOGIN, FakeConnector

pytestmark = pytest.mark.timeout(60)
ROOT = Path(__file__).resolve().parents[2]


def _main(argv: list[str], fake: FakeConnector) -> int:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("PYESX_")}
    with mock.patch.dict(os.environ, environ, clear=True):
        return main(argv, connect=fake)


class _TTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_repl_with_input(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    lines = iter(
        [
            "New-VM web01 | Out-Null",
            "Get-VM nosuch",
            "Get-VM web01 |",
            "  ConvertTo-Json -Compress",
            "1 +",
            "",
        ]
    )
    prompts: list[str] = []

    def read(prompt: str) -> str:
        prompts.append(prompt)
        try:
            return next(lines)
        except StopIteration:
            raise EOFError from None

    monkeypatch.setattr("sys.stdin", _TTY())
    monkeypatch.setattr("builtins.input", read)
    assert _main(LOGIN, FakeConnector()) == 0
    out, err = capsys.readouterr()
    connected = "PS pyesx fake:8443> "
    assert prompts == ["PS pyesx> ", connected, connected, ">> ", connected, ">> ", connected]
    assert '"Name":"web01"' in out
    assert err.splitlines() == [
        "Get-VM: NotFound: VM with name 'nosuch' was not found using the specified filter(s).",
        "ParserError: At line:2 char:1: You must provide a value expression here.",
    ]


def test_repl_exit(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    lines = iter(["exit 4", "'never'"])
    monkeypatch.setattr("sys.stdin", _TTY())
    monkeypatch.setattr("builtins.input", lambda prompt: next(lines))
    assert _main([], FakeConnector()) == 4
    assert "never" not in capsys.readouterr().out


def test_piped_interactive_runs_line_by_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    text = (
        "New-VM a | Out-Null\nGet-VM nosuch\nGet-VM a |\n  ConvertTo-Json -Compress\n"
        "'still here'\nexit 3\n'never'\n"
    )
    monkeypatch.setattr("sys.stdin", io.StringIO(text))
    assert _main(["-i", *LOGIN], FakeConnector()) == 3
    out, err = capsys.readouterr()
    assert out.splitlines()[-1] == "still here"
    assert '"Name":"a"' in out
    assert "PS pyesx" not in out  # no prompts without a terminal
    assert err.splitlines() == [
        "Get-VM: NotFound: VM with name 'nosuch' was not found using the specified filter(s)."
    ]


def test_piped_without_interactive_stops_at_the_first_error(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("Get-VM nosuch\n'not reached'\n"))
    assert _main(LOGIN, FakeConnector()) == 1
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize(
    ("text", "more"),
    [
        ("Get-VM |", True),
        ("'open quote", True),
        ("@(1,", True),
        ("Get-VM |\n", False),  # an empty line ends it (and shows the error)
        ("Get-VM", False),
        ("Get-VM )", False),
        ("", False),
    ],
)
def test_needs_more(text: str, more: bool) -> None:
    assert needs_more(text) is more


def _runner(fake: FakeConnector, progress: TaskProgress | None = None) -> tuple[Runner, io.StringIO]:
    out, err = io.StringIO(), io.StringIO()
    console = Console(out, err)
    session = Session(fake, Credentials("fake:8443", "root", "secret"), progress=progress)
    return Runner(Interpreter(session, console), console), err


def test_ctrl_c_ends_the_pipeline_not_the_loop() -> None:
    fake = FakeConnector()
    fake.client.add_vm("web01")

    def interrupted(names: list[str] | None = None) -> list[object]:
        raise KeyboardInterrupt

    real = fake.client.list_vms
    fake.client.list_vms = interrupted  # type: ignore[assignment,method-assign]
    runner, err = _runner(fake)
    assert run_input(runner, "Get-VM | Start-VM") is None
    assert err.getvalue() == "Interrupted.\n"
    fake.client.list_vms = real  # type: ignore[method-assign]
    assert run_input(runner, "Get-VM | Start-VM | Out-Null; exit 5") == 5
    assert fake.client.vms[next(iter(fake.client.vms))].power_state == "poweredOn"


_BLOCKING_SHELL = textwrap.dedent(
    """
    import sys, threading
    from clients.shell import main
    from tests.unit.shell_fake import LOGIN, FakeConnector

    fake = FakeConnector()
    def blocking(names=None):
        print("blocking", file=sys.stderr, flush=True)
        threading.Event().wait()  # until SIGINT
    fake.client.list_vms = blocking
    sys.exit(main(["-i", *LOGIN], connect=fake))
    """
)


def test_sigint_ends_the_running_pipeline_and_the_shell_reads_on() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYESX_")}
    shell = subprocess.Popen(
        [sys.executable, "-c", _BLOCKING_SHELL],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert shell.stdin is not None and shell.stderr is not None
        shell.stdin.write("'before'\nGet-VM\n")
        shell.stdin.flush()
        assert shell.stderr.readline() == "blocking\n"  # the pipeline is running, blocked
        shell.send_signal(signal.SIGINT)
        out, err = shell.communicate("'after'\nexit 7\n", timeout=30)
    finally:
        if shell.poll() is None:
            shell.kill()
            shell.wait()
    assert (shell.returncode, out, err) == (7, "before\nafter\n", "Interrupted.\n")


def test_progress_of_tasks_in_one_command() -> None:
    fake = FakeConnector()
    for name in ("web01", "web02", "web03"):
        fake.client.add_vm(name)
    stream = io.StringIO()
    runner, err = _runner(fake, TaskProgress(stream, enabled=True))
    assert run_input(runner, "Start-VM web* | Out-Null") is None  # starts the three, then waits
    assert err.getvalue() == ""
    frames = [frame for frame in stream.getvalue().split(ERASE) if frame]
    assert [frame.split("]")[1].split()[0] for frame in frames] == ["0/3", "1/3", "2/3"]
    assert "web03" in frames[-1]
    assert stream.getvalue().endswith(ERASE)  # erased once all finished


def test_progress_is_silent_when_not_enabled() -> None:
    fake = FakeConnector()
    fake.client.add_vm("web01")
    stream = io.StringIO()
    runner, _ = _runner(fake, TaskProgress(stream, enabled=False))
    run_input(runner, "Start-VM web01 | Out-Null")
    assert stream.getvalue() == ""


def test_render() -> None:
    assert render(1, 4, "powerOn web02", 80) == "[" + "#" * 6 + "." * 18 + "] 1/4  powerOn web02"
    assert len(render(1, 4, "x" * 200, 60)) == 59


def test_error_lines_are_red_with_colour() -> None:
    err = io.StringIO()
    Console(io.StringIO(), err, colour=True).error("Get-VM: boom")
    assert err.getvalue() == f"{RED}Get-VM: boom{RESET}\n"


def test_history_file_is_private_under_xdg_state_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    path = history_path()
    assert path == tmp_path / "state" / "pyesx" / "history"
    _private_file(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    monkeypatch.delenv("XDG_STATE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert history_path() == tmp_path / ".pyesx_history"


def test_ctrl_c_is_not_caught_by_the_script_and_ends_a_loop() -> None:
    fake = FakeConnector()

    def interrupted(names: list[str] | None = None) -> list[object]:
        raise KeyboardInterrupt

    fake.client.list_vms = interrupted  # type: ignore[assignment,method-assign]
    runner, err = _runner(fake)
    text = "try { Get-VM } catch { 'caught' } finally { 'finally' }; 'after'"
    assert run_input(runner, text) is None
    text = "$i = 0; while ($true) { $i++; if ($i -eq 3) { Get-VM } }; 'after'"
    assert run_input(runner, text) is None
    assert run_input(runner, "$i") is None
    assert isinstance(runner.console.out, io.StringIO)
    assert runner.console.out.getvalue() == "finally\n3\n"
    assert err.getvalue() == "Interrupted.\nInterrupted.\n"

"""-WhatIf and -Confirm on the cmdlets that change things; the interactive shell's question."""

from __future__ import annotations

import io
import pathlib
from collections.abc import Iterator

import pytest

from clients.shell import cmdlets
from clients.shell.binding import parameters_of
from clients.shell.console import Console
from clients.shell.evaluator import Interpreter
from clients.shell.repl import repl
from clients.shell.runner import Runner
from clients.shell.session import Credentials, Session
from tests.unit.shell_fake import FakeConnector, run

pytestmark = pytest.mark.timeout(30)


@pytest.fixture
def fake() -> FakeConnector:
    connector = FakeConnector()
    connector.client.add_vm("web01", "poweredOn")
    connector.client.add_vm("web02", "poweredOn")
    connector.client.add_vm("db01")
    return connector


def vm_states(fake: FakeConnector) -> dict[str, str]:
    return {vm.name: vm.power_state for vm in fake.client.list_vms()}


def test_every_changing_cmdlet_takes_whatif_and_confirm() -> None:
    changing = [
        c for c in cmdlets.ALL if c.name.split("-")[0] in ("New", "Set", "Remove", "Start", "Stop", "Move")
    ]
    assert len(changing) > 30
    for cmdlet in changing:
        names = [p.name for p in parameters_of(cmdlet.parameters, cmdlet.supports_should_process())]
        assert "WhatIf" in names and "Confirm" in names, cmdlet.name
    get_vm = cmdlets.find("Get-VM")
    assert get_vm is not None and not get_vm.supports_should_process()


def test_whatif_names_each_target_and_changes_nothing(
    capsys: pytest.CaptureFixture[str], fake: FakeConnector
) -> None:
    before = vm_states(fake)
    result = run(capsys, "Remove-VM web* -DeletePermanently -WhatIf; Get-VM db01 | Start-VM -WhatIf", fake)
    assert result.code == 0, result.err
    assert result.out.splitlines() == [
        'What if: Performing the operation "Remove" on target "web01".',
        'What if: Performing the operation "Remove" on target "web02".',
        'What if: Performing the operation "Start" on target "db01".',
    ]
    assert vm_states(fake) == before
    assert not [c for c in fake.client.calls if c[0] in ("destroy_vm", "power_on")]


def test_whatif_on_new_and_settings(capsys: pytest.CaptureFixture[str], fake: FakeConnector) -> None:
    result = run(capsys, "New-VM web03 -WhatIf; Set-VM db01 -NumCpu 4 -WhatIf; (Get-VM).Count", fake)
    assert result.out.splitlines() == [
        'What if: Performing the operation "New" on target "web03".',
        'What if: Performing the operation "Set" on target "db01".',
        "3",
    ]
    assert fake.client.list_vms(["db01"])[0].num_cpu == 1


def test_whatif_false_and_noninteractive_runs_do_not_ask(
    capsys: pytest.CaptureFixture[str], fake: FakeConnector
) -> None:
    result = run(capsys, "Stop-VM web01 -WhatIf:$false | Out-Null; Stop-VM web02 -Confirm | Out-Null", fake)
    assert result.code == 0, result.err
    assert result.out == ""
    assert vm_states(fake)["web01"] == vm_states(fake)["web02"] == "poweredOff"


def test_export_csv_whatif_leaves_the_file(
    capsys: pytest.CaptureFixture[str], fake: FakeConnector, tmp_path: pathlib.Path
) -> None:
    path = tmp_path / "vms.csv"
    path.write_text("kept\n")
    result = run(capsys, f"Get-VM | Export-Csv '{path}' -WhatIf", fake)
    assert result.out.splitlines() == [f'What if: Performing the operation "Export" on target "{path}".']
    assert path.read_text() == "kept\n"


class Terminal:
    """An interactive session: the lines typed, the prompts shown."""

    def __init__(self, fake: FakeConnector, typed: list[str]) -> None:
        self.typed: Iterator[str] = iter(typed)
        self.prompts: list[str] = []
        self.out = io.StringIO()
        self.err = io.StringIO()
        console = Console(self.out, self.err)
        session = Session(fake, Credentials("fake:8443", "root", "secret"))
        self.code = repl(Runner(Interpreter(session, console), console), self.read)

    def read(self, prompt: str) -> str:
        self.prompts.append(prompt)
        try:
            return next(self.typed)
        except StopIteration:
            raise EOFError from None


CHOICES = '[Y] Yes  [A] Yes to All  [N] No  [L] No to All  (default is "Y"): '


def test_interactive_shell_asks_before_high_impact_changes(fake: FakeConnector) -> None:
    terminal = Terminal(fake, ["Stop-VM web01 | Out-Null", "n", "Stop-VM web* | Out-Null", "y", "n"])
    connected = "PS pyesx fake:8443> "  # the prompt names the server once connected
    assert terminal.prompts == ["PS pyesx> ", CHOICES, connected, CHOICES, CHOICES, connected]
    assert terminal.out.getvalue().count("Are you sure you want to perform this action?") == 3
    assert 'Performing the operation "Stop" on target "web02".' in terminal.out.getvalue()
    assert vm_states(fake) == {"web01": "poweredOff", "web02": "poweredOn", "db01": "poweredOff"}


def test_yes_to_all_and_confirm_false(fake: FakeConnector) -> None:
    Terminal(fake, ["Get-VM web* | Stop-VM | Out-Null", "a"])
    assert vm_states(fake)["web01"] == vm_states(fake)["web02"] == "poweredOff"
    terminal = Terminal(
        fake,
        [
            "Start-VM web01 | Out-Null",
            "Stop-VM web01 -Confirm:$false | Out-Null",
            "Remove-VM web01 -Confirm:$false",
        ],
    )
    assert CHOICES not in terminal.prompts
    assert "web01" not in vm_states(fake)


def test_confirm_asks_for_medium_impact_cmdlets(fake: FakeConnector) -> None:
    terminal = Terminal(fake, ["Start-VM db01 -Confirm | Out-Null", "l"])
    assert terminal.prompts.count(CHOICES) == 1
    assert vm_states(fake)["db01"] == "poweredOff"


def test_changing_cmdlets_act_only_in_process() -> None:
    """-WhatIf and -Confirm guard ``process``; a changing cmdlet must not change anything in begin/end."""
    from clients.shell.cmdlets.base import Cmdlet

    for cmdlet in cmdlets.ALL:
        if cmdlet.supports_should_process():
            # Export-Csv opens its file on the first object; the file writers write in end once process ran
            assert cmdlet.begin is Cmdlet.begin or cmdlet.name == "Export-Csv", cmdlet.name
            writers = ("Export-Csv", "Out-File", "Set-Content", "Add-Content")
            assert cmdlet.end is Cmdlet.end or cmdlet.name in writers, cmdlet.name


def test_whatif_names_devices_and_other_objects(
    capsys: pytest.CaptureFixture[str], fake: FakeConnector
) -> None:
    text = (
        "New-VM x -DiskGB 1 -NetworkName 'VM Network' | Out-Null;"
        " Get-HardDisk -VM x | Remove-HardDisk -WhatIf;"
        " Get-NetworkAdapter -VM x | Remove-NetworkAdapter -WhatIf;"
        " Get-VirtualSwitch | Remove-VirtualSwitch -WhatIf"
    )
    result = run(capsys, text, fake)
    assert result.out.splitlines() == [
        'What if: Performing the operation "Remove" on target "Hard disk 1 on x".',
        'What if: Performing the operation "Remove" on target "Network adapter 1 on x".',
        'What if: Performing the operation "Remove" on target "vSwitch0".',
    ]
    assert len(fake.client.list_vms(["x"])[0].disks) == 1


def test_disconnect_whatif_names_the_server(fake: FakeConnector) -> None:
    terminal = Terminal(
        fake, ["Get-VM web01 | Out-Null", "Disconnect-VIServer", "n", "$global:DefaultVIServer.Name"]
    )
    assert 'Performing the operation "Disconnect" on target "fake".' in terminal.out.getvalue()
    assert terminal.out.getvalue().rstrip().endswith("fake")  # still connected after "No"


def test_confirm_impact_follows_powercli() -> None:
    impacts = {c.name: c.impact() for c in cmdlets.ALL}
    for name in (
        "Remove-VM",
        "Stop-VM",
        "Set-VM",
        "Set-NetworkAdapter",
        "Remove-Snapshot",
        "Disconnect-VIServer",
    ):
        assert impacts[name] == "High", name
    for name in ("Start-VM", "New-VM", "New-Snapshot", "Remove-Item", "Export-Csv"):
        assert impacts[name] == "Medium", name
    for name in ("Get-VM", "Select-Object", "Format-Table", "Wait-Task"):
        assert impacts[name] == "None", name


def test_out_file_whatif_and_write(
    capsys: pytest.CaptureFixture[str], fake: FakeConnector, tmp_path: pathlib.Path
) -> None:
    path = tmp_path / "vms.txt"
    result = run(capsys, f"Get-VM | Out-File '{path}' -WhatIf", fake)
    assert result.out.splitlines() == [f'What if: Performing the operation "Out" on target "{path}".']
    assert not path.exists()
    run(capsys, f"Get-VM web01 | Out-File '{path}'; 'more' | Out-File '{path}' -Append", fake)
    assert path.read_text().splitlines()[1:5] == [
        "Name  PowerState Num CPUs MemoryGB",
        "----  ---------- -------- --------",
        "web01 PoweredOn  1        0.250",
        "",
    ]
    assert path.read_text().endswith("\nmore\n")

"""Tab completion: cmdlet names, parameters, and the fake host's VM / datastore / port group names."""

from __future__ import annotations

import pytest
from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document

from clients.shell.completion import ServerNames, complete
from clients.shell.session import Credentials, Session
from clients.shell.terminal import ShellCompleter
from pyesx.faults import HostCommunication
from tests.unit.shell_fake import FakeConnector

pytestmark = pytest.mark.timeout(30)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def fake() -> FakeConnector:
    fake = FakeConnector()
    for name in ("web01", "web02", "db 01"):
        fake.client.add_vm(name)
    return fake


def _names(fake: FakeConnector, clock: Clock | None = None) -> ServerNames:
    session = Session(fake, Credentials("fake:8443", "root", "secret"))
    return ServerNames(session, clock=clock or Clock())


def _candidates(text: str, names: ServerNames) -> list[str]:
    return complete(text, names).candidates


def test_cmdlet_names(fake: FakeConnector) -> None:
    names = _names(fake)
    assert _candidates("Start-V", names) == ["Start-VM", "Start-VMHostService"]
    assert _candidates("get-vmhostn", names) == [
        "Get-VMHostNetwork",
        "Get-VMHostNetworkAdapter",
        "Get-VMHostNtpServer",
        "Get-VMHostNtpStatus",
    ]
    assert _candidates("Get-VM | Stop-VMG", names) == ["Stop-VMGuest"]
    assert _candidates("$x = 1; New-Snap", names) == ["New-Snapshot"]
    assert fake.connects == []  # command names need no host


def test_parameter_names(fake: FakeConnector) -> None:
    names = _names(fake)
    assert _candidates("New-VM -Num", names) == ["-NumCpu"]
    assert _candidates("New-VM web03 -Mem", names) == ["-MemoryMB", "-MemoryGB"]
    assert _candidates("Get-VM | Stop-VM -K", names) == ["-Kill"]
    assert _candidates("Get-VM -ErrorA", names) == ["-ErrorAction"]
    assert _candidates("Get-Bogus -X", names) == []


def test_vm_names_from_the_host(fake: FakeConnector) -> None:
    names = _names(fake)
    assert _candidates("Start-VM w", names) == ["web01", "web02"]
    assert _candidates("Get-VM -Name d", names) == ["'db 01'"]  # quoted: it has a space
    assert _candidates("Get-Snapshot -VM web0", names) == ["web01", "web02"]
    assert _candidates("Start-VM -RunAsync web02", names) == ["web02"]
    assert _candidates("Get-VMHost ", names) == []


def test_datastore_and_port_group_names(fake: FakeConnector) -> None:
    names = _names(fake)
    assert _candidates("Get-Datastore data", names) == ["datastore1"]
    assert _candidates("New-VM x -Datastore ", names) == ["datastore1"]
    assert _candidates("New-VM x -NetworkName VM", names) == ["'VM Network'"]
    assert _candidates("Get-VirtualPortGroup -Name ", names) == ["'Management Network'", "'VM Network'"]


def test_names_are_cached_a_few_seconds(fake: FakeConnector) -> None:
    clock = Clock()
    names = _names(fake, clock)
    assert _candidates("Start-VM web", names) == ["web01", "web02"]
    fake.client.add_vm("web03")
    calls = len(fake.client.calls)
    assert _candidates("Start-VM web", names) == ["web01", "web02"]  # from the cache
    assert len(fake.client.calls) == calls
    clock.now += 10
    assert _candidates("Start-VM web", names) == ["web01", "web02", "web03"]


def test_no_names_when_the_host_cannot_answer(fake: FakeConnector) -> None:
    def broken(names: list[str] | None = None) -> list[object]:
        raise HostCommunication("gone")

    fake.client.list_vms = broken  # type: ignore[assignment,method-assign]
    assert _candidates("Start-VM w", _names(fake)) == []
    session = Session(fake, Credentials())  # no credentials: not connected
    assert complete("Start-VM w", ServerNames(session)).candidates == []


def test_prompt_toolkit_completer_replaces_the_word(fake: FakeConnector) -> None:
    completer = ShellCompleter(_names(fake))
    document = Document("Get-VM | Start-VM -V")
    found = list(completer.get_completions(document, CompleteEvent(completion_requested=True)))
    assert [(c.text, c.start_position) for c in found] == [("-VM", -2)]

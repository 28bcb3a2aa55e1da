"""The golden corpus: every ``tests/golden/*.ps1`` run by ``pyesx shell FILE`` against one booted host.

Each script's expected result is ``NAME.out`` next to it: its stdout, then,
when there was any, a ``--- stderr`` line and the stderr, then, when the exit
code is not 0, a ``--- exit N`` line. Between scripts the host is put back
as it was booted (every VM, resource pool, switch, port group and datastore a
script made is removed), so each script starts with no VMs.

Volatile text is replaced by placeholders before comparing (see ``normalise``):

    <server>            the host's HOST:PORT        <root>     the host's root directory
    <work>              the script's working dir    <uuid>     a UUID
    <mac>               a MAC address               <date>     a date and time (11/27/2026 1:05:09 PM)
    <time>              an ISO 8601 time            <clock>    a time of day (01:05:09 PM)
    vm-#1, task-#2 …    ids (vm, task, snapshot, event, poolN), numbered by first appearance in the
                        script's output, so the same id keeps the same number

Regenerate after a deliberate change: ``PYESX_GOLDEN_UPDATE=1 .venv/bin/python -m pytest
tests/integration/test_golden.py`` rewrites every .out (review the diff before committing).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from clients import Client
from clients.model import Task
from pyesx.faults import VimFault
from tests.harness import BootedHost

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

PYESX = str(Path(sys.executable).with_name("pyesx"))
GOLDEN = Path(__file__).resolve().parents[1] / "golden"
SCRIPTS = sorted(GOLDEN.glob("*.ps1"))
UPDATE = os.environ.get("PYESX_GOLDEN_UPDATE") == "1"
STDERR_MARK = "--- stderr\n"

_FIXED: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.I), "<uuid>"),
    (re.compile(r"\b(?:[0-9a-f]{2}:){5}[0-9a-f]{2}\b", re.I), "<mac>"),
    (re.compile(r"\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})?"), "<time>"),
    (re.compile(r"\b\d{1,2}/\d{1,2}/\d{4} \d{1,2}:\d{2}:\d{2} [AP]M\b"), "<date>"),
    (re.compile(r"\b\d{2}:\d{2}:\d{2} [AP]M\b"), "<clock>"),
]
_IDS = re.compile(r"\b(vm|task|snapshot|event)-(\d+)\b|\b(pool)(\d+)\b")


@dataclass(frozen=True)
class Outcome:
    """What one script run did."""

    code: int
    out: str
    err: str

    def render(self) -> str:
        """The .out file's text."""
        text = self.out
        if self.err:
            text += ("" if not text or text.endswith("\n") else "\n") + STDERR_MARK + self.err
        if self.code:
            text += ("" if not text or text.endswith("\n") else "\n") + f"--- exit {self.code}\n"
        return text


def normalise(text: str, literal: dict[str, str], numbers: dict[str, int]) -> str:
    """``text`` with volatile parts replaced by the placeholders above; ``numbers`` carries the id
    numbering across a script's stdout and stderr."""
    for value, placeholder in sorted(literal.items(), key=lambda item: -len(item[0])):
        if value:
            text = text.replace(value, placeholder)
    for pattern, placeholder in _FIXED:
        text = pattern.sub(placeholder, text)

    def number(match: re.Match[str]) -> str:
        kind = match.group(1) or match.group(3)
        key = match.group(0)
        if key not in numbers:
            numbers[key] = 1 + sum(
                1 for seen in numbers if seen.startswith(kind) and seen[len(kind)] in "-0123456789"
            )
        separator = "-" if match.group(1) else ""
        return f"{kind}{separator}#{numbers[key]}"

    return _IDS.sub(number, text)


@dataclass
class Baseline:
    """What the host had when booted: whatever else a script made is removed after it."""

    switches: set[str]
    port_groups: set[str]
    datastores: set[str]
    pools: set[str]


def _quietly(step: Callable[..., object], *args: object) -> None:
    with contextlib.suppress(VimFault):
        step(*args)


def _wait(client: Client, start: Callable[[str], Task], vm_id: str) -> None:
    client.wait_for_task(start(vm_id).id)


def reset_host(client: Client, baseline: Baseline) -> None:
    """Remove every VM and every pool, port group, switch and datastore not in ``baseline``."""
    for vm in client.list_vms():
        if vm.power_state == "poweredOn":
            _quietly(_wait, client, client.kill, vm.id)
        elif vm.power_state == "suspended":
            _quietly(_wait, client, client.power_off, vm.id)
        _quietly(_wait, client, client.destroy_vm, vm.id)
    for pool in reversed(client.list_resource_pools()):
        if pool.id not in baseline.pools:
            _quietly(client.delete_resource_pool, pool.id)
    for group in client.port_groups():
        if group.name not in baseline.port_groups:
            _quietly(client.remove_port_group, group.name)
    for switch in client.virtual_switches():
        if switch.name not in baseline.switches:
            _quietly(client.remove_virtual_switch, switch.name)
    for datastore in client.datastores():
        if datastore.name not in baseline.datastores:
            _quietly(client.remove_datastore, datastore.name)


@pytest.fixture(scope="module")
def golden_host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[BootedHost, Client, Baseline]]:
    """One host for the whole corpus, with a client for resetting it between scripts."""
    host = BootedHost(tmp_path_factory.mktemp("golden") / "host")
    try:
        with host.client() as client:
            baseline = Baseline(
                {s.name for s in client.virtual_switches()},
                {g.name for g in client.port_groups()},
                {d.name for d in client.datastores()},
                {p.id for p in client.list_resource_pools()},
            )
            yield host, client, baseline
    finally:
        host.stop()


def run_script(host: BootedHost, script: Path, work: Path) -> Outcome:
    """``pyesx shell NAME.ps1`` (a copy, in ``work``: the script's own files land there) with the
    host's address and root's password in PYESX_*."""
    shutil.copyfile(script, work / script.name)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYESX_", "XDG_"))}
    env |= {
        "PYESX_SERVER": host.address,
        "PYESX_USER": "root",
        "PYESX_PASSWORD": host.password,
        "XDG_CONFIG_HOME": str(work / "config"),  # the credential store of this script alone
    }
    result = subprocess.run(
        [PYESX, "shell", script.name],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=150,
        check=False,
    )
    numbers: dict[str, int] = {}
    literal = {host.address: "<server>", str(host.root): "<root>", str(work): "<work>"}
    return Outcome(
        result.returncode,
        normalise(result.stdout, literal, numbers),
        normalise(result.stderr, literal, numbers),
    )


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.stem for s in SCRIPTS])
def test_golden(script: Path, golden_host: tuple[BootedHost, Client, Baseline], tmp_path: Path) -> None:
    host, client, baseline = golden_host
    try:
        outcome = run_script(host, script, tmp_path)
    finally:
        reset_host(client, baseline)
    expected_file = script.with_suffix(".out")
    if UPDATE:
        expected_file.write_text(outcome.render())
        return
    assert expected_file.exists(), f"no {expected_file.name}: run with PYESX_GOLDEN_UPDATE=1 to create it"
    assert outcome.render() == expected_file.read_text()


def test_the_corpus_is_whole() -> None:
    """Every script has its expected output and every .out its script."""
    outs = {p.stem for p in GOLDEN.glob("*.out")}
    assert {s.stem for s in SCRIPTS} == outs or UPDATE
    assert len(SCRIPTS) >= 10


def test_normalise_placeholders() -> None:
    numbers: dict[str, int] = {}
    literal = {"127.0.0.1:40123": "<server>", "/tmp/x/host": "<root>"}
    text = (
        "vm-17 task-40 vm-17-snapshot-3 vm-18 pool12 00:50:56:ab:cd:ef 127.0.0.1:40123 /tmp/x/host/etc "
        "0f8fad5b-d9cb-469f-a165-70867728950e 2026-11-27T12:21:34.612506+00:00 11/27/2026 1:05:09 PM "
        "01:05:09 PM web-01"
    )
    assert normalise(text, literal, numbers) == (
        "vm-#1 task-#1 vm-#1-snapshot-#1 vm-#2 pool#1 <mac> <server> <root>/etc <uuid> <time> <date> "
        "<clock> web-01"
    )
    assert normalise("vm-18 vm-19", literal, numbers) == "vm-#2 vm-#3"  # numbering goes on in stderr


def test_outcome_render() -> None:
    assert Outcome(0, "a\n", "").render() == "a\n"
    assert Outcome(1, "a", "boom\n").render() == "a\n--- stderr\nboom\n--- exit 1\n"
    assert Outcome(3, "", "").render() == "--- exit 3\n"

"""The shell: start-up until it answers a command, and a pipeline over many VMs.

Figures: ``pyesx shell`` with piped stdin (``-i``) from exec until it
answers ``1+1``, and ``pyesx shell -c '1+1'`` to exit, each against
``python -c pass`` in the same run; ``Get-VM | Where-Object … | Select-Object
… | ConvertTo-Json`` over N VMs (``Get-VM | ConvertTo-Json`` when the object
cmdlets are not there) run in-process, connect to output, against the same
listing, filter and JSON through the SDK, both on one logged-in connection.
"""

from __future__ import annotations

import contextlib
import functools
import io
import json
import statistics
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from bench.common import Figure, booted_host, in_batches, python, time_process
from bench.stats import percentile
from clients import Client
from clients.shell import cmdlets
from clients.shell import main as shell_main
from clients.shell.session import Client as ShellClient

PYESX = str(Path(python()[0]).with_name("pyesx"))
FILTERED = (
    "Get-VM | Where-Object NumCpu -ge 1 | Select-Object Name, PowerState, NumCpu, MemoryMB"
    " | ConvertTo-Json -Compress"
)
PLAIN = "Get-VM | ConvertTo-Json -Compress"


@dataclass
class ShellResult:
    title = "Shell"
    timed = True
    vms: int
    pipeline: str
    answer_ms: list[float] = field(default_factory=list)
    command_ms: list[float] = field(default_factory=list)
    python_ms: list[float] = field(default_factory=list)
    shell_ms: list[float] = field(default_factory=list)
    sdk_ms: list[float] = field(default_factory=list)

    def figures(self) -> list[Figure]:
        python_p50 = statistics.median(self.python_ms)
        return [
            Figure(
                "Shell start-up to first answer (piped stdin) p50",
                statistics.median(self.answer_ms),
                "ms",
                python_p50,
                "python -c pass",
            ),
            Figure(
                "pyesx shell -c '1+1' p50",
                statistics.median(self.command_ms),
                "ms",
                python_p50,
                "python -c pass",
            ),
            Figure(
                f"Shell pipeline over {self.vms} VMs p50",
                statistics.median(self.shell_ms),
                "ms",
                statistics.median(self.sdk_ms),
                "the same through the SDK",
            ),
        ]

    def details(self) -> list[str]:
        return [
            f"Start-up: {len(self.answer_ms)} runs each of `pyesx shell -i` answering `1+1` on its piped "
            f"stdin (p50 {statistics.median(self.answer_ms):.0f} ms, p99 "
            f"{percentile(self.answer_ms, 99):.0f} ms), `pyesx shell -c '1+1'` to exit (p50 "
            f"{statistics.median(self.command_ms):.0f} ms) and `python -c pass` (p50 "
            f"{statistics.median(self.python_ms):.0f} ms).",
            f"- Pipeline, in-process on one logged-in connection, parse to JSON text, {len(self.shell_ms)} "
            f"runs over {self.vms} VMs: `{self.pipeline}`: p50 {statistics.median(self.shell_ms):.0f} ms; "
            f"the SDK (list_vms, filter, json.dumps): p50 {statistics.median(self.sdk_ms):.0f} ms.",
        ]


def _answer_ms() -> float:
    """From exec of ``pyesx shell -i`` until it answered ``1+1`` on its piped stdin."""
    start = time.perf_counter()
    shell = subprocess.Popen([PYESX, "shell", "-i"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert shell.stdin is not None and shell.stdout is not None
    shell.stdin.write("1+1\n")
    shell.stdin.flush()
    answer = shell.stdout.readline()
    elapsed = (time.perf_counter() - start) * 1000
    shell.stdin.close()
    shell.wait()
    if answer != "2\n":
        raise RuntimeError(f"pyesx shell -i answered {answer!r}")
    return elapsed


class _Kept:
    """A connected client the shell may use but not log out of: every run reuses one login."""

    def __init__(self, client: Client) -> None:
        self._client = client

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def logout(self) -> None:
        pass

    def close(self) -> None:
        pass


def _shell_once(client: Client, text: str) -> tuple[float, str]:
    out, err = io.StringIO(), io.StringIO()
    kept = cast(ShellClient, _Kept(client))
    argv = ["--server", client.server, "--user", "root", "--password", "unused", "-c", text]
    start = time.perf_counter()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = shell_main(argv, connect=lambda server, user, password: kept)
    elapsed = (time.perf_counter() - start) * 1000
    if code:
        raise RuntimeError(f"the shell failed: {err.getvalue()}")
    return elapsed, out.getvalue()


def _sdk_once(client: Client) -> tuple[float, str]:
    start = time.perf_counter()
    rows = [
        {"Name": vm.name, "PowerState": vm.power_state, "NumCpu": vm.num_cpu, "MemoryMB": vm.memory_mb}
        for vm in client.list_vms()
        if vm.num_cpu >= 1
    ]
    text = json.dumps(rows, separators=(",", ":"))
    return (time.perf_counter() - start) * 1000, text


def run(vms: int = 1024, startups: int = 20, pipelines: int = 10) -> ShellResult:
    pipeline = FILTERED if cmdlets.find("Where-Object") and cmdlets.find("Select-Object") else PLAIN
    result = ShellResult(vms, pipeline)
    for _ in range(startups):  # alternated, so drift on the machine hits both alike
        result.python_ms += time_process(python("-c", "pass"), 1)
        result.answer_ms.append(_answer_ms())
        result.command_ms += time_process([PYESX, "shell", "-c", "1+1"], 1)
    with booted_host() as host:
        with host.client() as client:
            in_batches(client, [functools.partial(client.create_vm, f"vm{i:04d}", 1, 64) for i in range(vms)])
            for _ in range(pipelines):
                elapsed, text = _shell_once(client, pipeline)
                result.shell_ms.append(elapsed)
                sdk_elapsed, sdk_text = _sdk_once(client)
                result.sdk_ms.append(sdk_elapsed)
        listed = json.loads(text)
        if len(listed) != vms or len(json.loads(sdk_text)) != vms:
            raise RuntimeError(f"listed {len(listed)} VMs, expected {vms}")
    return result


if __name__ == "__main__":
    outcome = run(vms=128, startups=5, pipelines=3)
    for figure in outcome.figures():
        print(f"{figure.name}: {figure.value:.1f} {figure.unit} (baseline {figure.baseline:.1f})")
    print("\n".join(outcome.details()))

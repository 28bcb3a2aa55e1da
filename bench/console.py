"""The remote console: keystroke-to-echo latency and output throughput, against a local subprocess
echoing over a pipe (same run).

A keystroke travels client → hostd → vmx → the guest on vCPU 0 and its echo comes back the same
way, through the vmx's terminal emulator. The baseline is the least a process boundary costs: a
plain ``python`` child that echoes what it reads on a pipe. Throughput is measured the same way on
both: windows of WINDOW bytes sent and waited for as echo (a guest's console output that the
viewer receives), so nothing is dropped by the guest's bounded output buffer.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bench.common import MIB, Figure, booted_host, python, stop_process

WINDOW = 64 * 1024
ECHO = "import os\nwhile d := os.read(0, 65536):\n    os.write(1, d)\n"


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@dataclass
class ConsoleResult:
    title = "Remote console"
    timed = True
    keystrokes: int
    megabytes: int
    console_ms: list[float] = field(default_factory=list)
    pipe_ms: list[float] = field(default_factory=list)
    console_mb_s: float = 0.0
    pipe_mb_s: float = 0.0

    def figures(self) -> list[Figure]:
        pipe = "a local subprocess echoing over a pipe"
        return [
            Figure("Keystroke to echo, p50", _percentile(self.console_ms, 0.5), "ms",
                   _percentile(self.pipe_ms, 0.5), pipe),
            Figure("Keystroke to echo, p99", _percentile(self.console_ms, 0.99), "ms",
                   _percentile(self.pipe_ms, 0.99), pipe),
            Figure("Console output throughput", self.console_mb_s, "MB/s", self.pipe_mb_s, pipe),
        ]  # fmt: skip

    def details(self) -> list[str]:
        return [
            f"One powered-on VM; an SDK console attached through hostd. {self.keystrokes} keystrokes, "
            "each sent alone and timed until its echo is back at the client (client → hostd → vmx → "
            "guest → vmx's screen → hostd → client). The baseline sends the same bytes to a "
            "`python` child that echoes its stdin to its stdout over pipes.",
            f"Throughput: {self.megabytes} MB pasted in {WINDOW // 1024} KiB windows, each waited for "
            "as echo; the same with the pipe child.",
            f"- console keystroke (ms): p50 {_percentile(self.console_ms, 0.5):.2f}, "
            f"p99 {_percentile(self.console_ms, 0.99):.2f}, mean {statistics.fmean(self.console_ms):.2f}",
            f"- pipe keystroke (ms): p50 {_percentile(self.pipe_ms, 0.5):.3f}, "
            f"p99 {_percentile(self.pipe_ms, 0.99):.3f}",
            f"- throughput (MB/s): console {self.console_mb_s:.1f}, pipe {self.pipe_mb_s:.1f}",
        ]


def _keystrokes(send: Callable[[bytes], None], receive: Callable[[], bytes], count: int) -> list[float]:
    samples = []
    for i in range(count):
        key = bytes([ord("a") + i % 26])
        start = time.perf_counter()
        send(key)
        seen = b""
        while key not in seen:
            seen += receive()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def _throughput(send: Callable[[bytes], None], receive: Callable[[], bytes], megabytes: int) -> float:
    window = b"x" * WINDOW
    start = time.perf_counter()
    for _ in range(megabytes * MIB // WINDOW):
        send(window)
        got = 0
        while got < WINDOW:
            got += len(receive())
    return megabytes * MIB / (time.perf_counter() - start) / 1e6


def _pipe(result: ConsoleResult) -> None:
    child = subprocess.Popen(python("-c", ECHO), stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert child.stdin is not None and child.stdout is not None
    to_child, from_child = child.stdin.fileno(), child.stdout.fileno()

    def send(data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(to_child, view) :]

    try:
        result.pipe_ms = _keystrokes(send, lambda: os.read(from_child, 65536), result.keystrokes)
        result.pipe_mb_s = _throughput(send, lambda: os.read(from_child, 65536), result.megabytes)
    finally:
        stop_process(child)  # type: ignore[arg-type]


def run(keystrokes: int = 300, megabytes: int = 8) -> ConsoleResult:
    result = ConsoleResult(keystrokes, megabytes)
    _pipe(result)
    with booted_host() as host, host.client() as client:
        vm_id = client.wait_for_task(client.create_vm("console", disk_capacity_bytes=[]).id).result_entity_id
        client.wait_for_task(client.power_on(vm_id).id)
        with client.console(vm_id) as console:
            console.read_until(b"console")
            receive = lambda: console.read(30.0)  # noqa: E731
            result.console_ms = _keystrokes(console.send, receive, keystrokes)
            console.send(b"\r")
            console.read_until(b"> ")
            result.console_mb_s = _throughput(console.send, receive, megabytes)
    return result


if __name__ == "__main__":
    for line in run(50, 2).details():
        print(line)

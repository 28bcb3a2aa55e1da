"""The remote console: keystroke-to-echo latency and output throughput, against local processes doing
the same in the same run.

A keystroke travels client → hostd → vmx → the guest's tty on vCPU 0 and its echo comes back the
same way, through the vmx's terminal emulator (typed at the guest's login prompt). The baseline is
the least a process boundary costs: a plain ``python`` child that echoes what it reads on a pipe.
Output throughput: the guest's ``cat`` of a text file to its screen, from the command to the
prompt, as the viewer receives it; the baseline is ``cat`` of the same file to a pipe.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bench.common import MIB, Figure, booted_host, python, stop_process
from clients.console import Console

PASSWORD = "bench-console"
PROMPT = b"root@console:~# "
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
    delivered_bytes: int = 0

    def figures(self) -> list[Figure]:
        pipe = "a local subprocess echoing over a pipe"
        return [
            Figure("Keystroke to echo, p50", _percentile(self.console_ms, 0.5), "ms",
                   _percentile(self.pipe_ms, 0.5), pipe),
            Figure("Keystroke to echo, p99", _percentile(self.console_ms, 0.99), "ms",
                   _percentile(self.pipe_ms, 0.99), pipe),
            Figure("Console output throughput (guest cat to the viewer)", self.console_mb_s, "MB/s",
                   self.pipe_mb_s, "cat of the same file to a pipe"),
        ]  # fmt: skip

    def details(self) -> list[str]:
        return [
            f"One powered-on VM; an SDK console attached through hostd. {self.keystrokes} keystrokes, "
            "each sent alone and timed until its echo is back at the client (client → hostd → vmx → "
            "guest → vmx's screen → hostd → client). The baseline sends the same bytes to a "
            "`python` child that echoes its stdin to its stdout over pipes.",
            f"Throughput: the guest's `cat` of a {self.megabytes} MiB text file (80-byte lines) on its "
            "console, timed from the command to the prompt: the guest writes as fast as the vmx's "
            "terminal emulator takes its output (flow control), nothing is lost on the screen. The "
            f"viewer received {self.delivered_bytes:,} bytes: a viewer more than 1 MB behind the screen "
            "gets a fresh repaint instead of the backlog, as a remote screen does. Baseline: `cat` of "
            "the same file to a pipe.",
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
    finally:
        stop_process(child)


def _guest_output(console: Console, megabytes: int) -> tuple[float, int]:
    """Seconds and bytes of `cat` of a megabytes-long text file on the guest's screen, to the prompt.

    A viewer that falls behind gets a repaint of the screen instead of the stream (the guest never
    waits for it), so the prompt may come inside a repaint rather than at the end of the bytes: when
    the output pauses, the screen itself is asked whether the prompt is back, and the time is that of
    the last output."""
    start = last = time.perf_counter()
    console.send("cat /root/out.txt\r")
    seen, tail = 0, b""
    while PROMPT not in tail:
        try:
            chunk = console.read(2.0)
        except TimeoutError:
            shown = [row for row in console.screen_text() if row.strip()]
            if shown and shown[-1].strip() == PROMPT.decode().strip():  # the prompt, on the last line
                break
            if time.perf_counter() - last > 60.0:
                raise
            continue
        last = time.perf_counter()
        seen += len(chunk)
        tail = (tail + chunk)[-64:]
    return last - start, seen


def _text(megabytes: int) -> bytes:
    lines = (f"{i:07d} {'x' * 71}\n".encode() for i in range(megabytes * MIB // 80))
    return b"".join(lines)


def _local_cat(data: bytes) -> float:
    with tempfile.NamedTemporaryFile() as file:
        file.write(data)
        file.flush()
        start = time.perf_counter()
        subprocess.run(["cat", file.name], stdout=subprocess.PIPE, check=True)
        return len(data) / (time.perf_counter() - start) / 1e6


def run(keystrokes: int = 300, megabytes: int = 8) -> ConsoleResult:
    result = ConsoleResult(keystrokes, megabytes)
    _pipe(result)
    data = _text(megabytes)
    result.pipe_mb_s = _local_cat(data)
    with booted_host() as host, host.client() as client:
        vm_id = client.wait_for_task(client.create_vm("console", disk_capacity_bytes=[]).id).result_entity_id
        settings = {"guestinfo.password": PASSWORD}
        client.wait_for_task(client.reconfigure_vm(vm_id, set_extra_config=settings).id)
        client.wait_for_task(client.power_on(vm_id).id)
        client.copy_to_guest(vm_id, "root", PASSWORD, data, "/root/out.txt")
        with client.console(vm_id) as console:
            console.read_until(b"login:")
            receive = lambda: console.read(30.0)  # noqa: E731
            result.console_ms = _keystrokes(console.send, receive, keystrokes)  # echoed by the guest's tty
            console.send("\x15root\r")  # Ctrl-U: the typed line goes; log in
            console.read_until(b"Password: ")
            console.send(f"{PASSWORD}\r")
            console.read_until(PROMPT)
            seconds, result.delivered_bytes = _guest_output(console, megabytes)
            result.console_mb_s = len(data) / seconds / 1e6
    return result


if __name__ == "__main__":
    for line in run(50, 2).details():
        print(line)

"""hostd GetVM throughput against a bare grpc.aio echo server, driven by the same load client.

Both servers run in their own process on uvloop on 127.0.0.1; the load client
(``bench.load``, its own process) keeps N calls in flight over one channel for a
fixed time. hostd serves TLS only, so its baseline is the echo server over TLS
with the host's own certificate; the echo server in plaintext as well gives the
cost of TLS itself. Rounds alternate echo, echo over TLS, hostd… so drift hits
all alike; each is judged by its best round.
"""

from __future__ import annotations

import json
import os
import selectors
import subprocess
from dataclasses import dataclass, field

from bench.common import ROOT, Figure, booted_host, python, stop_process

GOAL_RATIO = 0.6
VM_NAME = "bench-getvm"


@dataclass(frozen=True)
class LoadRun:
    """One timed run of the load client."""

    calls: int
    seconds: float
    errors: int
    p50_ms: float
    p99_ms: float
    first_error: str = ""

    @property
    def rate(self) -> float:
        return self.calls / self.seconds


def best(runs: list[LoadRun]) -> float:
    """The best round's rate: other load on the machine can only slow a round down."""
    return max((run.rate for run in runs), default=0.0)


@dataclass
class ThroughputResult:
    title = "hostd GetVM throughput"
    timed = True
    concurrency: int
    seconds: float
    hostd: list[LoadRun] = field(default_factory=list)
    echo: list[LoadRun] = field(default_factory=list)
    echo_tls: list[LoadRun] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return sum(run.errors for run in [*self.hostd, *self.echo, *self.echo_tls])

    def figures(self) -> list[Figure]:
        hostd, echo, echo_tls = best(self.hostd), best(self.echo), best(self.echo_tls)
        ratio = hostd / echo_tls if echo_tls else 0.0
        return [
            Figure(
                f"hostd GetVM throughput over TLS ({self.concurrency} in flight)",
                hostd,
                "calls/s",
                echo_tls,
                "grpc.aio echo server over TLS, same client",
                f"ratio ≥ {GOAL_RATIO}",
                ratio >= GOAL_RATIO and not self.errors,
            ),
            Figure(
                "echo server over TLS (the cost of TLS)",
                echo_tls,
                "calls/s",
                echo,
                "the same echo server in plaintext",
            ),
        ]

    def details(self) -> list[str]:
        lines = [
            f"{self.concurrency} coroutines keep one GetVM each in flight over one grpc.aio channel (uvloop) "
            f"for {self.seconds:g} s after a 0.5 s warm-up, with the session key and a request id as "
            "metadata. hostd answers through its whole call path (interceptor, session check, servicer, "
            "logging, over TLS); the echo server returns the request bytes from a generic handler, over "
            "TLS with the host's certificate (hostd's baseline) and in plaintext (what TLS costs). "
            "Throughput = calls completed in the timed window / its length; the figures are the best "
            f"round of each server ({len(self.hostd)} rounds, alternating), as other load can only slow a "
            "round down. Latency is per call, as the client saw it.",
            "",
            "| Round | Server | calls/s | p50 ms | p99 ms | errors |",
            "|---:|---|---:|---:|---:|---:|",
        ]
        for n, (echo, echo_tls, hostd) in enumerate(
            zip(self.echo, self.echo_tls, self.hostd, strict=False), 1
        ):
            for name, run in (("echo", echo), ("echo TLS", echo_tls), ("hostd TLS", hostd)):
                lines.append(
                    f"| {n} | {name} | {run.rate:,.0f} | {run.p50_ms:.2f} | {run.p99_ms:.2f} | {run.errors} |"
                )
        for run in [*self.hostd, *self.echo, *self.echo_tls]:
            if run.first_error:
                lines.append(f"\nFirst error: `{run.first_error}`")
                break
        return lines


def run_load(
    target: str,
    vm_id: str,
    session: str,
    concurrency: int,
    seconds: float,
    op: str = "getvm",
    ca_file: str = "",
) -> tuple[LoadRun, dict[str, str]]:
    """Run the load client (``bench.load``) once, over TLS trusting ``ca_file`` when given (hostd);
    the run and the identity of the first GetVM reply."""
    argv = python(
        "-m", "bench.load", "--target", target, "--vm-id", vm_id, "--op", op,
        "--concurrency", str(concurrency), "--duration", str(seconds), "--ca-file", ca_file,
    )  # fmt: skip
    env = {**os.environ, "PYESX_BENCH_SESSION": session}
    done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=seconds + 60)
    if done.returncode:
        raise RuntimeError(f"the load client failed against {target}: {done.stderr.strip()[-600:]}")
    out = json.loads(done.stdout.strip().splitlines()[-1])
    run = LoadRun(
        out["calls"], out["seconds"], out["errors"], out["p50_ms"], out["p99_ms"], out["first_error"]
    )
    return run, {"id": out["reply_id"], "name": out["reply_name"]}


def start_echo(tls_root: str = "") -> tuple[subprocess.Popen[str], str]:
    """The echo server process (over TLS with that host root's certificate when given) and its
    address, once it prints that it is ready."""
    process = subprocess.Popen(
        python("-m", "bench.echo_server", "--tls-root", tls_root),
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        line = process.stdout.readline() if selector.select(30) else ""
    if not line.startswith("ready "):
        stop_process(process)
        raise RuntimeError(f"the echo server did not start: {line!r}")
    return process, line.split()[1]


def run(seconds: float = 4.0, rounds: int = 2, concurrency: int = 16) -> ThroughputResult:
    """Alternate timed runs against the echo server and hostd; rounds of each."""
    result = ThroughputResult(concurrency=concurrency, seconds=seconds)
    with booted_host() as host, host.client() as client:
        created = client.wait_for_task(client.create_vm(VM_NAME, num_cpus=1, memory_mb=256).id)
        assert created.result_vm is not None
        vm_id = created.result_vm.id
        ca_file = str(host.ca_file)
        echo, echo_address = start_echo()
        echo_tls, echo_tls_address = start_echo(str(host.root))
        try:
            for _ in range(rounds):
                for address, runs, ca in (
                    (echo_address, result.echo, ""),
                    (echo_tls_address, result.echo_tls, ca_file),
                ):
                    run, reply = run_load(
                        address, vm_id, client.session_key, concurrency, seconds, ca_file=ca
                    )
                    if reply["id"] != vm_id:
                        raise RuntimeError(f"the echo server answered {reply}, not the request")
                    runs.append(run)
                run, reply = run_load(
                    host.address, vm_id, client.session_key, concurrency, seconds, ca_file=ca_file
                )
                if reply != {"id": vm_id, "name": VM_NAME}:
                    raise RuntimeError(f"hostd answered {reply} for {vm_id}")
                result.hostd.append(run)
        finally:
            stop_process(echo)
            stop_process(echo_tls)
    return result

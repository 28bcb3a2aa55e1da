"""hostd throughput of power operations: power-on/off pairs per second, against the raw gRPC echo.

The load client (``bench.load --op power``, its own process, grpc.aio on
uvloop) runs one caller per VM, each repeating PowerOnVM, WaitForTask,
PowerOffVM, WaitForTask on its own VM for a fixed time: every pair starts and
stops a real vmx and VMM world. The baseline is the same client's GetVM
against the bare echo server (``bench.echo_server``) with as many callers, the
most a gRPC server in Python answers here. Best round of each.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bench.common import Figure, booted_host, create_vms, power_off_all, stop_process
from bench.getvm import LoadRun, best, run_load, start_echo


@dataclass
class PowerOpsResult:
    title = "hostd power operations throughput"
    timed = True
    vms: int
    seconds: float
    hostd: list[LoadRun] = field(default_factory=list)
    echo: list[LoadRun] = field(default_factory=list)

    def figures(self) -> list[Figure]:
        return [
            Figure(
                f"hostd power operations, on or off ({self.vms} VMs at once)",
                2 * best(self.hostd),
                "ops/s",
                best(self.echo),
                "GetVM calls, grpc.aio echo server, same client",
            )
        ]

    def details(self) -> list[str]:
        lines = [
            f"{self.vms} callers, one VM each (1 vCPU, 16 MB, no NIC), repeat power on, wait, power off, "
            f"wait for {self.seconds:g} s after a 0.5 s warm-up; a pair is four RPCs and one vmx start "
            "and stop, two operations in the figure. Echo: the same client, GetVM with as many callers. "
            "Latency is per pair.",
            "",
            "| Round | Server | per second | p50 ms | p99 ms | errors |",
            "|---:|---|---:|---:|---:|---:|",
        ]
        for n, (echo, hostd) in enumerate(zip(self.echo, self.hostd, strict=False), 1):
            for name, run in (("echo (calls)", echo), ("hostd (pairs)", hostd)):
                lines.append(
                    f"| {n} | {name} | {run.rate:,.1f} | {run.p50_ms:.2f} | {run.p99_ms:.2f} | {run.errors} |"
                )
        errors = [run.first_error for run in [*self.hostd, *self.echo] if run.first_error]
        if errors:
            lines += ["", f"First error: `{errors[0]}`"]
        return lines


def run(vms: int = 8, seconds: float = 4.0, rounds: int = 2) -> PowerOpsResult:
    result = PowerOpsResult(vms=vms, seconds=seconds)
    with booted_host() as host, host.client() as client:
        ids = create_vms(client, "bench-ops", vms)
        echo, echo_address = start_echo()
        try:
            for _ in range(rounds):
                run_echo, _ = run_load(echo_address, ids[0], client.session_key, vms, seconds)
                result.echo.append(run_echo)
                run_hostd, _ = run_load(
                    host.address, ",".join(ids), client.session_key, vms, seconds, "power", str(host.ca_file)
                )
                result.hostd.append(run_hostd)
        finally:
            stop_process(echo)
            power_off_all(client)
    return result

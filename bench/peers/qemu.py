"""QEMU as the per-VM process beside our vmx: time until it is ready and its memory per VM.

QEMU (Debian's qemu-system-x86, TCG, no KVM needed) is started as libvirt starts
it for a new VM: ``-M q35 -m 64 -smp 1 -nodefaults -display none -S`` with a QMP
monitor on a unix socket. Ready = its monitor answered ``qmp_capabilities`` and
``query-status`` (the client connects as soon as the socket accepts, polling
every 0.5 ms). Ours: PowerOnVM through hostd until the task finished, the vmx
and its VMM world running (1 vCPU, 64 MB). Both are started one at a time up to
N, in the same booted host's presence, and their PSS read with all N running.
"""

from __future__ import annotations

import contextlib
import json
import math
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import peers, power_on
from bench.common import (
    MIB,
    Figure,
    booted_host,
    create_vms,
    power_off_all,
    proc_memory,
    stop_process,
    timed_power_on,
    vm_pss,
)
from bench.stats import median
from clients import Task
from pyesx.layout import HostLayout

QEMU = "qemu-system-x86_64"
MEMORY_MB = 64


def qemu_argv(qmp: Path) -> list[str]:
    return [
        QEMU, "-M", "q35", "-accel", "tcg", "-m", str(MEMORY_MB), "-smp", "1",
        "-nodefaults", "-no-user-config", "-display", "none", "-S",
        "-qmp", f"unix:{qmp},server=on,wait=off",
    ]  # fmt: skip


def _reply(lines: Any) -> dict[str, Any]:
    """The next QMP reply (events skipped)."""
    for raw in lines:
        message: dict[str, Any] = json.loads(raw)
        if "event" not in message:
            return message
    raise RuntimeError("QEMU closed its monitor")


def _connect(path: Path, process: subprocess.Popen[bytes], timeout: float = 30.0) -> socket.socket:
    deadline = time.monotonic() + timeout
    while True:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.connect(str(path))
            return sock
        except (FileNotFoundError, ConnectionRefusedError):
            sock.close()
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"QEMU exited ({process.returncode}) or its monitor never opened"
                ) from None
            time.sleep(0.0005)


def start_qemu(qmp: Path) -> tuple[subprocess.Popen[bytes], float]:
    """A paused QEMU and the ms from exec until its QMP monitor answered query-status."""
    start = time.perf_counter()
    process = subprocess.Popen(
        qemu_argv(qmp), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        with _connect(qmp, process) as sock, sock.makefile("rwb") as stream:
            if "QMP" not in _reply(stream):
                raise RuntimeError("no QMP greeting")
            for command in ("qmp_capabilities", "query-status"):
                stream.write(json.dumps({"execute": command}).encode() + b"\n")
                stream.flush()
                answer = _reply(stream)
                if "return" not in answer:
                    raise RuntimeError(f"QMP {command}: {answer}")
            if answer["return"].get("status") not in ("prelaunch", "paused"):
                raise RuntimeError(f"QEMU is {answer['return']}")
    except BaseException:
        process.kill()
        process.wait()
        raise
    return process, (time.perf_counter() - start) * 1000


@dataclass
class QemuResult:
    title = "Peer: QEMU as the per-VM process"
    timed = True
    vms: int
    missing: str = ""  # why QEMU was not measured
    ours_ms: list[float] = field(default_factory=list)
    vmx_ms: list[float] = field(default_factory=list)  # task start → vmkernel's vmx.started, from the logs
    qemu_ms: list[float] = field(default_factory=list)
    ours_pss: list[int] = field(default_factory=list)
    qemu_pss: list[int] = field(default_factory=list)

    def _peer(self, values: list[float]) -> float:
        return median(values) if values and not self.missing else math.nan

    def figures(self) -> list[Figure]:
        name = self.missing or "QEMU"
        return [
            Figure(
                "Per-VM process ready, median (vmx power-on vs QEMU monitor)",
                median(self.ours_ms),
                "ms",
                self._peer(self.qemu_ms),
                name if self.missing else "QEMU started until QMP answers query-status",
            ),
            Figure(
                "vmx start alone, median (StartVmx to its handshake, from the logs) vs QEMU",
                median(self.vmx_ms),
                "ms",
                self._peer(self.qemu_ms),
                name if self.missing else "QEMU started until QMP answers query-status",
            ),
            Figure(
                f"PSS per VM with {self.vms} running (vmx + VMM vs QEMU)",
                median([float(p) for p in self.ours_pss]) / MIB,
                "MiB",
                self._peer([float(p) for p in self.qemu_pss]) / MIB,
                name if self.missing else f"QEMU -m {MEMORY_MB}, paused (-S)",
            ),
        ]

    def details(self) -> list[str]:
        lines = [
            f"{self.vms} per-VM processes of each kind started one at a time while a host was booted; "
            f"QEMU: `{' '.join(qemu_argv(Path('SOCK')))}`, ready when its QMP monitor answered "
            "`qmp_capabilities` and `query-status` (status prelaunch); ours: 1 vCPU, 64 MB, the SDK's "
            "PowerOnVM until the task finished (hostd, the VMkernel's StartVmx, the vmx and its VMM world "
            "running and handshaken); the vmx start alone is the part of it from the task's start to the "
            "VMkernel's `vmx.started` log line (the vmx forked, its VMM world and gRPC server up, the "
            "readiness handshake), closer to what QEMU's figure measures. Ours does more: a running vCPU "
            "world, where QEMU is paused before the guest's first instruction (it has loaded its "
            "firmware); QEMU is a native binary. PSS read from /proc/PID/smaps_rollup with all of them "
            "running.",
            "",
        ]
        if self.missing:
            return [*lines, f"QEMU: {self.missing}."]
        return [
            *lines,
            "| | ready ms (in start order) | PSS MiB per VM (median) |",
            "|---|---|---:|",
            f"| ours, PowerOnVM through hostd | {', '.join(f'{v:.1f}' for v in self.ours_ms)} | "
            f"{median([float(p) for p in self.ours_pss]) / MIB:.1f} |",
            f"| ours, vmx start alone | {', '.join(f'{v:.1f}' for v in self.vmx_ms)} | |",
            f"| QEMU | {', '.join(f'{v:.1f}' for v in self.qemu_ms)} | "
            f"{median([float(p) for p in self.qemu_pss]) / MIB:.1f} |",
        ]


def _measure_qemu(result: QemuResult) -> None:
    with tempfile.TemporaryDirectory(prefix="pyesx-bench-qemu-") as tmp:
        started: list[subprocess.Popen[bytes]] = []
        try:
            for i in range(result.vms):
                process, ms = start_qemu(Path(tmp) / f"qmp{i}.sock")
                started.append(process)
                result.qemu_ms.append(ms)
            result.qemu_pss = [proc_memory(p.pid).pss for p in started]
        finally:
            for process in started:
                with contextlib.suppress(OSError):
                    stop_process(process)


def run(vms: int = 8) -> QemuResult:
    """Start vms QEMUs and power on vms of our VMs, one at a time; their readiness and PSS."""
    result = QemuResult(vms=vms, missing=peers.install())
    done: list[tuple[str, str, Task, float]] = []  # vm id, vmx path, finished task, wall ms
    with booted_host() as host:
        with host.client() as client:
            ids = create_vms(client, "bench-peer", vms, memory_mb=MEMORY_MB)
            if not result.missing:
                _measure_qemu(result)
            try:
                for vm_id in ids:
                    wall_ms, task = timed_power_on(client, vm_id)
                    done.append((vm_id, client.get_vm(vm_id).vmx_path, task, wall_ms))
                result.ours_ms = [wall_ms for *_, wall_ms in done]
                result.ours_pss = [vm_pss(client, vm_id) for vm_id in ids]
            finally:
                power_off_all(client)
        host.stop()  # the processes' logs are complete once they have exited
        layout = HostLayout(host.root)
        for vm_id, vmx_path, task, wall_ms in done:
            phases = power_on.phases(layout, vmx_path, vm_id, task, wall_ms)
            if phases:
                result.vmx_ms.append(phases["spawn"] + phases["worlds"] + phases["handshake"])
    return result

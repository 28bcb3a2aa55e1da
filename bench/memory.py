"""Memory of one powered-on 1-vCPU VM: PSS and RSS of its vmx and VMM world, with the host running.

PSS charges each shared page to the processes sharing it, so it is measured on a
live host (vmkernel and hostd share the interpreter and libraries as in real
use). Baseline: an idle interpreter (``python -c`` that sleeps) started by the
benchmark, measured at the same time and killed after. More VMs are then
powered on beside it, to show how the PSS per VM falls as more processes share pages.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import subprocess
import sys
import time
from dataclasses import dataclass, field

from bench.common import (
    MIB,
    Figure,
    ProcMemory,
    booted_host,
    cmdline,
    proc_memory,
    process_tree,
    python,
    stop_process,
    verify_powered_on,
    vm_pss,
)
from bench.stats import median
from clients import Client

GOAL_PSS_MIB = 20.0
IDLE = "import sys, time; print('ready', flush=True); time.sleep(600)"


@dataclass(frozen=True)
class ProcRow:
    """Median memory of one process over the samples, in bytes."""

    role: str
    pid: int
    rss: float
    pss: float
    uss: float


@dataclass
class MemoryResult:
    title = "Memory per VM"
    timed = False
    vmx: ProcRow
    vmms: list[ProcRow]
    idle: ProcRow
    samples: int
    host: list[ProcRow] = field(default_factory=list)
    per_vm_pss: list[float] = field(default_factory=list)  # mean PSS per VM with 1, 2, … VMs on
    strangers: int = 0  # other processes of this interpreter on the machine: they share its pages too

    @property
    def vm_rows(self) -> list[ProcRow]:
        return [self.vmx, *self.vmms]

    @property
    def pss(self) -> float:
        return sum(row.pss for row in self.vm_rows)

    @property
    def rss(self) -> float:
        return sum(row.rss for row in self.vm_rows)

    def figures(self) -> list[Figure]:
        base = "idle python interpreter"
        mib = self.pss / MIB
        return [
            Figure(
                "Memory per 1-vCPU VM, PSS (vmx + VMM)",
                mib,
                "MiB",
                self.idle.pss / MIB,
                base + " PSS",
                f"≤ {GOAL_PSS_MIB:.0f} MiB",
                mib <= GOAL_PSS_MIB,
            ),
            Figure(
                "Memory per 1-vCPU VM, RSS (vmx + VMM)",
                self.rss / MIB,
                "MiB",
                self.idle.rss / MIB,
                base + " RSS",
            ),
        ]

    def details(self) -> list[str]:
        lines = [
            f"One VM (1 vCPU, 256 MB) powered on in a freshly booted host; /proc/PID/smaps_rollup read "
            f"{self.samples} times, 0.2 s apart, median per process. USS = private clean + private "
            "dirty (what killing the process would free).",
            "",
            "| Process | PID | PSS MiB | RSS MiB | USS MiB |",
            "|---|---:|---:|---:|---:|",
        ]
        for row in [*self.vm_rows, self.idle]:
            lines.append(_row(row))
        lines.append(
            f"| **VM total (vmx + VMM)** | | **{self.pss / MIB:.1f}** | {self.rss / MIB:.1f} | "
            f"{sum(r.uss for r in self.vm_rows) / MIB:.1f} |"
        )
        if self.strangers:
            lines += [
                "",
                f"**{self.strangers} other processes of the same interpreter were running on the machine** "
                "(not this benchmark's): they share its library pages, so every PSS above is lower than "
                "on a machine running only this host.",
            ]
        if self.per_vm_pss:
            scaling = ", ".join(f"{n} on: {pss / MIB:.1f}" for n, pss in enumerate(self.per_vm_pss, 1))
            lines += [
                "",
                "PSS splits shared pages among their sharers, so a VM's share falls as more VMs run "
                f"(mean PSS per VM in MiB, one reading each): {scaling}.",
            ]
        if self.host:
            lines += [
                "",
                "The rest of the host's process tree at the same moment (context, not counted above):",
                "",
                "| Process | PID | PSS MiB | RSS MiB | USS MiB |",
                "|---|---:|---:|---:|---:|",
                *(_row(row) for row in self.host),
            ]
        return lines


def _row(row: ProcRow) -> str:
    return f"| {row.role} | {row.pid} | {row.pss / MIB:.1f} | {row.rss / MIB:.1f} | {row.uss / MIB:.1f} |"


def _role(pid: int) -> str:
    """A short name for a host process from its command line."""
    line = cmdline(pid)
    if " -m " in line:
        return "python -m " + line.split(" -m ", 1)[1].split()[0]
    words = [word.rsplit("/", 1)[-1] for word in line.split()[:2]]
    if words and words[0].startswith("python"):
        words = words[1:]  # an entry-point script: name it by the script and its subcommand
        words += line.split()[2:3]
    return " ".join(words)[:48] or str(pid)


def _median_rows(roles: dict[int, str], samples: list[dict[int, ProcMemory]]) -> dict[int, ProcRow]:
    rows = {}
    for pid, role in roles.items():
        seen = [sample[pid] for sample in samples if pid in sample]
        if seen:
            rows[pid] = ProcRow(
                role,
                pid,
                median([m.rss for m in seen]),
                median([m.pss for m in seen]),
                median([m.uss for m in seen]),
            )
    return rows


def _strangers(ours: set[int]) -> int:
    """Processes running this interpreter that are neither ours (the host's, the baseline's) nor this one."""
    exe = os.path.realpath(sys.executable)
    count = 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit() and int(entry.name) not in ours and int(entry.name) != os.getpid():
            with contextlib.suppress(OSError):
                count += os.path.realpath(f"/proc/{entry.name}/exe") == exe
    return count


def _start_idle() -> subprocess.Popen[str]:
    """An idle interpreter, returned once it has printed that it is up."""
    process = subprocess.Popen(
        python("-c", IDLE), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        if not selector.select(30) or process.stdout.readline().strip() != "ready":
            stop_process(process)
            raise RuntimeError("the idle interpreter did not start")
    return process


def _scaling(client: Client, first: str, vms: int) -> list[float]:
    """Mean PSS per VM as VMs 2..vms are powered on next to first (which is on); they are left on."""
    ids = [first]
    means = [float(vm_pss(client, first))]
    for n in range(1, vms):
        created = client.wait_for_task(client.create_vm(f"bench-mem-{n}", num_cpus=1, memory_mb=256).id)
        assert created.result_vm is not None
        ids.append(created.result_vm.id)
        client.wait_for_task(client.power_on(ids[-1]).id)
        means.append(sum(vm_pss(client, vm_id) for vm_id in ids) / len(ids))
    return means


def run(samples: int = 5, scaling_vms: int = 5) -> MemoryResult:
    """Power on one 1-vCPU VM in a fresh host and measure its processes and an idle interpreter;
    then power on more VMs, up to scaling_vms, for the PSS-per-VM trend."""
    with booted_host() as host, host.client() as client:
        created = client.wait_for_task(client.create_vm("bench-mem", num_cpus=1, memory_mb=256).id)
        assert created.result_vm is not None
        vm_id = created.result_vm.id
        client.wait_for_task(client.power_on(vm_id).id)
        try:
            problem = verify_powered_on(client, vm_id)
            if problem:
                raise RuntimeError(f"the VM did not power on as it should: {problem}")
            vm = client.get_vm(vm_id)
            idle = _start_idle()
            try:
                roles = {vm.vmx_pid: "vmx", idle.pid: "idle interpreter (baseline)"}
                roles |= {pid: f"vmm (vCPU {n})" for n, pid in enumerate(vm.vmm_pids)}
                roles |= {pid: _role(pid) for pid in process_tree(host.pid) if pid not in roles}
                taken: list[dict[int, ProcMemory]] = []
                for n in range(samples):
                    if n:
                        time.sleep(0.2)
                    sample = {}
                    for pid in roles:
                        try:
                            sample[pid] = proc_memory(pid)
                        except OSError:
                            continue
                    taken.append(sample)
                strangers = _strangers(set(roles))
            finally:
                stop_process(idle)
            per_vm = _scaling(client, vm_id, scaling_vms)
        finally:
            for listed in client.list_vms():
                if listed.power_state == "poweredOn":
                    client.wait_for_task(client.power_off(listed.id).id)
    rows = _median_rows(roles, taken)
    vm_pids = {vm.vmx_pid, *vm.vmm_pids, idle.pid}
    return MemoryResult(
        vmx=rows[vm.vmx_pid],
        vmms=[rows[pid] for pid in vm.vmm_pids],
        idle=rows[idle.pid],
        samples=samples,
        host=[row for pid, row in rows.items() if pid not in vm_pids],
        per_vm_pss=per_vm,
        strangers=strangers,
    )

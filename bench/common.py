"""What every benchmark shares: the figure row, /proc readers, process helpers and a booted host."""

from __future__ import annotations

import contextlib
import functools
import math
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

from clients import Client, Task
from clients.tls import KNOWN_HOSTS_ENV
from tests.harness import BootedHost

MIB = 1024 * 1024
T = TypeVar("T")
ROOT = Path(__file__).resolve().parent.parent  # the project: `python -m bench.*` children run here


@dataclass(frozen=True)
class Figure:
    """One line of the report: a measured value, its same-run baseline and the goal it is held to."""

    name: str
    value: float
    unit: str
    baseline: float
    baseline_name: str
    goal: str = ""
    passed: bool | None = None  # None: no goal for this figure

    @property
    def ratio(self) -> float:
        return self.value / self.baseline if self.baseline else math.nan


class BenchResult(Protocol):
    """What a benchmark returns: its figures and the Markdown lines that explain them."""

    title: str
    timed: bool  # its figures are times or rates, which other load on the machine skews

    def figures(self) -> list[Figure]: ...

    def details(self) -> list[str]: ...


# -- /proc -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProcMemory:
    """Memory of one process from /proc/PID/smaps_rollup, in bytes."""

    pid: int
    rss: int
    pss: int
    uss: int  # private clean + private dirty: what killing the process would free


def proc_memory(pid: int) -> ProcMemory:
    fields: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        key, _, rest = line.partition(":")
        parts = rest.split()
        if len(parts) == 2 and parts[1] == "kB":
            fields[key] = int(parts[0]) * 1024
    return ProcMemory(
        pid=pid,
        rss=fields["Rss"],
        pss=fields["Pss"],
        uss=fields.get("Private_Clean", 0) + fields.get("Private_Dirty", 0),
    )


def cmdline(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()


def process_tree(root: int) -> list[int]:
    """root and all its live descendants, from the parent pids in /proc."""
    parents: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                stat = Path(entry.path, "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = [root], {root}
    while frontier:
        kids = [pid for pid, ppid in parents.items() if ppid in frontier]
        found.extend(kids)
        frontier = set(kids)
    return found


def running(pid: int) -> bool:
    """The process exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


# -- CPU use ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CpuUse:
    """CPU time while a benchmark ran: ours (this process and its reaped children) and the machine's."""

    wall: float
    ours: float
    machine: float

    @property
    def ours_cores(self) -> float:
        return self.ours / self.wall if self.wall else 0.0

    @property
    def others_cores(self) -> float:
        """Cores used on average by other processes (or stolen by the hypervisor): noise in the figures."""
        return max(0.0, self.machine - self.ours) / self.wall if self.wall else 0.0


def _machine_busy() -> float:
    """Busy CPU seconds of the whole machine since boot (all but idle and iowait), from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def _our_cpu() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def measure_cpu(run: Callable[[], T]) -> tuple[T, CpuUse]:
    """run() and the CPU used while it ran; its processes must all be reaped when it returns."""
    wall, ours, machine = time.monotonic(), _our_cpu(), _machine_busy()
    result = run()
    use = CpuUse(time.monotonic() - wall, _our_cpu() - ours, _machine_busy() - machine)
    return result, use


# -- processes ---------------------------------------------------------------------------------


def time_process(argv: Sequence[str], runs: int) -> list[float]:
    """Wall time in ms of starting argv and waiting for it to exit, once per run (it must exit 0).

    The wait blocks in waitpid: ``subprocess.run(timeout=…)`` would poll with
    growing sleeps and round every sample up by tens of milliseconds.
    """
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        code = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL).wait()
        samples.append((time.perf_counter() - start) * 1000)
        if code:
            raise RuntimeError(f"{' '.join(argv)} exited with code {code}")
    return samples


def python(*args: str) -> list[str]:
    """argv running this (the venv's) interpreter."""
    return [sys.executable, *args]


def stop_process(process: subprocess.Popen[Any], timeout: float = 10.0) -> None:
    """SIGTERM a child we started, SIGKILL it if it lingers, and reap it."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    for stream in (process.stdout, process.stderr):
        if stream is not None:
            stream.close()


def _processes_naming(text: str) -> list[int]:
    """Live processes whose command line (or title) contains text."""
    found = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if text in cmdline(int(entry.name)) and running(int(entry.name)):
                    found.append(int(entry.name))
    return found


@contextlib.contextmanager
def booted_host() -> Iterator[BootedHost]:
    """A real host in a temporary root on a free port; stopped afterwards, leaving no process behind.

    A process naming this host's root (every process of the host does, in its
    arguments or title) still alive after the host stopped is killed and
    reported on stderr: that would be a bug in the host. Other hosts on the
    machine (tests running beside the benchmark) are never touched.
    """
    with tempfile.TemporaryDirectory(prefix="pyesx-bench-") as tmp:
        # clients pin this host's thumbprint in the benchmark's own known-hosts file, not the user's
        saved = os.environ.get(KNOWN_HOSTS_ENV)
        os.environ[KNOWN_HOSTS_ENV] = f"{tmp}/known_hosts"
        host = BootedHost(Path(tmp) / "host")
        try:
            yield host
        finally:
            host.stop()
            if saved is None:
                os.environ.pop(KNOWN_HOSTS_ENV, None)
            else:
                os.environ[KNOWN_HOSTS_ENV] = saved
            for pid in _processes_naming(f"{tmp}/"):  # a unique temporary directory: ours alone
                with contextlib.suppress(OSError):
                    print(
                        f"bench: killing a process the host left behind: {pid} {cmdline(pid)}",
                        file=sys.stderr,
                    )
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)


def verify_powered_on(client: Client, vm_id: str) -> str:
    """'' when the VM is poweredOn with its vmx and one running VMM world per vCPU, else what is wrong."""
    vm = client.get_vm(vm_id)
    if vm.power_state != "poweredOn":
        return f"{vm_id} is {vm.power_state}"
    if len(vm.vmm_pids) != vm.num_cpu:
        return f"{vm_id} has {len(vm.vmm_pids)} VMM pids for {vm.num_cpu} vCPUs"
    dead = [pid for pid in (vm.vmx_pid, *vm.vmm_pids) if not pid or not running(pid)]
    return f"{vm_id}: processes {dead} are not running" if dead else ""


# -- VMs through the SDK -------------------------------------------------------------------------

BATCH = 100  # the host remembers 1,000 tasks: wait for each batch before submitting more


def in_batches(client: Client, submit: Sequence[Callable[[], Task]]) -> list[Task]:
    """Submit the tasks BATCH at a time, waiting for each batch: the finished tasks, in order."""
    done: list[Task] = []
    pending: list[str] = []
    for make in submit:
        pending.append(make().id)
        if len(pending) == BATCH:
            done += [client.wait_for_task(task_id) for task_id in pending]
            pending = []
    return done + [client.wait_for_task(task_id) for task_id in pending]


def create_vms(client: Client, prefix: str, count: int, memory_mb: int = 16) -> list[str]:
    """Ids of count new 1-vCPU VMs without a NIC, named prefix-000…, created in batches."""
    tasks = in_batches(
        client,
        [
            functools.partial(client.create_vm, f"{prefix}-{i:03d}", 1, memory_mb, no_network=True)
            for i in range(count)
        ],
    )
    return [task.result_entity_id for task in tasks]


def timed_power_on(client: Client, vm_id: str) -> tuple[float, Task]:
    """Power the VM on; the client's wall time (ms) from the PowerOnVM call to the finished task."""
    start = time.perf_counter()
    task = client.wait_for_task(client.power_on(vm_id).id)
    return (time.perf_counter() - start) * 1000, task


def power_off_all(client: Client) -> None:
    """Power off every powered-on VM of the host, all at once."""
    on = [vm.id for vm in client.list_vms() if vm.power_state == "poweredOn"]
    in_batches(client, [functools.partial(client.power_off, vm_id) for vm_id in on])


def vm_pss(client: Client, vm_id: str) -> int:
    """PSS in bytes of a powered-on VM: its vmx and its VMM worlds."""
    vm = client.get_vm(vm_id)
    return sum(proc_memory(pid).pss for pid in (vm.vmx_pid, *vm.vmm_pids))

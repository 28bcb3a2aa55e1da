"""The guest kernel: processes as generators, a cooperative scheduler, the clock, shutdown and reboot.

A process is a generator that yields what it waits for (a ``Wait``: a
condition, a deadline, or both) or ``None`` at a preemption point (it is still
runnable; long work yields so the VMM world keeps answering its control
channel). It returns its exit status. ``Kernel.step`` resumes every runnable
process until all are blocked (or its time slice is used up) and says when it
needs the vCPU again.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections import deque
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from vmx.guestos.vfs import Vfs

if TYPE_CHECKING:
    from vmx.guestos.machine import Machine, PingReply
    from vmx.guestos.tty import Tty

T = TypeVar("T")


@dataclass
class Wait:
    """What a blocked process waits for: ``ready()`` to become true, or ``deadline`` (kernel time) to pass."""

    ready: Callable[[], bool] | None = None
    deadline: float | None = None


Gen = Generator[Wait | None, None, T]
"""A process body or a piece of one (``yield from``); returns T."""

KERNEL_RELEASE = "6.1.0-pyesx"
KERNEL_VERSION = "#1 SMP PREEMPT_DYNAMIC PyESX 6.1.0-1 (2026-01-15)"
LINUX_BANNER = f"Linux version {KERNEL_RELEASE} (builder@pyesx) (gcc 12.2.0) {KERNEL_VERSION}"
SLICE_S = 0.02  # a step returns after this much work when processes are still runnable
SIGINT_STATUS = 130
SIGKILL_STATUS = 137
SIGTERM_STATUS = 143
SEGV_STATUS = 139
LOG_LINES = 500


@dataclass(eq=False)
class Process:
    pid: int
    name: str
    cmd: str
    owner: str
    start_time: float  # uptime (s) when it started
    start_wall: float  # epoch seconds
    gen: Gen[int]
    parent: Process | None = None
    wait: Wait | None = None
    exited: bool = False
    status: int = 0
    signaled: bool = False  # ended by a signal (kill/Ctrl-C) rather than by returning
    cpu_s: float = 0.0
    tty: str = "?"
    on_exit: list[Callable[[Process], None]] = field(default_factory=list)

    def ready(self) -> bool:
        return self.exited


class Kernel:
    """Processes, time, the root file system and the machine actions (power off, reboot, standby)."""

    def __init__(self, machine: Machine, vfs: Vfs | None = None, hostname: str = "localhost") -> None:
        self.machine = machine
        self.vfs = vfs
        self.hostname = hostname
        self.root_device = "rootfs"  # what df shows for /
        self.tty: Tty | None = None
        self.foreground: Process | None = None  # the console's foreground job (Ctrl-C interrupts it)
        self.now = 0.0
        self.procs: dict[int, Process] = {}
        self.boot_wall = time.time()
        self.halted = False
        self.pending_action: str | None = None  # "poweroff" | "reboot" | "standby"
        self.on_action: Callable[[str], None] | None = None
        self.tools_requests: list[dict[str, Any]] = []
        self.tools_running = False
        self.stress_cpus = 0  # vCPUs the running stress hogs keep busy
        self.stress_bytes = 0  # memory they keep touched
        self._loads: dict[int, tuple[int, int]] = {}
        self.media_changes = 0
        self.log: deque[str] = deque(maxlen=LOG_LINES)  # the kernel's ring buffer (dmesg)
        self._next_pid = 1
        self._current: Process | None = None
        self._ping: dict[int, list[PingReply]] = {}
        self._load = [0.0, 0.0, 0.0]
        self._load_at = 0.0

    # processes -------------------------------------------------------------------------------------

    def spawn(
        self, name: str, cmd: str, body: Gen[int], owner: str = "root", tty: str | None = None
    ) -> Process:
        """Start a process, a child of the running one (it runs at the next scheduling pass)."""
        parent = self._current
        proc = Process(self._next_pid, name, cmd, owner, self.uptime(), time.time(), body, parent)
        proc.tty = tty if tty is not None else (parent.tty if parent is not None else "?")
        self._next_pid += 1
        self.procs[proc.pid] = proc
        return proc

    @property
    def current(self) -> Process | None:
        """The process running now (None between processes)."""
        return self._current

    def kill(self, pid: int, status: int = SIGTERM_STATUS) -> bool:
        """End a process and its descendants (their ``finally`` blocks run); False if there is no such pid."""
        proc = self.procs.get(pid)
        if proc is None:
            return False
        for child in [p for p in self.procs.values() if p.parent is proc]:
            self.kill(child.pid, status)
        if proc is self._current:
            # it is running this very call: it ends when it next yields
            proc.signaled, proc.status = True, status
            return True
        with contextlib.suppress(Exception):  # a dying process's cleanup must not take the kernel down
            proc.gen.close()
        self._exit(proc, status, signaled=True)
        return True

    def _exit(self, proc: Process, status: int, signaled: bool = False) -> None:
        if proc.exited:
            return
        proc.exited, proc.status, proc.signaled = True, status, signaled
        proc.wait = None
        self.procs.pop(proc.pid, None)
        for callback in proc.on_exit:
            callback(proc)

    def wait_child(self, child: Process, deadline: float | None = None) -> Gen[bool]:
        """Wait for ``child`` to exit (True) or the deadline to pass (False)."""
        while not child.exited:
            if deadline is not None and self.now >= deadline:
                return False
            yield Wait(child.ready, deadline)
        return True

    def sleep(self, seconds: float) -> Gen[None]:
        """Block for ``seconds`` of guest time."""
        until = self.now + seconds
        while self.now < until:
            yield Wait(None, until)

    # scheduling ------------------------------------------------------------------------------------

    def step(self, now: float) -> float | None:
        """Run the runnable processes; seconds until the next timer (0: more work now; None: idle)."""
        self.now = now
        if self.halted:
            return None
        started = time.monotonic()
        busy = self.tty.process_input() if self.tty is not None else False
        progress = True
        while progress and not self.halted:
            progress = False
            self._collect_pings()
            for proc in list(self.procs.values()):
                if proc.exited or not self._runnable(proc):
                    continue
                progress = True
                self._run(proc)
                if self.pending_action:
                    self._do_action()
                    break
                if time.monotonic() - started > SLICE_S:
                    return 0.0
            if self.tty is not None and self.tty.pending_input():
                busy = True
        if self.halted:
            return None
        if busy or (self.tty is not None and self.tty.pending_input()):
            return 0.0
        deadlines = [p.wait.deadline for p in self.procs.values() if p.wait and p.wait.deadline is not None]
        return max(0.0, min(deadlines) - now) if deadlines else None

    def _runnable(self, proc: Process) -> bool:
        wait = proc.wait
        if wait is None:
            return True
        if wait.deadline is not None and self.now >= wait.deadline:
            return True
        return wait.ready is not None and wait.ready()

    def _run(self, proc: Process) -> None:
        self._current = proc
        began = time.monotonic()
        try:
            proc.wait = proc.gen.send(None)
        except StopIteration as stop:
            self._current = None
            self._exit(proc, int(stop.value or 0))
            return
        except Exception as exc:  # a bug in a program ends that process, not the kernel (nor the VMM world)
            self._current = None
            if self.tty is not None:
                self.tty.write(f"traps: {proc.name}[{proc.pid}] general protection fault: {exc!r}\n".encode())
            self._exit(proc, SEGV_STATUS, signaled=True)
            return
        finally:
            proc.cpu_s += time.monotonic() - began
            self._current = None
        if proc.signaled:  # killed itself (or an ancestor killed it) while running
            proc.gen.close()
            self._exit(proc, proc.status, signaled=True)

    # machine actions -------------------------------------------------------------------------------

    def request(self, action: str) -> None:
        """Power off, reboot or suspend once the running process yields."""
        self.pending_action = action
        if self._current is None:
            self._do_action()

    def _do_action(self) -> None:
        action, self.pending_action = self.pending_action, None
        if action == "standby":
            standby = getattr(self.machine, "standby", None)
            if standby is not None:
                standby()
            else:  # the vmx suspends the VM, as it powers it off on {"op": "power_off"}
                self.machine.tools_send({"op": "standby"})
            return
        for pid in sorted(self.procs, reverse=True):
            self.kill(pid, SIGTERM_STATUS)
        if self.vfs is not None:
            with contextlib.suppress(OSError):
                self.vfs.sync()
        self.halted = True
        if action == "poweroff":
            self.machine.power_off()
        if self.on_action is not None and action is not None:
            self.on_action(action)

    def proc_files(self) -> dict[str, bytes]:
        """/proc's files: uptime, loadavg, meminfo, cpuinfo, version."""
        memory = self.machine.memory_info()
        total_kb = memory.total_mb * 1024
        free_kb = max(0, total_kb - (memory.used_mb + memory.balloon_mb) * 1024)
        load = self.loadavg()
        cpus = "".join(
            f"processor\t: {n}\nvendor_id\t: GenuineIntel\nmodel name\t: Virtual CPU (PyESX)\n\n"
            for n in range(max(self.machine.num_cpus, 1))
        )
        return {
            "uptime": f"{self.uptime():.2f} {self.uptime() * max(self.machine.num_cpus, 1):.2f}\n".encode(),
            "loadavg": (
                f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f} 1/{len(self.procs)} {self._next_pid}\n"
            ).encode(),
            "meminfo": (
                f"MemTotal:       {total_kb:8d} kB\nMemFree:        {free_kb:8d} kB\n"
                f"MemAvailable:   {free_kb:8d} kB\nSwapTotal:             0 kB\nSwapFree:              0 kB\n"
            ).encode(),
            "cpuinfo": cpus.encode(),
            "version": f"{LINUX_BANNER}\n".encode(),
        }

    def klog(self, message: str, console: bool = False) -> None:
        """A kernel message: into the ring buffer (``dmesg``), and onto the console when asked."""
        line = f"[{self.uptime():12.6f}] {message}"
        self.log.append(line)
        if console and self.tty is not None:
            self.tty.write(line.encode() + b"\n")

    def halt(self) -> None:
        """Stop the CPU for good (until a reset): every process ends."""
        for pid in sorted(self.procs, reverse=True):
            self.kill(pid, SIGKILL_STATUS)
        self.halted = True

    # clock, load, network --------------------------------------------------------------------------

    def uptime(self) -> float:
        return self.machine.uptime()

    def loadavg(self) -> tuple[float, float, float]:
        """1, 5 and 15-minute load averages (runnable work: the stress hogs)."""
        up = self.uptime()
        elapsed = max(0.0, up - self._load_at)
        self._load_at = up
        running = float(self.stress_cpus)
        for index, period in enumerate((60.0, 300.0, 900.0)):
            decay = math.exp(-elapsed / period)
            self._load[index] = self._load[index] * decay + running * (1 - decay)
        return (self._load[0], self._load[1], self._load[2])

    def add_load(self, owner: int, cpus: int, nbytes: int) -> None:
        """A stress hog's demand (keyed by its pid): the machine's loads become the sum of all hogs."""
        self._loads[owner] = (cpus, nbytes)
        self._apply_loads()

    def remove_load(self, owner: int) -> None:
        if self._loads.pop(owner, None) is not None:
            self._apply_loads()

    def _apply_loads(self) -> None:
        cpus = min(sum(c for c, _ in self._loads.values()), max(self.machine.num_cpus, 1))
        nbytes = sum(b for _, b in self._loads.values())
        self.loadavg()
        if cpus != self.stress_cpus:
            self.machine.set_cpu_load(cpus, 100 if cpus else 0)
        if nbytes != self.stress_bytes:
            self.machine.set_memory_load(nbytes)
        self.stress_cpus, self.stress_bytes = cpus, nbytes

    def _collect_pings(self) -> None:
        try:
            replies = self.machine.ping_replies()
        except Exception:  # no NIC path: no replies
            return
        for reply in replies:
            if reply.ident in self._ping:
                self._ping[reply.ident].append(reply)

    def ping_open(self, ident: int) -> list[PingReply]:
        """Start receiving echo replies for ``ident`` (the list fills as they arrive)."""
        self._ping[ident] = []
        return self._ping[ident]

    def ping_close(self, ident: int) -> None:
        self._ping.pop(ident, None)

    def ping_collect(self) -> None:
        """Pick up replies that arrived since the step began."""
        self._collect_pings()

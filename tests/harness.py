"""Booting real hosts for tests: ``BootedHost`` runs ``pyesx boot`` on a free port in a temporary root.

Readiness is the host's own ready line on stdout, read with a deadline; nothing
here sleeps to wait. ``pyesx_processes`` lists this project's live processes
so a test run can prove it left none behind.
"""

from __future__ import annotations

import contextlib
import os
import re
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

from clients import Client, connect
from clients.tls import KnownHosts
from pyesx.rpc.credentials import TEST_CREDENTIALS_ENV

PYESX = str(Path(sys.executable).with_name("pyesx"))
READY = re.compile(
    r"^pyesx host ready grpc=(?P<address>\S+) root=(?P<root>\S+)(?: thumbprint=(?P<thumbprint>[0-9A-F:]+))?"
)
# exec'd processes show their argv; forked worlds name themselves (pyesx-vmx:, pyesx-vmm0:, …)
PROCESS_MARKERS = re.compile(r" -m (vmkernel|hostd|vmx\.factory)( |$)|^pyesx-(vmx|vmm\d+|vmx-factory):")
ROOT_PASSWORD = "test-root-pw"
T = TypeVar("T")


def pyesx_processes() -> dict[int, str]:
    """pid -> command line of every vmkernel, hostd, vmx and VMM process on the machine."""
    found = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            cmdline = Path(entry.path, "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if PROCESS_MARKERS.search(cmdline):
            found[int(entry.name)] = cmdline.strip()
    return found


def children_of(pid: int) -> list[int]:
    """Direct children of pid, from /proc."""
    kids = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                stat = Path(entry.path, "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                kids.append(int(entry.name))
    return kids


def wait_until(predicate: Callable[[], T | None], timeout: float = 15.0, what: str = "condition") -> T:
    """Poll predicate until it returns a truthy value, failing after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(Exception):
            value = predicate()
            if value:
                return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.02)


class BootedHost:
    """A host booted by ``pyesx boot`` in the foreground of a child process."""

    def __init__(
        self, root: Path, password: str | None = ROOT_PASSWORD, args: Sequence[str] = (), memory_mb: int = 0
    ) -> None:
        """Boot on ``root``; ``args`` are more ``pyesx boot`` options (``--stats-interval 1``);
        ``memory_mb`` sets the host's memory (``--memory-mb``)."""
        self.root = root
        self.password = password or ""
        self.output: list[str] = []
        self.thumbprint = ""
        env = {**os.environ}
        env.pop("PYESX_ROOT_PASSWORD", None)
        if password is not None:
            env["PYESX_ROOT_PASSWORD"] = password
        # the VMkernel writes its internal credentials here, for tests that call its API
        env[TEST_CREDENTIALS_ENV] = str(self.credentials_dir)
        memory = ["--memory-mb", str(memory_mb)] if memory_mb else []
        self.process = subprocess.Popen(
            [PYESX, "boot", "--root", str(root), "--listen", "127.0.0.1:0", *args, *memory],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=env,
            text=True,
        )
        self.address = self._wait_ready(timeout=60.0)

    def _wait_ready(self, timeout: float) -> str:
        assert self.process.stdout is not None
        selector = selectors.DefaultSelector()
        selector.register(self.process.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not selector.select(deadline - time.monotonic()):
                break
            line = self.process.stdout.readline()
            if not line:
                break
            self.output.append(line)
            match = READY.match(line)
            if match:
                self.thumbprint = match["thumbprint"] or ""
                # trust the host we booted, as an admin who read its thumbprint on the console: every
                # client of this test run (in process or a subprocess) finds the pin in known_hosts
                KnownHosts().set(match["address"], self.thumbprint)
                return match["address"]
        self.stop()
        raise AssertionError(f"host did not become ready: {''.join(self.output)}")

    def wait_rebooted(self, timeout: float = 90.0) -> str:
        """After a reboot (Restart-VMHost), wait for the next ready line: the same process (it
        execs itself again) on the same root; ``address`` becomes the new one (port 0 picks anew)."""
        self.address = self._wait_ready(timeout)
        return self.address

    def wait_exited(self, timeout: float = 60.0) -> int:
        """After a shutdown (Stop-VMHost), wait for the VMkernel to exit; its exit code."""
        code = self.process.wait(timeout)
        self.stop()  # collects what it printed last
        return code

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def credentials_dir(self) -> Path:
        """Where the VMkernel writes hostd's and each vmx's credential (``PYESX_TEST_CREDENTIALS_DIR``)."""
        return self.root.parent / f"{self.root.name}.credentials"

    def vmkernel_credential(self, who: str = "hostd") -> str:
        """hostd's credential for the VMkernel's API, or the vmx credential of the VM ``who``."""
        return (self.credentials_dir / who).read_text()

    @property
    def ca_file(self) -> Path:
        """The host CA's certificate (trust it instead of pinning: ``PYESX_CA_FILE`` or ``ca_file=``)."""
        return self.root / "etc" / "ssl" / "ca.crt"

    def client(self) -> Client:
        return connect(self.address, "root", self.password, thumbprint=self.thumbprint)

    def hostd_pid(self) -> int:
        kids = [
            pid
            for pid in children_of(self.pid)
            if " -m hostd " in Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ")
        ]
        assert len(kids) == 1, kids
        return kids[0]

    def stop(self, timeout: float = 30.0) -> int:
        """SIGTERM the VMkernel and wait for it; kill what is left if it does not finish."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout and not self.process.stdout.closed:
            self.output.extend(self.process.stdout.readlines())
            self.process.stdout.close()
        return self.process.returncode


def register_busy_vm(host: BootedHost, client: Client, name: str, num_cpu: int, sched: dict[str, str]) -> str:
    """Register a VM whose guest keeps every vCPU busy (``sim.cpu.demand = "100"``), with ESXi's
    ``sched.cpu.*`` / ``sched.mem.*`` keys in its .vmx; return its id."""
    folder = host.root / "vmfs/volumes/datastore1" / name
    folder.mkdir()
    lines = [
        '.encoding = "UTF-8"',
        f'displayName = "{name}"',
        f'numvcpus = "{num_cpu}"',
        'memSize = "64"',
        'sim.cpu.demand = "100"',
        *(f'{key} = "{value}"' for key, value in sched.items()),
    ]
    (folder / f"{name}.vmx").write_text("\n".join(lines) + "\n")
    return client.wait_for_task(client.register_vm(f"[datastore1] {name}/{name}.vmx").id).result_entity_id


def vm_cores(client: Client, vm_ids: list[str], window_s: float) -> list[float]:
    """Cores each VM's VMM worlds used over a measurement window, from /proc/PID/schedstat."""
    pids = [client.get_vm(vm_id).vmm_pids for vm_id in vm_ids]

    def run_ns() -> list[int]:
        total = []
        for world_pids in pids:
            stats = [Path(f"/proc/{pid}/schedstat").read_text().split() for pid in world_pids]
            total.append(sum(int(stat[0]) for stat in stats))
        return total

    before, start = run_ns(), time.monotonic()
    time.sleep(window_s)  # the measurement window (CPU time over wall time), not a wait for readiness
    after, elapsed = run_ns(), time.monotonic() - start
    return [(a - b) / 1e9 / elapsed for a, b in zip(after, before, strict=True)]

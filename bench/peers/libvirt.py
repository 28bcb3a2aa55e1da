"""libvirtd with its test driver as a management daemon beside hostd: define/start/destroy/undefine rates.

libvirtd runs as a daemon of the benchmark's own, with a private config and
socket directory and ``LIBVIRT_DRIVER_DIR`` pointing at an empty folder, so it
loads no hypervisor module and serves only its built-in test driver
(``test+unix:///default?socket=…``): every operation crosses a unix socket to
the daemon and back (RPC, auth, the driver's locking and bookkeeping), and no
process is started for a domain. The client is one long-lived, connected
``virsh`` reading commands on its stdin (it runs each to completion before
reading the next): a batch is timed from its first command sent until virsh
echoed a marker command sent after its last, so no process start is counted, and the
domains are listed after each batch to check every command took effect.
Ours: the SDK's flat client, one operation at a time, waiting for each task
(CreateVM, PowerOnVM, PowerOffVM, DestroyVM); ours starts and stops real vmx
and VMM processes where the test driver flips a state.
"""

from __future__ import annotations

import functools
import os
import re
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench import peers
from bench.common import Figure, booted_host, stop_process
from clients import Client, Task

DOMAIN_NAME = re.compile(r"bench\d{4}")
OPS = ("define", "start", "destroy", "undefine")
OURS = {"define": "CreateVM", "start": "PowerOnVM", "destroy": "PowerOffVM", "undefine": "DestroyVM"}
DOMAIN = (
    "<domain type='test'><name>{name}</name><memory unit='MiB'>16</memory><vcpu>1</vcpu>"
    "<os><type>hvm</type></os></domain>"
)


@dataclass
class LibvirtResult:
    title = "Peer: libvirtd (test driver) as the management daemon"
    timed = True
    vms: int
    domains: int
    missing: str = ""
    ours: dict[str, float] = field(default_factory=dict)  # op → operations per second
    theirs: dict[str, float] = field(default_factory=dict)

    def figures(self) -> list[Figure]:
        return [
            Figure(
                f"{OURS[op]} rate vs libvirt {op}",
                self.ours[op],
                "ops/s",
                self.theirs.get(op, float("nan")),
                self.missing or f"libvirtd test driver, virsh {op}",
            )
            for op in OPS
        ]

    def details(self) -> list[str]:
        lines = [
            f"Sequential operations, each waited for: ours on {self.vms} VMs (1 vCPU, 16 MB, no NIC) "
            f"through the SDK; libvirt's on {self.domains} test-driver domains through one `virsh` "
            "session over the daemon's unix socket. libvirtd loads no hypervisor module (an empty "
            "`LIBVIRT_DRIVER_DIR`): its start and destroy change an in-memory state, ours start and stop "
            "a vmx and its VMM world, so the comparison shows the management path's cost beside a "
            "C daemon doing the least it can.",
            "",
        ]
        if self.missing:
            lines += [f"libvirt: {self.missing}.", ""]
        lines += ["| Operation | ours ops/s | libvirt ops/s |", "|---|---:|---:|"]
        for op in OPS:
            lines.append(f"| {OURS[op]} / {op} | {self.ours[op]:,.1f} | {self.theirs.get(op, 0.0):,.0f} |")
        return lines


def _start_libvirtd(folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    (folder / "drivers").mkdir()
    config = folder / "libvirtd.conf"
    config.write_text(
        f'unix_sock_dir = "{folder}"\nauth_unix_rw = "none"\nauth_unix_ro = "none"\n'
        'unix_sock_rw_perms = "0700"\n'
    )
    env = {**os.environ, "LIBVIRT_DRIVER_DIR": str(folder / "drivers")}
    process = subprocess.Popen(
        ["libvirtd", "--config", str(config), "--pid-file", str(folder / "libvirtd.pid")],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=(folder / "libvirtd.log").open("wb"),
    )
    uri = f"test+unix:///default?socket={folder}/libvirt-sock"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"libvirtd exited: {(folder / 'libvirtd.log').read_text()[-400:]}")
        if subprocess.run(["virsh", "-q", "-c", uri, "uri"], capture_output=True).returncode == 0:
            return process, uri
        time.sleep(0.05)
    stop_process(process)
    raise RuntimeError("libvirtd did not answer within 30 s")


class Virsh:
    """One long-lived virsh session over the daemon's socket, fed commands on its stdin.

    It also keeps the test driver's state alive: the default test connection's
    domains live while a connection to it does.
    """

    def __init__(self, uri: str, errors: Path) -> None:
        self.marks = 0
        self.process = subprocess.Popen(
            ["virsh", "-q", "-c", uri],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=errors.open("w"),
            text=True,
        )
        self.run(["uri"])

    def run(self, commands: list[str]) -> tuple[float, list[str]]:
        """Seconds from sending commands until virsh had run them all, and what it printed.

        virsh echoes each command line as it reads it (prompt and command) and runs one at a time, so
        the echo of a marker command sent after the last one means they are all done. A thread
        writes, so neither pipe can fill up."""
        assert self.process.stdin is not None and self.process.stdout is not None
        self.marks += 1
        mark = f"bench-mark-{self.marks}"
        script = "".join(f"{command}\n" for command in [*commands, f"echo {mark}"])
        stdin = self.process.stdin
        start = time.perf_counter()
        writer = threading.Thread(target=lambda: (stdin.write(script), stdin.flush()), daemon=True)
        writer.start()
        lines: list[str] = []
        while mark not in (line := self.process.stdout.readline()):
            if not line:
                raise RuntimeError("virsh exited")
            lines.append(line)
        took = time.perf_counter() - start
        writer.join()
        return took, lines

    def names(self, *flags: str) -> set[str]:
        """The benchmark's domains that ``virsh list --name`` shows (with flags)."""
        _, lines = self.run([" ".join(["list", "--name", *flags])])
        return {word for line in lines for word in line.split() if DOMAIN_NAME.fullmatch(word)}

    def close(self) -> None:
        stop_process(self.process)


def _measure_libvirt(result: LibvirtResult) -> None:
    with tempfile.TemporaryDirectory(prefix="pyesx-bench-libvirt-") as tmp:
        folder = Path(tmp)
        names = [f"bench{i:04d}" for i in range(result.domains)]
        for name in names:
            (folder / f"{name}.xml").write_text(DOMAIN.format(name=name))
        daemon, uri = _start_libvirtd(folder)
        virsh = Virsh(uri, folder / "virsh.err")
        try:
            expect = {"define": set(names), "start": set(names), "destroy": set(), "undefine": set()}
            for op in OPS:
                args = [str(folder / f"{n}.xml") if op == "define" else n for n in names]
                took, _ = virsh.run([f"{op} {arg}" for arg in args])
                listed = virsh.names("--all") if op in ("define", "undefine") else virsh.names()
                if listed != expect[op]:
                    errors = (folder / "virsh.err").read_text().strip()[-300:]
                    raise RuntimeError(f"after virsh {op}: {len(listed)} domains listed; {errors}")
                result.theirs[op] = result.domains / took
        finally:
            virsh.close()
            stop_process(daemon)


def _rate(calls: list[Callable[[], object]]) -> float:
    start = time.perf_counter()
    for call in calls:
        call()
    return len(calls) / (time.perf_counter() - start)


def _measure_ours(client: Client, result: LibvirtResult) -> None:
    ids: list[str] = []

    def create(i: int) -> None:
        task = client.create_vm(f"bench-lv-{i:03d}", 1, 16, no_network=True)
        ids.append(client.wait_for_task(task.id).result_entity_id)

    def finish(submit: Callable[[str], Task], vm_id: str) -> None:
        client.wait_for_task(submit(vm_id).id)

    result.ours["define"] = _rate([functools.partial(create, i) for i in range(result.vms)])
    calls = {"start": client.power_on, "destroy": client.power_off, "undefine": client.destroy_vm}
    for op, submit in calls.items():
        result.ours[op] = _rate([functools.partial(finish, submit, vm_id) for vm_id in ids])


def run(vms: int = 16, domains: int = 200) -> LibvirtResult:
    """Rates of each operation: ours on vms VMs, libvirt's on domains test domains."""
    result = LibvirtResult(vms=vms, domains=domains, missing=peers.install())
    if not result.missing:
        _measure_libvirt(result)
    with booted_host() as host, host.client() as client:
        _measure_ours(client, result)
    return result

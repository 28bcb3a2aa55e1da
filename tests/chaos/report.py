"""A scenario's outcome: its figures, what was lost (must be nothing), and RELIABILITY.md."""

from __future__ import annotations

import datetime as dt
import os
import platform
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class ScenarioResult:
    """Figures of one scenario run; ``lost`` lists every broken promise (data, state, processes)."""

    name: str
    size: str
    seed: int = 0
    figures: dict[str, int | float | str] = field(default_factory=dict)
    lost: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def count(self, key: str, by: int = 1) -> None:
        value = self.figures.get(key, 0)
        assert isinstance(value, int)
        self.figures[key] = value + by

    def lose(self, what: str) -> None:
        self.lost.append(what)

    def text(self) -> str:
        """What the scenario prints when it ends."""
        lines = [f"== {self.name} ({self.size}, seed {self.seed}, {self.seconds:.1f} s)"]
        lines += [f"   {key}: {_fmt(value)}" for key, value in self.figures.items()]
        lines += [f"   LOST: {item}" for item in self.lost] or ["   lost: nothing"]
        lines += [f"   note: {note}" for note in self.notes]
        return "\n".join(lines)

    def markdown(self) -> str:
        rows = [f"| {key} | {_fmt(value)} |" for key, value in self.figures.items()]
        lost = "\n".join(f"- **LOST**: {item}" for item in self.lost) or "Nothing lost."
        notes = "\n".join(f"- {note}" for note in self.notes)
        return (
            f"## {self.name}\n\nSize {self.size}, seed {self.seed}, {self.seconds:.1f} s.\n\n"
            f"| figure | value |\n| --- | --- |\n" + "\n".join(rows) + f"\n\n{lost}\n\n{notes}\n"
        )


def _fmt(value: int | float | str) -> str:
    return f"{value:.3f}" if isinstance(value, float) else str(value)


METHOD = """\
## What is checked

- **Kill storm** (`tests/chaos/storm.py`): VMs with a 2 MiB disk each run the simulated guest's
  sequential writer (queue depth 1); workers run seeded random operations (create, power on/off,
  suspend, reset, snapshot create / remove-all, reconfigure, guest I/O rate, destroy) while a
  seeded schedule kills -9 hostd, a random vmx or the VMkernel (then boots the host again on the
  same root). Afterwards, on the live host: no task queued or running; every registered .vmx
  exists and every .vmx on the datastore parses; no VM folder the inventory does not know, unless
  a create or destroy of that VM was in flight when a kill struck (the user's operation never
  finished: an orphan folder is then the user's to delete, as on ESXi); every VM's power state is
  the one its newest power event says (VmPoweredOn/Resetting -> on, VmPoweredOff/Died -> off,
  VmSuspended -> suspended); the vmx processes are exactly the powered-on VMs', run/vmx state
  files exactly theirs, and no process of the host's root lives outside the VMkernel's tree. With
  the host stopped: each VM's disk is read back through its snapshot chain and every block the
  guest saw acknowledged (its `disk.last_acked_seq`, sampled through the storm; a lower bound) is
  there, whole, at its own offset; no block anywhere is torn or misplaced.
- **Host crash and reboot** (`crash.py`): a vSwitch, port group, resource pool, capped datastore,
  VM advanced settings and a snapshot, a local user with a custom role and permissions, host
  advanced settings, host name and DNS, NTP servers, an autostart policy, VMs running, suspended
  and off; kill -9 of the VMkernel and a boot on the same root. Everything configured is as
  before, root and the user log in with their passwords and the user's permissions still decide
  (a power-on where they hold the role works, one where they are ReadOnly is NoPermission), the
  account file is unchanged, run/ holds no state file of the old boot, no old process lives; VMs
  that ran are powered off with a VmDiedEvent saying the host went down (ESXi after a host
  failure) except the autostart VM, which the new boot powers on; the suspended VM is still
  suspended and resumes; acknowledged guest writes are on disk.
- **Storage faults** (`storage.py`): a capped datastore filled by a guest (the VM is stunned with
  ESXi's "no more space" question, Retry resumes it once there is room, Cancel powers it off; a
  thick disk, an upload and a snapshot that do not fit fail with InsufficientResourcesFault); a
  read-only datastore (a read-only bind mount when root can make one) where create, power-on,
  reconfigure and mkdir fail with clear faults and no file changes; a running VM's folder deleted
  behind hostd's back (the API refuses to delete it; power-off works; power-on then fails with
  FileNotFound; unregister works); an IOPS-capped datastore (the guest is paced, hostd answers).
  A clear fault is a typed vSphere fault, never SystemError (an internal error).
- **Load** (`load.py`): concurrent clients, each with its own connection and session, mixing
  GetVM, ListVMs, power operations (wait for the task) and console attaches, for a fixed time;
  latency percentiles per kind; InvalidPowerState and TaskInProgress are expected (racing power
  operations) and counted apart; any other error is lost. hostd's event history is pre-filled
  (as a restarted hostd loads it from `log/events.jsonl`) and the load first runs until its
  change feed and task history are full too (watched through the API, with a cap); hostd's RSS
  and PSS (from /proc) are then sampled over a steady part of fixed length: a least-squares
  slope (MiB/min) and the last third against the first. Memory that keeps growing with every
  history full is a leak, and lost.
"""


def write_report(path: Path, results: list[ScenarioResult], preface: str = "") -> None:
    """RELIABILITY.md: the machine, the date, then each scenario's figures."""
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    machine = f"{platform.machine()}, {_cpus()} CPUs, Python {platform.python_version()}, {platform.system()}"
    head = (
        "# pyesx reliability campaign\n\n"
        f"Run {now} on {machine} (load average over the last 15 minutes: {os.getloadavg()[2]:.1f}; "
        "the CPUs may be shared with other work). Repeat with `make chaos` (full size) or "
        "`.venv/bin/python -m pytest tests/integration/test_reliability.py` (scaled down).\n\n"
    )
    verdict = (
        "Nothing was lost." if all(not r.lost for r in results) else "**Something was lost: see below.**"
    )
    body = "\n".join(r.markdown() for r in results)
    findings = (Path(__file__).with_name("FINDINGS.md")).read_text()
    text = (
        head
        + (preface + "\n\n" if preface else "")
        + verdict
        + "\n\n"
        + body
        + "\n"
        + METHOD
        + "\n"
        + findings
    )
    path.write_text(text)


def _cpus() -> int:
    return len(os.sched_getaffinity(0))

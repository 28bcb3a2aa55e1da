"""Checkpoint files: a suspended VM's ``<vm>.vmss`` and a snapshot's ``<vm>-SnapshotN.vmsn``.

One JSON document, written atomically: the VM's .vmx text at that moment (a
revert restores the configuration with it) and, when the VM's running state was
saved (suspend, memory snapshot), one vCPU state per vCPU — the guest's clock and
boot count — from which a new vmx continues the guest where it was.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pyesx import faults
from pyesx.atomic import atomic_write

FORMAT, VERSION = "pyesx-checkpoint", 1


@dataclass(frozen=True)
class VcpuState:
    """What a vCPU carries across suspend/resume and snapshots: the guest's own clock."""

    vcpu: int
    uptime_at_resume: float = 0.0  # guest seconds since boot when this run began
    boot_count: int = 0  # resets and reboots since the VM was powered on


@dataclass(frozen=True)
class Checkpoint:
    vmx_text: str
    vcpus: list[VcpuState] | None  # None: the configuration only (a snapshot without memory)
    saved_at: float


def write_checkpoint(path: Path, vm_id: str, vmx_text: str, vcpus: list[dict[str, Any]] | None) -> int:
    """Write a checkpoint; return its size in bytes."""
    document = {
        "format": FORMAT,
        "version": VERSION,
        "vm_id": vm_id,
        "saved_at": time.time(),
        "vmx": vmx_text,
        "vcpus": vcpus,
    }
    data = json.dumps(document)
    atomic_write(path, data)
    return len(data)


def read_checkpoint(path: Path) -> Checkpoint:
    """The checkpoint at path; InvalidArgument when it is not one."""
    try:
        raw = json.loads(path.read_text())
        if raw.get("format") != FORMAT or raw.get("version") != VERSION:
            raise ValueError("not a pyesx checkpoint")
        vcpus = None
        if raw["vcpus"] is not None:
            vcpus = [
                VcpuState(int(v["vcpu"]), float(v["uptime_at_resume"]), int(v["boot_count"]))
                for v in raw["vcpus"]
            ]
        return Checkpoint(str(raw["vmx"]), vcpus, float(raw["saved_at"]))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise faults.InvalidArgument("checkpoint", f"{path.name}: {exc}") from None


def vcpu_states(checkpoint: Checkpoint, num_cpu: int) -> list[VcpuState]:
    """One state per vCPU (vCPUs the checkpoint lacks start from vCPU 0's clock)."""
    saved = {state.vcpu: state for state in checkpoint.vcpus or []}
    first = saved.get(0, VcpuState(0))
    return [
        saved.get(vcpu, VcpuState(vcpu, first.uptime_at_resume, first.boot_count)) for vcpu in range(num_cpu)
    ]

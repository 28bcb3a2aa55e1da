"""The machine a run measured: CPU, cores, memory, kernel, Python and the libraries that matter."""

from __future__ import annotations

import datetime as dt
import os
import platform
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

LIBRARIES = ("grpcio", "protobuf", "uvloop", "structlog")


@dataclass(frozen=True)
class Machine:
    cpu_model: str
    logical_cpus: int
    usable_cpus: int
    memory_bytes: int
    kernel: str
    python: str
    libraries: dict[str, str]
    date: dt.datetime


def _proc_field(path: str, key: str) -> str:
    try:
        for line in Path(path).read_text().splitlines():
            name, _, value = line.partition(":")
            if name.strip() == key:
                return value.strip()
    except OSError:
        pass
    return ""


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def describe() -> Machine:
    """This machine, now."""
    memory_kb = _proc_field("/proc/meminfo", "MemTotal").split()
    return Machine(
        cpu_model=_proc_field("/proc/cpuinfo", "model name") or platform.processor() or platform.machine(),
        logical_cpus=os.cpu_count() or 0,
        usable_cpus=len(os.sched_getaffinity(0)),
        memory_bytes=int(memory_kb[0]) * 1024 if memory_kb else 0,
        kernel=f"{platform.system()} {platform.release()} ({platform.machine()})",
        python=f"{platform.python_implementation()} {platform.python_version()}",
        libraries={name: _version(name) for name in LIBRARIES},
        date=dt.datetime.now(dt.UTC),
    )

"""Peers measured beside pyesx on the same machine: QEMU as the per-VM process, libvirtd as the daemon.

``install()`` runs ``bench/peers/install.sh`` once per run (idempotent: it
installs Debian's packages only when a binary is missing). A peer that cannot be
installed is reported as "n/a: not installed", never as a failed run.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
from pathlib import Path

SCRIPT = Path(__file__).with_name("install.sh")
BINARIES = ("qemu-system-x86_64", "libvirtd", "virsh")


@functools.cache
def install() -> str:
    """'' once every peer's binary is here; otherwise why not (the script's last words)."""
    if all(shutil.which(name) for name in BINARIES):
        return ""
    try:
        done = subprocess.run(["sh", str(SCRIPT)], capture_output=True, text=True, timeout=900)
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"n/a: not installed ({error})"
    missing = [name for name in BINARIES if not shutil.which(name)]
    if done.returncode or missing:
        why = (done.stderr.strip().splitlines() or [f"{', '.join(missing)} missing"])[-1]
        return f"n/a: not installed ({why[:160]})"
    return ""

"""Reset System Configuration (the DCUI's): hostd asks for it, the next VMkernel boot does it.

hostd writes ``etc/reset-requested.json`` (who asked, and root's account entry), then reboots the
host. At boot, before anything reads the configuration, the VMkernel moves the whole ``etc/``
aside to ``etc-before-reset-<time>/`` (one rename: the old configuration is kept, never half
deleted), installs the defaults as a first boot does, and gives root back its account. What is
reset: host name, DNS, NTP and services, accounts other than root, roles, permissions, lockdown,
advanced settings, vSwitches and port groups, resource pools, added datastores (their files stay),
autostart, and the inventory (VMs are unregistered; their files stay on the datastores). Kept:
root's password and the host's TLS certificate (``etc/ssl``).
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

from pyesx.atomic import atomic_write
from pyesx.layout import HostLayout

MARKER = "reset-requested.json"
KEPT = ("ssl",)  # what a reset keeps under etc/


def marker_path(layout: HostLayout) -> Path:
    return layout.etc / MARKER


def request(layout: HostLayout, requested_by: str) -> None:
    """Ask the next boot to reset the configuration (hostd calls this, then reboots the host)."""
    shadow = json.loads(layout.shadow.read_text())
    marker = {"requested_by": requested_by, "time": time.time(), "root": shadow["users"]["root"]}
    atomic_write(marker_path(layout), json.dumps(marker, indent=2) + "\n", mode=0o600)


def pending(layout: HostLayout) -> dict[str, Any] | None:
    """The reset request waiting for this boot, if there is one."""
    try:
        marker: dict[str, Any] = json.loads(marker_path(layout).read_text())
    except (OSError, ValueError):
        return None
    return marker


def set_aside(layout: HostLayout) -> Path:
    """Move ``etc/`` aside (kept as ``etc-before-reset-<UTC time>``) and start an empty one with
    what a reset keeps; the caller installs the defaults next."""
    aside = layout.root / f"etc-before-reset-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}"
    layout.etc.rename(aside)
    aside.chmod(0o700)  # it holds the old accounts' hashes
    layout.etc.mkdir(mode=0o755)
    for name in KEPT:
        if (aside / name).exists():
            shutil.copytree(aside / name, layout.etc / name, symlinks=True)
    return aside


def restore_root(layout: HostLayout, marker: dict[str, Any]) -> None:
    """Root's account as it was before the reset (the install wrote a new one)."""
    shadow = json.loads(layout.shadow.read_text())
    shadow["users"] = {"root": marker["root"]}
    atomic_write(layout.shadow, json.dumps(shadow, indent=2) + "\n", mode=0o600)

"""PowerCLI's configuration, as far as this shell has one: ``InvalidCertificateAction``.

``Set-PowerCLIConfiguration -InvalidCertificateAction Fail|Warn|Ignore|Prompt|Unset`` sets it
for the session, or with ``-Scope User`` also in ``$XDG_CONFIG_HOME/pyesx/powercli.json``
(``~/.config``; 0600, atomic), which every new shell reads. ``Unset`` (the default) pins a host's
thumbprint on first use and refuses a changed one (see ``clients.tls``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from pyesx.atomic import atomic_write

ACTIONS = ("Unset", "Fail", "Warn", "Ignore", "Prompt")
SCOPES = ("Session", "User")


def config_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "pyesx" / "powercli.json"


def canonical_action(text: str) -> str | None:
    """``ignore`` → ``Ignore``; None when it is not an action."""
    return next((a for a in ACTIONS if a.lower() == text.strip().lower()), None)


def load_user_action(path: Path | None = None) -> str:
    """The User scope's InvalidCertificateAction ("Unset" when none or unreadable)."""
    try:
        data = json.loads((path or config_path()).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "Unset"
    value = data.get("InvalidCertificateAction") if isinstance(data, dict) else None
    return canonical_action(value) or "Unset" if isinstance(value, str) else "Unset"


def save_user_action(action: str, path: Path | None = None) -> None:
    path = path or config_path()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    atomic_write(path, json.dumps({"InvalidCertificateAction": action}, indent=1) + "\n", mode=0o600)

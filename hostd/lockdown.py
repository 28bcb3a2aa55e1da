"""Lockdown mode (``etc/lockdown.json``): disabled, normal or strict, and the exception users.

In normal and strict mode only exception users may log in through the public API (ESXi
also lets vCenter in, which we do not have). Normal mode keeps the host's own console (the
DCUI, which logs in from loopback saying so) open to the ``DCUI.Access`` users too; strict mode
closes it to all but the exception users (``allows_local_console``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from hostd.accounts import check_user_name
from pyesx import faults
from pyesx.atomic import atomic_write
from pyesx.logs import get_logger

_log = get_logger("lockdown")
MODES = ("disabled", "normal", "strict")
MAX_EXCEPTION_USERS = 64


@dataclass(frozen=True)
class LockdownState:
    mode: str = "disabled"
    exception_users: tuple[str, ...] = ()


class Lockdown:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.state = LockdownState()
        if path.exists():
            raw = json.loads(path.read_text())
            self.state = LockdownState(raw.get("mode", "disabled"), tuple(raw.get("exception_users", ())))

    def allows_login(self, user: str, console_users: tuple[str, ...] | None = None) -> bool:
        """Whether a session may open for the user: through the API, or at the host's own console
        (``console_users``: its DCUI.Access users, which normal mode admits there)."""
        if self.state.mode == "disabled" or user in self.state.exception_users:
            return True
        return console_users is not None and self.state.mode == "normal" and user in console_users

    def allows_local_console(self) -> bool:
        return self.state.mode != "strict"

    def set(self, mode: str | None, exception_users: list[str] | None) -> LockdownState:
        """Change the mode and/or replace the exception users (validated first: all or nothing)."""
        if mode is not None and mode not in MODES:
            raise faults.InvalidArgument("mode", f"'{mode[:20]}' is not one of {', '.join(MODES)}")
        users = self.state.exception_users
        if exception_users is not None:
            if len(exception_users) > MAX_EXCEPTION_USERS:
                raise faults.InvalidArgument("exception_users", f"at most {MAX_EXCEPTION_USERS} users")
            users = tuple(dict.fromkeys(check_user_name(u) for u in exception_users))
        state = LockdownState(mode if mode is not None else self.state.mode, users)
        atomic_write(
            self.path,
            json.dumps({"mode": state.mode, "exception_users": list(state.exception_users)}, indent=2) + "\n",
            mode=0o600,
        )
        self.state = state
        _log.info("lockdown.set", mode=state.mode, exception_users=list(state.exception_users))
        return state

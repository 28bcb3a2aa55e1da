"""Sessions: Login hands out a token; every other public call must carry a live one."""

from __future__ import annotations

import asyncio
import contextvars
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from hostd.accounts import Accounts
from pyesx import faults

# Attach: the console ticket in its first message authenticates it (a ticket is bound to a live session);
# GetAbout: what the host is (name, version), which clients show before logging in
PUBLIC_METHODS = frozenset(
    {
        "/pyesx.api.v1.SessionService/Login",
        "/pyesx.api.v1.ConsoleService/Attach",
        "/pyesx.api.v1.HostService/GetAbout",  # vSphere's ServiceContent.about: what the host is
    }
)


@dataclass(frozen=True)
class UserSession:
    key: str
    user: str
    login_time: float = field(default_factory=time.time)


current_session: contextvars.ContextVar[UserSession | None] = contextvars.ContextVar("session", default=None)


def current_user() -> str:
    session = current_session.get()
    return session.user if session else ""


class SessionManager:
    def __init__(self, accounts: Accounts) -> None:
        self.accounts = accounts
        self._sessions: dict[str, UserSession] = {}

    async def login(self, user: str, password: str) -> UserSession:
        # scrypt takes tens of milliseconds: keep the event loop free meanwhile
        account = await asyncio.to_thread(self.accounts.verify, user, password)
        if account is None:
            raise faults.NotAuthenticated(
                "invalid_login", "Cannot complete login due to an incorrect user name or password."
            )
        session = UserSession(secrets.token_urlsafe(32), account.user)
        self._sessions[session.key] = session
        return session

    def is_live(self, key: str) -> bool:
        """Whether a session with this key is logged in."""
        return key in self._sessions

    def logout(self, key: str) -> UserSession | None:
        return self._sessions.pop(key, None)

    def authenticate(self, method: str, metadata: Mapping[str, str | bytes]) -> None:
        """The interceptor's hook: bind the caller's session or raise NotAuthenticated."""
        if method in PUBLIC_METHODS:
            return
        key = metadata.get("x-pyesx-session")
        session = self._sessions.get(key) if isinstance(key, str) else None
        if session is None:
            raise faults.NotAuthenticated("no_session", "The session is not authenticated: log in first.")
        current_session.set(session)

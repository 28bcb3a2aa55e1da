"""Sessions: Login hands out a token; every other public call must carry a live one.

A session ends when it has been idle for ``UserVars.HostClientSessionTimeout`` seconds or
lived ``UserVars.HostSessionMaxLifetime`` seconds (0 turns either off), at logout, or when
it is terminated. Login checks, in order: the lockout, the password, lockdown mode; each
success and failure is an event (UserLoginSessionEvent, BadUsernameSessionEvent,
esx.audit.account.locked, NoAccessUserEvent).
"""

from __future__ import annotations

import asyncio
import contextvars
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from hostd.accounts import Accounts
from hostd.events import EventLog
from hostd.host_settings import HostSettings
from hostd.lockdown import Lockdown
from hostd.lockout import Lockout
from hostd.securitysettings import (
    DCUI_ACCESS,
    LOCK_FAILURES,
    SESSION_IDLE,
    SESSION_LIFETIME,
    UNLOCK_TIME,
    integer,
)
from pyesx import faults
from pyesx.logs import get_logger

_log = get_logger("sessions")
# Attach: the console ticket in its first message authenticates it (a ticket is bound to a live session);
# GetAbout: what the host is (name, version), which clients show before logging in
PUBLIC_METHODS = frozenset(
    {
        "/pyesx.api.v1.SessionService/Login",
        "/pyesx.api.v1.ConsoleService/Attach",
        "/pyesx.api.v1.HostService/GetAbout",  # vSphere's ServiceContent.about: what the host is
    }
)
MAX_USER = 64
MAX_PASSWORD = 1024
MAX_TERMINATE = 1000


@dataclass
class UserSession:
    key: str
    user: str
    login_time: float
    id: str = ""
    last_active: float = 0.0
    ip_address: str = ""
    local_console: bool = False  # opened at the host's own console (the DCUI)


current_session: contextvars.ContextVar[UserSession | None] = contextvars.ContextVar("session", default=None)


def current_user() -> str:
    session = current_session.get()
    return session.user if session else ""


class SessionManager:
    def __init__(
        self,
        accounts: Accounts,
        settings: HostSettings,
        events: EventLog,
        lockdown: Lockdown,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.accounts, self.settings, self.events, self.lockdown = accounts, settings, events, lockdown
        self.clock = clock
        self.lockout = Lockout(
            lambda: (integer(settings, LOCK_FAILURES), integer(settings, UNLOCK_TIME)), clock=clock
        )
        self._sessions: dict[str, UserSession] = {}

    def __len__(self) -> int:
        """Sessions held in memory: the live ones and the expired ones not yet swept."""
        return len(self._sessions)

    async def login(
        self, user: str, password: str, ip_address: str = "", local_console: bool = False
    ) -> UserSession:
        """A new session; ``local_console``: the DCUI on this host (the caller checked it is local)."""
        if len(user) > MAX_USER or len(password) > MAX_PASSWORD:
            raise faults.InvalidArgument(
                "user", f"user names have at most {MAX_USER} characters, passwords {MAX_PASSWORD}"
            )
        where = f"{user}@{ip_address}" if ip_address else user
        locked = self.lockout.locked_for(user)
        if locked:
            self.events.record(
                "BadUsernameSessionEvent", f"Cannot login {where}: the account is locked", user=user
            )
            raise faults.NotAuthenticated(
                "account_locked",
                "Cannot complete login: the account is locked after repeated failures "
                f"({int(locked) + 1} s left).",
            )
        # scrypt takes tens of milliseconds: keep the event loop free meanwhile
        account = await asyncio.to_thread(self.accounts.verify, user, password)
        if account is None:
            self.events.record("BadUsernameSessionEvent", f"Cannot login {where}", user=user)
            if self.lockout.failed(user):
                unlock = integer(self.settings, UNLOCK_TIME)
                self.events.record(
                    "esx.audit.account.locked",
                    f"Remote access for ESXi local user account '{user}' has been locked for {unlock} "
                    f"seconds after {self.lockout.failures(user)} failed login attempts.",
                    user=user,
                )
            raise faults.NotAuthenticated(
                "invalid_login", "Cannot complete login due to an incorrect user name or password."
            )
        if not self.lockdown.allows_login(account.user, self._console_users(local_console)):
            self.events.record(
                "NoAccessUserEvent", f"Cannot login {where}: the host is in lockdown mode", user=user
            )
            raise faults.NotAuthenticated(
                "lockdown_mode",
                f"The host is in lockdown mode ({self.lockdown.state.mode}): "
                "only its exception users may log in.",
            )
        self.lockout.succeeded(user)
        now = self.clock()
        self._forget_expired(now)
        session = UserSession(
            secrets.token_urlsafe(32), account.user, now, secrets.token_hex(8), now, ip_address, local_console
        )
        self._sessions[session.key] = session
        self.events.record("UserLoginSessionEvent", f"User {where} logged in", user=session.user)
        return session

    # -- lifetime -------------------------------------------------------------------------------

    def idle_timeout(self) -> int:
        return integer(self.settings, SESSION_IDLE)

    def expires_at(self, session: UserSession) -> float:
        """When the session ends at the latest (0: never), whatever its activity."""
        lifetime = integer(self.settings, SESSION_LIFETIME)
        return session.login_time + lifetime if lifetime else 0.0

    def _expired(self, session: UserSession, now: float) -> bool:
        idle, expires = self.idle_timeout(), self.expires_at(session)
        return bool(idle and now - session.last_active > idle) or bool(expires and now >= expires)

    def _forget_expired(self, now: float) -> None:
        """Drop the expired sessions: a client that never logs out nor calls again must not stay in
        memory for good (a login pays for the sweep; it already pays for a password hash)."""
        for session in [s for s in self._sessions.values() if self._expired(s, now)]:
            del self._sessions[session.key]
            _log.info("session.expired", user=session.user, session_id=session.id)

    def _live(self, key: object) -> UserSession | None:
        session = self._sessions.get(key) if isinstance(key, str) else None
        if session is not None and self._expired(session, self.clock()):
            del self._sessions[session.key]
            _log.info("session.expired", user=session.user, session_id=session.id)
            return None
        return session

    def is_live(self, key: str) -> bool:
        """Whether a session with this key is logged in."""
        return self._live(key) is not None

    def authenticate(self, method: str, metadata: Mapping[str, str | bytes]) -> None:
        """The interceptor's hook: bind the caller's session or raise NotAuthenticated."""
        if method in PUBLIC_METHODS:
            return
        session = self._live(metadata.get("x-pyesx-session"))
        if session is None:
            raise faults.NotAuthenticated(
                "no_session", "The session is not authenticated (or has expired): log in."
            )
        session.last_active = self.clock()
        current_session.set(session)

    # -- listing and ending ---------------------------------------------------------------------

    def live_sessions(self) -> list[UserSession]:
        return sorted(
            (s for s in list(self._sessions.values()) if self._live(s.key)), key=lambda s: s.login_time
        )

    def logout(self, key: str) -> UserSession | None:
        return self._sessions.pop(key, None)

    def terminate(self, ids: list[str], own_key: str) -> list[UserSession]:
        """End the sessions with these ids (all known, none the caller's own, or nothing ends)."""
        if len(ids) > MAX_TERMINATE:
            raise faults.InvalidArgument("ids", f"at most {MAX_TERMINATE} sessions at once")
        by_id = {s.id: s for s in self.live_sessions()}
        for session_id in ids:
            if session_id not in by_id:
                raise faults.NotFound("UserSession", session_id[:64])
            if by_id[session_id].key == own_key:
                raise faults.InvalidArgument("ids", "a session cannot terminate itself: log out instead")
        ended = [self._sessions.pop(by_id[i].key) for i in dict.fromkeys(ids)]
        for session in ended:
            _log.info("session.terminated", user=session.user, session_id=session.id)
        return ended

    def _console_users(self, local_console: bool) -> tuple[str, ...] | None:
        return _names(str(self.settings.get(DCUI_ACCESS))) if local_console else None

    def end_sessions_lockdown_refuses(self) -> int:
        """End the sessions lockdown mode would not let in now (after it was entered)."""
        keys = [
            k
            for k, s in self._sessions.items()
            if not self.lockdown.allows_login(s.user, self._console_users(s.local_console))
        ]
        for key in keys:
            del self._sessions[key]
        return len(keys)

    def end_sessions_where(self, doomed: Callable[[str], bool]) -> int:
        """End every session whose user ``doomed(user)`` says (a removed user, lockdown)."""
        keys = [k for k, s in self._sessions.items() if doomed(s.user)]
        for key in keys:
            del self._sessions[key]
        return len(keys)


def _names(text: str) -> tuple[str, ...]:
    """The user names of a comma-separated list (DCUI.Access)."""
    return tuple(name.strip() for name in text.split(",") if name.strip())

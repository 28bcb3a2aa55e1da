"""The host advanced settings that govern logins and sessions (stored by ``hostd.host_settings``),
and typed reads of them."""

from __future__ import annotations

from hostd.host_settings import HostSettings

LOCK_FAILURES = "Security.AccountLockFailures"
UNLOCK_TIME = "Security.AccountUnlockTime"
PASSWORD_QUALITY = "Security.PasswordQualityControl"
PASSWORD_HISTORY = "Security.PasswordHistory"
SESSION_IDLE = "UserVars.HostClientSessionTimeout"
SESSION_LIFETIME = "UserVars.HostSessionMaxLifetime"
DCUI_ACCESS = "DCUI.Access"  # who may log in at the host's console in normal lockdown mode


def integer(settings: HostSettings, key: str) -> int:
    value = settings.get(key)
    assert isinstance(value, int) and not isinstance(value, bool), key
    return value


def text(settings: HostSettings, key: str) -> str:
    return str(settings.get(key))

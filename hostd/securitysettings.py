"""The host's security settings (ESXi advanced settings that govern logins and sessions).

Each setting has a type, a default and, for integers, a range; values live in
``etc/security.json`` (written atomically, 0600) and only values that differ from
their default are stored. One bad value in an update changes nothing.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pyesx import faults
from pyesx.atomic import atomic_write
from pyesx.logs import get_logger

_log = get_logger("securitysettings")
MAX_STRING = 256


@dataclass(frozen=True)
class Setting:
    key: str
    default: int | str
    description: str
    min: int = 0
    max: int = 0

    @property
    def type(self) -> str:
        return "int" if isinstance(self.default, int) else "string"


LOCK_FAILURES = "Security.AccountLockFailures"
UNLOCK_TIME = "Security.AccountUnlockTime"
PASSWORD_QUALITY = "Security.PasswordQualityControl"
SESSION_IDLE = "UserVars.HostClientSessionTimeout"
SESSION_LIFETIME = "UserVars.HostSessionMaxLifetime"

SETTINGS: dict[str, Setting] = {
    s.key: s
    for s in (
        Setting(LOCK_FAILURES, 5, "Failed logins before the account locks (0: never locks)", 0, 100),
        Setting(UNLOCK_TIME, 900, "Seconds a locked account stays locked", 0, 86400 * 7),
        Setting(
            PASSWORD_QUALITY,
            "retry=3 min=disabled,disabled,disabled,7,7",
            "Password policy (pam_passwdqc's min=N0,N1,N2,N3,N4: minimum length by classes used)",
        ),
        Setting(SESSION_IDLE, 900, "Seconds a session may stay idle before it ends (0: never)", 0, 86400 * 7),
        Setting(
            SESSION_LIFETIME,
            86400,
            "Seconds a session lives at most after login (0: no limit)",
            0,
            86400 * 365,
        ),
    )
}


class SecuritySettings:
    """Typed reads (``integer``, ``text``) and validated, all-or-nothing updates."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._values: dict[str, int | str] = {}
        if path.exists():
            raw = json.loads(path.read_text())
            self._values = {k: v for k, v in raw.items() if k in SETTINGS}

    def value(self, key: str) -> int | str:
        return self._values.get(key, SETTINGS[key].default)

    def integer(self, key: str) -> int:
        value = self.value(key)
        assert isinstance(value, int)
        return value

    def text(self, key: str) -> str:
        return str(self.value(key))

    def matching(self, pattern: str = "") -> list[Setting]:
        return [s for k, s in sorted(SETTINGS.items()) if not pattern or fnmatch.fnmatchcase(k, pattern)]

    def update(self, values: Mapping[str, str]) -> None:
        """Set every key to its value (strings, converted by the setting's type), or none."""
        parsed = {key: _parse(key, text) for key, text in values.items()}
        if PASSWORD_QUALITY in parsed:
            from hostd.passwordpolicy import PasswordPolicy  # validates the syntax

            PasswordPolicy.parse(str(parsed[PASSWORD_QUALITY]))
        merged = {**self._values, **parsed}
        merged = {k: v for k, v in merged.items() if v != SETTINGS[k].default}
        atomic_write(self.path, json.dumps(merged, indent=2, sort_keys=True) + "\n", mode=0o600)
        self._values = merged
        _log.info("security_settings.updated", keys=sorted(parsed))


def _parse(key: str, text: str) -> int | str:
    setting = SETTINGS.get(key)
    if setting is None:
        raise faults.InvalidArgument("key", f"there is no security setting '{key[:64]}'")
    if len(text) > MAX_STRING:
        raise faults.InvalidArgument(key, f"the value is longer than {MAX_STRING} characters")
    if setting.type == "string":
        return text
    try:
        number = int(text.strip())
    except ValueError:
        raise faults.InvalidArgument(key, f"'{text[:32]}' is not an integer") from None
    if not setting.min <= number <= setting.max:
        raise faults.InvalidArgument(key, f"{number} is not in [{setting.min}, {setting.max}]")
    return number

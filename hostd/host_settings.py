"""Host advanced settings (ESXi's OptionManager): a catalogue of typed, ranged settings and their store.

Only values that differ from the default are kept, in ``etc/vmware/hostd/advancedSettings.json``,
written atomically. An update is validated whole before anything is written: one bad value (wrong
type, out of range, unknown key) is an ``InvalidArgument`` naming the key and its range, and
nothing changes.

Other hostd modules read settings through ``HostSettings.get``::

    settings.get("Security.AccountLockFailures")  # -> 5 (an int)

``get`` notices a change written by another ``HostSettings`` on the same root (it rereads the file
when its inode or modification time moves; it looks at most every ``RECHECK_S``, as every RPC reads
the session timeouts), so a reader may keep its own instance.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from hostd.host_catalogue import CATALOGUE, Setting
from pyesx import faults
from pyesx.atomic import atomic_write
from pyesx.layout import HostLayout
from pyesx.logs import get_logger

Value = int | bool | str
MAX_TEXT = 1024
_INT = re.compile(r"^[+-]?\d{1,19}$")
_TRUE, _FALSE = ("true", "1", "yes", "on"), ("false", "0", "no", "off")
_log = get_logger("host_settings")
RECHECK_S = 1.0  # how stale another writer's change may be seen


def settings_path(layout: HostLayout) -> Path:
    return layout.etc / "vmware" / "hostd" / "advancedSettings.json"


def parse(setting: Setting, text: object) -> Value:
    """The typed value of ``text`` for ``setting``; InvalidArgument naming the range when it is not one."""
    if not isinstance(text, str):
        raise faults.InvalidArgument(setting.key, f"takes text, not {type(text).__name__}")
    if setting.type == "int":
        if not _INT.match(text.strip()):
            raise faults.InvalidArgument(
                setting.key, f"'{text[:40]}' is not a whole number; it takes {setting.range_text}"
            )
        number = int(text.strip())
        if not setting.min <= number <= setting.max:
            raise faults.InvalidArgument(
                setting.key, f"{number} is out of range; it takes {setting.range_text}"
            )
        return number
    if setting.type == "bool":
        lowered = text.strip().lower()
        if lowered in _TRUE or lowered in _FALSE:
            return lowered in _TRUE
        raise faults.InvalidArgument(setting.key, f"'{text[:40]}' is not true or false")
    if len(text) > MAX_TEXT or any(ord(c) < 0x20 for c in text):
        raise faults.InvalidArgument(
            setting.key, f"takes at most {MAX_TEXT} characters without control characters"
        )
    if setting.choices and text not in setting.choices:
        raise faults.InvalidArgument(setting.key, f"'{text[:40]}' is not one of {', '.join(setting.choices)}")
    return text


def text_of(value: Value) -> str:
    """A typed value as the wire carries it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@dataclass(frozen=True)
class CurrentSetting:
    setting: Setting
    value: Value


class HostSettings:
    """The host's advanced settings: the catalogue's defaults overlaid with the stored values."""

    def __init__(self, layout: HostLayout, clock: Callable[[], float] = time.monotonic) -> None:
        self.path = settings_path(layout)
        self.clock = clock
        self._values: dict[str, Value] = {}
        self._stamp: tuple[int, int] | None = None
        self._checked_at = 0.0
        self._reload(force=True)

    def _reload(self, force: bool = False) -> None:
        now = self.clock()
        if not force and now - self._checked_at < RECHECK_S:
            return
        self._checked_at = now
        stamp = _stamp(self.path)
        if stamp == self._stamp and (stamp is not None or not self._values):
            return
        self._stamp, self._values = stamp, {}
        if stamp is None:
            return
        try:
            stored = json.loads(self.path.read_text())
        except (OSError, ValueError) as exc:
            _log.error("host_settings.unreadable", path=str(self.path), reason=str(exc))
            return
        for key, text in stored.items() if isinstance(stored, dict) else ():
            setting = CATALOGUE.get(key)
            try:
                if setting is None:
                    raise faults.InvalidArgument(key, "is not a host advanced setting")
                self._values[key] = parse(setting, text)
            except faults.InvalidArgument as fault:
                _log.warning("host_settings.ignored", key=key, reason=fault.message)

    def get(self, key: str) -> Value:
        """The current value of ``key`` (int, bool or str, as its type says); InvalidArgument if unknown."""
        self._reload()
        setting = _setting(key)
        return self._values.get(key, setting.default)

    def query(self, keys: Iterable[str] = ()) -> list[CurrentSetting]:
        """These settings (all when keys is empty), sorted by key."""
        self._reload()
        chosen = sorted({_setting(k).key for k in keys}) if keys else sorted(CATALOGUE)
        return [CurrentSetting(CATALOGUE[k], self._values.get(k, CATALOGUE[k].default)) for k in chosen]

    def update(self, values: Mapping[str, str]) -> list[CurrentSetting]:
        """Validate every value, then store them all at once; return the updated settings."""
        self._reload(force=True)  # merge into what is stored now, whoever wrote it
        parsed = {key: parse(_setting(key), text) for key, text in values.items()}
        merged = {**self._values, **parsed}
        stored = {k: text_of(v) for k, v in sorted(merged.items()) if v != CATALOGUE[k].default}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(self.path, json.dumps(stored, indent=2) + "\n", mode=0o600)
        self._values = {k: v for k, v in merged.items() if v != CATALOGUE[k].default}
        self._stamp = _stamp(self.path)
        _log.info("host_settings.updated", keys=sorted(parsed))
        return self.query(parsed)


def _stamp(path: Path) -> tuple[int, int] | None:
    """Which version of the file is there: every atomic write makes a new inode."""
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return None
    return stat.st_ino, stat.st_mtime_ns


def _setting(key: object) -> Setting:
    setting = CATALOGUE.get(key) if isinstance(key, str) else None
    if setting is None:
        shown = key[:80] if isinstance(key, str) else repr(key)[:80]
        raise faults.InvalidArgument("key", f"'{shown}' is not a host advanced setting")
    return setting

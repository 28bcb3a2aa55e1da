"""Host advanced settings: the catalogue's types and ranges, all-or-nothing updates, atomic store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hostd.host_catalogue import CATALOGUE
from hostd.host_settings import RECHECK_S, HostSettings, settings_path
from pyesx.faults import InvalidArgument
from pyesx.layout import HostLayout


@pytest.fixture
def layout(tmp_path: Path) -> HostLayout:
    return HostLayout(tmp_path)


def test_defaults_are_esxis(layout: HostLayout) -> None:
    settings = HostSettings(layout)
    assert settings.get("Security.AccountLockFailures") == 5
    assert settings.get("Security.AccountUnlockTime") == 900
    assert settings.get("Config.HostAgent.log.level") == "info"
    assert settings.get("Config.HostAgent.plugins.solo.enableMob") is False
    assert not settings_path(layout).exists()  # nothing stored until something changes


def test_update_is_typed_and_persisted(layout: HostLayout) -> None:
    settings = HostSettings(layout)
    (lock,) = settings.update({"Security.AccountLockFailures": "3"})
    assert lock.value == 3
    settings.update({"Config.HostAgent.plugins.solo.enableMob": "TRUE"})
    stored = json.loads(settings_path(layout).read_text())
    assert stored == {"Config.HostAgent.plugins.solo.enableMob": "true", "Security.AccountLockFailures": "3"}
    assert settings_path(layout).stat().st_mode & 0o077 == 0
    again = HostSettings(layout)
    assert again.get("Security.AccountLockFailures") == 3
    assert again.get("Config.HostAgent.plugins.solo.enableMob") is True


def test_a_reader_sees_anothers_update_within_the_recheck_period(layout: HostLayout) -> None:
    now = [100.0]
    reader, writer = HostSettings(layout, clock=lambda: now[0]), HostSettings(layout)
    assert reader.get("Security.AccountUnlockTime") == 900
    writer.update({"Security.AccountUnlockTime": "60"})
    assert reader.get("Security.AccountUnlockTime") == 900  # not looked at again yet
    now[0] += RECHECK_S
    assert reader.get("Security.AccountUnlockTime") == 60


def test_an_update_merges_into_anothers_recent_write(layout: HostLayout) -> None:
    now = [100.0]
    first, second = HostSettings(layout, clock=lambda: now[0]), HostSettings(layout)
    assert first.get("Mem.IdleTax") == 75
    second.update({"Mem.IdleTax": "10"})
    first.update({"Security.AccountUnlockTime": "60"})  # within the recheck period
    assert (first.get("Mem.IdleTax"), HostSettings(layout).get("Mem.IdleTax")) == (10, 10)


def test_back_to_default_is_not_stored(layout: HostLayout) -> None:
    settings = HostSettings(layout)
    settings.update({"Mem.ShareScanGHz": "8"})
    settings.update({"Mem.ShareScanGHz": "4"})
    assert json.loads(settings_path(layout).read_text()) == {}


@pytest.mark.parametrize(
    ("values", "argument", "words"),
    [
        ({"Security.AccountLockFailures": "101"}, "Security.AccountLockFailures", "0 to 100"),
        ({"Security.AccountLockFailures": "-1"}, "Security.AccountLockFailures", "out of range"),
        ({"Security.AccountUnlockTime": "ten"}, "Security.AccountUnlockTime", "not a whole number"),
        ({"Security.AccountUnlockTime": "9" * 400}, "Security.AccountUnlockTime", "not a whole number"),
        ({"Security.AccountUnlockTime": "1.5"}, "Security.AccountUnlockTime", "0 to 3600"),
        ({"Config.HostAgent.log.level": "loud"}, "Config.HostAgent.log.level", "verbose"),
        (
            {"Config.HostAgent.plugins.solo.enableMob": "maybe"},
            "Config.HostAgent.plugins.solo.enableMob",
            "true",
        ),
        ({"Syslog.global.logHost": "x" * 5000}, "Syslog.global.logHost", "at most"),
        ({"Syslog.global.logHost": "a\nb"}, "Syslog.global.logHost", "control"),
        ({"No.Such.Setting": "1"}, "key", "not a host advanced setting"),
    ],
)
def test_bad_values_change_nothing(
    layout: HostLayout, values: dict[str, str], argument: str, words: str
) -> None:
    settings = HostSettings(layout)
    settings.update({"Mem.IdleTax": "50"})
    before = settings_path(layout).read_bytes()
    with pytest.raises(InvalidArgument) as caught:
        settings.update({"Mem.ShareScanGHz": "8", **values})
    assert caught.value.argument == argument and words in caught.value.reason
    assert settings_path(layout).read_bytes() == before
    assert settings.get("Mem.ShareScanGHz") == 4


def test_query_all_or_some(layout: HostLayout) -> None:
    settings = HostSettings(layout)
    assert [c.setting.key for c in settings.query()] == sorted(CATALOGUE)
    (one,) = settings.query(["DCUI.Access"])
    assert one.value == "root"
    with pytest.raises(InvalidArgument):
        settings.query(["DCUI.Nope"])


def test_a_broken_store_falls_back_to_defaults(layout: HostLayout) -> None:
    settings_path(layout).parent.mkdir(parents=True)
    settings_path(layout).write_text('{"Security.AccountLockFailures": "999", "Mem.IdleTax": "10"')
    assert HostSettings(layout).get("Mem.IdleTax") == 75
    settings_path(layout).write_text('{"Security.AccountLockFailures": "999", "Mem.IdleTax": "10"}')
    settings = HostSettings(layout)
    assert (settings.get("Security.AccountLockFailures"), settings.get("Mem.IdleTax")) == (5, 10)

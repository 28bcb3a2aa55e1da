"""Local accounts, the password policy and the security settings: domain code, no processes."""

from __future__ import annotations

import asyncio
import json
import stat
from pathlib import Path

import pytest

from hostd.accounts import Accounts
from hostd.host_settings import HostSettings
from hostd.passwordpolicy import PasswordPolicy, classes_of
from hostd.securitysettings import LOCK_FAILURES, SESSION_IDLE, SESSION_LIFETIME, UNLOCK_TIME, integer
from pyesx import faults
from tests.unit.auth_fakes import make_root

pytestmark = pytest.mark.timeout(60)
DEFAULT = PasswordPolicy.parse("retry=3 min=disabled,disabled,disabled,7,7")


def test_the_default_policy_wants_three_classes_and_seven_characters() -> None:
    assert classes_of("abc") == 1 and classes_of("aB1!") == 4
    DEFAULT.check("Abcdef1")
    DEFAULT.check("abc-de1")
    for weak in ("abcdefgh", "ABCdefgh", "Ab1", "", "x" * 500):
        with pytest.raises(faults.InvalidArgument) as info:
            DEFAULT.check(weak)
        assert info.value.argument == "password"
    with pytest.raises(faults.InvalidArgument, match="3 character classes"):
        DEFAULT.check("Abc1")
    with pytest.raises(faults.InvalidArgument, match="user name"):
        DEFAULT.check("Ops1#admin", "OPS1")


def test_a_policy_can_allow_fewer_classes_and_bad_ones_are_refused() -> None:
    lax = PasswordPolicy.parse("min=8,8,8,8,8")
    lax.check("abcdefgh")
    with pytest.raises(faults.InvalidArgument):
        lax.check("abcdefg")
    for bad in ("min=1,2", "min=a,b,c,d,e", "min=0,0,0,0,0"):
        with pytest.raises(faults.InvalidArgument):
            PasswordPolicy.parse(bad)


async def test_accounts_are_created_changed_and_removed_as_hashes_in_a_0600_file(tmp_path: Path) -> None:
    layout = make_root(tmp_path)
    accounts = Accounts(layout)
    await accounts.create("ops1", "Secret#24", "Operator", DEFAULT)
    assert accounts.verify("ops1", "Secret#24") is not None and accounts.verify("ops1", "nope") is None
    text = layout.shadow.read_text()
    assert "Secret#24" not in text
    assert json.loads(text)["users"]["ops1"]["password_hash"].startswith("scrypt$")
    assert stat.S_IMODE(layout.shadow.stat().st_mode) == 0o600
    await accounts.update("ops1", "Other#24x", None, DEFAULT)
    assert accounts.verify("ops1", "Other#24x") is not None and accounts.verify("ops1", "Secret#24") is None
    assert Accounts(layout).get("ops1") is not None  # persisted
    accounts.remove("ops1")
    assert Accounts(layout).get("ops1") is None
    assert not list(layout.etc.glob(".*tmp"))


async def test_the_password_history_refuses_the_last_n_passwords(tmp_path: Path) -> None:
    layout = make_root(tmp_path)
    accounts = Accounts(layout)
    await accounts.create("ops1", "First#241", "", DEFAULT)
    await accounts.update("ops1", "First#241", None, DEFAULT)  # no history: the same one again is fine
    for password in ("Second#24", "Third#243"):
        await accounts.update("ops1", password, None, DEFAULT, history=3)
    before = layout.shadow.read_bytes()
    for used in ("Third#243", "Second#24", "First#241"):  # the current one and the two before it
        with pytest.raises(faults.InvalidArgument, match="one of the last 3 of ops1"):
            await accounts.update("ops1", used, "changed", DEFAULT, history=3)
    assert layout.shadow.read_bytes() == before  # refused: nothing changed
    assert len(json.loads(before)["users"]["ops1"]["previous_hashes"]) == 2  # hashes only
    assert b"Second#24" not in before
    await accounts.update("ops1", "First#241", None, DEFAULT, history=2)  # out of a shorter history
    assert Accounts(layout).verify("ops1", "First#241") is not None


async def test_bad_input_changes_nothing(tmp_path: Path) -> None:
    layout = make_root(tmp_path)
    accounts = Accounts(layout)
    before = layout.shadow.read_bytes()
    for user in ("../etc/passwd", "a/b", "", "x" * 100, "root\n", "a b", "..", "-x"):
        with pytest.raises(faults.InvalidArgument):
            await accounts.create(user, "Secret#24", "", DEFAULT)
    with pytest.raises(faults.InvalidArgument):
        await accounts.create("ops1", "weak", "", DEFAULT)
    with pytest.raises(faults.InvalidArgument):
        await accounts.create("ops1", "Secret#24", "d" * 10_000, DEFAULT)
    with pytest.raises(faults.DuplicateName):
        await accounts.create("root", "Secret#24", "", DEFAULT)
    with pytest.raises(faults.InvalidArgument, match="root cannot be removed"):
        accounts.remove("root")
    with pytest.raises(faults.NotFound):
        accounts.remove("ghost")
    with pytest.raises(faults.NotFound):
        await accounts.update("ghost", "Secret#24", None, DEFAULT)
    assert layout.shadow.read_bytes() == before


async def test_racing_creates_of_one_user_make_one_account(tmp_path: Path) -> None:
    accounts = Accounts(make_root(tmp_path))
    results = await asyncio.gather(
        accounts.create("ops1", "Secret#24a", "first", DEFAULT),
        accounts.create("ops1", "Secret#24b", "second", DEFAULT),
        return_exceptions=True,
    )
    assert sum(isinstance(r, faults.DuplicateName) for r in results) == 1
    assert len([a for a in accounts.all() if a.user == "ops1"]) == 1


async def test_removal_during_a_password_change_is_not_undone(tmp_path: Path) -> None:
    accounts = Accounts(make_root(tmp_path))
    await accounts.create("ops1", "Secret#24a", "", DEFAULT)

    async def remove() -> None:  # runs while the update hashes its password off the loop
        accounts.remove("ops1")

    update = accounts.update("ops1", "Secret#24b", None, DEFAULT)
    results = await asyncio.gather(update, remove(), return_exceptions=True)
    assert isinstance(results[0], faults.NotFound)
    assert accounts.get("ops1") is None


def test_the_login_settings_are_host_advanced_settings(tmp_path: Path) -> None:
    settings = HostSettings(make_root(tmp_path))
    defaults = [integer(settings, k) for k in (LOCK_FAILURES, UNLOCK_TIME, SESSION_IDLE, SESSION_LIFETIME)]
    assert defaults == [5, 900, 900, 86400]
    settings.update({LOCK_FAILURES: "3"})
    assert integer(HostSettings(make_root(tmp_path / "other")), LOCK_FAILURES) == 5
    assert integer(settings, LOCK_FAILURES) == 3
    with pytest.raises(faults.InvalidArgument):
        settings.update({SESSION_LIFETIME: "-1"})

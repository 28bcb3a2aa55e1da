"""Logins, lockout, lockdown and session expiry on a fake clock: domain code, no processes."""

from __future__ import annotations

from pathlib import Path

import pytest

from hostd.securitysettings import LOCK_FAILURES, SESSION_IDLE, SESSION_LIFETIME, UNLOCK_TIME
from hostd.sessions import current_session
from pyesx import faults
from tests.unit.auth_fakes import ROOT_PASSWORD, Auth, make_auth

pytestmark = pytest.mark.timeout(60)
KEY = "x-pyesx-session"
CALL = "/pyesx.api.v1.VirtualMachineService/ListVMs"


@pytest.fixture
def auth(tmp_path: Path) -> Auth:
    return make_auth(tmp_path, {"ops1": ("Ops#pass1", "ReadOnly")})


def event_types(auth: Auth) -> list[str]:
    return [e.type for e in reversed(auth.events.query())]


async def test_login_binds_a_session_and_records_events(auth: Auth) -> None:
    session = await auth.sessions.login("ops1", "Ops#pass1", "10.0.0.5")
    auth.sessions.authenticate(CALL, {KEY: session.key})
    assert current_session.get() is session
    with pytest.raises(faults.NotAuthenticated):
        await auth.sessions.login("ops1", "wrong")
    with pytest.raises(faults.NotAuthenticated):
        auth.sessions.authenticate(CALL, {KEY: "forged"})
    assert event_types(auth) == ["UserLoginSessionEvent", "BadUsernameSessionEvent"]
    assert "ops1@10.0.0.5" in auth.events.query()[-1].message


async def test_repeated_failures_lock_the_account_until_the_unlock_time(auth: Auth) -> None:
    for _ in range(5):
        with pytest.raises(faults.NotAuthenticated) as info:
            await auth.sessions.login("ops1", "guess")
        assert info.value.reason == "invalid_login"
    with pytest.raises(faults.NotAuthenticated) as info:
        await auth.sessions.login("ops1", "Ops#pass1")  # the right password, refused
    assert info.value.reason == "account_locked"
    assert "esx.audit.account.locked" in event_types(auth)
    await auth.sessions.login("root", ROOT_PASSWORD)  # others are not locked
    auth.clock.advance(899)
    with pytest.raises(faults.NotAuthenticated):
        await auth.sessions.login("ops1", "Ops#pass1")
    auth.clock.advance(2)
    await auth.sessions.login("ops1", "Ops#pass1")
    assert auth.sessions.lockout.failures("ops1") == 0


async def test_lockout_follows_its_settings_and_a_success_resets_the_count(auth: Auth) -> None:
    auth.settings.update({LOCK_FAILURES: "2", UNLOCK_TIME: "10"})
    with pytest.raises(faults.NotAuthenticated):
        await auth.sessions.login("ops1", "guess")
    await auth.sessions.login("ops1", "Ops#pass1")
    for _ in range(2):
        with pytest.raises(faults.NotAuthenticated):
            await auth.sessions.login("ops1", "guess")
    assert auth.sessions.lockout.locked_for("ops1") == 10
    auth.settings.update({LOCK_FAILURES: "0"})  # 0: never locks
    await auth.sessions.login("ops1", "Ops#pass1")


async def test_unknown_users_fail_like_wrong_passwords_and_huge_input_is_refused(auth: Auth) -> None:
    with pytest.raises(faults.NotAuthenticated) as info:
        await auth.sessions.login("ghost", "x")
    assert info.value.reason == "invalid_login"
    with pytest.raises(faults.InvalidArgument):
        await auth.sessions.login("u" * 10_000, "x")
    with pytest.raises(faults.InvalidArgument):
        await auth.sessions.login("ops1", "p" * 100_000)


async def test_sessions_end_when_idle_or_too_old(auth: Auth) -> None:
    auth.settings.update({SESSION_IDLE: "60", SESSION_LIFETIME: "300"})
    session = await auth.sessions.login("ops1", "Ops#pass1")
    for _ in range(4):  # activity keeps it alive ...
        auth.clock.advance(59)
        auth.sessions.authenticate(CALL, {KEY: session.key})
    auth.clock.advance(65)  # ... until the lifetime ends it (4*59 + 65 > 300)
    with pytest.raises(faults.NotAuthenticated):
        auth.sessions.authenticate(CALL, {KEY: session.key})
    idle = await auth.sessions.login("ops1", "Ops#pass1")
    auth.clock.advance(61)
    assert not auth.sessions.is_live(idle.key)
    assert auth.sessions.live_sessions() == []


async def test_sessions_are_listed_and_terminated(auth: Auth) -> None:
    mine = await auth.sessions.login("root", ROOT_PASSWORD)
    theirs = await auth.sessions.login("ops1", "Ops#pass1")
    assert [s.user for s in auth.sessions.live_sessions()] == ["root", "ops1"]
    with pytest.raises(faults.InvalidArgument):
        auth.sessions.terminate([mine.id], mine.key)
    with pytest.raises(faults.NotFound):
        auth.sessions.terminate([theirs.id, "nope"], mine.key)
    assert auth.sessions.is_live(theirs.key)  # nothing ended
    auth.sessions.terminate([theirs.id], mine.key)
    assert not auth.sessions.is_live(theirs.key) and auth.sessions.is_live(mine.key)


async def test_lockdown_lets_only_exception_users_in(auth: Auth) -> None:
    auth.lockdown.set("normal", ["ops1"])
    with pytest.raises(faults.NotAuthenticated) as info:
        await auth.sessions.login("root", ROOT_PASSWORD)
    assert info.value.reason == "lockdown_mode"
    assert auth.sessions.lockout.failures("root") == 0  # the password was right: not a failure
    await auth.sessions.login("ops1", "Ops#pass1")
    assert "NoAccessUserEvent" in event_types(auth)
    assert auth.lockdown.allows_local_console()
    auth.lockdown.set("strict", None)
    assert not auth.lockdown.allows_local_console()
    with pytest.raises(faults.InvalidArgument):
        auth.lockdown.set("weird", None)
    with pytest.raises(faults.InvalidArgument):
        auth.lockdown.set(None, ["../x"])
    assert auth.lockdown.state.mode == "strict" and auth.lockdown.state.exception_users == ("ops1",)
    auth.lockdown.set("disabled", [])
    await auth.sessions.login("root", ROOT_PASSWORD)


async def test_normal_lockdown_admits_the_dcui_access_users_at_the_console(auth: Auth) -> None:
    api = await auth.sessions.login("root", ROOT_PASSWORD)
    console = await auth.sessions.login("root", ROOT_PASSWORD, "127.0.0.1", local_console=True)
    auth.lockdown.set("normal", ["ops1"])
    assert auth.sessions.end_sessions_lockdown_refuses() == 1  # the API one
    assert not auth.sessions.is_live(api.key) and auth.sessions.is_live(console.key)
    with pytest.raises(faults.NotAuthenticated):
        await auth.sessions.login("root", ROOT_PASSWORD)  # through the API
    await auth.sessions.login("root", ROOT_PASSWORD, local_console=True)  # DCUI.Access is root
    with pytest.raises(faults.NotAuthenticated):
        await auth.sessions.login("ghost", "x", local_console=True)
    auth.settings.update({"DCUI.Access": "ops1, other"})
    with pytest.raises(faults.NotAuthenticated):
        await auth.sessions.login("root", ROOT_PASSWORD, local_console=True)
    auth.settings.update({"DCUI.Access": "root"})
    auth.lockdown.set("strict", None)  # strict: the console too is for exception users only
    assert auth.sessions.end_sessions_lockdown_refuses() == 2  # root's two console sessions
    with pytest.raises(faults.NotAuthenticated):
        await auth.sessions.login("root", ROOT_PASSWORD, local_console=True)

"""Local accounts (``etc/shadow.json``, 0600, written atomically): users with salted scrypt hashes.

A new password must pass the password policy and, with ``Security.PasswordHistory`` N > 0, be none
of the user's N most recent passwords (the current one included; the N - 1 before it are kept as
hashes too). Hashing runs off the event loop and the store is checked again when the change is
committed, so two racing calls cannot both create one user. root cannot be removed.
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass, replace
from typing import Any

from hostd.passwordpolicy import PasswordPolicy
from pyesx import faults
from pyesx.atomic import atomic_write
from pyesx.layout import HostLayout
from pyesx.logs import get_logger
from pyesx.passwords import hash_password, verify_password

_log = get_logger("accounts")
ROOT = "root"
USER_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,31}")
MAX_DESCRIPTION = 256
#: what an unknown user's password is checked against, so that unknown users cost the same
_DUMMY_HASH = "scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAA"


@dataclass(frozen=True)
class Account:
    user: str
    password_hash: str
    description: str = ""
    role: str = ""  # the install's role for the user (migrated into etc/authorization.json)
    previous_hashes: tuple[str, ...] = ()  # the passwords before this one, newest first


def check_user_name(user: str) -> str:
    """The name if it can name an account; InvalidArgument otherwise (no paths, no spaces)."""
    if not USER_NAME.fullmatch(user):
        raise faults.InvalidArgument(
            "id", f"'{user[:40]}' is not a user name (a letter or _, then up to 31 of A-Z a-z 0-9 _ . -)"
        )
    return user


def _check_description(description: str) -> str:
    if len(description) > MAX_DESCRIPTION or any(ord(c) < 32 for c in description):
        raise faults.InvalidArgument("description", f"at most {MAX_DESCRIPTION} printable characters")
    return description


def _matches_any(password: str, hashes: tuple[str, ...]) -> bool:
    return any(verify_password(password[:1024], h) for h in hashes)


class Accounts:
    def __init__(self, layout: HostLayout) -> None:
        self.path = layout.shadow
        raw = json.loads(self.path.read_text())
        self._accounts = {
            user: Account(
                user,
                entry["password_hash"],
                entry.get("description", ""),
                entry.get("role", ""),
                tuple(entry.get("previous_hashes", ())),
            )
            for user, entry in raw["users"].items()
        }

    def get(self, user: str) -> Account | None:
        return self._accounts.get(user)

    def all(self) -> list[Account]:
        return [self._accounts[u] for u in sorted(self._accounts)]

    def verify(self, user: str, password: str) -> Account | None:
        """The account when the password is right; None otherwise (unknown users cost the same)."""
        account = self._accounts.get(user)
        ok = verify_password(password[:1024], account.password_hash if account else _DUMMY_HASH)
        return account if ok and account else None

    async def create(self, user: str, password: str, description: str, policy: PasswordPolicy) -> Account:
        check_user_name(user)
        _check_description(description)
        if user in self._accounts:
            raise faults.DuplicateName(user, f"The user '{user}' already exists.")
        policy.check(password, user)
        hashed = await asyncio.to_thread(hash_password, password)
        if user in self._accounts:  # created meanwhile
            raise faults.DuplicateName(user, f"The user '{user}' already exists.")
        account = Account(user, hashed, description)
        self._save({**self._accounts, user: account})
        _log.info("account.created", user=user)
        return account

    async def update(
        self,
        user: str,
        password: str | None,
        description: str | None,
        policy: PasswordPolicy,
        history: int = 0,
    ) -> Account:
        """Change the password and/or description; a password that fails the policy, or is one of
        the ``history`` most recent ones, is InvalidArgument and changes nothing."""
        account = self._existing(user)
        if description is not None:
            _check_description(description)
        hashed = None
        if password is not None:
            policy.check(password, user)
            recent = (account.password_hash, *account.previous_hashes)[:history]
            if await asyncio.to_thread(_matches_any, password, recent):
                raise faults.InvalidArgument(
                    "password", f"the password is one of the last {history} of {user}: choose another"
                )
            hashed = await asyncio.to_thread(hash_password, password)
        account = self._existing(user)  # removed meanwhile: NotFound
        changed = replace(
            account,
            password_hash=hashed or account.password_hash,
            description=account.description if description is None else description,
            previous_hashes=(
                (account.password_hash, *account.previous_hashes)[: max(0, history - 1)]
                if hashed
                else account.previous_hashes
            ),
        )
        self._save({**self._accounts, user: changed})
        _log.info("account.updated", user=user, password=password is not None)
        return changed

    def remove(self, user: str) -> None:
        self._existing(user)
        if user == ROOT:
            raise faults.InvalidArgument("id", "root cannot be removed")
        self._save({u: a for u, a in self._accounts.items() if u != user})
        _log.info("account.removed", user=user)

    def _existing(self, user: str) -> Account:
        account = self._accounts.get(user)
        if account is None:
            raise faults.NotFound("HostAccount", user[:64])
        return account

    def _save(self, accounts: dict[str, Account]) -> None:
        users: dict[str, Any] = {}
        for name, a in accounts.items():
            entry: dict[str, Any] = {"password_hash": a.password_hash}
            if a.description:
                entry["description"] = a.description
            if a.role:
                entry["role"] = a.role
            if a.previous_hashes:
                entry["previous_hashes"] = list(a.previous_hashes)
            users[name] = entry
        atomic_write(self.path, json.dumps({"users": users}, indent=2) + "\n", mode=0o600)
        self._accounts = accounts

"""Local accounts (``etc/shadow.json``): users with salted scrypt hashes and a role."""

from __future__ import annotations

import json
from dataclasses import dataclass

from pyesx.layout import HostLayout
from pyesx.passwords import verify_password


@dataclass(frozen=True)
class Account:
    user: str
    password_hash: str
    role: str


class Accounts:
    def __init__(self, layout: HostLayout) -> None:
        raw = json.loads(layout.shadow.read_text())
        self._accounts = {
            user: Account(user, entry["password_hash"], entry.get("role", "NoAccess"))
            for user, entry in raw["users"].items()
        }

    def verify(self, user: str, password: str) -> Account | None:
        """The account when the password is right; None otherwise (unknown users cost the same)."""
        account = self._accounts.get(user)
        stored = account.password_hash if account else "scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAA"
        ok = verify_password(password, stored)
        return account if ok and account else None

"""The guest's user accounts: /etc/passwd and /etc/shadow."""

from __future__ import annotations

from dataclasses import dataclass

from vmx.guestos import layout
from vmx.guestos.vfs import Vfs


@dataclass(frozen=True)
class Account:
    name: str
    uid: int
    gid: int
    home: str
    shell: str


def lookup(vfs: Vfs, user: str) -> Account | None:
    """The account named ``user`` in /etc/passwd."""
    try:
        text = vfs.read("/etc/passwd").decode(errors="replace")
    except OSError:
        return None
    for line in text.splitlines():
        fields = line.split(":")
        if len(fields) >= 7 and fields[0] == user and fields[2].isdigit() and fields[3].isdigit():
            return Account(fields[0], int(fields[2]), int(fields[3]), fields[5] or "/", fields[6])
    return None


def authenticate(vfs: Vfs, user: str, password: str) -> Account | None:
    """The account when ``password`` matches its /etc/shadow entry (a locked ``!`` entry never does)."""
    account = lookup(vfs, user)
    if account is None:
        return None
    try:
        text = vfs.read("/etc/shadow").decode(errors="replace")
    except OSError:
        return None
    for line in text.splitlines():
        fields = line.split(":")
        if len(fields) >= 2 and fields[0] == user:
            return account if layout.verify_password(password, fields[1]) else None
    return None

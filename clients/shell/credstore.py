"""The credential store: saved (host, user, password) entries, as PowerCLI's VICredentialStore keeps them.

Like PowerCLI's store, passwords are kept in a file readable only by its
owner (mode 0600): whoever can read the file can read the passwords, so it is
as safe as the account that owns it. The default file is
``$XDG_CONFIG_HOME/pyesx/credstore.json`` (``~/.config/pyesx/credstore.json``);
every write goes to a temporary file in the same directory, is fsynced and
renamed over the old file, so a crash leaves the old store or the new one.

    CredentialStore(path).add(host, user, password) / .items(host, user) / .remove(host, user)
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from clients.shell.wildcard import like

FILE_MODE = 0o600
DIR_MODE = 0o700


def default_path() -> Path:
    """``$XDG_CONFIG_HOME/pyesx/credstore.json``, or under ``~/.config`` when that is unset."""
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "pyesx" / "credstore.json"


@dataclass(frozen=True)
class StoredCredential:
    """One entry: a host (as typed, e.g. ``esx01`` or ``10.0.0.5:8443``), a user and a password."""

    host: str
    user: str
    password: str
    file: str


class CredentialStore:
    """One store file; every method reads it afresh, so several shells can share it."""

    def __init__(self, path: Path | str | None = None) -> None:
        self.path = Path(path) if path is not None else default_path()

    def _load(self) -> list[dict[str, str]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []
        except (OSError, ValueError) as error:
            raise OSError(f"Cannot read the credential store {self.path}: {error}") from error
        entries = data.get("entries", []) if isinstance(data, dict) else []
        return [e for e in entries if isinstance(e, dict) and {"host", "user", "password"} <= e.keys()]

    def _save(self, entries: list[dict[str, str]]) -> None:
        directory = self.path.parent
        directory.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(prefix=".credstore-", dir=directory)  # mkstemp: mode 0600
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                os.fchmod(handle.fileno(), FILE_MODE)
                json.dump({"version": 1, "entries": entries}, handle, indent=1)
                handle.write("\n")
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
        with contextlib.suppress(OSError):  # the rename is durable once the directory is synced
            dir_fd = os.open(directory, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)

    def add(self, host: str, user: str, password: str) -> StoredCredential:
        """Store (or replace) the password of ``user`` on ``host``."""
        entries = [
            e
            for e in self._load()
            if not (e["host"].lower() == host.lower() and e["user"].lower() == user.lower())
        ]
        entries.append({"host": host, "user": user, "password": password})
        self._save(entries)
        return StoredCredential(host, user, password, str(self.path))

    def items(self, host: str = "*", user: str = "*") -> list[StoredCredential]:
        """Entries whose host and user match (wildcards allowed, case-insensitive)."""
        return [
            StoredCredential(e["host"], e["user"], e["password"], str(self.path))
            for e in self._load()
            if like(e["host"], host) and like(e["user"], user)
        ]

    def remove(self, host: str = "*", user: str = "*") -> list[StoredCredential]:
        """Remove the matching entries; the ones removed."""
        entries = self._load()
        keep = [e for e in entries if not (like(e["host"], host) and like(e["user"], user))]
        removed = [
            StoredCredential(e["host"], e["user"], e["password"], str(self.path))
            for e in entries
            if e not in keep
        ]
        if removed:
            self._save(keep)
        return removed

    def lookup(self, host: str, user: str = "") -> StoredCredential | None:
        """The entry for ``host`` (and ``user`` if given): the host as typed first, else its name alone."""
        name = host.rpartition(":")[0] if host.rpartition(":")[2].isdigit() else host
        for candidate in dict.fromkeys((host, name)):
            for entry in self.items(_escape(candidate), _escape(user) if user else "*"):
                return entry
        return None


def _escape(text: str) -> str:
    """``text`` as a literal wildcard pattern."""
    return "".join(f"`{c}" if c in "*?[]`" else c for c in text)

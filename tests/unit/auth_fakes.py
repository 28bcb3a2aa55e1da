"""Small real objects for the auth unit tests: a host root with a shadow file, a clock, an
inventory of VMs and pools for the entity tree."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from hostd.accounts import Accounts
from hostd.entities import EntityTree
from hostd.events import EventLog
from hostd.host_settings import HostSettings
from hostd.inventory import ROOT_POOL_ID
from hostd.lockdown import Lockdown
from hostd.sessions import SessionManager
from hostd.vms import VmManager
from pyesx.layout import HostLayout
from pyesx.passwords import hash_password

ROOT_PASSWORD = "root-Pw-1"


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def make_root(tmp: Path, users: dict[str, tuple[str, str]] | None = None) -> HostLayout:
    """A host root whose shadow.json holds root and ``users`` (name -> (password, role))."""
    layout = HostLayout(tmp)
    layout.etc.mkdir(parents=True, exist_ok=True)
    layout.log.mkdir(parents=True, exist_ok=True)
    entries = {"root": {"password_hash": hash_password(ROOT_PASSWORD), "role": "Administrator"}}
    for user, (password, role) in (users or {}).items():
        entries[user] = {"password_hash": hash_password(password), "role": role}
    layout.shadow.write_text(json.dumps({"users": entries}))
    layout.shadow.chmod(0o600)
    return layout


@dataclass
class Auth:
    layout: HostLayout
    clock: Clock
    accounts: Accounts
    settings: HostSettings
    events: EventLog
    lockdown: Lockdown
    sessions: SessionManager


def make_auth(tmp: Path, users: dict[str, tuple[str, str]] | None = None) -> Auth:
    layout = make_root(tmp, users)
    clock = Clock()
    accounts = Accounts(layout)
    settings = HostSettings(layout)
    events = EventLog(layout.log / "events.jsonl")
    lockdown = Lockdown(layout.etc / "lockdown.json")
    sessions = SessionManager(accounts, settings, events, lockdown, clock=clock)
    return Auth(layout, clock, accounts, settings, events, lockdown, sessions)


@dataclass
class FakeVm:
    id: str
    name: str
    pool_id: str = ROOT_POOL_ID


@dataclass
class FakeInventory:
    """What EntityTree reads of a VmManager: VMs, pool names and parents."""

    vms: dict[str, FakeVm] = field(default_factory=dict)
    pool_names: dict[str, str] = field(default_factory=lambda: {ROOT_POOL_ID: "Resources"})
    pool_parents: dict[str, str] = field(default_factory=dict)

    def pool_of(self, vm: FakeVm) -> str:
        return vm.pool_id if vm.pool_id in self.pool_names else ROOT_POOL_ID

    def add_pool(self, pool_id: str, name: str, parent: str = ROOT_POOL_ID) -> None:
        self.pool_names[pool_id] = name
        self.pool_parents[pool_id] = parent

    def add_vm(self, vm_id: str, name: str, pool_id: str = ROOT_POOL_ID) -> None:
        self.vms[vm_id] = FakeVm(vm_id, name, pool_id)

    def tree(self) -> EntityTree:
        return EntityTree(cast(VmManager, self))

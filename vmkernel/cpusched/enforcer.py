"""The enforcement loop: every tick, charge each world and hold back (SIGSTOP) those in debt or
co-stopped, letting the rest go (SIGCONT)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field

from vmkernel.cpusched.budget import TICK_S, HeldBy, WorldAccount
from vmkernel.cpusched.cosched import SkewTracker
from vmkernel.cpusched.schedstat import SchedStatFile

MAX_UNREAD_S = 0.25  # a world no decision is due for is read at least this often (usage() reads all)


@dataclass(slots=True)
class _VmWorlds:
    """One VM's worlds as the tick walks them, and when they must next be read."""

    worlds: dict[int, tuple[WorldAccount, SchedStatFile]] = field(default_factory=dict)
    last_read: float = field(default_factory=time.monotonic)
    read_after: float = 0.0  # no tick before this needs to look at them


@dataclass(frozen=True)
class WorldUsage:
    """A world's counters since it was added (seconds of wall clock)."""

    pid: int
    vm_id: str
    vcpu: int
    run: float
    ready: float
    limited: float
    costop: float


class CpuEnforcer:
    """Holds each VMM world to its entitled fraction of a PCPU, and an SMP VM's vCPUs together."""

    def __init__(self, tick_s: float = TICK_S) -> None:
        self.tick_s = tick_s
        self.worlds: dict[int, WorldAccount] = {}
        self._by_vm: dict[str, _VmWorlds] = {}  # what a tick walks
        self._skews: dict[str, SkewTracker] = {}

    def set_world(self, pid: int, vm_id: str, vcpu: int, entitled_fraction: float) -> None:
        """Add a world, or change its entitlement (a fraction of one PCPU; 1 = unlimited)."""
        fraction = max(0.0, min(1.0, entitled_fraction))
        account = self.worlds.get(pid)
        if account is None:
            stat_file = SchedStatFile(pid)
            stat = stat_file.read()
            if stat is None:
                stat_file.close()
                return
            account = WorldAccount(pid, vm_id, vcpu, fraction, stat.run_ns, stat.wait_ns)
            self.worlds[pid] = account
            self._by_vm.setdefault(vm_id, _VmWorlds()).worlds[pid] = (account, stat_file)
        account.entitled_fraction = fraction
        self._by_vm[account.vm_id].read_after = 0.0  # its pace changed: look at it next tick

    def release_vm(self, vm_id: str) -> None:
        """Forget a VM's worlds, continuing any it had stopped (so they can exit)."""
        self._skews.pop(vm_id, None)
        for pid in [pid for pid, a in self.worlds.items() if a.vm_id == vm_id]:
            self._forget(pid)

    def _forget(self, pid: int) -> None:
        account = self.worlds.pop(pid)
        self._hold(account, None)
        vm = self._by_vm[account.vm_id]
        vm.worlds.pop(pid)[1].close()
        if not vm.worlds:
            del self._by_vm[account.vm_id]

    def usage(self) -> list[WorldUsage]:
        """Counters up to now (every world is read first, whenever it was last looked at)."""
        now, gone = time.monotonic(), []
        for vm_id, vm in self._by_vm.items():
            gone += self._look(vm_id, vm, now, decide=False)
        for pid in gone:
            self._forget(pid)
        return [
            WorldUsage(
                a.pid,
                a.vm_id,
                a.vcpu,
                a.totals["run"],
                a.totals["ready"],
                a.totals["limited"],
                a.totals["costop"],
            )
            for a in self.worlds.values()
        ]

    @staticmethod
    def _hold(account: WorldAccount, reason: HeldBy | None) -> None:
        """Stop or continue the world as ``reason`` says (None: let it run)."""
        if (reason is None) != (account.held_by is None):
            with contextlib.suppress(ProcessLookupError):
                os.kill(account.pid, signal.SIGCONT if reason is None else signal.SIGSTOP)
        account.held_by = reason

    def tick(self, now: float) -> None:
        """Look at the worlds that need it: charge what each ran, then hold back those in debt
        (limited) or too far ahead of a sibling vCPU (co-stopped), and let the rest go.

        This runs a hundred times a second, so it does the least it can: a VM's worlds are read
        only once one of them could need a decision (``quiet_for``; at least every MAX_UNREAD_S),
        and a stopped world's counters not at all (it neither runs nor waits)."""
        gone: list[int] = []
        for vm_id, vm in self._by_vm.items():
            if now >= vm.read_after:
                gone += self._look(vm_id, vm, now)
        for pid in gone:
            self._forget(pid)

    def _look(self, vm_id: str, vm: _VmWorlds, now: float, decide: bool = True) -> list[int]:
        """Charge the VM's worlds up to now and (unless not ``decide``: only the counters are
        wanted, maybe after the tick loop ended) decide which to hold; returns the worlds gone."""
        gone: list[int] = []
        elapsed, vm.last_read = now - vm.last_read, now
        worlds = vm.worlds
        progressed: dict[int, float] = {}
        for pid, (account, stat_file) in worlds.items():
            if account.held_by is not None:
                progressed[pid] = account.charge_held(elapsed)
                continue
            stat = stat_file.read()
            if stat is None:
                gone.append(pid)
                continue
            progressed[pid] = account.charge(stat.run_ns, stat.wait_ns, elapsed)
        if not decide:
            return gone
        costopped: AbstractSet[int] = frozenset()
        quiet = MAX_UNREAD_S
        if len(worlds) > 1:
            skew = self._skews.get(vm_id) or self._skews.setdefault(vm_id, SkewTracker())
            costopped = skew.update(progressed)
            quiet = min(quiet, skew.quiet_for())
        for pid in progressed:
            account = worlds[pid][0]
            reason: HeldBy | None = None
            if account.in_debt():
                reason = "limited"
            elif pid in costopped:
                reason = "costop"
            self._hold(account, reason)
            quiet = min(quiet, account.quiet_for())
        vm.read_after = now + quiet - self.tick_s  # read at the last tick before it could matter
        return gone

    async def run(self) -> None:
        """Tick for the life of the VMkernel's event loop; continue every stopped world when cancelled."""
        try:
            while True:
                await asyncio.sleep(self.tick_s)  # the scheduler's tick, not a wait for readiness
                self.tick(time.monotonic())
        finally:
            for account in self.worlds.values():
                self._hold(account, None)

"""The enforcement loop: every tick, charge each world and hold back (SIGSTOP) those in debt or
co-stopped, letting the rest go (SIGCONT)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections import defaultdict
from dataclasses import dataclass

from vmkernel.cpusched.budget import TICK_S, HeldBy, WorldAccount
from vmkernel.cpusched.cosched import SkewTracker
from vmkernel.cpusched.schedstat import SchedStatFile


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
        self._stat_files: dict[int, SchedStatFile] = {}
        self._skews: dict[str, SkewTracker] = {}
        self._last_tick = time.monotonic()

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
            self.worlds[pid], self._stat_files[pid] = account, stat_file
        account.entitled_fraction = fraction

    def release_vm(self, vm_id: str) -> None:
        """Forget a VM's worlds, continuing any it had stopped (so they can exit)."""
        self._skews.pop(vm_id, None)
        for pid in [pid for pid, a in self.worlds.items() if a.vm_id == vm_id]:
            self._forget(pid)

    def _forget(self, pid: int) -> None:
        self._hold(self.worlds.pop(pid), None)
        self._stat_files.pop(pid).close()

    def usage(self) -> list[WorldUsage]:
        """Counters so far (to the last tick)."""
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
        """One look at every world: charge what it ran, then hold back those in debt (limited) or
        too far ahead of a sibling vCPU (co-stopped), and let the rest go."""
        elapsed, self._last_tick = now - self._last_tick, now
        progressed: dict[str, dict[int, float]] = defaultdict(dict)
        for pid, account in list(self.worlds.items()):
            stat = self._stat_files[pid].read()
            if stat is None:
                self._forget(pid)
                continue
            progressed[account.vm_id][pid] = account.charge(stat.run_ns, stat.wait_ns, elapsed)
        costopped: set[int] = set()
        for vm_id, progress in progressed.items():
            costopped |= self._skews.setdefault(vm_id, SkewTracker()).update(progress)
        for pid, account in self.worlds.items():
            reason: HeldBy | None = None
            if account.in_debt():
                reason = "limited"
            elif pid in costopped:
                reason = "costop"
            self._hold(account, reason)

    async def run(self) -> None:
        """Tick for the life of the VMkernel's event loop; continue every stopped world when cancelled."""
        try:
            while True:
                await asyncio.sleep(self.tick_s)  # the scheduler's tick, not a wait for readiness
                self.tick(time.monotonic())
        finally:
            for account in self.worlds.values():
                self._hold(account, None)

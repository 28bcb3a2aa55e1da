"""The enforcement loop: every tick, charge each world and hold back (SIGSTOP) those in debt."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from dataclasses import dataclass

from pyesx.logs import get_logger
from vmkernel.cpusched.budget import TICK_S, WorldAccount
from vmkernel.cpusched.schedstat import read_schedstat

_log = get_logger("cpusched")


@dataclass(frozen=True)
class WorldUsage:
    """A world's counters since it was added (seconds of wall clock)."""

    pid: int
    vm_id: str
    vcpu: int
    run: float
    ready: float
    limited: float


class CpuEnforcer:
    """Holds each VMM world to its entitled fraction of a PCPU."""

    def __init__(self, tick_s: float = TICK_S) -> None:
        self.tick_s = tick_s
        self.worlds: dict[int, WorldAccount] = {}
        self._last_tick = time.monotonic()

    def set_world(self, pid: int, vm_id: str, vcpu: int, entitled_fraction: float) -> None:
        """Add a world, or change its entitlement (a fraction of one PCPU; 1 = unlimited)."""
        fraction = max(0.0, min(1.0, entitled_fraction))
        account = self.worlds.get(pid)
        if account is None:
            stat = read_schedstat(pid)
            if stat is None:
                return
            account = WorldAccount(pid, vm_id, vcpu, fraction, stat.run_ns, stat.wait_ns)
            self.worlds[pid] = account
        account.entitled_fraction = fraction

    def release_vm(self, vm_id: str) -> None:
        """Forget a VM's worlds, continuing any it had stopped (so they can exit)."""
        for pid in [pid for pid, a in self.worlds.items() if a.vm_id == vm_id]:
            self._continue(self.worlds.pop(pid), time.monotonic())

    def usage(self) -> list[WorldUsage]:
        """Counters so far; a world held back right now has its time held so far counted as limited."""
        now = time.monotonic()
        return [
            WorldUsage(
                a.pid,
                a.vm_id,
                a.vcpu,
                a.totals["run"],
                a.totals["ready"],
                a.totals["limited"] + (now - a.stopped_since if a.stopped else 0.0),
            )
            for a in self.worlds.values()
        ]

    def _continue(self, account: WorldAccount, now: float) -> None:
        if account.stopped:
            account.totals["limited"] += now - account.stopped_since
            account.stopped = False
            with contextlib.suppress(ProcessLookupError):
                os.kill(account.pid, signal.SIGCONT)

    def tick(self, now: float) -> None:
        """One look at every world: charge what it ran, hold back those in debt, let the rest go."""
        elapsed, self._last_tick = now - self._last_tick, now
        for pid, account in list(self.worlds.items()):
            stat = read_schedstat(pid)
            if stat is None:
                del self.worlds[pid]
                continue
            account.charge(stat.run_ns, stat.wait_ns, elapsed)
            if account.in_debt() and not account.stopped:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGSTOP)
                account.stopped, account.stopped_since = True, now
            elif account.stopped and not account.in_debt():
                self._continue(account, now)

    async def run(self) -> None:
        """Tick for the life of the VMkernel's event loop; continue every stopped world when cancelled."""
        try:
            while True:
                await asyncio.sleep(self.tick_s)  # the scheduler's tick, not a wait for readiness
                self.tick(time.monotonic())
        finally:
            now = time.monotonic()
            for account in self.worlds.values():
                self._continue(account, now)

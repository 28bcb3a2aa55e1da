"""A world's pace and its run/ready/limited/co-stop accounting (pure: no processes).

A world entitled to fraction f of a PCPU earns f seconds of CPU per second of
wall time (a token bucket holding at most BURST_S); what it runs is spent. A
world in debt is held back until it has earned its way out, so a capped world
is held to its pace all the time, leaving the room it does not take to others
from the start (a per-window budget would let it run at the kernel's equal
share until spent, and starve the world it should make room for).

A world is held (SIGSTOP) for one of two reasons, decided at each tick: its
pace (time held is "limited", %MLMTD) or co-scheduling (it ran too far ahead of
a sibling vCPU: time held is "costop", %CSTP; see ``cosched``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

TICK_S = 0.010  # the enforcer looks at every world this often
BURST_S = 0.020  # CPU time a world may bank while it does not use its pace

HeldBy = Literal["limited", "costop"]


@dataclass(slots=True)
class WorldAccount:
    """One VMM world's entitlement, its tokens and its counters since it was added."""

    pid: int
    vm_id: str
    vcpu: int
    entitled_fraction: float  # of one PCPU, 0..1 (1: never held back)
    last_run_ns: int = 0
    last_wait_ns: int = 0
    tokens_s: float = BURST_S
    held_by: HeldBy | None = None  # why the world is stopped now (None: it is not)
    totals: dict[str, float] = field(
        default_factory=lambda: {"run": 0.0, "ready": 0.0, "limited": 0.0, "costop": 0.0}
    )

    @property
    def unlimited(self) -> bool:
        return self.entitled_fraction >= 1.0

    @property
    def stopped(self) -> bool:
        return self.held_by is not None

    def charge(self, run_ns: int, wait_ns: int, elapsed_s: float) -> float:
        """Account the kernel's counters read now for a world that was let run: earn elapsed_s at the
        entitled pace and spend what ran. Returns the world's progress over the interval for
        co-scheduling: the time it ran or idled (not ready). A held world is ``charge_held``."""
        ran = max(0, run_ns - self.last_run_ns) / 1e9
        waited = max(0, wait_ns - self.last_wait_ns) / 1e9
        self.last_run_ns, self.last_wait_ns = run_ns, wait_ns
        self.tokens_s = min(BURST_S, self.tokens_s + self.entitled_fraction * elapsed_s) - ran
        self.totals["run"] += ran
        self.totals["ready"] += waited
        return max(0.0, elapsed_s - waited)

    def charge_held(self, elapsed_s: float) -> float:
        """Account an interval the world was held all through, without reading the kernel's counters
        (a stopped world neither runs nor waits, so there is nothing to read): earn at the entitled
        pace and charge the hold to its reason. The little it ran before the signal landed is in the
        counters and spent at its next read. Returns its progress: none."""
        assert self.held_by is not None
        self.tokens_s = min(BURST_S, self.tokens_s + self.entitled_fraction * elapsed_s)
        self.totals[self.held_by] += elapsed_s
        return 0.0

    def quiet_for(self) -> float:
        """Seconds the world can go unread with no decision missed, however it runs: until a running
        capped world could have spent its tokens running flat out, or a held one has earned its way
        out of debt. A co-stopped world is looked at every tick."""
        if self.held_by == "costop":
            return 0.0
        if self.held_by == "limited":
            return -self.tokens_s / self.entitled_fraction if self.entitled_fraction > 0 else math.inf
        if self.unlimited:
            return math.inf
        return max(0.0, self.tokens_s) / (1.0 - self.entitled_fraction)

    def in_debt(self) -> bool:
        return self.tokens_s < 0 and self.entitled_fraction < 1.0

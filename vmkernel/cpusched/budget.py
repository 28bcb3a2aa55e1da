"""A world's pace and its run/ready/limited accounting (pure: no processes).

A world entitled to fraction f of a PCPU earns f seconds of CPU per second of
wall time (a token bucket holding at most BURST_S); what it runs is spent. A
world in debt is held back until it has earned its way out, so a capped world
is held to its pace all the time, leaving the room it does not take to others
from the start (a per-window budget would let it run at the kernel's equal
share until spent, and starve the world it should make room for).
"""

from __future__ import annotations

from dataclasses import dataclass, field

TICK_S = 0.010  # the enforcer looks at every world this often
BURST_S = 0.020  # CPU time a world may bank while it does not use its pace


@dataclass
class WorldAccount:
    """One VMM world's entitlement, its tokens and its counters since it was added."""

    pid: int
    vm_id: str
    vcpu: int
    entitled_fraction: float  # of one PCPU, 0..1 (1: never held back)
    last_run_ns: int = 0
    last_wait_ns: int = 0
    tokens_s: float = BURST_S
    stopped: bool = False
    stopped_since: float = 0.0
    totals: dict[str, float] = field(default_factory=lambda: {"run": 0.0, "ready": 0.0, "limited": 0.0})

    @property
    def unlimited(self) -> bool:
        return self.entitled_fraction >= 1.0

    def charge(self, run_ns: int, wait_ns: int, elapsed_s: float) -> None:
        """Account the kernel's counters read now: earn elapsed_s at the entitled pace, spend what ran."""
        ran = max(0, run_ns - self.last_run_ns) / 1e9
        waited = max(0, wait_ns - self.last_wait_ns) / 1e9
        self.last_run_ns, self.last_wait_ns = run_ns, wait_ns
        self.tokens_s = min(BURST_S, self.tokens_s + self.entitled_fraction * elapsed_s) - ran
        self.totals["run"] += ran
        if not self.stopped:  # a held world's runqueue wait (it stops once it next runs) is limited time
            self.totals["ready"] += waited

    def in_debt(self) -> bool:
        return not self.unlimited and self.tokens_s < 0

"""Relaxed co-scheduling of an SMP VM's vCPU worlds (pure: no processes).

A guest expects its vCPUs to advance together: a spin lock held by a
descheduled vCPU stalls the others. As on ESXi (5.x and later, "relaxed"
co-scheduling), each vCPU's progress is tracked: a vCPU progresses while it
runs or idles (a halted vCPU needs no CPU to keep up) and falls behind while it
is ready but not running, or held back. Skew is how far a vCPU is ahead of its
slowest sibling. A vCPU whose skew passes COSTOP_SKEW_S is co-stopped alone
(not the whole VM), and co-started once its lead is back under COSTART_SKEW_S,
which gives the laggard the room to catch up. Time co-stopped is %CSTP.
"""

from __future__ import annotations

from collections.abc import Mapping

COSTOP_SKEW_S = 0.030  # a vCPU this far ahead of its slowest sibling is co-stopped
COSTART_SKEW_S = 0.010  # and started again once its lead is back under this


class SkewTracker:
    """One VM's vCPU worlds: their progress relative to the slowest, and who is co-stopped."""

    def __init__(self) -> None:
        self.lead: dict[int, float] = {}  # world pid → seconds ahead of the slowest sibling (≥ 0)
        self.costopped: set[int] = set()

    def update(self, progressed: Mapping[int, float]) -> set[int]:
        """Account one interval (world pid → seconds of progress in it); returns the worlds to co-stop.

        Worlds missing from ``progressed`` are gone and forgotten; a new world starts level with
        the leader, so adding a vCPU stops no one."""
        for pid in set(self.lead) - set(progressed):
            del self.lead[pid]
            self.costopped.discard(pid)
        start = max(self.lead.values(), default=0.0)
        for pid, progress in progressed.items():
            self.lead[pid] = self.lead.get(pid, start) + max(0.0, progress)
        if len(self.lead) < 2:
            self.lead = dict.fromkeys(self.lead, 0.0)
            self.costopped.clear()
            return set()
        slowest = min(self.lead.values())
        for pid in self.lead:
            self.lead[pid] -= slowest
            if self.lead[pid] > COSTOP_SKEW_S:
                self.costopped.add(pid)
            elif self.lead[pid] < COSTART_SKEW_S:
                self.costopped.discard(pid)
        return set(self.costopped)

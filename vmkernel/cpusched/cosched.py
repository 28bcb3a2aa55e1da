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
        """Account one interval (world pid → seconds of progress in it); returns the worlds to co-stop
        (the tracker's own set, valid until the next update: the enforcer calls this every tick).

        Worlds missing from ``progressed`` are gone and forgotten; a new world starts level with
        the leader, so adding a vCPU stops no one."""
        lead = self.lead
        if lead.keys() != progressed.keys():
            start = max(lead.values(), default=0.0)
            self.lead = lead = {pid: lead.get(pid, start) for pid in progressed}
            self.costopped &= lead.keys()
        if len(lead) < 2:
            self.lead = dict.fromkeys(lead, 0.0)
            self.costopped.clear()
            return self.costopped
        for pid, progress in progressed.items():
            if progress > 0:
                lead[pid] += progress
        slowest = min(lead.values())
        costopped = self.costopped
        for pid, ahead in lead.items():
            ahead -= slowest
            lead[pid] = ahead
            if ahead > COSTOP_SKEW_S:
                costopped.add(pid)
            elif ahead < COSTART_SKEW_S:
                costopped.discard(pid)
        return costopped

    def quiet_for(self) -> float:
        """Seconds the VM's worlds can go unread with no co-stop missed: a lead grows by at most the
        time that passes, so none can pass the co-stop skew before the leader's margin is used up.
        While a world is co-stopped, every tick (it waits on its siblings' progress)."""
        if self.costopped:
            return 0.0
        return COSTOP_SKEW_S - max(self.lead.values(), default=0.0)

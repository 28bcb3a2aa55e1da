"""The VMkernel's CPU scheduler enforcement: entitlements made true on real VMM world processes.

The kernel runs the processes; this package decides how much each may run.
Every tick (10 ms) the enforcer reads each VMM world's CPU time from the
kernel's own accounting (/proc/PID/schedstat: time on a CPU, time waiting on a
runqueue), charges it against the world's pace (a token bucket earning the
world's entitled fraction of a PCPU; ``budget``), and holds back (SIGSTOP) a
world in debt until it has earned its way out (SIGCONT): time held so is
%MLMTD. Relaxed co-scheduling (``cosched``) holds back an SMP VM's vCPU that
ran too far ahead of its siblings: %CSTP. Every rebalance (0.5 s) the
scheduler (``scheduler``) measures demand and recomputes entitlements from the
resource model. Works unprivileged; no cgroup needed.
"""

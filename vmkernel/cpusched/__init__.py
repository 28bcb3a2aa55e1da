"""The VMkernel's CPU scheduler enforcement: entitlements made true on real VMM world processes.

The kernel runs the processes; this package decides how much each may run.
Every tick (10 ms) it reads each VMM world's CPU time from the kernel's own
accounting (/proc/PID/schedstat: time on a CPU, time waiting on a runqueue),
charges it against the world's budget for the current window (100 ms; budget =
entitlement / PCPU MHz × window), stops the world (SIGSTOP) when the budget is
spent and continues it (SIGCONT) when the next window starts. Time a world
spends stopped that way while it wanted to run is %MLMTD. Works unprivileged;
no cgroup needed.
"""

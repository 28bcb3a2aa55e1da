"""Account lockout: after ``Security.AccountLockFailures`` consecutive failed logins an account is
refused, even with the right password, until ``Security.AccountUnlockTime`` seconds have passed
since the last failure. A success resets the count. Kept in memory, as ESXi's pam_faillock
tally is per boot of the agent.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

MAX_TRACKED = 10_000  # failures of unknown names must not grow the table without bound


@dataclass
class Tally:
    failures: int = 0
    last_failure: float = 0.0


class Lockout:
    def __init__(
        self, limits: Callable[[], tuple[int, int]], clock: Callable[[], float] = time.monotonic
    ) -> None:
        """``limits()`` gives (lock failures, unlock seconds) as the settings say now."""
        self.limits, self.clock = limits, clock
        self._tallies: dict[str, Tally] = {}

    def locked_for(self, user: str) -> float:
        """Seconds the account stays locked (0: not locked)."""
        tally = self._tallies.get(user)
        failures, unlock = self.limits()
        if tally is None or not failures or tally.failures < failures:
            return 0.0
        left = tally.last_failure + unlock - self.clock()
        if left <= 0:
            del self._tallies[user]  # unlocked: the count starts again
            return 0.0
        return left

    def failures(self, user: str) -> int:
        tally = self._tallies.get(user)
        return tally.failures if tally else 0

    def failed(self, user: str) -> bool:
        """Count a failure; True when this one locks the account."""
        if user not in self._tallies and len(self._tallies) >= MAX_TRACKED:
            self._tallies.pop(next(iter(self._tallies)))
        tally = self._tallies.setdefault(user, Tally())
        tally.failures += 1
        tally.last_failure = self.clock()
        failures, _ = self.limits()
        return bool(failures) and tally.failures == failures

    def succeeded(self, user: str) -> None:
        self._tallies.pop(user, None)

    def unlock(self, user: str) -> None:
        self._tallies.pop(user, None)

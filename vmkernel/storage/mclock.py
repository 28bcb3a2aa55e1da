"""mClock (Gulati, Merchant, Varman, OSDI 2010): I/O scheduling among the disks on a datastore.

Each client (a VM's virtual disk) has a reservation r (IOPS, 0 = none), a weight
w (its shares: 500 / 1000 / 2000 or custom) and a limit l (IOPS, None =
unlimited). Every request gets three tags when it arrives at time t:

    R = max(R_prev + 1/r, t)      reservation: spaced at the reserved rate
    L = max(L_prev + 1/l, t)      limit: spaced at the limit
    P = max(P_prev + 1/w', t)     proportional share

Dispatch, whenever the datastore can take a request: first the request with
the smallest R ≤ t (reservations are met first); otherwise, among clients whose
head request has L ≤ t, the smallest P — and then that client's remaining R
tags move back by 1/r, so service in the weight phase does not count against
its reservation. A client returning from idle gets no credit for the idle time:
the P tags of the clients already active are shifted so the smallest is t, and
the newcomer starts at t.

Weights are scaled to the datastore's throughput (w' = C · w / Σw over the
active clients, in IOPS), so that backlogged clients' P tags advance with real
time and the max(…, t) never flattens them. The scheduler is pure: callers pass
the time, which makes it exact to test.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

Request = TypeVar("Request")
SHARES_PRESETS = {"low": 500, "normal": 1000, "high": 2000}
MAX_IOPS = 10**7  # a reservation, limit or capacity above this is a mistake


@dataclass(frozen=True)
class IoAllocation:
    """One disk's I/O allocation: reservation and limit in IOPS, shares as weight."""

    reservation_iops: int = 0
    shares: int = SHARES_PRESETS["normal"]
    limit_iops: int | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.reservation_iops <= MAX_IOPS:
            raise ValueError(f"reservation {self.reservation_iops} IOPS is not between 0 and {MAX_IOPS}")
        if not 1 <= self.shares <= 1_000_000:
            raise ValueError(f"shares {self.shares} is not between 1 and 1000000")
        if self.limit_iops is not None:
            if not 1 <= self.limit_iops <= MAX_IOPS:
                raise ValueError(f"limit {self.limit_iops} IOPS is not between 1 and {MAX_IOPS}")
            if self.reservation_iops > self.limit_iops:
                raise ValueError("the reservation is above the limit")


@dataclass
class _Tagged(Generic[Request]):
    request: Request
    r: float
    limit: float
    p: float


@dataclass
class _Client(Generic[Request]):
    allocation: IoAllocation
    queue: deque[_Tagged[Request]] = field(default_factory=deque)
    last_r: float = -math.inf
    last_l: float = -math.inf
    last_p: float = -math.inf
    served_reservation: int = 0
    served_weight: int = 0


class MClock(Generic[Request]):
    """The mClock tags and dispatch order over clients keyed by any hashable id."""

    def __init__(self, capacity_iops: float) -> None:
        self.capacity_iops = capacity_iops
        self._clients: dict[Hashable, _Client[Request]] = {}
        self.queued = 0  # requests waiting, over every client

    # -- clients ----------------------------------------------------------------------------------

    def set_client(self, client_id: Hashable, allocation: IoAllocation) -> None:
        """Add a client, or change its allocation (from its next request on)."""
        client = self._clients.get(client_id)
        if client is None:
            self._clients[client_id] = _Client(allocation)
        else:
            client.allocation = allocation

    def remove_client(self, client_id: Hashable) -> list[Request]:
        """Forget a client; returns the requests it still had queued (to fail or reissue)."""
        client = self._clients.pop(client_id, None)
        if client is None:
            return []
        self.queued -= len(client.queue)
        return [t.request for t in client.queue]

    def backlog(self, client_id: Hashable) -> int:
        client = self._clients.get(client_id)
        return len(client.queue) if client else 0

    def served(self, client_id: Hashable) -> tuple[int, int]:
        """(requests dispatched in the reservation phase, in the weight phase)."""
        client = self._clients[client_id]
        return client.served_reservation, client.served_weight

    # -- tagging ----------------------------------------------------------------------------------

    def _active_weight(self) -> int:
        return sum(c.allocation.shares for c in self._clients.values() if c.queue)

    def submit(self, client_id: Hashable, request: Request, now: float) -> None:
        """A request arrives: tag it and queue it behind the client's others."""
        client = self._clients[client_id]
        alloc = client.allocation
        if not client.queue:
            self._reactivate(client, now)
        total_weight = self._active_weight() + (0 if client.queue else alloc.shares)
        weight_iops = self.capacity_iops * alloc.shares / total_weight
        r = max(client.last_r + 1 / alloc.reservation_iops, now) if alloc.reservation_iops else math.inf
        limit = max(client.last_l + 1 / alloc.limit_iops, now) if alloc.limit_iops else now
        p = max(client.last_p + 1 / weight_iops, now)
        client.last_r, client.last_l, client.last_p = (
            (r if alloc.reservation_iops else client.last_r),
            limit,
            p,
        )
        client.queue.append(_Tagged(request, r, limit, p))
        self.queued += 1

    def _reactivate(self, client: _Client[Request], now: float) -> None:
        """An idle client becomes active: no credit for the idle time, and the active clients'
        P tags move so the smallest is now (keeping their order)."""
        heads = [c for c in self._clients.values() if c.queue]
        if heads:
            shift = min(c.queue[0].p for c in heads) - now
            for other in (*heads, client):
                for tagged in other.queue:
                    tagged.p -= shift
                other.last_p -= shift
        client.last_p = min(client.last_p, now)

    # -- dispatch ---------------------------------------------------------------------------------

    def dispatch(self, now: float) -> tuple[Hashable, Request] | None:
        """The next request to send to the datastore at ``now``, or None if none may go yet."""
        reserved = [
            (c.queue[0].r, cid) for cid, c in self._clients.items() if c.queue and c.queue[0].r <= now
        ]
        if reserved:
            _, cid = min(reserved, key=lambda item: item[0])
            client = self._clients[cid]
            client.served_reservation += 1
            self.queued -= 1
            return cid, client.queue.popleft().request
        eligible = [
            (c.queue[0].p, cid) for cid, c in self._clients.items() if c.queue and c.queue[0].limit <= now
        ]
        if not eligible:
            return None
        _, cid = min(eligible, key=lambda item: item[0])
        client = self._clients[cid]
        tagged = client.queue.popleft()
        self.queued -= 1
        client.served_weight += 1
        if client.allocation.reservation_iops:  # weight-phase service does not use up the reservation
            step = 1 / client.allocation.reservation_iops
            for waiting in client.queue:
                waiting.r -= step
            client.last_r -= step
        return cid, tagged.request

    def next_eligible(self) -> float | None:
        """The earliest time a queued request may go (limits hold the rest back); None: empty."""
        times = [min(c.queue[0].r, c.queue[0].limit) for c in self._clients.values() if c.queue]
        return min(times) if times else None

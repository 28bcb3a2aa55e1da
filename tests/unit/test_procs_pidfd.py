"""ForkedChild waits for a child through its pidfd, in the event loop or, when the loop refuses the
fd (uvloop still counting the number as a dead transport's), in a thread."""

from __future__ import annotations

import asyncio
import os
from typing import Any

import pytest

from pyesx.procs import ForkedChild

pytestmark = pytest.mark.timeout(20)


def _spawn(script: str) -> int:
    """A child running ``sh -c script`` (not a Popen: nothing else may reap it)."""
    return os.posix_spawnp("sh", ["sh", "-c", script], os.environ)


async def test_a_child_is_waited_for_in_the_loop() -> None:
    assert await asyncio.wait_for(ForkedChild(_spawn("exit 0")).wait(), 10) == 0


async def test_a_refused_pidfd_is_waited_for_in_a_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    loop = asyncio.get_running_loop()

    def refuse(fd: int, *args: Any) -> None:
        raise RuntimeError(f"File descriptor {fd} is used by transport <UnixTransport closed=False>")

    monkeypatch.setattr(loop, "add_reader", refuse)
    assert await asyncio.wait_for(ForkedChild(_spawn("exit 3")).wait(), 10) == 3

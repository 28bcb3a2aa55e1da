"""The issue-9 benchmarks at their smallest size: they run through a real host and report sane figures.

No timing is asserted: only that every VM the benchmark powered on was verified, and
that each figure has a value (the peers' baselines are n/a where QEMU or libvirt
is not installed; this test does not install them).
"""

from __future__ import annotations

import math
import shutil

import pytest

from bench import capacity, power_ops, power_rate, report
from bench.peers import BINARIES, libvirt, qemu

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]
PEERS = all(shutil.which(name) for name in BINARIES)


def test_power_rate_capacity_and_power_operations() -> None:
    rate = power_rate.run(vms=2)
    assert rate.verified == 2 and all(f.value > 0 for f in rate.figures())
    most = capacity.run(cap=3)
    assert most.count == most.verified == 3 and "cap of 3" in most.stopped_by
    ops = power_ops.run(vms=1, seconds=0.5, rounds=1)
    assert ops.hostd[0].errors == 0 and ops.echo[0].calls > 0
    assert "hostd power operations" in report.summary([rate, most, ops], {}, {})


@pytest.mark.skipif(not PEERS, reason="QEMU and libvirt are not installed (bench/peers/install.sh)")
def test_peers_beside_ours() -> None:
    peer = qemu.run(vms=1)
    assert not peer.missing and len(peer.qemu_ms) == len(peer.ours_ms) == 1
    assert all(not math.isnan(f.baseline) for f in peer.figures())
    daemon = libvirt.run(vms=1, domains=5)
    assert set(daemon.theirs) == set(daemon.ours) == set(libvirt.OPS)

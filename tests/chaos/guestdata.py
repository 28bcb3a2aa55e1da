"""Guest writes the guest saw acknowledged, and the proof they are on disk.

Every storm VM runs the simulated guest's sequential write workload at queue depth 1
(``sim.disk.pattern = "seqwrite"``): write number ``s`` of a guest's life goes to block
``(s - 1) mod blocks`` with a header naming the block and the VM (``vmx.guestdisk``). With one
I/O in flight, the guest's ``disk.last_acked_seq`` = ``n`` means writes 1..n were all
acknowledged, so blocks 0..min(n, blocks)-1 hold a whole block this VM wrote. A tracker polls
that counter; afterwards ``verify_disk`` reads the VM's disk back from the host through its
snapshot chain and checks every such block (and that no block anywhere is torn or misplaced).
"""

from __future__ import annotations

import threading
from pathlib import Path

from pyesx.vmxfile import VmxConfig
from vmkernel.storage import open_disk
from vmx.guestdisk import FILL, HEADER, MAGIC

BLOCK = 4096
WORKLOAD = {
    "sim.disk.iops": "20",
    "sim.disk.pattern": "seqwrite",
    "sim.disk.queueDepth": "1",
    "sim.disk.blockKB": "4",
}


class AckTracker:
    """The most blocks each VM's guest saw acknowledged in any one life (lower bounds)."""

    def __init__(self, blocks: int) -> None:
        self.blocks = blocks
        self.acked: dict[str, int] = {}
        self.samples = 0
        self._lock = threading.Lock()

    def observe(self, vm_id: str, counters: dict[str, float]) -> None:
        acked = min(int(counters.get("disk.last_acked_seq", 0)), self.blocks)
        with self._lock:
            self.samples += 1
            self.acked[vm_id] = max(self.acked.get(vm_id, 0), acked)

    def forget(self, vm_id: str) -> None:
        """The VM was destroyed: its data went with it."""
        with self._lock:
            self.acked.pop(vm_id, None)

    def total(self) -> int:
        return sum(self.acked.values())


def _disk_descriptor(vmx_path: Path) -> Path:
    config = VmxConfig.parse(vmx_path.read_text(), str(vmx_path))
    name = config.get("scsi0:0.fileName")
    assert name, f"{vmx_path} has no scsi0:0 disk"
    return vmx_path.parent / name


def verify_disk(vmx_path: Path, vm_id: str, acked: int) -> tuple[int, list[str]]:
    """(blocks checked, problems) for one VM's disk, read through its chain from the host."""
    problems: list[str] = []
    tag = vm_id.encode()[:16].ljust(16, b"\0")
    with open_disk(_disk_descriptor(vmx_path), read_only=True) as disk:
        capacity = disk.capacity_bytes
        data = disk.read(0, capacity)
    blocks = capacity // BLOCK
    checked, missing = 0, []
    for lba in range(blocks):
        block = data[lba * BLOCK : (lba + 1) * BLOCK]
        if block[:8] != MAGIC:
            if lba < acked:
                missing.append(lba)
            elif any(block):
                problems.append(f"{vm_id}: block {lba} holds bytes no guest write explains")
            continue
        checked += 1
        _magic, got_lba, _seq, owner = HEADER.unpack_from(block)
        if got_lba != lba or owner != tag:
            who = owner.rstrip(bytes(1)).decode(errors="replace")
            problems.append(f"{vm_id}: block {lba} holds block {got_lba} of {who}")
        elif block[HEADER.size :] != bytes([FILL]) * (BLOCK - HEADER.size):
            problems.append(f"{vm_id}: block {lba} is torn")
    if missing:
        problems.append(
            f"{vm_id}: {len(missing)} acknowledged blocks missing from the disk: {_ranges(missing)}"
        )
    return checked, problems


def _ranges(numbers: list[int]) -> str:
    """[1, 2, 3, 7] -> "1-3, 7"."""
    spans: list[list[int]] = []
    for n in numbers:
        if spans and spans[-1][1] == n - 1:
            spans[-1][1] = n
        else:
            spans.append([n, n])
    return ", ".join(f"{a}-{b}" if a != b else str(a) for a, b in spans)

"""A write-back cache of file system metadata blocks, written back in as few device writes as it can."""

from __future__ import annotations

from pyesx.guestfs.api import BlockDevice

MAX_RUN = 1 << 20  # bytes in one coalesced write


class BlockCache:
    """Blocks of ``block_size`` bytes by number: cached on first read, written back at ``flush``.

    Dirty blocks that are contiguous on the device go out in one write. Clean
    blocks beyond ``capacity`` are dropped (dirty ones stay until flushed).
    """

    def __init__(self, device: BlockDevice, block_size: int, capacity: int = 8192) -> None:
        self.device = device
        self.block_size = block_size
        self.capacity = capacity
        self._blocks: dict[int, bytearray] = {}
        self._dirty: set[int] = set()

    def get(self, block: int) -> bytearray:
        """The cached block (read from the device on a miss); mutate it, then ``mark_dirty``."""
        buf = self._blocks.get(block)
        if buf is None:
            if len(self._blocks) >= self.capacity:
                self._evict()
            buf = bytearray(self.device.read(block * self.block_size, self.block_size))
            self._blocks[block] = buf
        return buf

    def get_many(self, first: int, count: int) -> None:
        """Read ``count`` blocks from ``first`` into the cache with one device read (those not cached)."""
        if all(first + i in self._blocks for i in range(count)):
            return
        data = self.device.read(first * self.block_size, count * self.block_size)
        bs = self.block_size
        for i in range(count):
            self._blocks.setdefault(first + i, bytearray(data[i * bs : (i + 1) * bs]))

    def new(self, block: int) -> bytearray:
        """A zero-filled block that will be written (its old contents are not read)."""
        buf = bytearray(self.block_size)
        self._blocks[block] = buf
        self._dirty.add(block)
        return buf

    def mark_dirty(self, block: int) -> None:
        self._dirty.add(block)

    def drop(self, block: int) -> None:
        """Forget a block (freed): a dirty copy is not written."""
        self._blocks.pop(block, None)
        self._dirty.discard(block)

    @property
    def dirty(self) -> bool:
        return bool(self._dirty)

    def flush(self) -> None:
        """Write every dirty block, contiguous ones coalesced into one write each."""
        if not self._dirty:
            return
        order = sorted(self._dirty)
        bs = self.block_size
        start = order[0]
        run: list[bytes] = []
        for block in order:
            if block != start + len(run) or len(run) * bs >= MAX_RUN:
                self.device.write(start * bs, b"".join(run))
                start, run = block, []
            run.append(bytes(self._blocks[block]))
        self.device.write(start * bs, b"".join(run))
        self._dirty.clear()

    def _evict(self) -> None:
        for block in [b for b in self._blocks if b not in self._dirty][: self.capacity // 2]:
            del self._blocks[block]

"""Property-style: random I/O through a chain of three snapshot deltas matches a bytearray model."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from vmkernel.storage import consolidate, create_delta, create_disk, open_disk
from vmkernel.storage.delta import GRAIN_SIZE

pytestmark = pytest.mark.timeout(30)

CAPACITY = 24 * GRAIN_SIZE + 1536  # a partial last grain too
OPS_PER_LEVEL = 80


def random_io(path: Path, model: bytearray, rng: random.Random) -> None:
    """Random writes (often unaligned, sometimes whole grains) and reads checked against ``model``."""
    with open_disk(path) as disk:
        for _ in range(OPS_PER_LEVEL):
            kind = rng.random()
            if kind < 0.4:  # starting on a grain: whole grains, or a part of one
                offset = rng.randrange(-(-CAPACITY // GRAIN_SIZE)) * GRAIN_SIZE
                length = GRAIN_SIZE * rng.randint(1, 3) if kind < 0.2 else rng.randint(1, GRAIN_SIZE)
                length = min(length, CAPACITY - offset)
            else:
                offset = rng.randrange(CAPACITY)
                length = rng.randint(0, min(3 * GRAIN_SIZE, CAPACITY - offset))
            if rng.random() < 0.6:
                data = rng.randbytes(length)
                disk.write(offset, data)
                model[offset : offset + length] = data
            else:
                assert disk.read(offset, length) == model[offset : offset + length]
            if rng.random() < 0.05:
                disk.flush()
        assert disk.read(0, CAPACITY) == model


def read_all(path: Path) -> bytes:
    with open_disk(path, read_only=True) as disk:
        return disk.read(0, CAPACITY)


@pytest.mark.parametrize("order", ["top-down", "bottom-up"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_io_through_a_chain_then_consolidate(tmp_path: Path, seed: int, order: str) -> None:
    rng = random.Random(seed)
    model = bytearray(CAPACITY)
    chain = [tmp_path / "vm.vmdk"]
    create_disk(chain[0], CAPACITY).close()
    snapshots: list[bytes] = []
    for _ in range(3):
        random_io(chain[-1], model, rng)
        snapshots.append(bytes(model))
        chain.append(create_delta(chain[-1]))
    random_io(chain[-1], model, rng)
    for path, frozen in zip(chain, snapshots, strict=False):  # every parent still reads as when it was frozen
        assert read_all(path) == frozen
    if order == "top-down":
        for delta in reversed(chain[1:]):
            consolidate(delta)
    else:  # each consolidation merges a middle delta and moves its child down
        for delta in chain[1:-1]:
            assert consolidate(delta) == chain[0]
            assert read_all(chain[-1]) == model
        consolidate(chain[-1])
    assert read_all(chain[0]) == model
    assert sorted(p.name for p in tmp_path.iterdir()) == ["vm-flat.vmdk", "vm.vmdk"]

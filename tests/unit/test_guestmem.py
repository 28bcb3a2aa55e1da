"""Guest memory (vmx/guestmem.py) in one process: what the guest touches is resident as the OS counts
it, and the balloon and hypervisor swap really give pages back; a swapped page comes back intact."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from vmx.guestmem import MB, GuestMemory, pages_of


@pytest.fixture
def memory(tmp_path: Path) -> Iterator[GuestMemory]:
    guest = GuestMemory(64, str(tmp_path / "vm.vswp"), 48)
    yield guest
    guest.close()


def resident_mb(memory: GuestMemory) -> float:
    return os.fstat(memory.fd).st_blocks * 512 / MB


def test_untouched_memory_costs_nothing(memory: GuestMemory) -> None:
    assert resident_mb(memory) == 0
    assert memory.touch_working_set() == 0
    assert resident_mb(memory) == 0
    assert os.stat(memory.swap_path).st_size == 48 * MB
    assert os.stat(memory.swap_path).st_blocks == 0  # sparse


def test_the_working_set_is_resident_and_follows_a_change(memory: GuestMemory) -> None:
    memory.set_wanted(32)
    assert memory.touch_working_set() == pages_of(32)
    assert resident_mb(memory) == 32
    state = memory.state()
    assert (state.present, state.working_set) == (pages_of(32), pages_of(32))
    memory.set_wanted(8)  # a smaller working set: the rest stays granted, idle
    memory.touch_working_set()
    assert (memory.state().working_set, resident_mb(memory)) == (pages_of(8), 32)
    memory.set_wanted(1000)  # capped at the memory size
    assert memory.touch_working_set() == pages_of(64)


def test_the_balloon_gives_pages_back_and_the_working_set_shrinks_into_the_rest(memory: GuestMemory) -> None:
    memory.set_wanted(48)
    memory.touch_working_set()
    assert memory.balloon_to(pages_of(32), max_inflate=pages_of(8)) == pages_of(8)  # rate-limited
    assert memory.balloon_to(pages_of(32), max_inflate=pages_of(64)) == pages_of(32)
    assert resident_mb(memory) == 32  # the top 32 MB: 16 touched given back, 16 never touched
    assert memory.touch_working_set() == pages_of(32)
    assert memory.state().present == pages_of(32)
    memory.balloon_to(0, max_inflate=0)  # deflate: the guest has its memory again
    assert memory.touch_working_set() == pages_of(48)
    assert resident_mb(memory) == 48


def test_swap_takes_cold_pages_first_and_a_touch_brings_them_back(memory: GuestMemory) -> None:
    memory.set_wanted(32)
    memory.touch_working_set()
    memory.memory[20 * MB + 100 : 20 * MB + 105] = b"hello"  # past the byte the guest writes
    memory.set_wanted(16)
    memory.touch_working_set()
    assert memory.swap_to(pages_of(8), keep=0) == pages_of(8)
    assert resident_mb(memory) == 24
    assert os.stat(memory.swap_path).st_blocks * 512 >= 8 * MB  # really written to the .vswp
    state = memory.state()
    assert (state.present, state.swapped) == (pages_of(24), pages_of(8))
    memory.touch_working_set()  # the cold pages stay out while the guest does not touch them
    assert resident_mb(memory) == 24
    memory.set_wanted(32)
    memory.touch_working_set()
    assert resident_mb(memory) == 32 and memory.state().swapped == 0
    assert memory.memory[20 * MB + 100 : 20 * MB + 105] == b"hello"  # swapped in intact


def test_swap_keeps_the_reservation_and_fits_the_swap_file(memory: GuestMemory) -> None:
    memory.set_wanted(64)
    memory.touch_working_set()
    assert memory.swap_to(pages_of(64), keep=pages_of(40)) == pages_of(24)
    assert memory.swap_to(pages_of(64), keep=0) == pages_of(48)  # the .vswp holds 48 MB
    assert resident_mb(memory) == 16


def test_power_off_deletes_the_swap_file(tmp_path: Path) -> None:
    guest = GuestMemory(16, str(tmp_path / "vm.vswp"), 16)
    assert (tmp_path / "vm.vswp").exists()
    guest.close()
    assert not (tmp_path / "vm.vswp").exists()

"""A VM's guest physical memory: one shared, lazily allocated mapping, and its page-state table.

The vmx creates both before it forks the VMM worlds, so the guest (on vCPU 0's world) and the vmx
(balloon driver, hypervisor swap) act on the same pages:

- ``memory``: a memfd of the configured size mapped ``MAP_SHARED``. A page costs host memory only
  once it is written; reclaiming it punches it out (``MADV_REMOVE``), so the memory is really given
  back. What is resident is the memfd's allocated blocks (``fstat``), i.e. the OS's own figure.
- the page-state table (the simulated MMU every guest access goes through), one byte per 4 KiB
  page: untouched, present, ballooned or swapped; a swapped page's slot in ``<vm>.vswp``; and a
  small header of counters. A guest touch of a swapped page reads it back from the ``.vswp``.

The guest's working set is the lowest ``n`` pages it still has: the balloon takes pages from the top
of guest memory, so a guest whose balloon grows works in what remains. Guest and vmx serialize on a
POSIX lock of the memfd (per process; a thread lock inside the vmx).
"""

from __future__ import annotations

import contextlib
import fcntl
import mmap
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass

PAGE = mmap.PAGESIZE
MB = 1 << 20
UNTOUCHED, PRESENT, BALLOONED, SWAPPED = 0, 1, 2, 3
_PRESENT_BYTE = bytes([PRESENT])
_SWAPPED_BYTE = bytes([SWAPPED])
# header counters (int64 each)
_H_PRESENT, _H_SWAPPED, _H_BALLOONED, _H_WORKING_SET, _H_WANTED = range(5)
_HEADER_SLOTS = 8


def pages_of(mb: float) -> int:
    return int(mb * MB) // PAGE


def mb_of(pages: int) -> float:
    return pages * PAGE / MB


@dataclass(frozen=True)
class MemoryState:
    """The guest memory's figures, in pages (consumed in bytes, as the OS reports it)."""

    pages: int
    wanted: int
    working_set: int
    present: int
    ballooned: int
    swapped: int
    consumed_bytes: int
    swap_file_pages: int


class GuestMemory:
    """Guest physical memory of ``size_mb`` MB, and its swap file (``swap_path``, sparse)."""

    def __init__(self, size_mb: int, swap_path: str, swap_mb: int) -> None:
        self.pages = pages_of(size_mb)
        self.fd = os.memfd_create("pyesx-guestmem", os.MFD_CLOEXEC)
        os.ftruncate(self.fd, self.pages * PAGE)
        self.memory = mmap.mmap(self.fd, self.pages * PAGE, mmap.MAP_SHARED)
        # anonymous shared mappings: zero until written, so an untouched VM pays nothing for them
        self._header_map = mmap.mmap(-1, PAGE, mmap.MAP_SHARED)
        self.header = memoryview(self._header_map).cast("q")
        self.states = mmap.mmap(-1, self.pages, mmap.MAP_SHARED)
        self._slots_map = mmap.mmap(-1, self.pages * 4, mmap.MAP_SHARED)
        self.slots = memoryview(self._slots_map).cast("i")  # slot + 1 of a swapped page (0 = none)
        self.swap_path = swap_path
        self.swap_fd = os.open(swap_path, os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
        self.swap_pages = 0
        self.resize_swap(swap_mb)
        self._thread_lock = threading.Lock()
        self._pass = 0
        # the vmx's swap slot bookkeeping (slot -> page); slots the guest swapped back in are reclaimed lazily
        self._slot_page: dict[int, int] = {}
        self._free_slots: list[int] = []
        self._next_slot = 0

    # -- shared bookkeeping ------------------------------------------------------------------------

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Exclusive access to the page-state table, against the other process and other threads."""
        with self._thread_lock:
            fcntl.lockf(self.fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.lockf(self.fd, fcntl.LOCK_UN)

    def _add(self, slot: int, delta: int) -> None:
        if delta:
            self.header[slot] += delta

    def set_wanted(self, mb: int) -> None:
        """The guest's working set as configured (sim.mem.activeMB), capped at the memory size."""
        wanted = min(self.pages, pages_of(mb))
        if wanted != self.header[_H_WANTED]:
            self.header[_H_WANTED] = wanted

    def resize_swap(self, swap_mb: int) -> None:
        """The .vswp's size (configured − reservation); it only grows while the VM runs."""
        pages = max(0, min(self.pages, pages_of(swap_mb)))
        if pages > self.swap_pages:
            os.ftruncate(self.swap_fd, pages * PAGE)
            self.swap_pages = pages

    def state(self) -> MemoryState:
        h = self.header
        return MemoryState(
            pages=self.pages,
            wanted=h[_H_WANTED],
            working_set=h[_H_WORKING_SET],
            present=h[_H_PRESENT],
            ballooned=h[_H_BALLOONED],
            swapped=h[_H_SWAPPED],
            consumed_bytes=os.fstat(self.fd).st_blocks * 512,
            swap_file_pages=self.swap_pages,
        )

    def _punch(self, first: int, end: int) -> None:
        if end > first:
            self.memory.madvise(mmap.MADV_REMOVE, first * PAGE, (end - first) * PAGE)

    # -- the guest (in vCPU 0's VMM world) ---------------------------------------------------------

    def touch_working_set(self) -> int:
        """One pass of the guest's working set: write every page of it (swapping in what was swapped
        out). The working set is the wanted size, within the pages the balloon left; returns its pages."""
        with self.locked():
            h = self.header
            n = max(0, min(h[_H_WANTED], self.pages - h[_H_BALLOONED]))
            swapped_in = 0
            page = self.states.find(_SWAPPED_BYTE, 0, n)
            while page != -1:
                self._swap_in(page)
                swapped_in += 1
                page = self.states.find(_SWAPPED_BYTE, page + 1, n)
            fresh = self.states[0:n].count(UNTOUCHED) if n else 0
            if n:
                self._pass = self._pass % 255 + 1
                # one write per page: every page of the working set is really resident
                self.memory[0 : n * PAGE : PAGE] = bytes([self._pass]) * n
                self.states[0:n] = _PRESENT_BYTE * n
            self._add(_H_PRESENT, fresh + swapped_in)
            self._add(_H_SWAPPED, -swapped_in)
            if h[_H_WORKING_SET] != n:
                h[_H_WORKING_SET] = n
            return n

    def _swap_in(self, page: int) -> None:
        slot = self.slots[page] - 1
        data = os.pread(self.swap_fd, PAGE, slot * PAGE)
        self.memory[page * PAGE : (page + 1) * PAGE] = data.ljust(PAGE, b"\0")
        self.slots[page] = 0
        self.states[page] = PRESENT

    # -- the balloon driver (guest tools, driven by the vmx) ---------------------------------------

    def balloon_to(self, target: int, max_inflate: int) -> int:
        """Inflate (by at most ``max_inflate`` pages) or deflate the balloon towards ``target`` pages,
        taken from the top of guest memory; return the balloon's size."""
        with self.locked():
            h = self.header
            current = h[_H_BALLOONED]
            target = max(0, min(self.pages, target))
            if target > current:
                target = min(target, current + max_inflate)
                first, end = self.pages - target, self.pages - current
                span = self.states[first:end]
                present, swapped = span.count(PRESENT), span.count(SWAPPED)
                if swapped:
                    for offset, state in enumerate(span):
                        if state == SWAPPED:
                            self.slots[first + offset] = 0
                self.states[first:end] = bytes([BALLOONED]) * (end - first)
                self._punch(first, end)
                self._add(_H_PRESENT, -present)
                self._add(_H_SWAPPED, -swapped)
            elif target < current:
                first, end = self.pages - current, self.pages - target
                self.states[first:end] = bytes(end - first)  # given back: untouched again
            h[_H_BALLOONED] = target
            return target

    # -- hypervisor swap (the vmx) -----------------------------------------------------------------

    def _reclaim_slots(self) -> None:
        for slot, page in list(self._slot_page.items()):
            if self.states[page] != SWAPPED or self.slots[page] != slot + 1:
                del self._slot_page[slot]
                self._free_slots.append(slot)

    def _take_slot(self) -> int | None:
        if self._free_slots:
            return self._free_slots.pop()
        if self._next_slot < self.swap_pages:
            self._next_slot += 1
            return self._next_slot - 1
        return None

    def _victims(self, count: int) -> list[int]:
        """Up to ``count`` present pages, coldest first: those above the working set (from just above
        it upwards, away from the balloon at the top), then the working set's own from its top down
        (the guest will fault those back in)."""
        chosen: list[int] = []
        working_set = self.header[_H_WORKING_SET]
        top = self.pages - self.header[_H_BALLOONED]
        page = self.states.find(_PRESENT_BYTE, working_set, top)
        while page != -1 and len(chosen) < count:
            chosen.append(page)
            page = self.states.find(_PRESENT_BYTE, page + 1, top)
        page = self.states.rfind(_PRESENT_BYTE, 0, min(working_set, top))
        while page != -1 and len(chosen) < count:
            chosen.append(page)
            page = self.states.rfind(_PRESENT_BYTE, 0, page)
        return chosen

    def swap_to(self, target: int, keep: int) -> int:
        """Swap present pages out to the .vswp until ``target`` pages are swapped, never leaving fewer
        than ``keep`` present (the reservation); return how many are swapped."""
        with self.locked():
            h = self.header
            self._reclaim_slots()
            want = min(target - h[_H_SWAPPED], h[_H_PRESENT] - keep)
            done = 0
            for page in self._victims(max(0, want)) if want > 0 else []:
                slot = self._take_slot()
                if slot is None:
                    break
                os.pwrite(self.swap_fd, self.memory[page * PAGE : (page + 1) * PAGE], slot * PAGE)
                self._slot_page[slot] = page
                self.slots[page] = slot + 1
                self.states[page] = SWAPPED
                self._punch(page, page + 1)
                done += 1
            self._add(_H_PRESENT, -done)
            self._add(_H_SWAPPED, done)
            return h[_H_SWAPPED]

    def close(self, remove_swap: bool = True) -> None:
        """Let the memory go and delete the .vswp (at power-off)."""
        with contextlib.suppress(OSError):
            os.close(self.swap_fd)
        if remove_swap:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.swap_path)

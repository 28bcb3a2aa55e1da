"""Allocation targets with the idle memory tax, and the reclamation plan that moves a VM towards its own.

A VM's demand is what it would hold unconstrained: max(the working set it wants, what it has been
granted), at most its limit and its size. While Σ demand fits in the memory VMs may use (host
memory − Σ overhead − minFree), every VM's target is its demand. Otherwise memory is taken back,
in small steps, from the VM with the lowest shares per page under the idle memory tax (Waldspurger,
OSDI 2002)::

    ρ = S / (P · (f + k · (1 − f))),   k = 1 / (1 − τ),   τ = 0.75

(S shares, P pages it would hold, f the active fraction of them), so an idle VM gives back up to
k = 4 times sooner than an active one with the same shares; no VM goes below its reservation.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

from pyesx.guestsim import BALLOON_INFLATE_MB_PER_STEP, BALLOON_MAX_FRACTION

from .states import MemState, reclaims_by_balloon, reclaims_by_swap

TAX_RATE = 0.75
STEPS = 512  # reclamation is divided into at most about this many steps (of at least 1 MB)


@dataclass(frozen=True)
class VmMemory:
    """One powered-on VM's memory allocation and its guest memory's figures (MB)."""

    vm_id: str
    configured_mb: float
    shares: int
    reservation_mb: float = 0.0
    limit_mb: float = -1.0  # -1: unlimited
    wanted_mb: float = 0.0  # the working set the guest wants
    active_mb: float = 0.0  # the working set it touched in its last pass
    granted_mb: float = 0.0
    consumed_mb: float = 0.0
    balloon_mb: float = 0.0
    swapped_mb: float = 0.0
    balloon_available: bool = True  # guest tools run

    @property
    def limited(self) -> bool:
        return self.limit_mb >= 0

    @property
    def ceiling_mb(self) -> float:
        return min(self.configured_mb, self.limit_mb) if self.limited else self.configured_mb

    @property
    def demand_mb(self) -> float:
        return min(self.ceiling_mb, max(self.wanted_mb, self.granted_mb))


def idle_tax_rho(shares: float, pages: float, active: float, tax_rate: float = TAX_RATE) -> float:
    """Shares per page under the idle memory tax; ``active`` of the ``pages`` are in use."""
    if not 0 <= tax_rate < 1:
        raise ValueError(f"tax rate {tax_rate} must be in [0, 1)")
    if pages <= 0:
        return float("inf")
    f = min(1.0, max(0.0, active / pages))
    k = 1 / (1 - tax_rate)
    return shares / (pages * (f + k * (1 - f)))


def allocation_targets(vms: list[VmMemory], available_mb: float) -> dict[str, float]:
    """Each VM's target (MB): its demand, less what the lowest-ρ VMs give back when Σ demand exceeds
    ``available_mb``; never below min(reservation, demand)."""
    held = {vm.vm_id: vm.demand_mb for vm in vms}
    need = sum(held.values()) - max(0.0, available_mb)
    if need <= 0:
        return held
    floor = {vm.vm_id: min(vm.reservation_mb, held[vm.vm_id]) for vm in vms}
    by_id = {vm.vm_id: vm for vm in vms}

    def rho(vm_id: str) -> float:
        vm = by_id[vm_id]
        return idle_tax_rho(vm.shares, held[vm_id], min(vm.active_mb, held[vm_id]))

    heap = [(rho(vm.vm_id), vm.vm_id) for vm in vms if held[vm.vm_id] > floor[vm.vm_id]]
    heapq.heapify(heap)
    chunk = max(1.0, need / STEPS)
    while need > 1e-9 and heap:
        _, vm_id = heapq.heappop(heap)
        step = min(chunk, need, held[vm_id] - floor[vm_id])
        held[vm_id] -= step
        need -= step
        if held[vm_id] > floor[vm_id] + 1e-9:
            heapq.heappush(heap, (rho(vm_id), vm_id))
    return held


@dataclass(frozen=True)
class Plan:
    """What a VM's vmx is asked to do in the next step (MB): bring its balloon to a size, swap out more.

    ``swap_target_mb`` (SWTGT) is what should then be swapped: what is swapped now + ``swap_out_mb``.
    """

    balloon_target_mb: float = 0.0
    swap_out_mb: float = 0.0
    swap_target_mb: float = 0.0


def plan(vm: VmMemory, target_mb: float, state: MemState, previous: Plan | None = None) -> Plan:
    """The balloon target and swap-out that bring ``vm`` towards ``target_mb`` in host state ``state``.

    The balloon leaves the guest ``configured − balloon`` MB: it inflates towards configured − target
    in soft state or worse and, for a limit, towards configured − limit in any state (at most 65 % of
    the memory; none without guest tools); otherwise it only deflates. Swap (hard or low state, or a
    VM over its limit) takes what stays resident above the target after this step's balloon
    inflation, up to the .vswp's size; swapped pages come back only when the guest touches them.
    """
    cap = BALLOON_MAX_FRACTION * vm.configured_mb if vm.balloon_available else 0.0
    limit_goal = min(cap, max(0.0, vm.configured_mb - vm.limit_mb)) if vm.limited else 0.0
    pressure_goal = min(cap, max(0.0, vm.configured_mb - target_mb))
    previous_goal = previous.balloon_target_mb if previous else 0.0
    if reclaims_by_balloon(state):
        balloon = max(limit_goal, pressure_goal)
    else:
        balloon = max(limit_goal, min(previous_goal, pressure_goal))
    over_limit = vm.limited and vm.consumed_mb > vm.limit_mb
    swap_out = 0.0
    if reclaims_by_swap(state) or over_limit:
        inflating = min(float(BALLOON_INFLATE_MB_PER_STEP), max(0.0, balloon - vm.balloon_mb))
        room = max(0.0, vm.configured_mb - vm.reservation_mb - vm.swapped_mb)
        swap_out = min(room, max(0.0, vm.consumed_mb - target_mb - inflating))
    return Plan(balloon, swap_out, vm.swapped_mb + swap_out)

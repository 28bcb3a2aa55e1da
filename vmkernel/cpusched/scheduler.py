"""The VMkernel's CPU scheduler: admission at power-on, demand measured, entitlements enforced.

Each powered-on VM sits in the resource tree (vmkernel.resources) with the
allocations of its .vmx (``sched.cpu.*``, ``sched.mem.*``). Every rebalance
(0.5 s) the scheduler measures each VM's CPU demand from the enforcer's
counters (time run + time ready + time held by the limiter, over the interval),
computes entitlements with the model (reservations met, limits and demand cap,
the rest by shares, work conserving) and gives each VMM world its share: the
VM's entitlement divided evenly among its vCPUs, as a fraction of one PCPU.

The kernel shares a CPU evenly among the runnable worlds on it, so a VM
entitled to more than an even share would still fall short while capped worlds
run beside it. So the worlds of a VM that gets clearly less than its
entitlement (and wants more) run at normal priority and the capped ones at a
lower one (nice 6): the kernel then prefers the short VM whenever both can run.
Raising a nice value needs no privilege; lowering it back needs root (or
RLIMIT_NICE): unprivileged, a world once lowered stays lowered, and fidelity
suffers accordingly.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from pyesx import faults
from pyesx.allocations import from_vmx
from pyesx.logs import get_logger
from vmkernel.cpusched.enforcer import CpuEnforcer
from vmkernel.hostinfo import PhysicalHost
from vmkernel.resources import admission
from vmkernel.resources.entitlement import cpu_entitlements
from vmkernel.resources.pools import HostCapacity, ResourceTree

_log = get_logger("cpusched")
REBALANCE_S = 0.5
UNLIMITED_FRACTION = 0.995  # at or above this share of a PCPU a world is not held back at all
SERVED = 0.93  # a VM getting less than this part of its entitlement, while wanting more, is short
NICE_SHORT, NICE_CAPPED = 0, 6


@dataclass
class _VmDemand:
    num_cpu: int
    pids: list[int] = field(default_factory=list)
    last_busy: float = 0.0  # run + ready + limited + costop seconds of all its worlds, at the last rebalance
    last_run: float = 0.0
    demand_mhz: float | None = None  # None until measured: counted as fully busy
    got_mhz: float | None = None  # what it ran over the last interval


class CpuScheduler:
    def __init__(self, host: PhysicalHost) -> None:
        self.pcpu_mhz = host.cpu_mhz
        self.tree = ResourceTree(HostCapacity(host.num_pcpus, host.cpu_mhz, max(1, host.memory_bytes >> 20)))
        self.enforcer = CpuEnforcer()
        self._vms: dict[str, _VmDemand] = {}
        self._last_rebalance = time.monotonic()
        self._entitled: dict[str, float] = {}

    # -- power on / off ---------------------------------------------------------------------------

    def admit(self, vm_id: str, num_cpu: int, memory_mb: int, vmx_settings: Mapping[str, str]) -> None:
        """Power-on admission: InsufficientResourcesFault (nothing changes) unless the reservations fit."""
        allocations = from_vmx(vmx_settings, num_cpu, memory_mb)
        with contextlib.suppress(faults.NotFound):
            self.tree.remove_vm(vm_id)  # a stale entry from an earlier power-on
        self.tree.add_vm(vm_id, num_cpu, memory_mb, allocations)
        try:
            admission.admit(self.tree, vm_id)
        except BaseException:
            self.tree.remove_vm(vm_id)
            raise
        self._vms[vm_id] = _VmDemand(num_cpu)

    def set_allocation(self, vm_id: str, vmx_settings: Mapping[str, str]) -> None:
        """A running VM's new allocations: admission control (InsufficientResourcesFault, nothing
        changed), then in force from the next rebalance."""
        vm = self.tree.vm(vm_id)
        allocations = from_vmx(vmx_settings, vm.num_cpu, vm.memory_mb)
        admission.reconfigure(self.tree, vm_id, cpu=allocations.cpu, memory=allocations.memory)
        self.rebalance()

    def attach_worlds(self, vm_id: str, vmm_pids: list[int]) -> None:
        """The VM's VMM worlds run: enforce its entitlement on them."""
        vm = self._vms.get(vm_id)
        if vm is None:
            return
        vm.pids, vm.num_cpu = list(vmm_pids), len(vmm_pids)
        self.tree.vm(vm_id).num_cpu = len(vmm_pids)
        self.rebalance()

    def release(self, vm_id: str) -> None:
        """The VM powered off (or its vmx died): its reservations and worlds are let go."""
        self.enforcer.release_vm(vm_id)
        if self._vms.pop(vm_id, None) is not None:
            with contextlib.suppress(faults.NotFound):
                admission.release(self.tree, vm_id)
                self.tree.remove_vm(vm_id)
        self.rebalance()

    # -- rebalancing ------------------------------------------------------------------------------

    def _measure(self, elapsed: float) -> None:
        busy_by_vm: dict[str, float] = {}
        run_by_vm: dict[str, float] = {}
        for usage in self.enforcer.usage():
            busy_by_vm[usage.vm_id] = (
                busy_by_vm.get(usage.vm_id, 0.0) + usage.run + usage.ready + usage.limited + usage.costop
            )
            run_by_vm[usage.vm_id] = run_by_vm.get(usage.vm_id, 0.0) + usage.run
        for vm_id, vm in self._vms.items():
            busy, ran = busy_by_vm.get(vm_id), run_by_vm.get(vm_id, 0.0)
            if busy is None or elapsed <= 0:
                continue
            if vm.last_busy:
                cores = max(0.0, busy - vm.last_busy) / elapsed
                vm.demand_mhz = min(cores, vm.num_cpu) * self.pcpu_mhz
                vm.got_mhz = max(0.0, ran - vm.last_run) / elapsed * self.pcpu_mhz
            vm.last_busy, vm.last_run = busy, ran

    def _short(self, vm_id: str, vm: _VmDemand) -> bool:
        """Whether the VM got clearly less than its entitlement while it wanted more."""
        if vm.got_mhz is None or vm.demand_mhz is None:
            return False
        return vm.got_mhz < SERVED * self._entitled.get(vm_id, 0.0) and vm.demand_mhz > vm.got_mhz * 1.05

    def rebalance(self) -> None:
        """Recompute entitlements from measured demand and give each VMM world its pace and priority.

        A VM entitled to all it wants is not held back at all; one entitled to less is paced at its
        entitlement, at a lower priority than any VM that is short of its own."""
        now = time.monotonic()
        self._measure(now - self._last_rebalance)
        self._last_rebalance = now
        if not self._vms:
            return
        short = {vm_id for vm_id, vm in self._vms.items() if self._short(vm_id, vm)}
        demand = {vm_id: vm.demand_mhz for vm_id, vm in self._vms.items() if vm.demand_mhz is not None}
        self._entitled = cpu_entitlements(self.tree, demand).vms
        for vm_id, vm in self._vms.items():
            if not vm.pids:
                continue
            entitled = self._entitled.get(vm_id, 0.0)
            wants = vm.demand_mhz if vm.demand_mhz is not None else vm.num_cpu * self.pcpu_mhz
            per_vcpu = entitled / len(vm.pids) / self.pcpu_mhz
            capped = not (entitled >= wants * UNLIMITED_FRACTION or per_vcpu >= UNLIMITED_FRACTION)
            nice = NICE_CAPPED if capped and vm_id not in short else NICE_SHORT
            for vcpu, pid in enumerate(vm.pids):
                self.enforcer.set_world(pid, vm_id, vcpu, per_vcpu if capped else 1.0)
                with contextlib.suppress(OSError):  # unprivileged: lowering a nice value back is refused
                    os.setpriority(os.PRIO_PROCESS, pid, nice)

    async def run(self) -> None:
        """The enforcer's tick and the rebalance, for the life of the VMkernel's event loop."""
        enforcing = asyncio.create_task(self.enforcer.run())
        try:
            while True:
                await asyncio.sleep(REBALANCE_S)  # the rebalance period, not a wait for readiness
                self.rebalance()
        finally:
            enforcing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await enforcing

"""The memory scheduler's loop: one reclamation step per VM and period, then new targets and figures."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import grpc

from pyesx import faults
from pyesx.api.v1 import performance_pb2
from pyesx.logs import get_logger
from pyesx.rpc.channel import call, unix_channel
from pyesx.vmx.v1 import vmx_pb2, vmx_pb2_grpc
from vmkernel.resources.entitlement import memory_entitlements
from vmkernel.resources.pools import ResourceTree

from .states import MemState, host_state, min_free_mb
from .targets import Plan, VmMemory, allocation_targets, plan

_log = get_logger("memsched")
PERIOD_S = 1.0
STEP_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class RunningVm:
    """What the scheduler needs to reach a powered-on VM's vmx."""

    name: str
    socket_path: str
    pid: int = 0  # the vmx's
    guest_memory_fd: int = -1  # its guest memory's fd: resident size from /proc/PID/fd/N without a call

    def resident_bytes(self) -> int | None:
        """The guest memory's allocated bytes, from the OS (None if it cannot be read)."""
        if self.pid <= 0 or self.guest_memory_fd < 0:
            return None
        try:
            return os.stat(f"/proc/{self.pid}/fd/{self.guest_memory_fd}").st_blocks * 512
        except OSError:
            return None


class MemScheduler:
    """Drives every powered-on VM towards its memory target; keeps the latest figures for GetMemoryStats."""

    def __init__(
        self, host_mb: float, tree: ResourceTree, running: Callable[[], Mapping[str, RunningVm]]
    ) -> None:
        self.host_mb = host_mb
        self.min_free_mb = min_free_mb(host_mb)
        self.tree = tree
        self.running = running
        self.state = MemState.HIGH
        self._plans: dict[str, Plan] = {}
        self._last: dict[str, vmx_pb2.GuestMemoryState] = {}
        self._channels: dict[str, tuple[str, grpc.aio.Channel]] = {}
        self.stats = performance_pb2.MemoryStats(
            timestamp=time.time(),
            host_memory_mb=host_mb,
            free_mb=host_mb,
            min_free_mb=self.min_free_mb,
            state=self.state.value,
        )

    def _stub(self, vm_id: str, vm: RunningVm) -> vmx_pb2_grpc.VmxStub:
        known = self._channels.get(vm_id)
        if known is None or known[0] != vm.socket_path:
            known = (vm.socket_path, unix_channel(vm.socket_path))
            self._channels[vm_id] = known
        return vmx_pb2_grpc.VmxStub(known[1])

    async def _close_gone(self, running: Mapping[str, RunningVm]) -> None:
        for vm_id in [v for v in self._channels if v not in running]:
            _, channel = self._channels.pop(vm_id)
            self._plans.pop(vm_id, None)
            self._last.pop(vm_id, None)
            await channel.close()

    def _untouched(self, vm_id: str, vm: RunningVm) -> vmx_pb2.GuestMemoryState | None:
        """The last figures of a VM whose guest has no memory and nothing to do (no call needed:
        an idle VM costs a stat of its memfd a period); None if it must be asked."""
        last, chosen = self._last.get(vm_id), self._plans.get(vm_id, Plan())
        if last is None or chosen.balloon_target_mb or chosen.swap_out_mb:
            return None
        if last.wanted_active_mb or last.granted_mb or last.balloon_mb or last.swapped_mb:
            return None
        if last.reservation_mb != self._reservation(vm_id):
            return None  # the vmx learns a new reservation (its .vswp's size) from the next call
        return last if vm.resident_bytes() == 0 else None

    def _reservation(self, vm_id: str) -> float:
        try:
            return float(self.tree.vm(vm_id).of("memory").reservation)
        except faults.NotFound:
            return 0.0

    async def _step_vm(self, vm_id: str, vm: RunningVm) -> vmx_pb2.GuestMemoryState:
        idle = self._untouched(vm_id, vm)
        if idle is not None:
            return idle
        last = self._plans.get(vm_id, Plan())
        request = vmx_pb2.MemoryTargets(
            balloon_target_mb=last.balloon_target_mb,
            swap_out_mb=last.swap_out_mb,
            reservation_mb=self._reservation(vm_id),
        )
        self._plans[vm_id] = Plan(last.balloon_target_mb, 0.0, last.swap_target_mb)  # swap out once
        answer: vmx_pb2.GuestMemoryState = await call(
            self._stub(vm_id, vm).SetMemoryTargets, request, timeout=STEP_TIMEOUT_S
        )
        self._last[vm_id] = answer
        return answer

    def _vm_memory(self, vm_id: str, guest: vmx_pb2.GuestMemoryState) -> tuple[VmMemory, float] | None:
        try:
            node = self.tree.vm(vm_id)
        except faults.NotFound:
            return None
        alloc = node.of("memory")
        vm = VmMemory(
            vm_id=vm_id,
            configured_mb=guest.configured_mb,
            shares=alloc.shares.number,
            reservation_mb=alloc.reservation,
            limit_mb=alloc.limit,
            wanted_mb=guest.wanted_active_mb,
            active_mb=guest.active_mb,
            granted_mb=guest.granted_mb,
            consumed_mb=guest.consumed_mb,
            balloon_mb=guest.balloon_mb,
            swapped_mb=guest.swapped_mb,
            balloon_available=guest.balloon_available,
        )
        return vm, float(node.overhead_mb)

    async def step(self) -> None:
        """One period: a reclamation step on every VM, then the host's state and the next targets."""
        running = dict(self.running())
        await self._close_gone(running)
        ids = list(running)
        answers = await asyncio.gather(
            *(self._step_vm(vm_id, running[vm_id]) for vm_id in ids), return_exceptions=True
        )
        vms: list[tuple[VmMemory, float]] = []
        for vm_id, answer in zip(ids, answers, strict=True):
            if isinstance(answer, BaseException):
                if not isinstance(answer, Exception):
                    raise answer
                # the vmx is going away (or not answering): no figures this period
                _log.info("memsched.vm_step_failed", vm_id=vm_id, error=repr(answer))
                continue
            known = self._vm_memory(vm_id, answer)
            if known is not None:
                vms.append(known)
        overhead = sum(o for _, o in vms)
        free = self.host_mb - sum(vm.consumed_mb for vm, _ in vms) - overhead
        state = host_state(free, self.min_free_mb)
        if state != self.state:
            _log.info("memsched.state", state=state.value, was=self.state.value, free_mb=round(free, 1))
            self.state = state
        vms = self._pool_limited(vms)
        targets = allocation_targets([vm for vm, _ in vms], self.host_mb - overhead - self.min_free_mb)
        self._plans = {
            vm.vm_id: plan(vm, targets[vm.vm_id], state, self._plans.get(vm.vm_id)) for vm, _ in vms
        }
        self.stats = performance_pb2.MemoryStats(
            timestamp=time.time(),
            host_memory_mb=self.host_mb,
            free_mb=free,
            min_free_mb=self.min_free_mb,
            state=state.value,
            vms=[self._vm_stat(vm, o, running[vm.vm_id].name, targets[vm.vm_id]) for vm, o in vms],
        )

    def _pool_limited(self, vms: list[tuple[VmMemory, float]]) -> list[tuple[VmMemory, float]]:
        """A VM in a pool whose memory limit its pool's VMs' demands exceed gets, as its own limit,
        its share of the pool (divided top-down by shares): memory above it is reclaimed even on a
        free host, as above a VM's own limit."""
        demand = {vm.vm_id: vm.demand_mb for vm, _ in vms}
        try:
            caps = memory_entitlements(self.tree, demand, capacity_mb=sum(demand.values()) + 1).vms
        except faults.VimFault:
            return vms
        out = []
        for vm, vm_overhead in vms:
            cap = caps.get(vm.vm_id, vm.demand_mb)
            if cap < vm.demand_mb - 0.5:
                vm = dataclasses.replace(vm, limit_mb=min(vm.limit_mb, cap) if vm.limited else cap)
            out.append((vm, vm_overhead))
        return out

    def _vm_stat(
        self, vm: VmMemory, overhead: float, name: str, target: float
    ) -> performance_pb2.VmMemoryStat:
        chosen = self._plans[vm.vm_id]
        return performance_pb2.VmMemoryStat(
            vm_id=vm.vm_id,
            name=name,
            configured_mb=vm.configured_mb,
            shares=vm.shares,
            reservation_mb=vm.reservation_mb,
            limit_mb=vm.limit_mb,
            overhead_mb=overhead,
            granted_mb=vm.granted_mb,
            consumed_mb=vm.consumed_mb,
            active_mb=vm.active_mb,
            balloon_mb=vm.balloon_mb,
            balloon_target_mb=chosen.balloon_target_mb,
            swapped_mb=vm.swapped_mb,
            swap_target_mb=chosen.swap_target_mb,
            target_mb=target,
            demand_mb=vm.demand_mb,
        )

    async def run(self) -> None:
        """The memory scheduler's period, for the life of the VMkernel's event loop."""
        try:
            while True:
                started = time.monotonic()
                try:
                    await self.step()
                except Exception as exc:  # a bad period must not end memory scheduling
                    _log.error("memsched.step_failed", error=repr(exc))
                # the scheduling period, not a wait for readiness
                await asyncio.sleep(max(0.05, PERIOD_S - (time.monotonic() - started)))
        finally:
            for _, channel in self._channels.values():
                with contextlib.suppress(Exception):
                    await channel.close()

"""Power-on rate: many VMs powered on in parallel through the SDK, in VMs per second per core.

M 1-vCPU 16 MB VMs are created; all M PowerOnVM calls are submitted at once
from one SDK client (hostd runs the tasks concurrently), then every task is
waited for: rate = M / wall time / the cores usable on this machine. Baseline,
same host and VMs, after powering them off: one at a time, each waited for.
"""

from __future__ import annotations

import functools
import os
import time
from dataclasses import dataclass

from bench.common import Figure, booted_host, create_vms, in_batches, power_off_all, verify_powered_on


@dataclass
class PowerRateResult:
    title = "Power-on rate"
    timed = True
    vms: int
    cores: int
    parallel_s: float = 0.0
    serial_s: float = 0.0
    verified: int = 0

    def _rate(self, seconds: float) -> float:
        return self.vms / seconds / self.cores if seconds else 0.0

    def figures(self) -> list[Figure]:
        return [
            Figure(
                f"Power-on rate, {self.vms} VMs in parallel (per core)",
                self._rate(self.parallel_s),
                "VMs/s",
                self._rate(self.serial_s),
                "the same VMs one at a time",
            )
        ]

    def details(self) -> list[str]:
        return [
            f"{self.vms} VMs (1 vCPU, 16 MB, no NIC): every PowerOnVM submitted at once through the SDK, "
            f"then each task waited for: {self.parallel_s:.2f} s, "
            f"{self.vms / self.parallel_s:.1f} VMs/s on {self.cores} cores. Verified running after "
            f"(poweredOn, vmx and VMM world alive): {self.verified}/{self.vms}. "
            f"Powered off, then one at a time: {self.serial_s:.2f} s ({self.vms / self.serial_s:.1f} VMs/s).",
        ]


def run(vms: int = 32) -> PowerRateResult:
    result = PowerRateResult(vms=vms, cores=len(os.sched_getaffinity(0)))
    with booted_host() as host, host.client() as client:
        ids = create_vms(client, "bench-rate", vms)
        try:
            start = time.perf_counter()
            in_batches(client, [functools.partial(client.power_on, vm_id) for vm_id in ids])
            result.parallel_s = time.perf_counter() - start
            result.verified = sum(not verify_powered_on(client, vm_id) for vm_id in ids)
            power_off_all(client)
            start = time.perf_counter()
            for vm_id in ids:
                client.wait_for_task(client.power_on(vm_id).id)
            result.serial_s = time.perf_counter() - start
        finally:
            power_off_all(client)
    return result

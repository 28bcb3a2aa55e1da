"""Scheduler fidelity: how close each VM's measured CPU share is to its entitlement (issue 4).

Through the whole host: .vmx files with ``sched.cpu.*`` keys and
``sim.cpu.demand = "100"``, registered and powered on; each VM's share is its
VMM worlds' run time (/proc/PID/schedstat) over a window. The entitlement is
the model's (vmkernel.resources) for full demand. The baseline is the error an
even split of the host (what the kernel alone would give) makes on the same
scenarios. Goal: mean absolute error ≤ 5 percentage points of a PCPU.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from pathlib import Path

from bench.common import Figure, booted_host
from pyesx.allocations import from_vmx
from tests.harness import register_busy_vm, vm_cores
from vmkernel.resources import ResourceTree
from vmkernel.resources.admission import admit
from vmkernel.resources.entitlement import cpu_entitlements
from vmkernel.resources.pools import HostCapacity

WINDOW_S = 4.0
Scenario = list[tuple[int, dict[str, str]]]  # per VM: vCPUs, sched.* keys


def scenarios(mhz: int) -> dict[str, Scenario]:
    return {
        "shares 2000:1000:1000:1000": [(1, {"sched.cpu.shares": str(s)}) for s in (2000, 1000, 1000, 1000)],
        "limit 25% of a PCPU": [(1, {"sched.cpu.max": str(mhz // 4)})],
        "reservation 70% vs five": [(1, {"sched.cpu.min": str(int(mhz * 0.7))})] + [(1, {})] * 5,
        "lone 2-vCPU VM": [(2, {})],
    }


@dataclass
class FidelityResult:
    title = "CPU scheduler fidelity"
    timed = True
    window_s: float = WINDOW_S
    rows: list[tuple[str, list[float], list[float], list[float]]] = field(
        default_factory=list
    )  # got, entitled, even

    def _errors(self, index: int) -> list[float]:
        return [
            abs(got - want) * 100
            for _, *cols in self.rows
            for got, want in zip(cols[0], cols[index], strict=True)
        ]

    def figures(self) -> list[Figure]:
        mae, even = statistics.mean(self._errors(1)), statistics.mean(self._errors(2))
        return [
            Figure(
                "CPU share vs entitlement, mean abs error",
                mae,
                "pp",
                even,
                "an even split of the host",
                "≤ 5 pp",
                mae <= 5,
            )
        ]

    def details(self) -> list[str]:
        lines = [
            f"Each scenario: VMs demanding 100 % of each vCPU, powered on, one {self.window_s:g} s window to "
            f"settle, then one {self.window_s:g} s measurement. Shares in cores (of one PCPU each):",
            "",
            "| Scenario | measured | entitled | even split |",
            "|---|---|---|---|",
        ]
        for name, *columns in self.rows:
            cells = [" / ".join(f"{x:.2f}" for x in column) for column in columns]
            lines.append(f"| {name} | {' | '.join(cells)} |")
        return lines

    def plots(self, folder: Path) -> list[tuple[str, Path]]:
        from bench import plots

        path = folder / "cpu-share.png"
        points = [
            (name, want, got)
            for name, measured, entitled, _ in self.rows
            for got, want in zip(measured, entitled, strict=True)
        ]
        plots.share_vs_entitlement(points, path)
        return [("Measured CPU share against entitlement, per VM (y = x is perfect)", path)]


def _entitled(num_pcpus: int, mhz: int, vms: Scenario) -> list[float]:
    tree = ResourceTree(HostCapacity(num_pcpus, mhz, 64 * 1024))
    for i, (cpus, sched) in enumerate(vms):
        tree.add_vm(f"v{i}", cpus, 64, from_vmx(sched, cpus, 64))
        admit(tree, f"v{i}")
    got = cpu_entitlements(tree, {}).vms
    return [got[f"v{i}"] / mhz for i in range(len(vms))]


def run(window_s: float = WINDOW_S) -> FidelityResult:
    """Every scenario in its own host: settle for window_s, then measure each VM's share over window_s."""
    result = FidelityResult(window_s=window_s)
    for name, vms in scenarios(2600).items():  # MHz replaced by the host's below
        with booted_host() as host, host.client() as client:
            info = client.host()
            vms = scenarios(info.cpu_mhz)[name]
            ids = [
                register_busy_vm(host, client, f"f{i}", cpus, sched) for i, (cpus, sched) in enumerate(vms)
            ]
            for vm_id in ids:
                client.wait_for_task(client.power_on(vm_id).id)
            vm_cores(client, ids, window_s)  # settle: the scheduler measures demand and rebalances
            got = vm_cores(client, ids, window_s)
            want = _entitled(info.num_cpu, info.cpu_mhz, vms)
            total = sum(c for c, _ in vms)
            even = [min(c, c * info.num_cpu / max(total, info.num_cpu)) for c, _ in vms]
            result.rows.append((name, got, want, even))
    return result

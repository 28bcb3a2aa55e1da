"""CPU divided top-down through resource pools, measured on real processes (the kernel's accounting).

Busy 1-vCPU VMs (``sim.cpu.demand = "100"``) are placed in pools on the 2-PCPU host; each VM's CPU
is its VMM world's run time over a measurement window. Tolerances are wide enough for a loaded
2-core CI machine (other tests share it): the assertions tell the pools' model from an even split.
"""

from __future__ import annotations

import pytest

from clients import Client
from tests.harness import BootedHost, register_busy_vm, vm_cores

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]
WINDOW_S = 3.0


@pytest.fixture
def pcpus(client: Client) -> int:
    count = client.host().num_cpu
    if count != 2:
        pytest.skip("the scenarios are written for the 2-PCPU machine of the issue")
    return count


def _busy_in(host: BootedHost, client: Client, pool_id: str, names: list[str]) -> list[str]:
    vms = [register_busy_vm(host, client, name, 1, {}) for name in names]
    client.move_into_resource_pool(pool_id, vms)
    for vm in vms:
        client.wait_for_task(client.power_on(vm).id)
    return vms


def test_pool_shares_divide_a_contended_host(host: BootedHost, client: Client, pcpus: int) -> None:
    high = client.create_resource_pool("High", cpu_allocation={"shares_level": "high"})
    low = client.create_resource_pool("Low", cpu_allocation={"shares_level": "low"})
    in_high = _busy_in(host, client, high.id, ["h1", "h2"])
    in_low = _busy_in(host, client, low.id, ["l1", "l2"])
    vms = in_high + in_low
    vm_cores(client, vms, WINDOW_S)  # one window for the scheduler to measure demand and rebalance
    cores = dict(zip(vms, vm_cores(client, vms, WINDOW_S), strict=True))
    # pools 8000:2000 shares of 2 PCPUs: 1.6 cores for High's two VMs, 0.4 for Low's two, a ratio
    # of 4 (the four VMs at equal shares would split evenly: a ratio of 1)
    got_high, got_low = sum(cores[v] for v in in_high), sum(cores[v] for v in in_low)
    assert got_high / got_low >= 2.0, cores
    assert min(cores[v] for v in in_high) > max(cores[v] for v in in_low), cores


def test_a_pool_limit_caps_its_vms_on_an_idle_host(host: BootedHost, client: Client, pcpus: int) -> None:
    mhz = client.host().cpu_mhz
    capped = client.create_resource_pool("Capped", cpu_allocation={"limit": mhz // 2})
    vms = _busy_in(host, client, capped.id, ["c1", "c2"])
    vm_cores(client, vms, WINDOW_S)  # settle
    # two busy VMs that could use both PCPUs share half of one
    assert sum(vm_cores(client, vms, WINDOW_S)) < 0.65

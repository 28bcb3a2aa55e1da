"""The simulated guest's CPU demand (``sim.cpu.demand``, a VM advanced setting) is real CPU time on
its VMM worlds, measured from the kernel's own accounting, and a running VM follows a change."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from clients import Client
from pyesx import faults
from tests.harness import BootedHost, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process, from /proc/PID/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def process_state(pid: int) -> str:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]


def test_demand_burns_cpu_on_every_vcpu_and_a_running_vm_follows_a_change(client: Client) -> None:
    cpus = min(2, client.host().num_cpu)
    vm_id = client.wait_for_task(client.create_vm("busy", num_cpus=cpus).id).result_entity_id
    client.wait_for_task(client.reconfigure_vm(vm_id, set_extra_config={"sim.cpu.demand": "100"}).id)
    assert client.advanced_settings(vm_id)["sim.cpu.demand"] == "100"
    client.wait_for_task(client.power_on(vm_id).id)
    vmm_pids = client.get_vm(vm_id).vmm_pids
    for pid in vmm_pids:  # every vCPU runs guest work
        wait_until(lambda: cpu_seconds(pid) >= 0.3, timeout=20, what=f"VMM world {pid} burning CPU")  # noqa: B023

    client.wait_for_task(client.reconfigure_vm(vm_id, set_extra_config={"sim.cpu.demand": "0"}).id)

    def halted() -> bool:  # a halted vCPU blocks on its vmx (S); a busy one never does
        return all(process_state(pid) == "S" for pid in vmm_pids)

    wait_until(halted, timeout=20, what="the VMM worlds halting")
    assert client.guest_info(vm_id).tools_running_status == "guestToolsRunning"


@pytest.mark.parametrize(
    ("settings", "remove"),
    [
        ({"sim.cpu.demand": "150"}, []),
        ({"sim.cpu.demand": "-1"}, []),
        ({"numvcpus": "4"}, []),
        ({"scsi0:0.fileName": "/etc/passwd"}, []),
        ({"bad key": "x"}, []),
        ({"note": "a\nb"}, []),
        ({}, ["nosuch"]),
    ],
)
def test_bad_advanced_settings_are_invalid_argument(
    client: Client, settings: dict[str, str], remove: list[str]
) -> None:
    vm_id = client.wait_for_task(client.create_vm("settings").id).result_entity_id
    before = client.advanced_settings(vm_id)
    with pytest.raises(faults.InvalidArgument):
        client.reconfigure_vm(vm_id, set_extra_config=settings, remove_extra_config=remove)
    assert client.advanced_settings(vm_id) == before


def test_the_powercli_way_on_a_running_vm(host: BootedHost, client: Client) -> None:
    vm_id = client.wait_for_task(client.create_vm("busy").id).result_entity_id
    client.wait_for_task(client.power_on(vm_id).id)
    [pid] = client.get_vm(vm_id).vmm_pids
    start = cpu_seconds(pid)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYESX_")}
    env |= {"PYESX_SERVER": host.address, "PYESX_USER": "root", "PYESX_PASSWORD": host.password}
    done = subprocess.run(
        [
            str(Path(sys.executable).with_name("pyesx")),
            "shell",
            "-c",
            "New-AdvancedSetting -Entity busy -Name sim.cpu.demand -Value 100 -Confirm:$false | Out-Null",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (done.returncode, done.stderr) == (0, "")
    wait_until(lambda: cpu_seconds(pid) - start >= 0.3, timeout=20, what="the guest's work starting")

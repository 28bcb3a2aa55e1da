"""Bad input: a fuzz campaign over every public RPC finds no INTERNAL error, no crash, no hang and no
state change on a rejected call (see tests/fuzz and README "Fuzzing").

Scale it with PYESX_FUZZ_CASES (cases per method, default 12), choose the seed with
PYESX_FUZZ_SEED (an integer, or "random"), narrow it with PYESX_FUZZ_METHOD (a method name).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from clients import Client
from clients.tls import Trust, secure_channel
from pyesx import faults
from pyesx.rpc.metadata import SESSION_KEY
from tests.fuzz.campaign import Campaign
from tests.fuzz.logs import crashes
from tests.fuzz.methods import fuzzed_methods
from tests.fuzz.state import StateReader
from tests.harness import BootedHost

_SERIAL = itertools.count(1)
GUEST_PASSWORD = "fuzz-guest-pw"
CASES = int(os.environ.get("PYESX_FUZZ_CASES", "12"))
pytestmark = [pytest.mark.integration, pytest.mark.timeout(max(150, CASES * 30))]


def _seed() -> int:
    raw = os.environ.get("PYESX_FUZZ_SEED", "8")
    return random.SystemRandom().randrange(1 << 32) if raw == "random" else int(raw)


def _process_gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state in ("Z", "X")


def _populate(client: Client) -> None:
    """Something for valid-looking values to name: VMs with disks, a CD drive, a snapshot, a pool,
    a switch and port group, a folder."""
    client.create_resource_pool("fuzzpool")
    client.create_virtual_switch("vSwitchFuzz")
    client.create_port_group("vSwitchFuzz", "FuzzPG", vlan_id=7)
    client.make_directory("[datastore1] fuzzdir")
    _replenish(client)


def _replenish(client: Client) -> None:
    """At least two VMs, one of them powered on and one with a snapshot: a case may have destroyed,
    unregistered or powered off the last one (a case that took root's rights leaves it as it is)."""
    with contextlib.suppress(faults.VimFault):
        _put_back(client)


def _put_back(client: Client) -> None:
    vms = client.list_vms()
    while len(vms) < 2:
        created = client.create_vm(f"fuzzvm{next(_SERIAL)}", disk_capacity_bytes=[1 << 20], cd_drive=True)
        vm_id = client.wait_for_task(created.id).result_entity_id
        guest = {"guestinfo.password": GUEST_PASSWORD}  # guest operations get past the login
        client.wait_for_task(client.reconfigure_vm(vm_id, set_extra_config=guest).id)
        vms.append(client.get_vm(vm_id))
    with contextlib.suppress(faults.VimFault):  # a VM a case gave 1 TB of memory does not start
        if not any(vm.power_state == "poweredOn" for vm in vms):
            off = [vm for vm in vms if vm.power_state == "poweredOff"]
            if off:
                client.wait_for_task(client.power_on(off[-1].id).id)
    with contextlib.suppress(faults.VimFault):
        if not any(client.snapshots(vm.id) for vm in vms):
            client.wait_for_task(client.create_snapshot(vms[0].id, "base").id)


@pytest.fixture
def fuzz_host(tmp_path: Path) -> Iterator[BootedHost]:
    booted = BootedHost(tmp_path / "host")
    try:
        yield booted
    finally:
        booted.stop()


def test_fuzz_campaign_over_every_public_rpc(fuzz_host: BootedHost) -> None:
    seed = _seed()
    print(f"fuzz seed {seed} (PYESX_FUZZ_SEED={seed} reproduces), {CASES} cases per method")
    vmkernel_pid, hostd_pid = fuzz_host.pid, fuzz_host.hostd_pid()
    only = os.environ.get("PYESX_FUZZ_METHOD", "")
    methods = [m for m in fuzzed_methods() if not only or m.name == only]
    assert methods, f"no public method is named {only!r}"

    def alive() -> str | None:
        for name, pid in (("vmkernel", vmkernel_pid), ("hostd", hostd_pid)):
            if _process_gone(pid):
                return f"{name} (pid {pid}) is gone"
        return None

    with fuzz_host.client() as client:
        _populate(client)
        channel = secure_channel(fuzz_host.address, Trust(thumbprint=fuzz_host.thumbprint))
        try:
            metadata = [(SESSION_KEY, client.session_key)]
            reader = StateReader(channel, metadata, fuzz_host.root, [GUEST_PASSWORD])
            campaign = Campaign(channel, metadata, reader, seed, alive, replenish=lambda: _replenish(client))
            report = campaign.run(methods, CASES)
        finally:
            channel.close()
    print(report.summary())
    print(report.table())
    assert not report.findings, f"{report.summary()}\n" + "\n".join(str(f) for f in report.findings)
    logged = crashes(fuzz_host.root / "log")
    assert not logged, "crashes in the host's logs:\n" + "\n".join(logged)
    assert fuzz_host.hostd_pid() == hostd_pid, "the watchdog restarted hostd during the campaign"
    assert report.methods == {m.path for m in methods}

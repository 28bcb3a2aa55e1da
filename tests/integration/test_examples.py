"""Each example of ``clients/examples`` run as a user runs it (a subprocess, ``PYESX_*`` from the
environment) against a booted host, judged by its output and its effect on the host."""

from __future__ import annotations

import csv
import io
import os
import re
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from clients import Client
from clients.ops import flatten
from tests.harness import BootedHost, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]
ROOT = Path(__file__).resolve().parents[2]
MIB = 1 << 20
FOLLOWED = ("--type", "VmPoweredOnEvent", "--type", "VmPoweredOffEvent")


def _env(host: BootedHost) -> dict[str, str]:
    return {**os.environ, "PYESX_SERVER": host.address, "PYESX_USER": "root", "PYESX_PASSWORD": host.password}


def example(host: BootedHost, name: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``python -m clients.examples.<name> args`` to its end; fails the test on a non-zero exit."""
    done = subprocess.run(
        [sys.executable, "-m", f"clients.examples.{name}", *args],
        cwd=ROOT,
        env=_env(host),
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, f"{name} exited {done.returncode}: {done.stderr}"
    return done


def _create(client: Client, name: str, **options: object) -> str:
    task = client.create_vm(name, memory_mb=64, **options)  # type: ignore[arg-type]
    return client.wait_for_task(task.id).result_entity_id


def _lines(process: subprocess.Popen[str], deadline: float) -> Iterator[str]:
    """The process's output lines as they come, until the deadline."""
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while (left := deadline - time.monotonic()) > 0:
            if selector.select(left):
                line = process.stdout.readline()
                if not line:
                    return
                yield line


def test_list_power_on_many_and_follow_events(host: BootedHost, client: Client) -> None:
    vm_ids = [_create(client, name) for name in ("web01", "web02", "db01")]

    listing = example(host, "list_vms").stdout.splitlines()
    assert listing[0].split() == ["Name", "PowerState", "CPUs", "MemoryMB", "Pool", "UsedGB", "Snapshots"]
    assert [line.split()[:5] for line in listing[2:]] == [
        [name, "poweredOff", "1", "64", "Resources"] for name in ("db01", "web01", "web02")
    ]

    run = example(host, "power_on_many", "web*")
    assert run.stdout.splitlines()[-1] == "powered on 2 of 2 VMs"
    assert run.stderr.count("/2 web0") == 2  # one progress step per VM
    assert [client.get_vm(vm_id).power_state for vm_id in vm_ids] == ["poweredOn", "poweredOn", "poweredOff"]

    follower = subprocess.Popen(
        [sys.executable, "-m", "clients.examples.follow_events", "--vm", "web01", "--replay", "1", *FOLLOWED],
        cwd=ROOT,
        env=_env(host),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        seen: list[str] = []
        for line in _lines(follower, time.monotonic() + 120):
            seen.append(line)
            if "VmPoweredOnEvent" in line:  # replayed: web01 was powered on before
                client.wait_for_task(client.power_off(vm_ids[0]).id)
            if "VmPoweredOffEvent" in line:  # live
                break
        assert [line.split()[1:3] for line in seen] == [
            ["VmPoweredOnEvent", "web01"],
            ["VmPoweredOffEvent", "web01"],
        ]
        follower.send_signal(signal.SIGINT)  # Ctrl-C ends it cleanly
        assert follower.wait(timeout=30) == 0
    finally:
        follower.kill()
        follower.wait()
    client.wait_for_task(client.power_off(vm_ids[1]).id)


def test_rotate_snapshots_export_stats_and_clone(tmp_path: Path) -> None:
    host = BootedHost(tmp_path / "host", args=["--stats-interval", "1"])
    try:
        with host.client() as client:
            _rotate_and_stats(host, client, tmp_path)
            _clone(host, client)
    finally:
        host.stop()


def _rotate_and_stats(host: BootedHost, client: Client, tmp_path: Path) -> None:
    vm_id = _create(client, "web01", disk_capacity_bytes=[8 * MIB])
    client.wait_for_task(client.create_snapshot(vm_id, "manual").id)
    for _ in range(4):
        out = example(host, "rotate_snapshots", "web01", "--keep", "2").stdout
    assert out.splitlines()[0].startswith("created auto-")
    assert out.splitlines()[1].startswith("removed auto-")
    names = [s.name for s in flatten(client.snapshots(vm_id))]
    assert len(names) == 3 and names[0] == "manual" and all(n.startswith("auto-") for n in names[1:])
    example(host, "rotate_snapshots", "web01", "--keep", "1", "--no-create")
    assert [s.name for s in flatten(client.snapshots(vm_id))] == ["manual", names[-1]]
    client.wait_for_task(client.remove_all_snapshots(vm_id).id)

    client.wait_for_task(client.power_on(vm_id).id)
    wait_until(lambda: client.query_perf(vm_id, ["cpu.usage.average"]) or None, 60, "a VM sample")
    target = tmp_path / "stats.csv"
    args = ["--entity", "host", "--entity", "web01", "--counter", "cpu.usage.average", "-o", str(target)]
    example(host, "export_stats", *args)
    rows = list(csv.DictReader(io.StringIO(target.read_text())))
    assert {row["entity"] for row in rows} == {"host", "web01"}
    assert {row["counter"] for row in rows} == {"cpu.usage.average"}
    assert all(float(row["value"]) >= 0 and row["timestamp"] for row in rows)
    client.wait_for_task(client.power_off(vm_id).id)


def _clone(host: BootedHost, client: Client) -> None:
    source = client.get_vm(client.list_vms(["web01"])[0].id)
    out = example(host, "clone_vm", "web01", "web01-copy", "--power-on").stdout
    copy = client.list_vms(["web01-copy"])[0]
    assert f"registered web01-copy as {copy.id} uuid={copy.uuid}" in out
    assert copy.power_state == "poweredOn"
    assert copy.vmx_path == "[datastore1] web01-copy/web01-copy.vmx"
    assert copy.uuid and copy.uuid != source.uuid
    macs = [n.mac_address for n in copy.network_adapters]
    assert macs and macs[0] != source.network_adapters[0].mac_address and macs[0].startswith("00:0c:29:")
    assert copy.disks[0].file_name.startswith("[datastore1] web01-copy/")
    assert copy.disks[0].capacity_bytes == source.disks[0].capacity_bytes
    folder = host.root / "vmfs/volumes/datastore1/web01-copy"
    assert (folder / "web01-copy.vmx").is_file() and not (folder / "web01.vmx").exists()
    client.wait_for_task(client.power_off(copy.id).id)


def test_the_sdk_page_scripts_run_in_order(tmp_path: Path) -> None:
    """The ten scripts of docs/sdk.md, one after the other, as a user pastes them into files."""
    scripts = re.findall(r"```python\n(.*?)```", (ROOT / "docs" / "sdk.md").read_text(), re.S)
    host = BootedHost(tmp_path / "host", args=["--stats-interval", "1"])
    outputs: list[str] = []
    try:
        for n, script in enumerate(scripts, 1):
            path = tmp_path / f"script{n:02d}.py"
            path.write_text(script)
            done = subprocess.run(
                [sys.executable, str(path)],
                cwd=tmp_path,
                env=_env(host),
                capture_output=True,
                text=True,
                timeout=240,
            )
            assert done.returncode == 0, f"script {n} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
            outputs.append(done.stdout)
    finally:
        host.stop()
    assert "CPUs" in outputs[0]
    assert outputs[2].startswith("web01 poweredOn ['[datastore1] web01/web01.vmdk']")
    assert "VirtualMachine.suspend" in outputs[3] and "still poweredOn" in outputs[3]
    assert outputs[4].splitlines()[-1] == "['with-memory']"
    assert outputs[5].splitlines()[1] == "0"  # uname's exit code
    assert "VmPoweredOnEvent" in outputs[6]
    assert "cpu.usage.average" in outputs[7]
    assert "hello from the SDK" in outputs[8]
    errors = outputs[9].splitlines()
    assert errors[0].startswith("InvalidPowerState poweredOff poweredOn - ")
    assert errors[1:3] == ["NotFound VirtualMachine no-such-vm", "DuplicateName web01"]
    assert errors[3].startswith("InvalidGuestLogin")

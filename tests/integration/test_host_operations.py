"""Host operations on a real host: advanced settings, maintenance mode, autostart across a reboot,
Restart-/Stop-VMHost, logs."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest

from clients import Client, objects
from clients.hostops import AutoPowerInfo, AutoStartDefaults
from pyesx.faults import InvalidArgument, InvalidState, NotFound
from tests.harness import BootedHost, wait_until

pytestmark = pytest.mark.timeout(180)


def _create(client: Client, name: str) -> str:
    task = client.wait_for_task(client.create_vm(name, memory_mb=64, disk_capacity_bytes=[]).id)
    assert task.result_vm is not None
    return task.result_vm.id


def _event_types(client: Client) -> list[str]:
    return [e.type for e in reversed(client.events())]  # oldest first


def test_advanced_settings_are_validated_and_persisted(host: BootedHost, client: Client) -> None:
    (lock,) = client.host_settings(["Security.AccountLockFailures"])
    assert (lock.value, lock.type, lock.min, lock.max) == ("5", "int", 0, 100)
    client.update_host_settings(
        {"Security.AccountLockFailures": "3", "UserVars.HostClientSessionTimeout": "600"}
    )
    store = host.root / "etc/vmware/hostd/advancedSettings.json"
    before = store.read_bytes()
    with pytest.raises(InvalidArgument, match="0 to 3600"):
        client.update_host_settings({"Mem.IdleTax": "10", "Security.AccountUnlockTime": "86400"})
    with pytest.raises(InvalidArgument, match="not a host advanced setting"):
        client.update_host_settings({"Security.NoSuchThing": "1"})
    assert store.read_bytes() == before
    assert json.loads(before) == {
        "Security.AccountLockFailures": "3",
        "UserVars.HostClientSessionTimeout": "600",
    }
    values = {s.key: s.value for s in client.host_settings()}
    assert (values["Security.AccountLockFailures"], values["Mem.IdleTax"]) == ("3", "75")
    logged = [
        json.loads(line) for line in client.browse_log("hostd").lines if "host_settings.updated" in line
    ]
    assert logged[-1]["keys"] == ["Security.AccountLockFailures", "UserVars.HostClientSessionTimeout"]
    assert logged[-1]["request_id"]


def test_the_log_level_setting_governs_what_hostd_writes(client: Client) -> None:
    def lines_after(start: int) -> list[dict[str, object]]:
        window = client.browse_log("hostd", start_line_num=start + 1, num_lines=1000)
        return [json.loads(line) for line in window.lines]

    def level_change_logged() -> int | None:
        tail = client.browse_log("hostd", num_lines=200)
        changed = any("host_settings.updated" in line and "log.level" in line for line in tail.lines)
        return tail.total_lines if changed else None

    client.update_host_settings({"Config.HostAgent.log.level": "warning"})
    quiet_from = wait_until(level_change_logged, what="the change to be logged")
    for _ in range(20):
        client.list_vms()  # each call is an info line at the default level
    client.update_host_settings({"Config.HostAgent.log.level": "info"})
    client.list_vms()
    after = wait_until(lambda: lines_after(quiet_from) or None, what="lines at the info level again")
    back = next(i for i, line in enumerate(after) if str(line.get("method")).endswith("/UpdateHostOptions"))
    assert all(line["level"] != "info" for line in after[:back])  # nothing at info while at warning
    assert [line for line in after[back:] if line.get("level") == "info"]


def test_the_sdk_objects_host(host: BootedHost) -> None:
    with objects.connect(host.address, "root", host.password) as session:
        esx = session.host()
        (mem,) = esx.set_advanced_settings({"Mem.ShareScanGHz": "8"})
        assert mem.value == "8" and [s.value for s in esx.advanced_settings(["Mem.ShareScanGHz"])] == ["8"]
        esx.enter_maintenance_mode().wait()
        assert esx.refresh().in_maintenance_mode
        assert esx.reconfigure_autostart(AutoStartDefaults(enabled=True)).defaults.enabled
        assert esx.autostart().defaults.enabled
        assert esx.log("hostd", num_lines=1).lines
        esx.exit_maintenance_mode().wait()
        assert not esx.refresh().in_maintenance_mode


def test_logs_by_key(client: Client) -> None:
    assert [t.key for t in client.log_types()] == ["hostd", "vmkernel"]
    tail = client.browse_log("hostd", num_lines=5)
    assert 0 < len(tail.lines) <= 5 and tail.end_line_num == tail.total_lines
    assert all(json.loads(line)["component"] == "hostd" for line in tail.lines)
    first = wait_until(lambda: client.browse_log("vmkernel", start_line_num=1, num_lines=1).lines, what="log")
    assert "vmkernel.booting" in first[0]
    for key in ("../etc/shadow.json", "hostd.log", "/etc/passwd"):
        with pytest.raises(InvalidArgument, match="valid keys are hostd, vmkernel"):
            client.browse_log(key)


def test_maintenance_mode_refuses_power_on_and_survives_a_reboot(tmp_path: Path) -> None:
    host = BootedHost(tmp_path / "host")
    try:
        with host.client() as client:
            vm_id = _create(client, "web01")
            client.wait_for_task(client.power_on(vm_id).id)
            with pytest.raises(InvalidState, match="powered-on VMs"):
                client.enter_maintenance_mode()
            client.wait_for_task(client.power_off(vm_id).id)
            task = client.wait_for_task(client.enter_maintenance_mode().id)
            assert (task.description_id, task.entity_id) == ("HostSystem.enterMaintenanceMode", "ha-host")
            assert client.host().in_maintenance_mode
            with pytest.raises(InvalidState, match="maintenance mode"):
                client.power_on(vm_id)
            with pytest.raises(InvalidState, match="already"):
                client.enter_maintenance_mode()
            assert "EnteredMaintenanceModeEvent" in _event_types(client)
        host.stop()
        host = BootedHost(tmp_path / "host")
        with host.client() as client:
            assert client.host().in_maintenance_mode
            client.wait_for_task(client.exit_maintenance_mode().id)
            assert not client.host().in_maintenance_mode
            assert _event_types(client)[-1] == "ExitMaintenanceModeEvent"
            client.wait_for_task(client.power_on(vm_id).id)
            with pytest.raises(InvalidState, match="not in maintenance mode"):
                client.exit_maintenance_mode()
    finally:
        host.stop()


def test_autostart_after_a_reboot_in_order_and_not_after_a_hostd_restart(tmp_path: Path) -> None:
    host = BootedHost(tmp_path / "host")
    try:
        with host.client() as client:
            first, second, manual = (
                _create(client, "db01"),
                _create(client, "web01"),
                _create(client, "manual"),
            )
            with pytest.raises(NotFound):
                client.reconfigure_autostart(power_info=[AutoPowerInfo("vm-404", start_action="powerOn")])
            client.reconfigure_autostart(
                AutoStartDefaults(enabled=True, start_delay=0, stop_delay=10),
                [
                    AutoPowerInfo(second, start_order=2, start_action="powerOn", stop_action="suspend"),
                    AutoPowerInfo(first, start_order=1, start_action="powerOn"),
                ],
            )
            assert [p.vm_name for p in client.autostart().power_info] == ["db01", "web01"]
            client.wait_for_task(client.power_on(second).id)
            with pytest.raises(InvalidState, match="maintenance mode"):
                client.reboot_host()
            pid = host.pid
            client.reboot_host(force=True)
        host.wait_rebooted()
        assert host.pid == pid
        with host.client() as client:
            on = wait_until(
                lambda: all(client.get_vm(v).power_state == "poweredOn" for v in (first, second)),
                timeout=60,
                what="autostart",
            )
            assert on and client.get_vm(manual).power_state == "poweredOff"
            # web01's stop action (suspend) ran at shutdown: it resumed from its checkpoint
            types = [(e.type, e.vm_id) for e in reversed(client.events())]
            assert ("VmSuspendedEvent", second) in types and ("VmResumingEvent", second) in types
            started = [vm_id for kind, vm_id in types if kind == "VmPoweredOnEvent"][-2:]
            assert started == [first, second]  # in start order
            client.wait_for_task(client.power_off(first).id)
        old_hostd = host.hostd_pid()
        os.kill(old_hostd, signal.SIGKILL)
        wait_until(lambda: (pid := host.hostd_pid()) != old_hostd and pid, what="hostd restart")
        with host.client() as client:
            wait_until(lambda: client.get_vm(second), what="hostd serving")
            assert client.get_vm(first).power_state == "poweredOff"  # not started again
            assert client.get_vm(second).power_state == "poweredOn"
    finally:
        host.stop()


def test_shutdown_runs_stop_actions_in_reverse_order_and_exits(tmp_path: Path) -> None:
    host = BootedHost(tmp_path / "host")
    try:
        with host.client() as client:
            web, db = _create(client, "web01"), _create(client, "db01")
            client.reconfigure_autostart(
                AutoStartDefaults(enabled=True, stop_action="suspend", stop_delay=30),
                [
                    AutoPowerInfo(web, start_order=1),
                    AutoPowerInfo(db, start_order=2, stop_action="guestShutdown"),
                ],
            )
            for vm_id in (web, db):
                client.wait_for_task(client.power_on(vm_id).id)
            with pytest.raises(InvalidState):
                client.shutdown_host()
            task = client.shutdown_host(force=True)
            assert task.description_id == "HostSystem.shutdown"
        assert host.wait_exited() == 0
        vmx = (host.root / "vmfs/volumes/datastore1/web01/web01.vmx").read_text()
        assert 'checkpoint.vmState = "web01.vmss"' in vmx  # suspended, not powered off
        events = [json.loads(line) for line in (host.root / "log/events.jsonl").read_text().splitlines()]
        wanted = ("HostShutdownEvent", "VmGuestShutdownEvent", "VmPoweredOffEvent", "VmSuspendedEvent")
        assert [(e["type"], e["vm_name"]) for e in events if e["type"] in wanted] == [
            ("HostShutdownEvent", ""),
            ("VmGuestShutdownEvent", "db01"),  # db01 (order 2) stops first: its guest shuts down
            ("VmPoweredOffEvent", "db01"),
            ("VmSuspendedEvent", "web01"),
        ]
    finally:
        host.stop()


def test_ctrl_c_on_pyesx_boot_runs_the_stop_actions_and_a_second_one_does_not_wait(tmp_path: Path) -> None:
    def events(host: BootedHost) -> list[tuple[str, str, str]]:
        lines = (host.root / "log/events.jsonl").read_text().splitlines()
        return [(e["type"], e["vm_name"], e.get("user", "")) for e in map(json.loads, lines)]

    host = BootedHost(tmp_path / "host")
    try:
        with host.client() as client:
            web = _create(client, "web01")
            client.reconfigure_autostart(
                AutoStartDefaults(enabled=True, stop_action="suspend", stop_delay=30), [AutoPowerInfo(web)]
            )
            client.wait_for_task(client.power_on(web).id)
        host.process.send_signal(signal.SIGINT)  # Ctrl-C in the terminal running pyesx boot
        assert host.wait_exited() == 0
        vmx = (host.root / "vmfs/volumes/datastore1/web01/web01.vmx").read_text()
        assert 'checkpoint.vmState = "web01.vmss"' in vmx  # its stop action ran: suspended
        shutdown = [e for e in events(host) if e[0] == "HostShutdownEvent"]
        assert shutdown == [("HostShutdownEvent", "", "the host's console (pyesx boot was signalled)")]
    finally:
        host.stop()
    host = BootedHost(tmp_path / "host")  # the same root again, with a hostd that cannot answer
    try:
        with host.client() as client:
            client.wait_for_task(client.power_on(web).id)  # resumes
        os.kill(host.hostd_pid(), signal.SIGSTOP)  # its stop actions would never come
        log = host.root / "log/vmkernel.log"
        taken = log.read_text().count("vmkernel.shutdown_requested")  # the first boot's
        host.process.send_signal(signal.SIGTERM)
        wait_until(lambda: log.read_text().count("vmkernel.shutdown_requested") > taken, what="it taken")
        host.process.send_signal(signal.SIGTERM)  # again: the VMkernel waits no more
        assert host.wait_exited() == 0
        assert "checkpoint.vmState" not in (host.root / "vmfs/volumes/datastore1/web01/web01.vmx").read_text()
    finally:
        host.stop()


def test_bad_input_is_a_typed_fault_and_changes_nothing(host: BootedHost, client: Client) -> None:
    vm_id = _create(client, "web01")
    etc = host.root / "etc/vmware/hostd"
    before = {p.name: p.read_bytes() for p in etc.iterdir()}
    bad_settings = [
        {"k" * 100_000: "1"},
        {"Security.AccountLockFailures": "9" * 10_000},
        {"Security.AccountLockFailures": "\x00"},
        {"UserVars.DcuiTimeOut": "-1"},
    ]
    for values in bad_settings:
        with pytest.raises(InvalidArgument):
            client.update_host_settings(values)
    with pytest.raises(InvalidArgument):
        client.host_settings(["x" * 10_000])
    limits = (-(2**31), 2**31 - 1)
    for value in limits:
        for info in (
            AutoPowerInfo(vm_id, start_order=value),
            AutoPowerInfo(vm_id, start_delay=value),
            AutoPowerInfo(vm_id, stop_delay=value),
        ):
            with pytest.raises(InvalidArgument):
                client.reconfigure_autostart(power_info=[info])
        with pytest.raises(InvalidArgument):
            client.reconfigure_autostart(AutoStartDefaults(start_delay=value))
        with pytest.raises(InvalidArgument):
            client.browse_log("hostd", start_line_num=-abs(value) or -1)
    with pytest.raises(InvalidArgument):
        client.reconfigure_autostart(power_info=[AutoPowerInfo(vm_id, start_action="\u00e9" * 10_000)])
    with pytest.raises(NotFound):
        client.reconfigure_autostart(
            power_info=[AutoPowerInfo(vm_id, start_order=1), AutoPowerInfo("", start_order=2)]
        )
    with pytest.raises(InvalidArgument):
        client.browse_log("hostd", num_lines=2**31 - 1)
    assert client.browse_log("hostd", start_line_num=2**31 - 1).lines == ()
    assert {p.name: p.read_bytes() for p in etc.iterdir() if p.name in before} == before
    assert not (etc / "autostart.json").exists() and not (etc / "advancedSettings.json").exists()

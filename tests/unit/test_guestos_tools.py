"""vmtoolsd: heartbeat, guest info, and the guest operations (exec, copy in/out, ps, power)."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from vmx.guestos import layout
from vmx.guestos.firmware import PcGuest, boot_appliance
from vmx.guestos.testing import FakeMachine, run

CREDS = {"user": "root", "password": "pw"}


@pytest.fixture
def vm() -> tuple[PcGuest, FakeMachine]:
    machine = FakeMachine(vm_name="app01", info={layout.PASSWORD_KEY: "pw", layout.HOSTNAME_KEY: "app01.lab"})
    guest = boot_appliance(machine)
    assert run(guest, machine, lambda: guest.kernel.tools_running, 60)
    return guest, machine


def _ask(
    guest: PcGuest, machine: FakeMachine, request: dict[str, Any], max_seconds: float = 60
) -> dict[str, Any]:
    guest.tools_request(request)

    def answered() -> bool:
        return any(m.get("id") == request["id"] for m in machine.tools_out)

    assert run(guest, machine, answered, max_seconds)
    return next(m for m in machine.tools_out if m.get("id") == request["id"])


def test_heartbeat_and_guest_info(vm: tuple[PcGuest, FakeMachine]) -> None:
    guest, machine = vm
    info = machine.tools_out[0]
    assert info == {
        "op": "guest_info",
        "hostname": "app01.lab",
        "ip_addresses": ["10.0.0.5"],
        "os_full_name": "PyESX Linux 1.0 (64-bit)",
        "tools_version": layout.TOOLS_VERSION,
        "guest_state": "running",
    }
    start = machine.clock
    run(guest, machine, lambda: machine.clock >= start + 5, 10)
    beats = [m for m in machine.tools_out if m.get("op") == "heartbeat"]
    assert len(beats) >= 5
    # a changed address is reported
    machine.nic_info = type(machine.nic_info)("00:50:56:aa:bb:01", "10.0.0.77/24", True)  # type: ignore[misc]
    run(guest, machine, lambda: machine.tools_out[-1].get("ip_addresses") == ["10.0.0.77"], 5)
    assert _ask(guest, machine, {"id": 9, "op": "info"})["hostname"] == "app01.lab"


def test_exec(vm: tuple[PcGuest, FakeMachine]) -> None:
    guest, machine = vm
    answer = _ask(guest, machine, {"id": 1, "op": "exec", **CREDS, "command": "echo hi; ls /nope; exit 3"})
    assert answer["exit_code"] == 3
    assert answer["output"] == "hi\nls: cannot access '/nope': No such file or directory\n"
    answer = _ask(guest, machine, {"id": 2, "op": "exec", **CREDS, "command": "hostname && pwd"})
    assert answer == {"id": 2, "exit_code": 0, "output": "app01.lab\n/root\n", "truncated": False}


def test_exec_wrong_password(vm: tuple[PcGuest, FakeMachine]) -> None:
    guest, machine = vm
    answer = _ask(
        guest, machine, {"id": 1, "op": "exec", "user": "root", "password": "bad", "command": "true"}
    )
    assert answer["error"] == "InvalidGuestLogin"
    answer = _ask(guest, machine, {"id": 2, "op": "ps", "user": "nobody", "password": "", "command": "true"})
    assert answer["error"] == "InvalidGuestLogin"


def test_exec_timeout_kills_the_command(vm: tuple[PcGuest, FakeMachine]) -> None:
    guest, machine = vm
    answer = _ask(
        guest,
        machine,
        {"id": 1, "op": "exec", **CREDS, "command": "stress --cpu 1 --timeout 600", "timeout_s": 5},
    )
    assert answer["error"] == "GuestOperationTimeout"
    assert machine.cpu_loads == [(1, 100), (0, 0)]
    assert not any(p.name == "stress" for p in guest.kernel.procs.values())


def test_concurrent_requests(vm: tuple[PcGuest, FakeMachine]) -> None:
    guest, machine = vm
    guest.tools_request({"id": 1, "op": "exec", **CREDS, "command": "sleep 10; echo slow"})
    guest.tools_request({"id": 2, "op": "exec", **CREDS, "command": "echo fast"})
    run(guest, machine, lambda: any(m.get("id") == 2 for m in machine.tools_out), 5)
    assert not any(m.get("id") == 1 for m in machine.tools_out)
    assert _ask(guest, machine, {"id": 3, "op": "info"})
    run(guest, machine, lambda: any(m.get("id") == 1 for m in machine.tools_out), 20)
    assert next(m for m in machine.tools_out if m.get("id") == 1)["output"] == "slow\n"


def test_copy_in_and_out(vm: tuple[PcGuest, FakeMachine]) -> None:
    guest, machine = vm
    data = bytes(range(256)) * 10
    b64 = base64.b64encode(data).decode()
    ok = _ask(guest, machine, {"id": 1, "op": "copy_in", **CREDS, "path": "/tmp/blob", "data_b64": b64})
    assert "error" not in ok
    out = _ask(guest, machine, {"id": 2, "op": "copy_out", **CREDS, "path": "/tmp/blob"})
    assert base64.b64decode(out["data_b64"]) == data
    again = _ask(guest, machine, {"id": 3, "op": "copy_in", **CREDS, "path": "/tmp/blob", "data_b64": b64})
    assert again["error"] == "FileAlreadyExists"
    over = {"id": 4, "op": "copy_in", **CREDS, "path": "/tmp/blob", "data_b64": "aGk=", "overwrite": True}
    assert "error" not in _ask(guest, machine, over)
    assert (
        _ask(guest, machine, {"id": 5, "op": "exec", **CREDS, "command": "cat /tmp/blob"})["output"] == "hi"
    )
    missing = _ask(guest, machine, {"id": 6, "op": "copy_out", **CREDS, "path": "/tmp/none"})
    assert missing["error"] == "FileNotFound"
    no_dir = _ask(guest, machine, {"id": 7, "op": "copy_in", **CREDS, "path": "/no/dir/f", "data_b64": b64})
    assert no_dir["error"] == "FileNotFound"
    relative = _ask(guest, machine, {"id": 8, "op": "copy_out", **CREDS, "path": "tmp/blob"})
    assert relative["error"] == "InvalidArgument"
    bad = _ask(
        guest, machine, {"id": 9, "op": "copy_out", "user": "root", "password": "x", "path": "/tmp/blob"}
    )
    assert bad["error"] == "InvalidGuestLogin"


def test_ps(vm: tuple[PcGuest, FakeMachine]) -> None:
    guest, machine = vm
    answer = _ask(guest, machine, {"id": 1, "op": "ps", **CREDS})
    names = {p["name"] for p in answer["processes"]}
    assert {"init", "vmtoolsd", "agetty"} <= names
    first = answer["processes"][0]
    assert first["pid"] == 1 and first["owner"] == "root" and first["cmd"] == "/sbin/init"
    assert isinstance(first["start_time"], float)


def test_power_operations(vm: tuple[PcGuest, FakeMachine]) -> None:
    guest, machine = vm
    assert _ask(guest, machine, {"id": 1, "op": "standby"}) == {"id": 1}
    assert machine.standbys == 1
    assert _ask(guest, machine, {"id": 2, "op": "reboot"}) == {"id": 2}
    assert machine.resets == 1
    assert run(guest, machine, lambda: guest.kernel.tools_running, 60)
    assert _ask(guest, machine, {"id": 3, "op": "shutdown"}) == {"id": 3}
    assert machine.powered_off and guest.step(machine.clock) is None


def test_requests_without_tools_running() -> None:
    machine = FakeMachine()
    guest = PcGuest(machine)  # the BIOS, nothing to boot
    guest.tools_request({"id": 1, "op": "info"})
    assert machine.tools_out == [
        {"id": 1, "error": "ToolsUnavailable", "message": "the guest tools are not running"}
    ]


def test_request_in_flight_when_the_guest_reboots(vm: tuple[PcGuest, FakeMachine]) -> None:
    guest, machine = vm
    guest.tools_request({"id": 1, "op": "exec", **CREDS, "command": "sleep 100"})
    answer = _ask(guest, machine, {"id": 2, "op": "reboot"})
    assert answer == {"id": 2}
    assert run(guest, machine, lambda: any(m.get("id") == 1 for m in machine.tools_out), 10)
    assert next(m for m in machine.tools_out if m.get("id") == 1)["error"] == "ToolsUnavailable"

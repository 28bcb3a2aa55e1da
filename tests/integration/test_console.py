"""Issue 6's remote console on a real host: tickets, viewers, keys and echo, screenshots, faults."""

from __future__ import annotations

import contextlib
import os
import pty
import select
import struct
import subprocess
import termios
import time
import zlib
from pathlib import Path

import pytest

from clients import Client
from clients.console import Console, attach_url
from pyesx import faults
from tests.harness import PYESX, BootedHost, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]
PASSWORD = "c0nsole!"


def _running_vm(client: Client, name: str = "web01") -> str:
    """A powered-on appliance VM whose guest greets on its console with a login prompt."""
    task = client.wait_for_task(client.create_vm(name, memory_mb=64, disk_capacity_bytes=[]).id)
    assert task.result_vm is not None
    settings = {"guestinfo.password": PASSWORD}
    client.wait_for_task(client.reconfigure_vm(task.result_vm.id, set_extra_config=settings).id)
    client.wait_for_task(client.power_on(task.result_vm.id).id)
    return task.result_vm.id


def _viewers(client: Client, vm_id: str) -> int:
    return client.screen(vm_id).viewers


def test_two_viewers_see_what_one_types(client: Client) -> None:
    vm_id = _running_vm(client)
    with client.console(vm_id) as first, client.console(vm_id) as second:
        first.read_until(b"web01 login:")  # the first output repaints the screen (trailing blanks trimmed)
        second.read_until(b"web01 login:")
        first.send("root")
        first.read_until(b"root")  # the guest's tty echoes
        second.read_until(b"root")
        second.send("\r")
        first.read_until(b"Password: ")
        rows = first.screen_text()
        assert [row for row in rows if row][-2:] == ["web01 login: root", "Password:"]
        assert client.screen(vm_id).cursor_col == len("Password: ")
        assert _viewers(client, vm_id) == 2


def test_ticket_rules(client: Client) -> None:
    vm_id = _running_vm(client)
    other = _running_vm(client, "db01")
    ticket = client.acquire_ticket(vm_id)
    assert ticket.url == f"pyesx+console://{client.server}/{vm_id}?ticket={ticket.ticket}"
    with client.console(vm_id, ticket.ticket) as console:
        console.read_until(b"login:")
    with pytest.raises(faults.NotAuthenticated):  # reused
        client.console(vm_id, ticket.ticket)
    with pytest.raises(faults.NotAuthenticated):  # another VM's
        client.console(other, client.acquire_ticket(vm_id).ticket)
    with pytest.raises(faults.NotAuthenticated):  # never issued
        client.console(vm_id, "forged")
    assert _viewers(client, vm_id) == 0


def test_a_ticket_dies_with_its_session(host: BootedHost) -> None:
    with host.client() as client:
        vm_id = _running_vm(client)
        ticket = client.acquire_ticket(vm_id)
        client.logout()
        with pytest.raises(faults.NotAuthenticated):
            attach_url(ticket.url)


def test_attach_by_url_without_a_login(client: Client) -> None:
    vm_id = _running_vm(client)
    console, channel = attach_url(client.acquire_ticket(vm_id).url)
    try:
        console.read_until(b"login:")
        console.send("rooz\x7ft\r")  # a character rubbed out, then Enter
        console.read_until(b"Password: ")
    finally:
        console.close()
        channel.close()
    assert "web01 login: root" in client.screen(vm_id).rows


def test_powered_off_vm_has_no_console(client: Client) -> None:
    task = client.wait_for_task(client.create_vm("off01", memory_mb=64, disk_capacity_bytes=[]).id)
    assert task.result_vm is not None
    with pytest.raises(faults.InvalidPowerState):
        client.acquire_ticket(task.result_vm.id)
    with pytest.raises(faults.InvalidPowerState):
        client.create_screenshot(task.result_vm.id)


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR"
    header = data[16 : 16 + length]
    assert struct.unpack(">I", data[16 + length : 20 + length])[0] == zlib.crc32(b"IHDR" + header)
    width, height = struct.unpack(">II", header[:8])
    return width, height


def test_screenshot_is_a_png_in_the_vm_folder(host: BootedHost, client: Client, tmp_path: Path) -> None:
    vm_id = _running_vm(client)
    task = client.wait_for_task(client.create_screenshot(vm_id).id)
    assert task.result == "[datastore1] web01/web01-1.png"
    assert _png_size(host.root / "vmfs/volumes/datastore1/web01/web01-1.png") == (640, 400)
    second = client.wait_for_task(client.create_screenshot(vm_id).id)
    assert second.result == "[datastore1] web01/web01-2.png"
    local = tmp_path / "shot.png"
    client.download(second.result, local)
    assert _png_size(local) == (640, 400)


def test_ten_megabytes_pasted(client: Client) -> None:
    vm_id = _running_vm(client)
    with client.console(vm_id) as console:
        console.read_until(b"login:")
        console.send(b"x" * (10 << 20))  # a 10 MB user name: the guest keeps what its tty can hold
        # while the paste is on its way, hostd, the vmx and the guest answer
        assert client.guest_info(vm_id).tools_running_status == "guestToolsRunning"
        assert client.get_vm(vm_id).power_state == "poweredOn"
        for _ in range(30):  # Enter, again until the guest has drained the paste and takes it
            console.send("\r")
            with contextlib.suppress(TimeoutError):
                console.read_until(b"Password: ", timeout=3)
                break
        else:
            raise AssertionError("the guest never took Enter after the paste")
        console.send("wrong\r")
        console.read_until(b"Login incorrect", timeout=30)
        console.read_until(b"web01 login: ")


def test_a_viewer_that_goes_leaves_nothing(client: Client) -> None:
    vm_id = _running_vm(client)
    console: Console = client.console(vm_id)
    console.read_until(b"login:")
    console.send("a" * 1000)
    assert _viewers(client, vm_id) == 1
    console.close()  # mid-stream: the host drops the viewer
    wait_until(lambda: _viewers(client, vm_id) == 0, what="the viewer to be gone")
    with client.console(vm_id) as again:  # the console still works for the next one
        again.read_until(b"login:")
        assert _viewers(client, vm_id) == 1


class PtyReader:
    """Reads a pty's master side; what came after an expected text is kept for the next wait."""

    def __init__(self, master: int) -> None:
        self.master, self.pending = master, b""

    def until(self, expected: bytes, timeout: float = 30.0) -> bytes:
        deadline = time.monotonic() + timeout
        while expected not in self.pending:
            left = deadline - time.monotonic()
            assert left > 0, f"no {expected!r} in {self.pending!r}"
            readable, _, _ = select.select([self.master], [], [], left)
            if readable:
                self.pending += os.read(self.master, 65536)
        end = self.pending.index(expected) + len(expected)
        seen, self.pending = self.pending[:end], self.pending[end:]
        return seen


def _pyesx_console(host: BootedHost, *args: str) -> tuple[subprocess.Popen[bytes], int, int, list[object]]:
    master, slave = pty.openpty()
    before = termios.tcgetattr(slave)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYESX_")}
    env |= {"PYESX_SERVER": host.address, "PYESX_USER": "root", "PYESX_PASSWORD": host.password}
    process = subprocess.Popen([PYESX, "console", *args], stdin=slave, stdout=slave, stderr=slave, env=env)
    return process, master, slave, before


@pytest.mark.parametrize("by_url", [False, True])
def test_pyesx_console_in_a_terminal(host: BootedHost, client: Client, by_url: bool) -> None:
    vm_id = _running_vm(client)
    # a ticket lives while the session that acquired it does (this test's)
    args = ["--url", client.acquire_ticket(vm_id).url] if by_url else ["web01"]
    process, master, slave, before = _pyesx_console(host, *args)
    try:
        name = vm_id if by_url else "web01"
        terminal = PtyReader(master)
        terminal.until(f"Connected to {name}.\r\nEscape character is ^]".encode())
        terminal.until(b"web01 login:")
        wait_until(lambda: _viewers(client, vm_id) == 1, what="the terminal to attach")
        os.write(master, b"root\r")
        terminal.until(b"root\r\nPassword: ")
        os.write(master, b"\x1d")  # Ctrl-]
        assert process.wait(timeout=30) == 0
        assert termios.tcgetattr(slave) == before  # the terminal is itself again
        wait_until(lambda: _viewers(client, vm_id) == 0, what="the terminal's viewer to go")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(master)
        os.close(slave)


def test_mouse_reports_once_the_guest_asks_for_them(client: Client) -> None:
    """Clicks reach the guest as xterm mouse reports only after a guest program turned reporting on
    (the hub's unit tests check the reports' bytes); the guest's tty takes them as input sequences
    and goes on working."""
    vm_id = _running_vm(client)
    client.copy_to_guest(vm_id, "root", PASSWORD, b"\x1b[?1000h\x1b[?1006h", "/root/mouse-on")
    with client.console(vm_id) as console:
        console.read_until(b"login:")
        console.click(0, 0)  # the guest has not asked for mouse reports: dropped by the vmx
        console.send(f"root\r{PASSWORD}\r")
        console.read_until(b"root@web01:~# ")
        console.send("cat /root/mouse-on\r")
        console.read_until(b"\x1b[?1006h")
        console.click(2, 4)  # now a report: the tty reads it as an escape sequence and echoes nothing
        console.send("echo after-click\r")
        console.read_until(b"after-click\r\nroot@web01:~# ")

"""The guest console: login, line editing, Ctrl-C / Ctrl-D, pasted floods, an idle guest halting."""

from __future__ import annotations

from vmx.guestos import layout
from vmx.guestos.firmware import PcGuest, boot_appliance
from vmx.guestos.kernel import Kernel
from vmx.guestos.testing import ConsoleSession, FakeMachine, run, settle
from vmx.guestos.tty import Tty


def _booted(machine: FakeMachine) -> PcGuest:
    guest = boot_appliance(machine)
    assert run(guest, machine, lambda: machine.text().endswith(f"{machine.vm_name} login: "), 60)
    return guest


def _type_and_wait(guest: PcGuest, machine: FakeMachine, text: bytes, ending: str) -> None:
    guest.console_input(text)
    assert run(guest, machine, lambda: machine.text().endswith(ending), 60), machine.text()[-300:]


def test_login_ok_shows_motd_and_prompt() -> None:
    machine = FakeMachine(vm_name="db01", info={layout.PASSWORD_KEY: "s3cret"})
    guest = _booted(machine)
    assert "PyESX Linux 1.0 db01 tty1" in machine.text()
    _type_and_wait(guest, machine, b"root\r", "Password: ")
    _type_and_wait(guest, machine, b"s3cret\r", "root@db01:~# ")
    screen = machine.text()
    assert "s3cret" not in screen  # the password is not echoed
    assert "Welcome to PyESX Linux 1.0" in screen


def test_login_incorrect_then_retry() -> None:
    machine = FakeMachine(info={layout.PASSWORD_KEY: "right"})
    guest = _booted(machine)
    _type_and_wait(guest, machine, b"root\r", "Password: ")
    _type_and_wait(guest, machine, b"wrong\r", "testvm login: ")
    assert "\r\nLogin incorrect\r\n" in machine.text()
    _type_and_wait(guest, machine, b"nosuchuser\r", "Password: ")
    _type_and_wait(guest, machine, b"right\r", "testvm login: ")
    _type_and_wait(guest, machine, b"root\r", "Password: ")
    _type_and_wait(guest, machine, b"right\r", "root@testvm:~# ")


def test_locked_root_without_password() -> None:
    machine = FakeMachine()
    guest = _booted(machine)
    _type_and_wait(guest, machine, b"root\r", "Password: ")
    _type_and_wait(guest, machine, b"\r", "testvm login: ")
    assert "Login incorrect" in machine.text()


def test_line_editing() -> None:
    sh = ConsoleSession()
    assert sh.run("echo abx\x7fc").endswith("\nabc\n")
    assert sh.run("garbage\x15echo clean").endswith("\nclean\n")
    assert sh.run("echo one two\x17three").endswith("\none three\n")
    assert sh.run("echo \x1b[Aok").endswith("\nok\n")  # an arrow key's escape sequence is ignored


def test_ctrl_c_interrupts_the_foreground_command() -> None:
    sh = ConsoleSession()
    mark = len(sh.machine.screen)
    sh.guest.console_input(b"sleep 100; echo never\r")
    assert run(
        sh.guest, sh.machine, lambda: any(p.name == "sleep" for p in sh.guest.kernel.procs.values()), 10
    )
    sh.guest.console_input(b"\x03")
    out = sh.wait_prompt(mark, max_seconds=10)
    assert out == "sleep 100; echo never\n^C\n"
    assert sh.status() == 130
    assert sh.machine.clock < 100
    # at the prompt, Ctrl-C drops the line being typed
    mark = len(sh.machine.screen)
    sh.guest.console_input(b"echo half\x03")
    assert sh.wait_prompt(mark) == "echo half^C\n"


def test_ctrl_c_on_ping_prints_statistics() -> None:
    sh = ConsoleSession()
    mark = len(sh.machine.screen)
    sh.guest.console_input(b"ping 10.0.0.1\r")
    run(sh.guest, sh.machine, lambda: "icmp_seq=2" in sh.machine.text(), 10)
    sh.guest.console_input(b"\x03")
    out = sh.wait_prompt(mark)
    assert "^C\n\n--- 10.0.0.1 ping statistics ---\n2 packets transmitted, 2 received" in out


def test_ctrl_d_logs_out() -> None:
    sh = ConsoleSession()
    sh.guest.console_input(b"\x04")
    sh.wait_for("testvm login: ")
    assert "logout" in sh.machine.text()
    sh.guest.console_input(b"root\r")
    sh.wait_for("Password: ")
    sh.guest.console_input(b"secret\r")
    sh.wait_for("root@testvm:~# ")
    sh.guest.console_input(b"exit\r")
    sh.wait_for("testvm login: ")


def test_ten_megabytes_pasted() -> None:
    sh = ConsoleSession()
    paste = (b"x" * 99 + b"\n") * (10 * 1024 * 1024 // 100)
    for offset in range(0, len(paste), 64 * 1024):
        sh.guest.console_input(paste[offset : offset + 64 * 1024])
        sh.guest.step(sh.machine.clock)
    tty = sh.guest.kernel.tty
    assert tty is not None and tty.dropped > 9 * 1024 * 1024  # bounded: most of it is dropped, counted
    # the guest works through what it kept and answers again
    assert run(sh.guest, sh.machine, lambda: not tty.pending_input() and not tty.has_line(), 600)
    sh.guest.console_input(b"\x03")  # the paste's cut-off last line is still being edited: drop it
    assert run(sh.guest, sh.machine, lambda: sh.machine.text().endswith("# "), 10)
    assert sh.run("echo alive") == "alive\n"


def test_tty_bounds_its_buffers() -> None:
    screen = bytearray()
    tty = Tty(screen.extend)
    tty.input(b"a" * (1 << 20))
    assert tty.dropped == (1 << 20) - 64 * 1024
    while tty.process_input():
        pass
    assert tty.has_line() is False  # one 64 KiB line without an Enter: the line is capped at 4095 bytes
    tty.input(b"\r")
    tty.process_input()
    line = tty.take_line()
    assert isinstance(line, bytes) and len(line) == 4096


def test_idle_guest_halts() -> None:
    machine = FakeMachine()
    guest = _booted(machine)
    # with vmtoolsd running, the only timer is its heartbeat
    assert settle(guest, machine) == 1.0
    guest.kernel.vfs.unlink(layout.TOOLS_DAEMON_PATH)  # type: ignore[union-attr]
    guest.console_input(b"root\r")
    guest.step(machine.clock)
    guest.console_input(b"secret\r")
    machine.screen.clear()
    guest.kernel.request("reboot")
    assert run(guest, machine, lambda: machine.text().endswith("login: "), 60)
    assert settle(guest, machine) is None  # no tools: nothing to wake up for


def test_kernel_slices_long_work() -> None:
    machine = FakeMachine()
    kernel = Kernel(machine)

    def busy() -> object:
        while True:
            yield None

    kernel.spawn("busy", "busy", busy())  # type: ignore[arg-type]
    assert kernel.step(0.0) == 0.0  # it gave the vCPU back, asking for more


def test_a_crashing_program_ends_only_itself() -> None:
    sh = ConsoleSession()
    from vmx.guestos.commands import COMMANDS

    def broken(ctx: object, args: list[str]) -> object:
        raise RuntimeError("bug")
        yield

    COMMANDS["broken"] = broken  # type: ignore[assignment]
    try:
        sh.run("echo '#!pyesx-builtin broken' > /bin/broken")
        assert "general protection fault" in sh.run("broken")
        assert sh.status() == 139
        assert sh.run("echo fine") == "fine\n"
    finally:
        del COMMANDS["broken"]


def test_typed_ahead_input_does_not_spin_the_vcpu() -> None:
    sh = ConsoleSession()
    sh.guest.console_input(b"sleep 100\r")
    assert run(
        sh.guest, sh.machine, lambda: any(p.name == "sleep" for p in sh.guest.kernel.procs.values()), 10
    )
    sh.guest.console_input(b"echo queued\r" * 5000)  # more than the lines waiting for a reader may hold
    delay = settle(sh.guest, sh.machine)
    assert delay is not None and delay > 0  # it waits for its timers, not busy with the backlog

"""A fake Machine and a driver that runs GuestSoftware on a virtual clock (for tests and demos)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pyesx.guestfs.api import BlockDevice
from vmx.guestos.machine import GuestSoftware, MemoryInfo, NicInfo, PingReply

BASE_USED_MB = 48


@dataclass
class FakeMachine:
    """Records what the guest does; replies to pings of ``reachable`` addresses; time is ``clock``."""

    vm_name: str = "testvm"
    num_cpus: int = 2
    memory_mb: int = 1024
    disk_device: BlockDevice | None = None
    cdrom_device: BlockDevice | None = None
    order: list[str] = field(default_factory=lambda: ["hdd", "cdrom"])
    info: dict[str, str] = field(default_factory=dict)
    nic_info: NicInfo | None = field(
        default_factory=lambda: NicInfo("00:50:56:aa:bb:01", "10.0.0.5/24", True)
    )
    reachable: set[str] = field(default_factory=lambda: {"10.0.0.1"})
    clock: float = 0.0
    screen: bytearray = field(default_factory=bytearray)
    tools_out: list[dict[str, Any]] = field(default_factory=list)
    cpu_loads: list[tuple[int, int]] = field(default_factory=list)
    memory_loads: list[int] = field(default_factory=list)
    pings_sent: list[tuple[str, int, int]] = field(default_factory=list)
    resets: int = 0
    powered_off: bool = False
    standbys: int = 0
    _replies: list[PingReply] = field(default_factory=list)
    _booted_at: float = 0.0
    _memory_load: int = 0

    def console_write(self, data: bytes) -> None:
        self.screen += data

    def disk(self) -> BlockDevice | None:
        return self.disk_device

    def cdrom(self) -> BlockDevice | None:
        return self.cdrom_device

    def boot_order(self) -> list[str]:
        return list(self.order)

    def guestinfo(self, key: str) -> str | None:
        return self.info.get(key)

    def set_cpu_load(self, vcpus: int, percent: int) -> None:
        self.cpu_loads.append((vcpus, percent))

    def set_memory_load(self, nbytes: int) -> None:
        self.memory_loads.append(nbytes)
        self._memory_load = nbytes

    def memory_info(self) -> MemoryInfo:
        return MemoryInfo(self.memory_mb, BASE_USED_MB + (self._memory_load >> 20), 0)

    def nic(self) -> NicInfo | None:
        return self.nic_info

    def ping_send(self, address: str, ident: int, seq: int) -> None:
        self.pings_sent.append((address, ident, seq))
        if address in self.reachable:
            self._replies.append(PingReply(ident, seq, 0.25 + 0.05 * seq, 64))

    def ping_replies(self) -> list[PingReply]:
        replies, self._replies = self._replies, []
        return replies

    def uptime(self) -> float:
        return self.clock - self._booted_at

    def power_off(self) -> None:
        self.powered_off = True

    def reset(self) -> None:
        self.resets += 1
        self._booted_at = self.clock

    def standby(self) -> None:
        self.standbys += 1

    def tools_send(self, message: dict[str, Any]) -> None:
        self.tools_out.append(message)

    def text(self) -> str:
        """The screen's bytes as text."""
        return self.screen.decode(errors="replace")


def run(
    guest: GuestSoftware,
    machine: FakeMachine,
    until: Callable[[], bool] | None = None,
    max_seconds: float = 3600.0,
) -> bool:
    """Step ``guest`` on the machine's virtual clock until ``until()`` holds (True), or it idles or times out.

    Without ``until`` it runs until the guest is idle (no timer) or max_seconds of guest time passed.
    """
    deadline = machine.clock + max_seconds
    while True:
        delay = guest.step(machine.clock)
        if until is not None and until():
            return True
        if delay is None or machine.clock >= deadline:
            return until is None
        machine.clock = min(deadline, machine.clock + delay)


PROMPT = re.compile(r"root@[\w.-]+:[^\r\n]*# $")


class ConsoleSession:
    """A root login on an appliance guest's console: ``run`` a command line, get what it printed."""

    def __init__(self, machine: FakeMachine | None = None, password: str = "secret") -> None:
        from vmx.guestos.firmware import boot_appliance

        self.machine = machine or FakeMachine()
        self.machine.info.setdefault("guestinfo.password", password)
        self.guest = boot_appliance(self.machine)
        self.wait_for("login: ")
        self.type("root\r")
        self.wait_for("Password: ")
        self.type(password + "\r")
        self.wait_prompt(0)

    def type(self, text: str | bytes) -> None:
        """Keyboard input, then run the guest until it is idle again (timers of at most 5 s fire)."""
        self.guest.console_input(text.encode() if isinstance(text, str) else text)
        self.guest.step(self.machine.clock)

    def wait_for(self, ending: str, max_seconds: float = 60.0) -> None:
        if not run(self.guest, self.machine, lambda: self.machine.text().endswith(ending), max_seconds):
            raise AssertionError(f"the screen never ended with {ending!r}: {self.machine.text()[-500:]!r}")

    def wait_prompt(self, mark: int, max_seconds: float = 600.0) -> str:
        """Run until a prompt follows ``mark``; what was printed since (no prompt, ``\\n`` line ends)."""

        def done() -> bool:
            return bool(PROMPT.search(self.machine.screen[mark:].decode(errors="replace")))

        if not run(self.guest, self.machine, done, max_seconds):
            raise AssertionError(f"no prompt: {self.machine.screen[mark:].decode(errors='replace')[-500:]!r}")
        text = self.machine.screen[mark:].decode(errors="replace")
        return PROMPT.sub("", text).replace("\r\n", "\n")

    def run(self, command: str, max_seconds: float = 600.0) -> str:
        """Type ``command`` and Enter; its output (without the echoed command line)."""
        mark = len(self.machine.screen)
        self.guest.console_input(command.encode() + b"\r")
        text = self.wait_prompt(mark, max_seconds)
        echoed = command + "\n"
        return text[len(echoed) :] if text.startswith(echoed) else text

    def status(self) -> int:
        return int(self.run("echo $?").strip())


def settle(guest: GuestSoftware, machine: FakeMachine, max_steps: int = 10_000) -> float | None:
    """Step without advancing the clock until the guest stops asking for more right now; its last answer."""
    for _ in range(max_steps):
        delay = guest.step(machine.clock)
        if delay != 0.0:
            return delay
    raise AssertionError("the guest keeps asking for the vCPU")

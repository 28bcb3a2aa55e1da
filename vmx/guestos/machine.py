"""The virtual hardware as the guest software sees it, and the guest software as the VMM world drives it.

The VMM world of vCPU 0 implements ``Machine`` over the real paths (the
VMkernel's storage stack, the vSwitch, the vmx's console and tools channels)
and runs one ``GuestSoftware`` (the firmware, which hands over to the installer
or the booted OS). It calls ``step`` whenever something happened or the time
``step`` last asked for has come; between steps the vCPU halts (no busy wait).

The tools channel carries JSON-able dicts. The vmx asks with
``{"id": n, "op": ...}`` and the guest answers, later, with
``{"id": n, ...}`` or ``{"id": n, "error": <fault name>, "message": ...}``;
the guest also sends ``{"op": "heartbeat"}`` (about every second while its
tools run) and ``{"op": "guest_info", ...}`` when what it reports changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from pyesx.guestfs.api import BlockDevice


@dataclass(frozen=True)
class NicInfo:
    mac: str  # "00:50:56:..."
    address: str  # "10.0.0.5/24", "" when the NIC has no address
    connected: bool


@dataclass(frozen=True)
class MemoryInfo:
    total_mb: int  # the VM's configured memory
    used_mb: int  # what the guest's working set (and stress) keeps touched
    balloon_mb: int  # given back to the host by the balloon driver


@dataclass(frozen=True)
class PingReply:
    ident: int
    seq: int
    rtt_ms: float
    ttl: int


class Machine(Protocol):
    """What the virtual hardware offers the guest software running on vCPU 0."""

    vm_name: str
    num_cpus: int

    def console_write(self, data: bytes) -> None:
        """Bytes to the screen (UTF-8 text and ANSI escapes; the vmx renders them)."""
        ...

    def disk(self) -> BlockDevice | None:
        """The first virtual disk, through the VMkernel's storage stack (None: the VM has none)."""
        ...

    def cdrom(self) -> BlockDevice | None:
        """The media in the CD-ROM drive (None: no drive, no media, or disconnected)."""
        ...

    def boot_order(self) -> list[str]:
        """The firmware's boot order from the VM's nvram: "hdd", "cdrom" in order."""
        ...

    def guestinfo(self, key: str) -> str | None:
        """A ``guestinfo.*`` variable of the VM (its advanced settings), as VMware's rpctool reads it."""
        ...

    def set_cpu_load(self, vcpus: int, percent: int) -> None:
        """Keep ``vcpus`` vCPUs ``percent`` busy with guest work (real CPU the scheduler sees); 0: idle."""
        ...

    def set_memory_load(self, nbytes: int) -> None:
        """Keep ``nbytes`` of guest memory touched (real resident pages); 0: release them."""
        ...

    def memory_info(self) -> MemoryInfo: ...

    def nic(self) -> NicInfo | None:
        """The first virtual NIC (None: the VM has none)."""
        ...

    def ping_send(self, address: str, ident: int, seq: int) -> None:
        """Send one ICMP echo request (ARP first when needed) over the vSwitch."""
        ...

    def ping_replies(self) -> list[PingReply]:
        """The echo replies received since the last call."""
        ...

    def uptime(self) -> float:
        """Seconds since the machine was last reset (stands still while the VM is suspended)."""
        ...

    def power_off(self) -> None:
        """The guest powers the machine off (ACPI soft-off)."""
        ...

    def reset(self) -> None:
        """The guest resets the machine (reboot): the firmware starts again."""
        ...

    def tools_send(self, message: dict[str, Any]) -> None:
        """A message to the vmx on the guest tools channel."""
        ...


class GuestSoftware(Protocol):
    """What runs on the machine: driven by the VMM world."""

    def step(self, now: float) -> float | None:
        """Run until every guest process is blocked; seconds until it needs the vCPU again (None:
        halted until input, a tools request or a reply arrives)."""
        ...

    def console_input(self, data: bytes) -> None:
        """Keyboard bytes, as a terminal sends them (``\\r`` for Enter, ``\\x7f`` backspace,
        ``\\x03`` Ctrl-C, ``\\x1b[A`` arrows)."""
        ...

    def tools_request(self, request: dict[str, Any]) -> None:
        """A request from the vmx on the tools channel (answered later through ``Machine.tools_send``)."""
        ...

    def media_changed(self) -> None:
        """The CD-ROM's media was inserted, changed or removed."""
        ...

"""Guest engines: what a VMM world executes.

The interface is small (DESIGN.md, "Guest engines"): ``run`` executes the guest
on this vCPU, answering the vmx's requests on the control channel, one JSON
object per line: ``status``, ``save`` (the vCPU's state, to checkpoint),
``boot`` (power-on: the devices are ready, the guest software starts), ``reset`` (a hardware reset:
the guest boots again), ``demand`` (how busy the
guest's work keeps this vCPU), ``memory`` (the wanted working set changed:
touch it now), ``disk`` (the disk workload changed), ``net`` (the network
settings changed), ``media`` (the CD-ROM's media: ``{"op": "media", "fd": true}`` carries the
ISO's open fd as SCM_RIGHTS ancillary data, ``"fd": false`` means no media) and ``stop``. End of
file means the vmx is gone and the world ends too.

On vCPU 0 the guest software runs (``vmx.guestport``: the firmware, the
installer or the OS) with two more channels to the vmx: the console, a raw byte
stream (terminal output, UTF-8 and ANSI escapes, from the guest; keys as a
terminal sends them to the guest), and the backdoor (``vmx.backdoor``).
"""

from __future__ import annotations

import json
import os
import select
import socket
import time
from collections import deque
from collections.abc import Callable
from dataclasses import asdict
from typing import TYPE_CHECKING, Any, Protocol

from pyesx.checkpoint import VcpuState
from pyesx.guestfs.api import BlockDevice
from pyesx.guestsim import DiskWorkload, NetSettings
from vmx.guestcdrom import GuestCdrom
from vmx.guestmem import GuestMemory

if TYPE_CHECKING:
    from vmx.guestdisk import GuestDiskWorkload
    from vmx.guestnet import GuestNetwork
    from vmx.guestport import GuestPort

PERIOD = 0.010  # seconds: the guest's work is spread evenly over such periods
TOUCH_PERIOD = 1.0  # seconds between two passes over the guest's working set
CONSOLE_BUFFER = 64 << 20  # console output the guest holds while the vmx is not reading; more is dropped
#: past this much output not yet taken by the vmx, the guest's processes wait (flow control, as a
#: serial console's XOFF): nothing is lost, the guest runs as fast as its screen is read
CONSOLE_XOFF = 256 << 10
CONSOLE_READ = 64 << 10  # console input taken per pass of the loop (control requests go between)


class GuestEngine(Protocol):
    def run(self, control: socket.socket) -> int:
        """Execute the guest until told to stop; return the exit status of the world."""
        ...


class SimGuest:
    """The simulated guest on one vCPU: real CPU when busy, none when idle.

    ``cpu_demand`` (percent, 0–100; the VM's ``sim.cpu.demand``) is how much of
    every period the vCPU runs guest work (a busy loop: real CPU time the host
    scheduler sees); the rest of the period, and all of it at 0 %, the vCPU
    halts, blocked on its control channel. Its clock runs while the VM runs and
    stands still while it is suspended, so a resumed guest's uptime carries on.

    On vCPU 0 the guest also owns the VM's ``memory``: every TOUCH_PERIOD it writes
    each page of its working set (``sim.mem.activeMB``, within what the balloon
    left it), so those pages are really resident and stay active. With no
    working set it touches nothing and costs nothing.
    """

    def __init__(
        self,
        state: VcpuState,
        cpu_demand: int = 0,
        memory: GuestMemory | None = None,
    ) -> None:
        self.state = state
        self.cpu_demand = cpu_demand
        self.memory = memory
        self.disk: GuestDiskWorkload | None = None
        self.net: GuestNetwork | None = None
        self._disk_args: tuple[str, str] | None = None
        self._net_args: tuple[str, str, str] | None = None
        self._next_touch = 0.0
        self._resumed_at = time.monotonic()
        self.cdrom = GuestCdrom()
        self.media_listener: Callable[[], None] | None = None  # told when the CD-ROM's media changes
        self._passed_fds: deque[int] = deque()  # fds received on the control channel, not yet taken
        self.console: socket.socket | None = None
        self._console_out = bytearray()
        self.port: GuestPort | None = None  # the guest software (vCPU 0)

    def attach_console(self, channel: socket.socket) -> None:
        """The console channel (vCPU 0)."""
        channel.setblocking(False)
        self.console = channel

    def attach_guest(self, port: GuestPort) -> None:
        """The guest software (vCPU 0): it boots when the world starts running."""
        self.port = port
        self.media_listener = port.media_changed

    def console_write(self, data: bytes) -> None:
        """Bytes to the screen. Never blocks: what the vmx has not taken waits in a bounded buffer,
        flushed from the loop; beyond CONSOLE_BUFFER the rest is dropped."""
        if self.console is None:
            return
        room = CONSOLE_BUFFER - len(self._console_out)
        if room > 0:
            self._console_out += data[:room]
        self._flush_console()

    def _flush_console(self) -> None:
        if self.console is None or not self._console_out:
            return
        try:
            sent = self.console.send(self._console_out)
        except BlockingIOError:
            return
        except OSError:
            self._console_out.clear()
            return
        del self._console_out[:sent]

    def console_backlogged(self) -> bool:
        """Whether the guest's output waits on the vmx (its processes should wait too)."""
        return len(self._console_out) > CONSOLE_XOFF

    def console_input(self, data: bytes) -> None:
        """Keys typed on the console, to the guest software."""
        if self.port is not None:
            self.port.console_input(data)

    def _console_io(self, readable: list[int], writable: list[int]) -> None:
        console = self.console
        if console is None:
            return
        if console.fileno() in writable:
            self._flush_console()
        if console.fileno() in readable:
            try:
                data = console.recv(CONSOLE_READ)
            except BlockingIOError:
                return
            except OSError:
                data = b""
            if data:
                self.console_input(data)
            else:
                self.console = None  # the vmx closed its end

    def attach_disk(self, socket_path: str, vm_id: str, workload: DiskWorkload) -> None:
        """The VM's disk path; the workload's code is loaded only once there is one to run (an idle
        guest keeps its world small)."""
        self._disk_args = (socket_path, vm_id)
        self._set_disk_workload(workload)

    def _set_disk_workload(self, workload: DiskWorkload) -> None:
        if self.disk is not None:
            self.disk.set_workload(workload)
        elif workload.iops and self._disk_args is not None:
            from vmx.guestdisk import GuestDiskWorkload  # loaded when first needed

            self.disk = GuestDiskWorkload(*self._disk_args, workload)

    def attach_network(self, socket_path: str, vm_id: str, nic_key: str, settings: NetSettings) -> None:
        """The guest's IPv4 stack on its first NIC, loaded only once it has an address."""
        self._net_args = (socket_path, vm_id, nic_key)
        self._set_network(settings)

    def _set_network(self, settings: NetSettings) -> None:
        if self.net is not None:
            self.net.set_settings(settings)
        elif settings.ip and self._net_args is not None:
            from vmx.guestnet import GuestNetwork  # loaded when first needed

            self.net = GuestNetwork(*self._net_args, settings)

    def close_devices(self) -> None:
        for device in (self.disk, self.net):
            if device is not None:
                device.close()
        if self.port is not None:
            self.port.close()
        self.cdrom.eject()
        while self._passed_fds:
            os.close(self._passed_fds.popleft())

    def cdrom_device(self) -> BlockDevice | None:
        """The CD-ROM's media as a read-only block device (None: no media or disconnected)."""
        return self.cdrom.device

    def _media(self, request: dict[str, Any]) -> dict[str, Any]:
        if request.get("fd"):
            if not self._passed_fds:
                return {"error": "a media request without its fd"}
            self.cdrom.insert(self._passed_fds.popleft(), str(request.get("path", "")))
        else:
            self.cdrom.eject()
        if self.media_listener is not None:
            self.media_listener()
        return {"ok": True, "cdrom": self.cdrom.status()}

    def uptime(self) -> float:
        return self.state.uptime_at_resume + (time.monotonic() - self._resumed_at)

    def snapshot(self) -> dict[str, Any]:
        return {**asdict(self.state), "uptime_at_resume": self.uptime()}

    def _reset(self) -> None:
        self.state = VcpuState(self.state.vcpu, 0.0, self.state.boot_count + 1)
        self._resumed_at = time.monotonic()
        if self.port is not None:
            self.port.boot()  # the firmware starts again

    def handle(self, request: dict[str, Any]) -> dict[str, Any] | None:
        """The answer to one request; None ends the world."""
        op = request.get("op")
        if op == "stop":
            return None
        if op == "status":
            state = "running" if self.cpu_demand else "halted"
            answer: dict[str, Any] = {
                "state": state,
                "uptime": self.uptime(),
                "boot_count": self.state.boot_count,
            }
            if self.disk is not None:
                answer["disk"] = self.disk.status()
            if self.net is not None:
                answer["net"] = self.net.status()
            answer["cdrom"] = self.cdrom.status()
            return answer
        if op == "media":
            return self._media(request)
        if op == "save":
            return {"vcpu_state": self.snapshot()}
        if op == "reset":
            self._reset()
            return {"ok": True}
        if op == "boot":  # power-on: the vmx has the VM's devices ready, the firmware starts
            if self.port is not None:
                self.port.boot()
            return {"ok": True}
        if op == "demand":
            self.cpu_demand = max(0, min(100, int(request.get("cpu", 0))))
            return {"ok": True}
        if op == "memory":
            self._next_touch = 0.0
            return {"ok": True}
        if op == "net":
            self._set_network(
                NetSettings(
                    str(request["ip"]),
                    str(request["ping"]),
                    str(request["mac"]),
                    str(request["spoof"]),
                    bool(request["promiscuous"]),
                    int(request["ping_rate"]),
                )
            )
            return {"ok": True}
        if op == "disk":
            self._set_disk_workload(
                DiskWorkload(
                    int(request["iops"]),
                    str(request["pattern"]),
                    int(request["block_kb"]),
                    int(request.get("queue_depth", 1)),
                )
            )
            return {"ok": True}
        return {"error": f"unknown request {op!r}"}

    def _work(self) -> float | None:
        """Run this period's guest work; return how long to halt (None: until the vmx speaks)."""
        if not self.cpu_demand:
            return None
        start = time.perf_counter()
        busy_until = start + PERIOD * self.cpu_demand / 100
        while time.perf_counter() < busy_until:
            pass  # guest instructions: real CPU time on this VMM world
        return max(0.0, start + PERIOD - time.perf_counter())

    def _touch(self) -> float | None:
        """Touch the working set when due; return how long until the next pass (None: no working set)."""
        memory = self.memory
        if memory is None:
            return None
        now = time.monotonic()
        if now >= self._next_touch:
            if not memory.touch_working_set() and not memory.state().wanted:
                self._next_touch = float("inf")  # idle until the vmx asks again
                return None
            self._next_touch = now + TOUCH_PERIOD
        return None if self._next_touch == float("inf") else max(0.0, self._next_touch - now)

    def _io(self) -> float | None:
        """Issue the disk I/Os due; return how long until the next (None: no disk workload)."""
        if self.disk is None:
            return None
        if self.disk.due() == 0.0:
            self.disk.step(PERIOD)
        return self.disk.due()

    def _network(self) -> float | None:
        """Send what the guest's network has due; return how long until its next (None: nothing)."""
        if self.net is None:
            return None
        self.net.step()
        return self.net.due()

    def _software(self) -> float | None:
        """Run the guest software until it blocks; how long until it wants the vCPU (None: halted)."""
        if self.port is None:
            return None
        due = self.port.step(time.monotonic())
        return due if due is None else max(0.0, due)

    def run(self, control: socket.socket) -> int:
        pending = b""
        while True:
            halt = self._work()
            for due in (self._touch(), self._io(), self._network(), self._software()):
                if due is not None:
                    halt = due if halt is None else min(halt, due)
            nic = self.net.fileno() if self.net is not None else None
            waiting: list[int] = [control.fileno()] if nic is None else [control.fileno(), nic]
            flushing: list[int] = []
            if self.console is not None:
                waiting.append(self.console.fileno())
                if self._console_out:
                    flushing.append(self.console.fileno())
            if self.port is not None:
                waiting += self.port.read_fds()
                flushing += self.port.write_fds()
            readable, writable, _ = select.select(waiting, flushing, [], halt)
            if nic is not None and nic in readable and self.net is not None:
                self.net.receive()
            self._console_io(readable, writable)
            if self.port is not None:
                self.port.io(readable, writable)
            if control.fileno() not in readable:
                continue
            data, fds, _, _ = socket.recv_fds(control, 65536, 4, socket.MSG_CMSG_CLOEXEC)
            self._passed_fds.extend(fds)
            if not data:
                return 0
            pending += data
            while b"\n" in pending:
                line, pending = pending.split(b"\n", 1)
                answer = self.handle(json.loads(line))
                if answer is None:
                    return 0
                control.sendall(json.dumps(answer).encode() + b"\n")

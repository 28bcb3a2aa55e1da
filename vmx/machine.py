"""The virtual hardware of vCPU 0's VMM world, as the guest software sees it (``guestos.Machine``).

Every device goes the real way: the disk through the VMkernel's storage stack
(run/storage.sock), the NIC through the vSwitch (run/net.sock), the screen and
keyboard through the vmx's console channel, the CD-ROM's media as the vmx
opened it, and the guest tools, power and CPU load through the backdoor.
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pyesx.diskio import MAX_IO_BYTES, DiskClient, DiskIoError
from pyesx.guestsim import mem_active_mb
from pyesx.vmxfile import VmxConfig, VmxParseError
from vmx import nvram
from vmx.guestmem import MB, PAGE, GuestMemory, mb_of
from vmx.guestos.machine import MemoryInfo, NicInfo, PingReply

if TYPE_CHECKING:
    from pyesx.guestfs.api import BlockDevice
    from vmx.guestnet import GuestNetwork

STORAGE_CONNECT_S = 5.0
MAX_BACKDOOR_BUFFER = 64 << 20  # what the guest may have queued for the vmx before it must wait


def _nic_of(config: VmxConfig) -> NicInfo | None:
    """The first NIC a .vmx describes (None without one)."""
    if config.get("ethernet0.present", "").upper() != "TRUE":
        return None
    mac = config.get("ethernet0.address") or config.get("ethernet0.generatedAddress", "")
    return NicInfo(mac.lower(), "", config.get("ethernet0.startConnected", "TRUE").upper() == "TRUE")


class VirtualDisk:
    """The VM's first disk as a block device: every read and write is a request to the VMkernel."""

    def __init__(self, client: DiskClient, index: int, capacity: int) -> None:
        self.client, self.index, self._size = client, index, capacity

    @property
    def size(self) -> int:
        return self._size

    def read(self, offset: int, length: int) -> bytes:
        self._check(offset, length)
        parts = []
        for start in range(offset, offset + length, MAX_IO_BYTES):
            parts.append(
                bytes(self.client.read(self.index, start, min(MAX_IO_BYTES, offset + length - start)))
            )
        return b"".join(parts)

    def write(self, offset: int, data: bytes) -> None:
        self._check(offset, len(data))
        for start in range(0, len(data), MAX_IO_BYTES):
            chunk = data if len(data) <= MAX_IO_BYTES else data[start : start + MAX_IO_BYTES]
            self.client.write(self.index, offset + start, chunk)

    def flush(self) -> None:
        self.client.flush(self.index)

    def _check(self, offset: int, length: int) -> None:
        if offset < 0 or length < 0 or offset + length > self._size:
            raise DiskIoError(22, f"I/O at {offset}+{length} is outside the {self._size}-byte disk")


class VmmMachine:
    """The machine vCPU 0's guest software runs on."""

    def __init__(
        self,
        vm_name: str,
        num_cpus: int,
        vmx_path: str,
        storage_socket: str,
        vm_id: str,
        backdoor: socket.socket | None,
        memory: GuestMemory | None,
        console_write: Callable[[bytes], None],
        uptime: Callable[[], float],
        network: Callable[[], GuestNetwork | None],
        cdrom: Callable[[], BlockDevice | None],
    ) -> None:
        self.vm_name, self.num_cpus = vm_name, num_cpus
        self.vmx_path, self.storage_socket, self.vm_id = vmx_path, storage_socket, vm_id
        self.backdoor = backdoor
        self.memory = memory
        self.console_write = console_write
        self.uptime = uptime
        self._network, self._cdrom = network, cdrom
        self._disk: VirtualDisk | None = None
        self._disk_client: DiskClient | None = None
        self._outgoing = bytearray()  # backdoor messages not yet taken by the vmx
        self._nic_version: tuple[int, int, int] | None = None  # of the .vmx that _nic_from_file came from
        self._nic_from_file: NicInfo | None = None
        if backdoor is not None:
            backdoor.setblocking(False)

    # -- storage --------------------------------------------------------------------------------

    def disk(self) -> BlockDevice | None:
        if self._disk is None:
            self._disk_client = self._connect_storage()
            if self._disk_client is None:
                return None
            disks = self._disk_client.disks
            if not disks:
                return None
            self._disk = VirtualDisk(self._disk_client, 0, disks[0].capacity_bytes)
        return self._disk

    def _connect_storage(self) -> DiskClient | None:
        """The world's connection to its VM's disks; the VMkernel learns a new VM's worlds just after
        power-on, so a refusal is retried for a moment (the BIOS "detecting drives")."""
        deadline = time.monotonic() + STORAGE_CONNECT_S
        while True:
            try:
                return DiskClient(self.storage_socket, self.vm_id)
            except (OSError, ConnectionError):
                if time.monotonic() >= deadline:
                    return None
                time.sleep(0.02)  # a retry interval, not a wait for readiness we could be told of

    def cdrom(self) -> BlockDevice | None:
        return self._cdrom()

    def boot_order(self) -> list[str]:
        return nvram.boot_order(self.vmx_path)

    def guestinfo(self, key: str) -> str | None:
        return nvram.guestinfo(self.vmx_path, key)

    # -- CPU and memory -------------------------------------------------------------------------

    def set_cpu_load(self, vcpus: int, percent: int) -> None:
        self.tools_send({"op": "cpu_load", "vcpus": max(0, min(vcpus, self.num_cpus)), "percent": percent})

    def set_memory_load(self, nbytes: int) -> None:
        if self.memory is None:
            return
        base = self._configured_active_mb()
        self.memory.set_wanted(max(base, -(-nbytes // MB)))

    def _configured_active_mb(self) -> int:
        try:
            return mem_active_mb(VmxConfig.parse(Path(self.vmx_path).read_text(), self.vmx_path))
        except (OSError, VmxParseError):
            return 0

    def memory_info(self) -> MemoryInfo:
        if self.memory is None:
            return MemoryInfo(0, 0, 0)
        state = self.memory.state()
        return MemoryInfo(
            int(mb_of(state.pages)), int(state.working_set * PAGE // MB), int(mb_of(state.ballooned))
        )

    # -- network --------------------------------------------------------------------------------

    def nic(self) -> NicInfo | None:
        network = self._network()
        if network is not None:
            mac = network.mac.hex(":") if network.mac else ""
            return NicInfo(mac, network.settings.ip, network.sock is not None)
        # no network attached: what the .vmx says, read again only when the file changed (the guest
        # tools ask every second, with every heartbeat)
        try:
            stat = os.stat(self.vmx_path)
            version = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
            if version != self._nic_version:
                self._nic_from_file = _nic_of(VmxConfig.parse(Path(self.vmx_path).read_text(), self.vmx_path))
                self._nic_version = version
        except (OSError, VmxParseError):
            return None
        return self._nic_from_file

    def ping_send(self, address: str, ident: int, seq: int) -> None:
        network = self._network()
        if network is not None:
            network.send_ping(address, ident, seq)

    def ping_replies(self) -> list[PingReply]:
        network = self._network()
        if network is None or not network.os_replies:
            return []
        replies = [PingReply(ident, seq, rtt, ttl) for ident, seq, rtt, ttl in network.os_replies]
        network.os_replies.clear()
        return replies

    # -- power and the backdoor -----------------------------------------------------------------

    def power_off(self) -> None:
        self.tools_send({"op": "power_off"})

    def reset(self) -> None:
        self.tools_send({"op": "reset"})

    def standby(self) -> None:
        """The guest went to standby: hostd suspends the VM (ESXi's standby action "checkpoint")."""
        self.tools_send({"op": "standby"})

    def tools_send(self, message: dict[str, Any]) -> None:
        if self.backdoor is None:
            return
        line = json.dumps(message).encode() + b"\n"
        if len(self._outgoing) + len(line) > MAX_BACKDOOR_BUFFER:
            return  # the vmx does not read: drop, as a full backdoor would
        self._outgoing += line
        self.flush_backdoor()

    def flush_backdoor(self) -> None:
        """Send what the vmx can take now (the rest when the socket is writable again)."""
        if self.backdoor is None or not self._outgoing:
            return
        try:
            sent = self.backdoor.send(self._outgoing)
        except BlockingIOError:
            return
        except OSError:
            self._outgoing.clear()
            return
        del self._outgoing[:sent]

    @property
    def backdoor_pending(self) -> bool:
        return bool(self._outgoing)

    def close(self) -> None:
        if self._disk_client is not None:
            self._disk_client.close()

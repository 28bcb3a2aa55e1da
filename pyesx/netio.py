"""The guest's network path between a VMM world and the VMkernel's virtual switches (run/net.sock).

A SOCK_SEQPACKET unix socket per virtual NIC: one message is one Ethernet frame
(destination, source, optional 802.1Q tag, EtherType, payload; no FCS). The
first message names the NIC, ``PYESX-NET1 <vm-id> <nic-key> [promiscuous]
[mac=<mac>]`` (when the guest puts its NIC in promiscuous mode, and the MAC it
gave its NIC if it changed it, which the MAC-changes policy judges); the VMkernel
checks with SO_PEERCRED that the caller is one of that VM's worlds and answers
``OK <mac>`` (the NIC's MAC) or ``ERR <reason>``. From then on frames flow both
ways; the switch drops what its policy refuses and counts it on the port.
"""

from __future__ import annotations

import socket

HELLO = b"PYESX-NET1"
MAX_FRAME = 9000 + 18 + 4 + 64  # the largest MTU, header, tag, and room for a malformed frame to be seen


def connect(
    socket_path: str, vm_id: str, nic_key: str, promiscuous: bool = False, mac: str = "", timeout: float = 5.0
) -> tuple[socket.socket, str]:
    """A NIC's connection to its port and the NIC's MAC; PermissionError when the VMkernel refuses."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        sock.settimeout(timeout)
        sock.connect(socket_path)
        flags = (" promiscuous" if promiscuous else "") + (f" mac={mac}" if mac else "")
        sock.send(HELLO + f" {vm_id} {nic_key}{flags}".encode())
        answer = sock.recv(256)
        if not answer.startswith(b"OK "):
            raise PermissionError(answer.decode(errors="replace") or "the VMkernel closed the connection")
        sock.setblocking(False)
        return sock, answer[3:].decode()
    except BaseException:
        sock.close()
        raise

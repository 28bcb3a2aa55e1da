"""Real NTP and DNS servers from Debian's packages for tests: chronyd and dnsmasq in the foreground
on a free loopback port, with their configuration, pid and drift files in a temporary folder.

Readiness is the server answering a query (polled with a deadline); ``stop()`` ends the process
and waits for it. ``SKIP_*`` say why a test cannot run when the binary is absent
(``tools/install-test-services.sh`` installs them).
"""

from __future__ import annotations

import getpass
import os
import shutil
import socket
import struct
import subprocess
import time
from pathlib import Path
from typing import Self

CHRONYD = shutil.which("chronyd") or (
    "/usr/sbin/chronyd" if os.access("/usr/sbin/chronyd", os.X_OK) else None
)
DNSMASQ = shutil.which("dnsmasq") or (
    "/usr/sbin/dnsmasq" if os.access("/usr/sbin/dnsmasq", os.X_OK) else None
)
SKIP_CHRONY = "chronyd is not installed (tools/install-test-services.sh installs Debian's chrony)"
SKIP_DNSMASQ = "dnsmasq is not installed (tools/install-test-services.sh installs Debian's dnsmasq-base)"


def free_port() -> int:
    """A loopback port free for both UDP and TCP (DNS uses both)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind(("127.0.0.1", 0))
            port = int(udp.getsockname()[1])
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
                try:
                    tcp.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return port
    raise RuntimeError("no free loopback port")


class _Server:
    process: subprocess.Popen[bytes]
    port: int

    def _wait_ready(self, ask: bytes, timeout: float) -> None:
        try:
            self._poll_ready(ask, timeout)
        except BaseException:
            self.stop()  # a server that did not come up is not left behind
            raise

    def _poll_ready(self, ask: bytes, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.settimeout(0.1)
            while True:
                if self.process.poll() is not None:
                    raise RuntimeError(f"{self} exited at start: {self.log()}")
                sock.sendto(ask, ("127.0.0.1", self.port))
                try:
                    sock.recv(4096)
                    return
                except OSError:  # no answer yet, or the port is not open yet (ICMP refused)
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{self} did not answer within {timeout}s: {self.log()}")

    def log(self) -> str:
        return ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class ChronyServer(_Server):
    """chronyd serving its local clock at ``stratum`` on 127.0.0.1:port; it never touches the machine's
    clock (-x)."""

    def __init__(self, folder: Path, stratum: int = 8, timeout: float = 15.0) -> None:
        assert CHRONYD, SKIP_CHRONY
        folder.mkdir(parents=True, exist_ok=True)
        self.folder, self.stratum, self.port = folder, stratum, free_port()
        conf = folder / "chrony.conf"
        conf.write_text(
            f"port {self.port}\nbindaddress 127.0.0.1\nallow 127.0.0.1\nlocal stratum {stratum}\n"
            f"cmdport 0\npidfile {folder / 'chronyd.pid'}\ndriftfile {folder / 'chrony.drift'}\n"
        )
        user = ["-u", "root"] if os.geteuid() == 0 else ["-U", "-u", getpass.getuser()]
        self._log = folder / "chronyd.log"
        with self._log.open("wb") as log:
            self.process = subprocess.Popen(
                [CHRONYD, "-d", "-x", *user, "-f", str(conf)], stdout=log, stderr=subprocess.STDOUT
            )
        ask = bytearray(48)
        ask[0] = (4 << 3) | 3  # version 4, client mode
        struct.pack_into("!Q", ask, 40, 1 << 32)
        self._wait_ready(bytes(ask), timeout)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def log(self) -> str:
        return self._log.read_text(errors="replace")

    def __str__(self) -> str:
        return f"chronyd on {self.address}"


class DnsmasqServer(_Server):
    """dnsmasq answering ``records`` (name → IPv4) on 127.0.0.1:port; every other name under
    ``local_domain`` is NXDOMAIN, and nothing is forwarded upstream."""

    def __init__(
        self, folder: Path, records: dict[str, str], local_domain: str = "test.lan", timeout: float = 15.0
    ) -> None:
        assert DNSMASQ, SKIP_DNSMASQ
        folder.mkdir(parents=True, exist_ok=True)
        self.folder, self.port = folder, free_port()
        self._log = folder / "dnsmasq.log"
        argv = [
            DNSMASQ,
            "--keep-in-foreground",
            "--conf-file=/dev/null",
            "--no-resolv",
            "--no-hosts",
            "--bind-interfaces",
            "--listen-address=127.0.0.1",
            f"--port={self.port}",
            f"--local=/{local_domain}/",
            f"--pid-file={folder / 'dnsmasq.pid'}",
            f"--user={getpass.getuser()}",
            "--log-facility=-",
            "--log-queries",
            *(f"--host-record={name},{address}" for name, address in records.items()),
        ]
        with self._log.open("wb") as log:
            self.process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
        ask = struct.pack("!HHHHHH", 7, 0x0100, 1, 0, 0, 0) + b"\x05ready\x00" + struct.pack("!HH", 1, 1)
        self._wait_ready(ask, timeout)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def log(self) -> str:
        return self._log.read_text(errors="replace")

    def queries(self) -> list[str]:
        """The names the server was asked for (from its query log)."""
        return [
            line.split("query[", 1)[1].split("] ", 1)[1].split(" from")[0]
            for line in self.log().splitlines()
            if "query[" in line
        ]

    def __str__(self) -> str:
        return f"dnsmasq on {self.address}"

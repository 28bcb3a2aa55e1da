"""The host's zygote: the VMkernel process before it imports anything of its own.

``python -m vmkernel`` first imports what every vmx, VMM world and hostd run,
shares it for good (``pyesx.shared_pages``) and forks the vmx factory from that image;
only then does it import the VMkernel's own modules. The factory forks every vmx
(and its VMM worlds) and hostd, so one copy of those pages serves the whole host:
the more processes share a page, the less of it each one's PSS carries.
"""

from __future__ import annotations

import os
import socket
import traceback
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ForkedFactory:
    """The factory forked at boot: its pid and the VMkernel's end of its control socket."""

    pid: int
    control: socket.socket


def fork_factory(root: Path) -> ForkedFactory:
    """Prepare the shared image and fork the vmx factory from it (call before any thread, event loop
    or gRPC object exists)."""
    from vmx import factory

    factory.prepare()
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    parent = os.getpid()
    stderr_path = root / "log" / "vmx-factory.stderr.log"
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            ours.close()
            _stderr_to(stderr_path)
            os.setsid()  # Ctrl-C reaches the VMkernel only; it stops the rest in order
            code = factory.run(str(root), parent, theirs)
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(code)
    theirs.close()
    return ForkedFactory(pid, ours)


def _stderr_to(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 2)
    os.close(fd)
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)
    os.close(null)

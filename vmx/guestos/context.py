"""What a command runs with: the kernel, its streams, working directory, environment and user."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from vmx.guestos.kernel import Gen, Kernel, Process
from vmx.guestos.streams import Input, Output
from vmx.guestos.vfs import Vfs, normalize, strerror

if TYPE_CHECKING:
    pass


@dataclass
class Ctx:
    kernel: Kernel
    stdin: Input
    stdout: Output
    stderr: Output
    cwd: str = "/"
    env: dict[str, str] = field(default_factory=dict)
    user: str = "root"
    proc: Process | None = None

    @property
    def vfs(self) -> Vfs:
        assert self.kernel.vfs is not None, "no root file system mounted"
        return self.kernel.vfs

    @property
    def pid(self) -> int:
        return self.proc.pid if self.proc is not None else 0

    def out(self, text: str) -> None:
        self.stdout.write(text.encode())

    def err(self, text: str) -> None:
        self.stderr.write(text.encode())

    def path(self, path: str) -> str:
        """``path`` made absolute against the working directory."""
        return normalize(self.cwd, path)

    def fail(self, prog: str, what: str, exc: OSError) -> None:
        """``prog: what: <strerror>`` on stderr."""
        self.err(f"{prog}: {what}: {strerror(exc)}\n")


Command = Callable[[Ctx, list[str]], Gen[int]]
"""A built-in program: its context and argv (argv[0] is its name); returns its exit status."""

"""The built-in programs, by name (``/bin/<name>`` holds ``#!pyesx-builtin <name>``)."""

from __future__ import annotations

from vmx.guestos.commands import dd, files, net, stress, system
from vmx.guestos.context import Command
from vmx.guestos.shell import sh_command

COMMANDS: dict[str, Command] = {
    **files.COMMANDS,
    **system.COMMANDS,
    "dd": dd.dd,
    "stress": stress.stress,
    "ip": net.ip,
    "ping": net.ping,
    "sh": sh_command,
    "bash": sh_command,
}

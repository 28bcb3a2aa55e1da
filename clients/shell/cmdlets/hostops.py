"""Host operations: Set-VMHost -State (maintenance mode), Restart-VMHost, Stop-VMHost, Get-Log,
Get-LogType.

Restart-VMHost and Stop-VMHost are refused outside maintenance mode unless -Force (ESXi's rule);
they ask first in an interactive shell, and -WhatIf only says what they would do.
"""

from __future__ import annotations

from collections.abc import Iterator

from clients.hostops import LogLines
from clients.model import Host
from clients.shell.binding import BoundArguments, Parameter
from clients.shell.cmdlets.base import Cmdlet
from clients.shell.conversions import INT32, STRING, STRINGS, SWITCH, ArrayType, ParamType, shown
from clients.shell.errors import ConversionError
from clients.shell.psobject import PSObject
from clients.shell.session import Client
from clients.shell.views import host_object, task_object
from pyesx.faults import InvalidArgument

HOST_STATES = {"connected": "Connected", "maintenance": "Maintenance"}


def _host_reference(value: object) -> Host | str:
    if isinstance(value, PSObject) and isinstance(value.base, Host):
        return value.base
    if isinstance(value, str):
        return value
    raise ConversionError(shown(value), "VMHost")


#: -VMHost: the host object (Get-VMHost) or its name; left out, the connected host
VMHOSTS = ArrayType(ParamType("VMHost", _host_reference))


def resolve_host(client: Client, references: list[object]) -> Host:
    """The connected host, checking that every name given is its name."""
    host = client.host()
    for ref in references:
        if isinstance(ref, str) and ref.lower() != host.name.lower():
            raise InvalidArgument("VMHost", f"'{ref}' is not the connected host ({host.name})")
    return host


class HostCmdlet(Cmdlet):
    """A cmdlet on the one host: -VMHost names it (what -WhatIf and -Confirm name)."""

    target_parameter = "VMHost"

    def resolve_targets(self, items: list[object]) -> list[object]:
        """The host, whether -VMHost was given or not."""
        return [resolve_host(self.ctx.client(), items)]


class SetVMHost(HostCmdlet):
    """Set-VMHost [[-VMHost] <VMHost[]>] -State <Connected|Maintenance> [-RunAsync] [-Confirm] [-WhatIf]"""

    name = "Set-VMHost"
    synopsis = "Puts the host into maintenance mode or takes it out (-State Maintenance|Connected)."
    examples = (
        ("Set-VMHost -State Maintenance", "Enters maintenance mode (refused while VMs are powered on)."),
        ("Get-VMHost | Set-VMHost -State Connected", "Leaves maintenance mode."),
    )
    parameters = (
        Parameter("VMHost", VMHOSTS, position=0, pipeline=True),
        Parameter("State", STRING, mandatory=True),
        Parameter("RunAsync", SWITCH),
        Parameter("Confirm", SWITCH),
    )

    def process(self, args: BoundArguments) -> Iterator[object]:
        client = self.ctx.client()
        host = resolve_host(client, args.items("VMHost"))
        state = HOST_STATES.get(args.string("State").lower())
        if state is None:
            raise InvalidArgument(
                "State",
                f"'{args.string('State')}' is not a host state; use {' or '.join(HOST_STATES.values())}",
            )
        if (state == "Maintenance") == host.in_maintenance_mode:
            yield host_object(host)
            return
        task = client.enter_maintenance_mode() if state == "Maintenance" else client.exit_maintenance_mode()
        if args.flag("RunAsync"):
            yield task_object(task)
            return
        client.wait_for_task(task.id)
        yield host_object(client.host())


class HostPowerCmdlet(HostCmdlet):
    """Restart-VMHost and Stop-VMHost: one task, then the host goes away (its sessions end)."""

    reboot = False
    parameters = (
        Parameter("VMHost", VMHOSTS, position=0, pipeline=True),
        Parameter("Force", SWITCH),
        Parameter("RunAsync", SWITCH),
        Parameter("Confirm", SWITCH),
    )

    def process(self, args: BoundArguments) -> Iterator[object]:
        client = self.ctx.client()
        host = resolve_host(client, args.items("VMHost"))
        force = args.flag("Force")
        task = client.reboot_host(force) if self.reboot else client.shutdown_host(force)
        # The host is going down: its task cannot be waited for over a connection that ends.
        yield task_object(task) if args.flag("RunAsync") else host_object(host)


class RestartVMHost(HostPowerCmdlet):
    """Restart-VMHost [[-VMHost] <VMHost[]>] [-Force] [-RunAsync] [-Confirm] [-WhatIf]"""

    name = "Restart-VMHost"
    reboot = True
    synopsis = (
        "Reboots the host: its VMs' stop actions run, then it boots again (-Force: outside maintenance)."
    )
    examples = (
        ("Restart-VMHost -Confirm:$false", "Reboots a host in maintenance mode."),
        ("Restart-VMHost -Force -WhatIf", "Says what would happen, and does nothing."),
    )


class StopVMHost(HostPowerCmdlet):
    """Stop-VMHost [[-VMHost] <VMHost[]>] [-Force] [-RunAsync] [-Confirm] [-WhatIf]"""

    name = "Stop-VMHost"
    synopsis = (
        "Shuts the host down: its VMs' stop actions run, then it powers off (-Force: outside maintenance)."
    )
    examples = (
        ("Set-VMHost -State Maintenance; Stop-VMHost -Confirm:$false", "Shuts the host down cleanly."),
        ("Stop-VMHost -Force -Confirm:$false", "Shuts it down even outside maintenance mode."),
    )


def log_object(host: Host, found: LogLines) -> PSObject:
    """One log's lines as Get-Log returns them (Entries holds the lines)."""
    return PSObject(
        "Log",
        [
            ("Entity", host.name),
            ("Key", found.key),
            ("FirstLineNum", found.start_line_num),
            ("LastLineNum", found.end_line_num),
            ("TotalLines", found.total_lines),
            ("Entries", list(found.lines)),
        ],
        base=found,
        label=found.key,
    )


class GetLog(Cmdlet):
    """Get-Log [-Key] <String[]> [[-VMHost] <VMHost[]>] [-StartLineNum <Int32>] [-NumLines <Int32>]"""

    name = "Get-Log"
    synopsis = "Gets lines of the host's logs (hostd, vmkernel): the last ones, or from -StartLineNum."
    examples = (
        ("Get-Log -Key hostd -NumLines 20", "The last 20 lines of hostd.log."),
        ("(Get-Log vmkernel -StartLineNum 1 -NumLines 5).Entries", "The VMkernel log's first 5 lines."),
    )
    parameters = (
        Parameter("Key", STRINGS, position=0, mandatory=True),
        Parameter("VMHost", VMHOSTS, position=1, pipeline=True),
        Parameter("StartLineNum", INT32),
        Parameter("NumLines", INT32),
    )

    def process(self, args: BoundArguments) -> Iterator[object]:
        client = self.ctx.client()
        host = resolve_host(client, args.items("VMHost"))
        for key in args.strings("Key"):
            found = client.browse_log(key, args.integer("StartLineNum"), args.integer("NumLines"))
            yield log_object(host, found)


class GetLogType(Cmdlet):
    """Get-LogType [[-VMHost] <VMHost[]>]"""

    name = "Get-LogType"
    synopsis = "Lists the keys of the host's logs, for Get-Log -Key."
    examples = (("Get-LogType", "The log keys (hostd, vmkernel) and their files."),)
    parameters = (Parameter("VMHost", VMHOSTS, position=0, pipeline=True),)

    def process(self, args: BoundArguments) -> Iterator[object]:
        client = self.ctx.client()
        resolve_host(client, args.items("VMHost"))
        for log_type in client.log_types():
            yield PSObject(
                "LogDescriptor",
                [("Key", log_type.key), ("Summary", log_type.summary), ("FileName", log_type.file_name)],
                base=log_type,
                label=log_type.key,
            )


CMDLETS: tuple[type[Cmdlet], ...] = (SetVMHost, RestartVMHost, StopVMHost, GetLog, GetLogType)

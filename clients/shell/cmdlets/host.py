"""Get-VMHost: the one host this shell is connected to."""

from __future__ import annotations

from collections.abc import Iterator

from clients.shell.binding import BoundArguments, Parameter
from clients.shell.cmdlets.base import Cmdlet
from clients.shell.conversions import STRINGS
from clients.shell.views import host_object
from clients.shell.wildcard import is_wildcard, like, unescape
from pyesx.faults import NotFound


class GetVMHost(Cmdlet):
    """Get-VMHost [[-Name] <String[]>]"""

    name = "Get-VMHost"
    synopsis = "Gets the host: its state, CPUs, memory and version."
    examples = (
        ("Get-VMHost", "The host as a table."),
        ("Get-VMHost | Select-Object Name, Version, MemoryTotalGB", "Some of its properties."),
    )
    parameters = (Parameter("Name", STRINGS, position=0),)

    def process(self, args: BoundArguments) -> Iterator[object]:
        host = self.ctx.client().host()
        patterns = args.strings("Name")
        for pattern in patterns:
            if not is_wildcard(pattern) and unescape(pattern).lower() != host.name.lower():
                raise NotFound(
                    "HostSystem",
                    pattern,
                    f"VMHost with name '{pattern}' was not found using the specified filter(s).",
                )
        if not patterns or any(like(host.name, p) for p in patterns):
            yield host_object(host)


CMDLETS: tuple[type[Cmdlet], ...] = (GetVMHost,)

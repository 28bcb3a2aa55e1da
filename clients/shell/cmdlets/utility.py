"""Start-Sleep: waits in a script (Ctrl-C ends it like any running pipeline)."""

from __future__ import annotations

import time
from collections.abc import Iterator

from clients.shell.binding import BoundArguments, Parameter
from clients.shell.cmdlets.base import UTILITY, Cmdlet
from clients.shell.conversions import DOUBLE, INT32
from clients.shell.errors import ShellError

#: the longest wait one Start-Sleep takes (PowerShell's limit is Int32.MaxValue milliseconds)
MAX_SECONDS = 2_147_483.647


class StartSleep(Cmdlet):
    """Start-Sleep [-Seconds] <Double> | -Milliseconds <Int32>"""

    name = "Start-Sleep"
    module = UTILITY
    synopsis = "Waits for a time before the script goes on."
    examples = (
        ("Start-Sleep 2", "Waits two seconds."),
        (
            "while ((Get-VM web01).PowerState -ne 'PoweredOff') { Start-Sleep -Milliseconds 200 }",
            "Waits until web01 is off.",
        ),
    )
    aliases = ("sleep",)
    parameters = (
        Parameter("Seconds", DOUBLE, position=0, aliases=("s",)),
        Parameter("Milliseconds", INT32, aliases=("ms",)),
    )

    def process(self, args: BoundArguments) -> Iterator[object]:
        if "Milliseconds" in args:
            seconds = args.integer("Milliseconds") / 1000
        elif "Seconds" in args:
            seconds = args.number("Seconds")
        else:
            raise ShellError("Start-Sleep: give -Seconds or -Milliseconds.")
        if not 0 <= seconds <= MAX_SECONDS:
            raise ShellError(
                f"Cannot validate argument: {seconds:g} s is not between 0 and {MAX_SECONDS:.3f} s."
            )
        time.sleep(seconds)
        return iter(())


CMDLETS: tuple[type[Cmdlet], ...] = (StartSleep,)

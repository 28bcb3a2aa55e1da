"""Out-File: what the screen would show, written to a local file."""

from __future__ import annotations

import os
from collections.abc import Iterator

from clients.shell.binding import BoundArguments, Parameter
from clients.shell.cmdlets.base import UTILITY, Cmdlet, CommandContext
from clients.shell.conversions import INT32, OBJECT, STRING, SWITCH
from clients.shell.errors import ShellError
from clients.shell.formatting import format_default


class OutFile(Cmdlet):
    """Out-File [-FilePath] <String> [-InputObject <PSObject>] [-Append] [-NoClobber] [-Width <Int32>]

    Writes the input as the shell would display it (tables, lists, text) to a local file (UTF-8);
    -Width cuts tables to that many characters."""

    name = "Out-File"
    module = UTILITY
    synopsis = "Writes the displayed form of objects to a file."
    confirm_impact = "Medium"
    target_parameter = "FilePath"
    examples = (
        ("Get-VM | Out-File vms.txt", "The VM table, as the screen shows it, in vms.txt."),
        ("Get-VIEvent -MaxSamples 5 | Out-File events.log -Append", "Adds the newest events to a log."),
    )
    parameters = (
        Parameter("FilePath", STRING, position=0, mandatory=True, aliases=("Path",)),
        Parameter("InputObject", OBJECT, pipeline=True, allow_null=True),
        Parameter("Append", SWITCH),
        Parameter("NoClobber", SWITCH, aliases=("NoOverwrite",)),
        Parameter("Width", INT32),
    )

    def __init__(self, ctx: CommandContext) -> None:
        super().__init__(ctx)
        self.items: list[object] = []
        self.agreed = False

    def process(self, args: BoundArguments) -> Iterator[object]:
        self.agreed = True  # process runs only when -WhatIf / -Confirm let it
        if "InputObject" in args:
            self.items.append(args.get("InputObject"))
        return iter(())

    def end(self, args: BoundArguments) -> Iterator[object]:
        if not self.agreed:
            return iter(())
        path = os.path.expanduser(args.string("FilePath"))
        if args.flag("NoClobber") and not args.flag("Append") and os.path.exists(path):
            raise ShellError(f"The file '{path}' already exists.")
        width = args.integer("Width") if "Width" in args else None
        try:
            with open(path, "a" if args.flag("Append") else "w", encoding="utf-8") as handle:
                handle.write(format_default(self.items, width))
        except OSError as error:
            raise ShellError(f"Could not open '{path}': {error.strerror or error}") from None
        return iter(())


CMDLETS: tuple[type[Cmdlet], ...] = (OutFile,)

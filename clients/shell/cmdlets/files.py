"""Local files: Out-File (what the screen would show), Get-Content, Set-Content, Add-Content."""

from __future__ import annotations

import os
from collections.abc import Iterator

from clients.shell.binding import BoundArguments, Parameter
from clients.shell.cmdlets.base import MANAGEMENT, UTILITY, Cmdlet, CommandContext
from clients.shell.conversions import INT32, OBJECT, STRING, STRINGS, SWITCH
from clients.shell.errors import ShellError
from clients.shell.formatting import format_default
from clients.shell.values import to_string


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


def _local_path(path: str) -> str:
    return os.path.expanduser(path)


def _read_text(path: str) -> str:
    try:
        with open(_local_path(path), encoding="utf-8", errors="replace", newline="") as handle:
            return handle.read()
    except IsADirectoryError:
        raise ShellError(f"Unable to get content because it is a directory: '{path}'.") from None
    except FileNotFoundError:
        raise ShellError(f"Cannot find path '{path}' because it does not exist.") from None
    except OSError as error:
        raise ShellError(f"Could not read '{path}': {error.strerror or error}") from None


class GetContent(Cmdlet):
    """Get-Content [-Path] <String[]> [-TotalCount <Int32>] [-Tail <Int32>] [-Raw]

    A local file's lines, one string each (-Raw: the whole text as one string)."""

    name = "Get-Content"
    module = MANAGEMENT
    synopsis = "Gets the lines of a local file."
    examples = (
        ("Get-Content vms.txt", "The lines of vms.txt."),
        ("Get-Content events.log -Tail 5", "Its last five lines."),
    )
    aliases = ("gc", "cat", "type")
    parameters = (
        Parameter("Path", STRINGS, position=0, mandatory=True, pipeline=True, aliases=("FullName",)),
        Parameter("TotalCount", INT32, aliases=("First", "Head")),
        Parameter("Tail", INT32, aliases=("Last",)),
        Parameter("Raw", SWITCH),
    )

    def process(self, args: BoundArguments) -> Iterator[object]:
        for path in args.strings("Path"):
            text = _read_text(path)
            if args.flag("Raw"):
                yield text
                continue
            lines = text.splitlines()
            if "TotalCount" in args and args.integer("TotalCount") >= 0:
                lines = lines[: args.integer("TotalCount")]
            if "Tail" in args:
                tail = args.integer("Tail")
                lines = lines[-tail:] if tail > 0 else ([] if tail == 0 else lines)
            yield from lines


class SetContent(Cmdlet):
    """Set-Content [-Path] <String> [-Value] <Object[]> [-NoNewline]

    Writes each value's text on a line of its own, replacing what the file held."""

    name = "Set-Content"
    module = MANAGEMENT
    synopsis = "Writes text to a local file, replacing its content."
    examples = (("Set-Content notes.txt 'first line'", "notes.txt holds one line."),)
    target_parameter = "Path"
    append = False
    parameters = (
        Parameter("Path", STRING, position=0, mandatory=True),
        Parameter("Value", OBJECT, position=1, pipeline=True, allow_null=True),
        Parameter("NoNewline", SWITCH),
    )

    def __init__(self, ctx: CommandContext) -> None:
        super().__init__(ctx)
        self.values: list[object] = []
        self.agreed = False

    def process(self, args: BoundArguments) -> Iterator[object]:
        self.agreed = True  # process runs only when -WhatIf / -Confirm let it
        value = args.get("Value")
        self.values.extend(value if isinstance(value, list) else [value])
        return iter(())

    def end(self, args: BoundArguments) -> Iterator[object]:
        if not self.agreed:
            return iter(())
        path = _local_path(args.string("Path"))
        separator = "" if args.flag("NoNewline") else "\n"
        text = "".join(to_string(value) + separator for value in self.values if value is not None)
        try:
            with open(path, "a" if self.append else "w", encoding="utf-8") as handle:
                handle.write(text)
        except OSError as error:
            raise ShellError(f"Could not open '{path}': {error.strerror or error}") from None
        return iter(())


class AddContent(SetContent):
    """Add-Content [-Path] <String> [-Value] <Object[]> [-NoNewline]

    Appends each value's text on a line of its own."""

    name = "Add-Content"
    synopsis = "Appends text to a local file."
    examples = (("Add-Content notes.txt 'another line'", "One more line at the end of notes.txt."),)
    confirm_impact = "Medium"
    append = True


CMDLETS: tuple[type[Cmdlet], ...] = (OutFile, GetContent, SetContent, AddContent)

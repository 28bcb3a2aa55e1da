"""CSV cmdlets: ConvertTo-Csv, Export-Csv, ConvertFrom-Csv, Import-Csv (PowerShell 7's format).

The header is the first object's property names; every field is quoted (a quote inside doubled)
unless -UseQuotes says otherwise; $null is an empty, unquoted field.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator, Sequence

from clients.shell.binding import BoundArguments, Parameter
from clients.shell.cmdlets.base import UTILITY, Cmdlet, CommandContext
from clients.shell.conversions import OBJECT, STRING, STRINGS, SWITCH, ParamType
from clients.shell.errors import ConversionError, ShellError
from clients.shell.psobject import PSObject
from clients.shell.values import enumerate_value, to_string, type_name

CSV_TYPE = "CsvObject"
QUOTE_CHOICES = ("Always", "AsNeeded", "Never")


def _quote_choice(value: object) -> str:
    text = to_string(value)
    for choice in QUOTE_CHOICES:
        if choice.lower() == text.lower():
            return choice
    raise ConversionError(text, "QuoteKind", f"Possible values are: {', '.join(QUOTE_CHOICES)}.")


QUOTE_KIND = ParamType("QuoteKind", _quote_choice)
_COMMON = (
    Parameter("InputObject", OBJECT, position=0, mandatory=True, pipeline=True),
    Parameter("Delimiter", STRING),
    Parameter("NoTypeInformation", SWITCH, aliases=("NTI",)),
    Parameter("IncludeTypeInformation", SWITCH, aliases=("ITI",)),
    Parameter("UseQuotes", QUOTE_KIND),
    Parameter("QuoteFields", STRINGS),
)


def properties(obj: object) -> list[tuple[str, object]]:
    """The properties a CSV row shows for ``obj`` (a string has Length, as in .NET)."""
    if isinstance(obj, PSObject):
        return list(obj.items())
    if isinstance(obj, str):
        return [("Length", len(obj))]
    return []


def field(value: object) -> str | None:
    """A property value as CSV text; None for $null."""
    if value is None:
        return None
    if isinstance(value, list | tuple):
        return "System.Object[]"
    return to_string(value)


class CsvWriter:
    """Turns objects into CSV lines, the header first (and a ``#TYPE`` line when asked)."""

    def __init__(self, args: BoundArguments, header_written: bool = False) -> None:
        self.delimiter = args.string("Delimiter", ",") or ","
        self.quotes = args.string("UseQuotes", "Always")
        self.quote_fields = {f.lower() for f in args.strings("QuoteFields")}
        self.type_info = args.flag("IncludeTypeInformation") and not args.flag("NoTypeInformation")
        self.names: list[str] | None = None
        self.header_written = header_written

    def _text(self, name: str, value: str | None) -> str:
        if value is None:
            return ""
        quoted = '"' + value.replace('"', '""') + '"'
        if self.quote_fields:
            return quoted if name.lower() in self.quote_fields else value
        if self.quotes == "Never":
            return value
        if self.quotes == "AsNeeded" and not any(c in value for c in (self.delimiter, '"', "\n", "\r")):
            return value
        return quoted

    def _line(self, cells: Sequence[tuple[str, str | None]]) -> str:
        return self.delimiter.join(self._text(name, value) for name, value in cells)

    def lines(self, obj: object) -> Iterator[str]:
        """The lines ``obj`` adds: the header before the first row, then its row."""
        props = properties(obj)
        if self.names is None:
            self.names = [name for name, _ in props]
            if self.type_info:
                yield f"#TYPE {type_name(obj)}"
            if not self.header_written:
                yield self._line([(n, n) for n in self.names])
                self.header_written = True
        values = {name.lower(): value for name, value in props}
        yield self._line([(n, field(values.get(n.lower()))) for n in self.names])


class ConvertToCsv(Cmdlet):
    """ConvertTo-Csv [-InputObject] <PSObject> [-Delimiter <Char>] [-NoTypeInformation]
    [-IncludeTypeInformation] [-UseQuotes Always|AsNeeded|Never] [-QuoteFields <String[]>]

    One CSV line per object, after a header line of the first object's property names."""

    name = "ConvertTo-Csv"
    module = UTILITY
    synopsis = "Converts objects to CSV text, a header line first."
    parameters = _COMMON
    examples = (
        ("Get-VM | Select-Object Name, NumCpu | ConvertTo-Csv -NoTypeInformation", "VMs as CSV text."),
        ("Get-VM | ConvertTo-Csv -UseQuotes AsNeeded -Delimiter ';'", "Quotes only where needed."),
    )

    def __init__(self, ctx: CommandContext) -> None:
        super().__init__(ctx)
        self.writer: CsvWriter | None = None

    def process(self, args: BoundArguments) -> Iterator[object]:
        self.writer = self.writer or CsvWriter(args)
        for obj in enumerate_value(args.get("InputObject")):
            yield from self.writer.lines(obj)


def local_path(path: str) -> str:
    """A local file path with ``~`` expanded."""
    return os.path.expanduser(path)


class ExportCsv(Cmdlet):
    """Export-Csv [-Path] <String> -InputObject <PSObject> [-Append] [-NoClobber] [-Force]
    [-Delimiter <Char>] [-NoTypeInformation] [-UseQuotes …] [-QuoteFields …]

    Writes the objects as CSV to a local file (UTF-8); -Append adds rows under the existing header."""

    name = "Export-Csv"
    module = UTILITY
    synopsis = "Writes objects to a CSV file."
    target_parameter = "Path"
    parameters = (
        Parameter("Path", STRING, position=0, mandatory=True),
        *(Parameter(p.name, p.type, None, p.mandatory, p.pipeline, aliases=p.aliases) for p in _COMMON),
        Parameter("Append", SWITCH),
        Parameter("NoClobber", SWITCH),
        Parameter("Force", SWITCH),
    )
    examples = (
        ("Get-VM | Export-Csv -Path vms.csv -NoTypeInformation", "Saves the VMs to vms.csv."),
        ("Get-VM web* | Export-Csv vms.csv -Append", "Adds rows to an existing file."),
    )

    def __init__(self, ctx: CommandContext) -> None:
        super().__init__(ctx)
        self.writer: CsvWriter | None = None
        self.handle: io.TextIOWrapper | None = None

    def begin(self, args: BoundArguments) -> Iterator[object]:
        path = local_path(args.string("Path"))
        exists = os.path.exists(path)
        if exists and args.flag("NoClobber") and not args.flag("Append"):
            raise ShellError(f"The file '{path}' already exists.")
        existing: list[str] | None = None
        if args.flag("Append") and exists and os.path.getsize(path) > 0:
            with open(path, encoding="utf-8-sig", newline="") as handle:
                existing = next(csv.reader(handle, delimiter=args.string("Delimiter", ",") or ","), None)
        self.writer = CsvWriter(args, header_written=existing is not None)
        if existing is not None:
            self.writer.names = existing
        return iter(())

    def _open(self, args: BoundArguments) -> io.TextIOWrapper:
        """The file, opened on the first object (so that -WhatIf leaves it alone)."""
        if self.handle is None:
            path = local_path(args.string("Path"))
            try:
                self.handle = open(path, "a" if args.flag("Append") else "w", encoding="utf-8", newline="")  # noqa: SIM115
            except OSError as error:
                raise ShellError(f"Could not open '{path}': {error.strerror or error}") from None
        return self.handle

    def process(self, args: BoundArguments) -> Iterator[object]:
        assert self.writer is not None
        handle = self._open(args)
        for obj in enumerate_value(args.get("InputObject")):
            self._check_columns(obj, args)
            for line in self.writer.lines(obj):
                handle.write(line + "\n")
        return iter(())

    def _check_columns(self, obj: object, args: BoundArguments) -> None:
        """-Append without -Force refuses an object with a property the file has no column for."""
        assert self.writer is not None
        if self.writer.names is None or not args.flag("Append") or args.flag("Force"):
            return
        columns = {name.lower() for name in self.writer.names}
        missing = [name for name, _ in properties(obj) if name.lower() not in columns]
        if missing:
            raise ShellError(
                f"Cannot append CSV content to the following file: {args.string('Path')}. "
                "The appended object does not have a property that corresponds to the following column: "
                f"{missing[0]}. To continue with mismatched properties, add the -Force parameter, "
                "and then retry the command."
            )

    def end(self, args: BoundArguments) -> Iterator[object]:
        if self.handle is not None:
            self.handle.close()
        return iter(())


def parse_csv(text_lines: Sequence[str], delimiter: str, header: Sequence[str]) -> Iterator[PSObject]:
    """CSV lines as objects (string properties); a ``#TYPE`` line is skipped."""
    lines = [line for line in text_lines if not line.startswith("#TYPE")]
    rows = csv.reader(lines, delimiter=delimiter)
    names = list(header) or next(rows, [])
    if not names:
        return
    for row in rows:
        if not row:
            continue
        values: list[object] = [*row, *([None] * (len(names) - len(row)))]
        yield PSObject(CSV_TYPE, zip(names, values, strict=False))


class ImportCsv(Cmdlet):
    """Import-Csv [-Path] <String[]> [-Delimiter <Char>] [-Header <String[]>]: a file's rows as objects."""

    name = "Import-Csv"
    module = UTILITY
    synopsis = "Reads a CSV file as objects, one per row."
    parameters = (
        Parameter("Path", STRINGS, position=0, mandatory=True, pipeline=True),
        Parameter("Delimiter", STRING, position=1),
        Parameter("Header", STRINGS),
    )
    examples = (("Import-Csv vms.csv | Where-Object NumCpu -gt 1", "Reads a file written by Export-Csv."),)

    def process(self, args: BoundArguments) -> Iterator[object]:
        for path in args.strings("Path"):
            try:
                with open(local_path(path), encoding="utf-8-sig", newline="") as handle:
                    lines = handle.read().splitlines()
            except OSError as error:
                raise ShellError(f"Could not find file '{path}': {error.strerror or error}") from None
            yield from parse_csv(lines, args.string("Delimiter", ",") or ",", args.strings("Header"))


class ConvertFromCsv(Cmdlet):
    """ConvertFrom-Csv [-InputObject] <String[]> [-Delimiter <Char>] [-Header <String[]>]"""

    name = "ConvertFrom-Csv"
    module = UTILITY
    synopsis = "Converts CSV text to objects, one per row."
    parameters = (
        Parameter("InputObject", STRINGS, position=0, mandatory=True, pipeline=True),
        Parameter("Delimiter", STRING, position=1),
        Parameter("Header", STRINGS),
    )
    examples = (("Get-VM | ConvertTo-Csv | ConvertFrom-Csv", "A round trip through CSV text."),)

    def __init__(self, ctx: CommandContext) -> None:
        super().__init__(ctx)
        self.lines: list[str] = []

    def process(self, args: BoundArguments) -> Iterator[object]:
        for text in args.strings("InputObject"):
            self.lines.extend(text.splitlines())
        return iter(())

    def end(self, args: BoundArguments) -> Iterator[object]:
        yield from parse_csv(self.lines, args.string("Delimiter", ",") or ",", args.strings("Header"))


CMDLETS: tuple[type[Cmdlet], ...] = (ConvertToCsv, ExportCsv, ImportCsv, ConvertFromCsv)

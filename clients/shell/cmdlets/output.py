"""Output cmdlets: Write-Output, Write-Host, ConvertTo-Json, Format-Table/-List, Out-String, Out-Null."""

from __future__ import annotations

from collections.abc import Iterator

from clients.shell.binding import BoundArguments, Parameter
from clients.shell.cmdlets.base import CORE, UTILITY, Cmdlet, CommandContext
from clients.shell.cmdlets.selectors import project, selector
from clients.shell.conversions import INT32, OBJECT, STRING, SWITCH, ArrayType
from clients.shell.errors import ShellError
from clients.shell.formatting import format_default, format_list, format_table
from clients.shell.jsonout import to_json
from clients.shell.values import enumerate_value, to_string

MAX_JSON_DEPTH = 100
OBJECTS = ArrayType(OBJECT)


def _input(position: int | None = None, *, remaining: bool = False, mandatory: bool = False) -> Parameter:
    return Parameter(
        "InputObject", OBJECT, position, mandatory, pipeline=True, remaining=remaining, allow_null=True
    )


class _Collector(Cmdlet):
    """A cmdlet that gathers its input and writes something at the end."""

    def __init__(self, ctx: CommandContext) -> None:
        super().__init__(ctx)
        self.items: list[object] = []

    def process(self, args: BoundArguments) -> Iterator[object]:
        if "InputObject" in args:
            self.items.append(args.get("InputObject"))
        return iter(())


class WriteOutput(Cmdlet):
    """Write-Output [-InputObject] <Object[]> [-NoEnumerate]"""

    name = "Write-Output"
    synopsis = "Sends objects down the pipeline (or to the screen)."
    module = UTILITY
    examples = (("Write-Output 'hello' 42", "Two objects, one per line."),)
    aliases = ("echo", "write")
    parameters = (_input(0, remaining=True, mandatory=True), Parameter("NoEnumerate", SWITCH))

    def process(self, args: BoundArguments) -> Iterator[object]:
        value = args.get("InputObject")
        if args.flag("NoEnumerate"):
            yield value
        else:
            yield from enumerate_value(value)


class WriteHost(Cmdlet):
    """Write-Host [[-Object] <Object>] [-NoNewline] [-Separator <String>]: text straight to the console."""

    name = "Write-Host"
    synopsis = "Writes text straight to the console, not to the pipeline."
    module = UTILITY
    examples = (("Write-Host 'Powering on' -NoNewline", "Text without a newline."),)
    parameters = (
        Parameter("Object", OBJECT, position=0, pipeline=True, remaining=True),
        Parameter("NoNewline", SWITCH),
        Parameter("Separator", STRING),
    )

    def process(self, args: BoundArguments) -> Iterator[object]:
        separator = args.string("Separator", " ")
        text = separator.join(to_string(item) for item in enumerate_value(args.get("Object")))
        self.ctx.console.write(text if args.flag("NoNewline") else text + "\n")
        return iter(())


class ConvertToJson(_Collector):
    """ConvertTo-Json [-InputObject] <Object> [-Depth <Int32>] [-Compress] [-AsArray]

    One input object becomes a JSON value; several become an array."""

    name = "ConvertTo-Json"
    synopsis = "Converts objects to JSON text (-Depth levels deep)."
    module = UTILITY
    examples = (
        ("Get-VM web01 | ConvertTo-Json", "web01 as a JSON object."),
        ("Get-VM | ConvertTo-Json -Depth 3 -Compress", "Every VM on one line."),
    )
    parameters = (
        _input(0, mandatory=True),
        Parameter("Depth", INT32),
        Parameter("Compress", SWITCH),
        Parameter("AsArray", SWITCH),
    )

    def begin(self, args: BoundArguments) -> Iterator[object]:
        depth = args.integer("Depth", 2)
        if not 0 <= depth <= MAX_JSON_DEPTH:
            raise ShellError(
                f"Cannot validate argument on parameter 'Depth'. The {depth} argument is outside the "
                f"allowed range of 0 to {MAX_JSON_DEPTH}."
            )
        return iter(())

    def end(self, args: BoundArguments) -> Iterator[object]:
        if not self.items:
            return
        value: object = self.items
        if len(self.items) == 1:
            only = self.items[0]
            value = only if not args.flag("AsArray") or isinstance(only, list | tuple) else [only]
        depth = args.integer("Depth", 2)
        result = to_json(value, depth, args.flag("Compress"))
        if result.truncated:
            self.ctx.console.warning(
                f"Resulting JSON is truncated as serialization has exceeded the set depth of {depth}."
            )
        yield result.text


def _text_block(text: str) -> str:
    """A formatted block as one output string (the console adds the final newline)."""
    return text[:-1] if text.endswith("\n") else text


def _chosen(items: list[object], specs: list[object]) -> tuple[list[object], list[str]]:
    """The objects and property names to format: with calculated properties (``@{N=…;E={…}}``,
    script blocks) each object is first projected as Select-Object would."""
    if all(isinstance(spec, str) for spec in specs):
        return items, [to_string(spec) for spec in specs]
    chosen = [selector(spec) for spec in specs]
    projected: list[object] = [project(item, chosen) if item is not None else None for item in items]
    names = [c.label if c.pattern is None else c.pattern for c in chosen]
    return projected, names


class FormatTable(_Collector):
    """Format-Table [[-Property] <Object[]>] [-AutoSize]: a table as text (names, wildcards, or
    calculated properties ``@{N='GB'; E={$_.MemoryMB / 1KB}}``)."""

    name = "Format-Table"
    synopsis = "Shows objects as a table (-Property picks the columns; -AutoSize fits them)."
    module = UTILITY
    examples = (
        (
            "Get-VM | Format-Table Name, NumCpu, MemoryMB -AutoSize",
            "Three columns, as wide as their widest value.",
        ),
    )
    aliases = ("ft",)
    parameters = (Parameter("Property", OBJECTS, position=0), Parameter("AutoSize", SWITCH), _input())

    def end(self, args: BoundArguments) -> Iterator[object]:
        if self.items:
            items, names = _chosen(self.items, args.items("Property"))
            table = format_table(items, names, self.ctx.console.width, args.flag("AutoSize"))
            yield _text_block(table)


class FormatList(_Collector):
    """Format-List [[-Property] <Object[]>]: each object as ``Name : value`` lines."""

    name = "Format-List"
    synopsis = "Shows each object as Name : value lines (* for every property)."
    module = UTILITY
    examples = (
        ("Get-VM web01 | Format-List *", "Every property of web01."),
        ("Get-VM | Format-List Name, Id", "Two properties each."),
    )
    aliases = ("fl",)
    parameters = (Parameter("Property", OBJECTS, position=0), _input())

    def end(self, args: BoundArguments) -> Iterator[object]:
        if self.items:
            items, names = _chosen(self.items, args.items("Property"))
            yield _text_block(format_list(items, names))


class OutString(_Collector):
    """Out-String: the default display of the input, as one string."""

    name = "Out-String"
    synopsis = "Converts objects to the text the screen would show."
    module = UTILITY
    examples = (("$text = Get-VM | Out-String", "The VM table as one string."),)
    parameters = (_input(),)

    def end(self, args: BoundArguments) -> Iterator[object]:
        yield format_default(self.items)


class OutNull(Cmdlet):
    """Out-Null: discards its input."""

    name = "Out-Null"
    synopsis = "Discards its input."
    module = CORE
    examples = (("New-VM web01 | Out-Null", "Creates web01 without showing it."),)
    parameters = (_input(),)


CMDLETS: tuple[type[Cmdlet], ...] = (
    WriteOutput,
    WriteHost,
    ConvertToJson,
    FormatTable,
    FormatList,
    OutString,
    OutNull,
)

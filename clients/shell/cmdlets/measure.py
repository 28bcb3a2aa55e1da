"""Measure-Object: count the input, and the sum, average, maximum and minimum of a numeric property."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from clients.shell.binding import BoundArguments, Parameter
from clients.shell.cmdlets.base import UTILITY, Cmdlet, CommandContext
from clients.shell.cmdlets.selectors import has_member, member, sort_key
from clients.shell.conversions import OBJECT, STRINGS, SWITCH, to_double
from clients.shell.errors import ConversionError, ShellError
from clients.shell.psobject import PSObject
from clients.shell.values import to_string

MEASURE_TYPE = "GenericMeasureInfo"


class MeasureObject(Cmdlet):
    """Measure-Object [[-Property] <String[]>] [-InputObject <Object>] [-Sum] [-Average] [-Maximum]
    [-Minimum]

    One GenericMeasureInfo per property (Count, Average, Sum, Maximum, Minimum, Property), or one
    for the input objects themselves; what was not asked for is $null, as in PowerShell."""

    name = "Measure-Object"
    synopsis = "Counts objects and sums, averages, maximums and minimums of a property."
    module = UTILITY
    examples = (
        ("Get-VM | Measure-Object", "How many VMs there are."),
        ("Get-VM | Measure-Object -Property MemoryMB -Sum -Average -Maximum -Minimum", "Memory totals."),
    )
    aliases = ("measure",)
    parameters = (
        Parameter("Property", STRINGS, position=0),
        Parameter("InputObject", OBJECT, pipeline=True, allow_null=True),
        Parameter("Sum", SWITCH),
        Parameter("Average", SWITCH),
        Parameter("Maximum", SWITCH),
        Parameter("Minimum", SWITCH),
    )

    def __init__(self, ctx: CommandContext) -> None:
        super().__init__(ctx)
        self.items: list[object] = []

    def process(self, args: BoundArguments) -> Iterator[object]:
        if "InputObject" in args and args.get("InputObject") is not None:
            self.items.append(args.get("InputObject"))
        return iter(())

    def _measure(self, args: BoundArguments, values: list[object], prop: str) -> PSObject:
        numbers: list[float] = []
        arithmetic = args.flag("Sum") or args.flag("Average")
        extremes = args.flag("Maximum") or args.flag("Minimum")
        for value in values if arithmetic or extremes else ():
            try:
                numbers.append(to_double(value))
            except ConversionError:
                if arithmetic:
                    raise ShellError(f'Input object "{to_string(value)}" is not numeric.') from None
                numbers = []
                break
        total = sum(numbers)
        # -Maximum/-Minimum of values that are not all numbers compare them as PowerShell 7 does (text)
        ordered: list[object] = list(numbers) if numbers or not values else sorted(values, key=sort_key())
        return PSObject(
            MEASURE_TYPE,
            [
                ("Count", len(values)),
                ("Average", total / len(numbers) if args.flag("Average") and numbers else None),
                ("Sum", total if args.flag("Sum") else None),
                ("Maximum", _extreme(ordered, max) if args.flag("Maximum") else None),
                ("Minimum", _extreme(ordered, min) if args.flag("Minimum") else None),
                ("Property", prop or None),
            ],
        )

    def end(self, args: BoundArguments) -> Iterator[object]:
        properties = args.strings("Property")
        if not properties:
            yield self._measure(args, self.items, "")
            return
        for prop in properties:
            having = [i for i in self.items if has_member(i, prop)]
            if self.items and not having:
                raise ShellError(f'The property "{prop}" cannot be found in the input for any objects.')
            first = having[0] if having else None
            name = first.canonical(prop) if isinstance(first, PSObject) else prop
            yield self._measure(args, [member(i, prop) for i in having], name or prop)


def _extreme(ordered: list[object], pick: Callable[[list[float]], float]) -> object:
    """The largest (``max``) or smallest (``min``) value: numbers by value, other values in sort order."""
    if not ordered:
        return None
    if all(isinstance(v, float) for v in ordered):
        return pick([v for v in ordered if isinstance(v, float)])
    return ordered[-1] if pick is max else ordered[0]


CMDLETS: tuple[type[Cmdlet], ...] = (MeasureObject,)

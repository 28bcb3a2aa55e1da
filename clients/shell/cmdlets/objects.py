"""Object cmdlets: Select-Object, Sort-Object, Group-Object, Where-Object, ForEach-Object."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import Any

from clients.shell import operators
from clients.shell.binding import BoundArguments, Parameter
from clients.shell.cmdlets.base import CORE, UTILITY, Cmdlet, CommandContext
from clients.shell.cmdlets.selectors import (
    SCRIPTBLOCK,
    Selector,
    has_member,
    is_block,
    member,
    project,
    run_block,
    same,
    selector,
    sort_key,
)
from clients.shell.conversions import INT32, INT32S, OBJECT, STRING, STRINGS, SWITCH, ArrayType
from clients.shell.errors import ShellError
from clients.shell.hashtable import Hashtable
from clients.shell.methods import call_method
from clients.shell.psobject import PSObject
from clients.shell.values import enumerate_value, is_true, to_string
from clients.shell.views import GROUP_NO_ELEMENT_TYPE, GROUP_TYPE

OBJECTS = ArrayType(OBJECT)


def _input() -> Parameter:
    return Parameter("InputObject", OBJECT, pipeline=True, allow_null=True)


class _Gather(Cmdlet):
    """Collects the pipeline input (or -InputObject) for ``end``."""

    def __init__(self, ctx: CommandContext) -> None:
        super().__init__(ctx)
        self.items: list[object] = []

    def process(self, args: BoundArguments) -> Iterator[object]:
        if "InputObject" in args:
            self.items.append(args.get("InputObject"))
        return iter(())


# -- Select-Object --------------------------------------------------------------------------------


class SelectObject(_Gather):
    """Select-Object [[-Property] <Object[]>] [-ExcludeProperty <String[]>] [-ExpandProperty <String>]
    [-First <Int32>] [-Last <Int32>] [-Skip <Int32>] [-Index <Int32[]>] [-Unique]

    Picks objects (-First, -Last, -Skip, -Unique) and properties (names with wildcards, or calculated
    properties ``@{Name='x'; Expression={…}}``); -ExpandProperty outputs one property's value."""

    name = "Select-Object"
    module = UTILITY
    synopsis = "Picks objects (first, last, unique) and properties (names, wildcards, calculated)."
    aliases = ("select",)
    examples = (
        ("Get-VM | Select-Object Name, PowerState, NumCpu", "Three properties of each VM."),
        ("Get-VM | Select-Object -First 2", "The first two VMs."),
        ("Get-VM | Select-Object -ExpandProperty Name", "The VMs' names as plain strings."),
        (
            "Get-VM | Select-Object Name, @{N='MemoryMB2'; E={$_.MemoryMB * 2}}",
            "A calculated property.",
        ),
    )
    parameters = (
        Parameter("Property", OBJECTS, position=0),
        Parameter("ExcludeProperty", STRINGS),
        Parameter("ExpandProperty", STRING),
        Parameter("First", INT32),
        Parameter("Last", INT32),
        Parameter("Skip", INT32),
        Parameter("Index", INT32S),
        Parameter("Unique", SWITCH),
        _input(),
    )

    def __init__(self, ctx: CommandContext) -> None:
        super().__init__(ctx)
        self.seen = 0  # input objects so far (with -First, which streams)

    @staticmethod
    def _streams(args: BoundArguments) -> bool:
        """Whether objects can go on as they come: -First (and -Skip) only."""
        return "First" in args and not any(n in args for n in ("Last", "Index", "Unique"))

    def process(self, args: BoundArguments) -> Iterator[object]:
        if not self._streams(args):
            yield from super().process(args)
            return
        if "InputObject" not in args or (args.get("InputObject") is None and "Property" in args):
            return
        self.seen += 1
        if self.seen <= args.integer("Skip"):
            return
        if self.seen - args.integer("Skip") <= args.integer("First"):
            yield from self._select(args.get("InputObject"), args)
        if self.seen - args.integer("Skip") >= args.integer("First"):
            self.upstream_done = True

    def end(self, args: BoundArguments) -> Iterator[object]:
        if self._streams(args):
            return
        items = [i for i in self.items if i is not None or "Property" not in args]
        if "Index" in args:
            wanted = {i if i >= 0 else len(items) + i for i in args.items("Index") if isinstance(i, int)}
            items = [item for position, item in enumerate(items) if position in wanted]
        skip = args.integer("Skip")
        if "Last" in args:
            kept = items[: len(items) - skip] if skip else items
            last = args.integer("Last")
            items = kept[len(kept) - last :] if last else []
        else:
            items = items[skip:]
        if "First" in args:
            items = items[: args.integer("First")]
        out: list[object] = []
        for item in items:
            out.extend(self._select(item, args))
        if args.flag("Unique"):
            unique: list[object] = []
            for obj in out:
                if not any(same(obj, seen, case_sensitive=True) for seen in unique):
                    unique.append(obj)
            out = unique
        yield from out

    def _select(self, item: object, args: BoundArguments) -> list[object]:
        specs = args.items("Property")
        if specs:
            item = project(item, [selector(s) for s in specs], args.strings("ExcludeProperty"))
        if "ExpandProperty" in args:
            name = args.string("ExpandProperty")
            if not has_member(item, name):
                raise ShellError(f'Property "{name}" cannot be found.')
            return list(enumerate_value(member(item, name)))
        return [item]


# -- Sort-Object ----------------------------------------------------------------------------------


class SortObject(_Gather):
    """Sort-Object [[-Property] <Object[]>] [-Descending] [-Unique] [-CaseSensitive] [-Top <Int32> |
    -Bottom <Int32>]

    A stable sort by properties (names, script blocks, or ``@{Expression=…; Descending=$true}``);
    strings ignore case unless -CaseSensitive; without -Property the objects themselves are sorted."""

    name = "Sort-Object"
    module = UTILITY
    synopsis = "Sorts objects by property values; stable, and ignoring case unless -CaseSensitive."
    aliases = ("sort",)
    examples = (
        ("Get-VM | Sort-Object MemoryMB -Descending", "VMs, the largest memory first."),
        ("Get-VM | Sort-Object PowerState, Name", "By power state, then by name."),
        ("3, 1, 2 | Sort-Object -Unique", "Numbers in order, without repeats."),
    )
    parameters = (
        Parameter("Property", OBJECTS, position=0),
        Parameter("Descending", SWITCH),
        Parameter("Unique", SWITCH),
        Parameter("CaseSensitive", SWITCH),
        Parameter("Top", INT32, sets=("Top",)),
        Parameter("Bottom", INT32, sets=("Bottom",)),
        _input(),
    )
    default_set = "Default"

    def end(self, args: BoundArguments) -> Iterator[object]:
        selectors = [selector(s) for s in args.items("Property")] or [Selector("", None, None)]
        case = args.flag("CaseSensitive")
        descending = args.flag("Descending")
        rows = [(item, [self._key(s, item) for s in selectors]) for item in self.items]
        for index in reversed(range(len(selectors))):  # stable sorts, least significant key first
            chosen = selectors[index]
            reverse = chosen.descending if chosen.descending is not None else descending
            key = sort_key(case)
            rows.sort(key=functools.partial(_nth_key, key, index), reverse=bool(reverse))
        if args.flag("Unique"):
            kept: list[tuple[object, list[object]]] = []
            for row in rows:
                if not kept or not all(same(a, b, case) for a, b in zip(row[1], kept[-1][1], strict=True)):
                    kept.append(row)
            rows = kept
        if "Top" in args:
            rows = rows[: args.integer("Top")]
        elif "Bottom" in args:
            count = args.integer("Bottom")
            rows = rows[len(rows) - count :] if count else []
        for item, _ in rows:
            yield item

    @staticmethod
    def _key(chosen: Selector, item: object) -> object:
        if chosen.pattern is None and chosen.expression is None:
            return item
        return chosen.value(item)


def _nth_key(key: Callable[[object], Any], index: int, row: tuple[object, list[object]]) -> Any:
    return key(row[1][index])


# -- Group-Object ---------------------------------------------------------------------------------


class GroupObject(_Gather):
    """Group-Object [[-Property] <Object[]>] [-NoElement] [-CaseSensitive] [-AsHashTable [-AsString]]

    One GroupInfo (Count, Name, Group, Values) per distinct value, in order of first appearance;
    -AsHashTable: one hashtable from each value to its group."""

    name = "Group-Object"
    module = UTILITY
    synopsis = "Groups objects that have the same property values, with a count per group."
    aliases = ("group",)
    examples = (
        ("Get-VM | Group-Object PowerState", "How many VMs are in each power state, and which."),
        ("Get-VM | Group-Object NumCpu -NoElement", "Counts only."),
    )
    parameters = (
        Parameter("Property", OBJECTS, position=0),
        Parameter("NoElement", SWITCH),
        Parameter("CaseSensitive", SWITCH),
        Parameter("AsHashTable", SWITCH, aliases=("AHT",)),
        Parameter("AsString", SWITCH),
        _input(),
    )

    def end(self, args: BoundArguments) -> Iterator[object]:
        infos = list(self._groups(args))
        if not args.flag("AsHashTable"):
            yield from infos
            return
        table = Hashtable()
        for info in infos:
            keys = info.get("Values")
            assert isinstance(keys, list)
            key = info.get("Name") if args.flag("AsString") or len(keys) != 1 else keys[0]
            table[key] = info.get("Group")
        yield table

    def _groups(self, args: BoundArguments) -> Iterator[PSObject]:
        selectors = [selector(s) for s in args.items("Property")]
        case = args.flag("CaseSensitive")
        groups: list[tuple[list[object], list[object]]] = []
        for item in self.items:
            values = [s.value(item) for s in selectors] if selectors else [item]
            for keys, members in groups:
                if all(same(a, b, case) for a, b in zip(keys, values, strict=True)):
                    members.append(item)
                    break
            else:
                groups.append((values, [item]))
        for keys, members in groups:
            name = ", ".join(to_string(k) for k in keys)
            fields: list[tuple[str, object]] = [("Count", len(members)), ("Name", name)]
            if not args.flag("NoElement"):
                fields.append(("Group", members))
            fields.append(("Values", keys))
            type_name = GROUP_NO_ELEMENT_TYPE if args.flag("NoElement") else GROUP_TYPE
            yield PSObject(type_name, fields, label=name)


# -- Where-Object ---------------------------------------------------------------------------------

#: Where-Object's comparison switches: parameter name -> operator
_WHERE_OPERATORS = {
    name: name.lower()
    for name in (
        "EQ", "CEQ", "NE", "CNE", "GT", "CGT", "GE", "CGE", "LT", "CLT", "LE", "CLE",
        "Like", "CLike", "NotLike", "CNotLike", "Match", "CMatch", "NotMatch", "CNotMatch",
        "Contains", "CContains", "NotContains", "CNotContains", "In", "CIn", "NotIn", "CNotIn",
    )
}  # fmt: skip


def apply_operator(operator: str, left: object, right: object) -> bool:
    """Whether ``left -operator right`` holds (Where-Object's simplified syntax)."""
    if not operators.supports(operator):
        raise ShellError(f"The operator '-{operator}' is not supported by Where-Object.")
    return is_true(operators.binary(operator, left, right))


class WhereObject(Cmdlet):
    """Where-Object [-FilterScript] <ScriptBlock>
    Where-Object [-Property] <String> [[-Value] <Object>] -EQ|-NE|-GT|-GE|-LT|-LE|-Like|-NotLike|-Match|
    -NotMatch|-Contains|-NotContains|-In|-NotIn (and the case-sensitive -CEQ, -CLike …)

    Passes on the input objects for which the script block is true, or whose property compares so;
    with a property and no operator, those whose property is true (-Not: false)."""

    name = "Where-Object"
    module = CORE
    synopsis = "Keeps the objects for which a condition holds."
    aliases = ("where", "?")
    examples = (
        ("Get-VM | Where-Object { $_.PowerState -eq 'PoweredOn' }", "The powered-on VMs."),
        ("Get-VM | Where-Object Name -like 'web*'", "VMs whose name starts with web."),
        ("Get-VM | Where-Object MemoryMB -gt 1024", "VMs with more than 1 GB of memory."),
    )
    parameters = (
        Parameter("FilterScript", SCRIPTBLOCK, position=0, mandatory=True, sets=("ScriptBlock",)),
        Parameter(
            "Property", STRING, position=0, mandatory=True, sets=("Property", "Not", *_WHERE_OPERATORS)
        ),
        Parameter("Value", OBJECT, position=1, allow_null=True, sets=tuple(_WHERE_OPERATORS)),
        *(Parameter(n, SWITCH, mandatory=True, sets=(n,)) for n in _WHERE_OPERATORS),
        Parameter("Not", SWITCH, mandatory=True, sets=("Not",)),
        _input(),
    )
    default_set = "Property"

    def process(self, args: BoundArguments) -> Iterator[object]:
        if "InputObject" not in args:
            return
        item = args.get("InputObject")
        if "FilterScript" in args:
            keep = _truthy(run_block(args.get("FilterScript"), item))
        else:
            prop = args.string("Property")
            value = member(item, prop)
            operator = _WHERE_OPERATORS.get(args.parameter_set)
            if operator is not None:
                keep = apply_operator(operator, value, args.get("Value"))
            else:
                keep = is_true(value) != args.flag("Not")
        if keep:
            yield item


def _truthy(outputs: list[object]) -> bool:
    if not outputs:
        return False
    return is_true(outputs[0] if len(outputs) == 1 else outputs)


# -- ForEach-Object -------------------------------------------------------------------------------


class ForEachObject(Cmdlet):
    """ForEach-Object [-Begin <ScriptBlock>] [-Process] <ScriptBlock[]> [-End <ScriptBlock>]
    ForEach-Object [-MemberName] <String> [-ArgumentList <Object[]>]

    Runs the script block once per input object with ``$_`` bound to it, or outputs each object's
    property or the result of its method (``ForEach-Object Name``, ``ForEach-Object ToUpper``)."""

    name = "ForEach-Object"
    module = CORE
    synopsis = "Runs a script block for each object, or outputs a property of each."
    aliases = ("foreach", "%")
    default_set = "Script"
    examples = (
        ("Get-VM | ForEach-Object { $_.Name + ': ' + $_.PowerState }", "One line per VM."),
        ("Get-VM | ForEach-Object Name", "Each VM's name."),
        (
            "1..3 | ForEach-Object -Begin { 'start' } -Process { $_ * 2 } -End { 'done' }",
            "Begin and End blocks run once, around the per-object block.",
        ),
    )
    parameters = (
        Parameter("Process", OBJECTS, position=0, mandatory=True, remaining=True, sets=("Script",)),
        Parameter("Begin", SCRIPTBLOCK, sets=("Script",)),
        Parameter("End", SCRIPTBLOCK, sets=("Script",)),
        Parameter("MemberName", STRING, mandatory=True, sets=("Member",)),
        Parameter("ArgumentList", OBJECTS, aliases=("Args",), sets=("Member",)),
        _input(),
    )

    @staticmethod
    def _blocks(args: BoundArguments) -> tuple[object, list[object], object]:
        """Begin, Process and End; several positional blocks alone are Begin, Process… and End."""
        process = args.items("Process")
        begin, end = args.get("Begin"), args.get("End")
        if begin is None and end is None and len(process) > 1 and all(is_block(p) for p in process):
            begin = process[0]
            end, process = (process[-1], process[1:-1]) if len(process) > 2 else (None, process[1:])
        return begin, process, end

    def begin(self, args: BoundArguments) -> Iterator[object]:
        first, _, _ = self._blocks(args)
        if first is not None:
            yield from run_block(first, None)

    def process(self, args: BoundArguments) -> Iterator[object]:
        item = args.get("InputObject")  # without pipeline input the blocks run once, $_ being $null
        actions = [args.get("MemberName")] if "MemberName" in args else self._blocks(args)[1]
        for action in actions:
            if is_block(action):
                yield from run_block(action, item)
            elif isinstance(action, str) and item is not None:
                yield from enumerate_value(_member_or_method(item, action, args.items("ArgumentList")))
            elif not isinstance(action, str):
                raise ShellError("Cannot convert the value of the Process argument to type ScriptBlock.")

    def end(self, args: BoundArguments) -> Iterator[object]:
        _, _, last = self._blocks(args)
        if last is not None:
            yield from run_block(last, None)


def _member_or_method(item: object, name: str, arguments: list[object]) -> object:
    """``ForEach-Object Name``: the item's property, else the result of its method (``ToUpper``)."""
    if has_member(item, name) and not arguments:
        return member(item, name)
    try:
        return call_method(item, name, arguments)
    except ShellError as error:
        if "does not contain a method" in error.message:
            raise ShellError(f'Input name "{name}" cannot be resolved to a member.') from None
        raise


CMDLETS: tuple[type[Cmdlet], ...] = (SelectObject, SortObject, GroupObject, WhereObject, ForEachObject)

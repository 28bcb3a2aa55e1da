"""Discovery cmdlets: Get-Command, Get-Help, Get-Member."""

from __future__ import annotations

from collections.abc import Iterator

from clients.shell.binding import BoundArguments, Parameter
from clients.shell.cmdlets.base import CORE, UTILITY, Cmdlet, CommandContext
from clients.shell.conversions import OBJECT, STRING, STRINGS, SWITCH
from clients.shell.errors import ShellError
from clients.shell.helptext import (
    MODULE_VERSIONS,
    examples_help,
    full_help,
    matching_parameters,
    parameter_help,
    synopsis,
    syntax,
)
from clients.shell.methods import method_names
from clients.shell.psobject import PSObject
from clients.shell.suggest import did_you_mean, not_recognized
from clients.shell.values import type_name
from clients.shell.views import COMMAND_TYPE, HELP_LIST_TYPE, MEMBER_TYPE
from clients.shell.wildcard import is_wildcard, like


def registry() -> tuple[type[Cmdlet], ...]:
    """Every cmdlet the shell knows."""
    from clients.shell import cmdlets  # lazy: this module is one of the cmdlets

    return cmdlets.ALL


def command_object(cmdlet: type[Cmdlet], alias: str | None = None) -> PSObject:
    """A CmdletInfo (or AliasInfo) as Get-Command outputs it."""
    verb, _, noun = cmdlet.name.partition("-")
    return PSObject(
        COMMAND_TYPE,
        [
            ("CommandType", "Alias" if alias else "Cmdlet"),
            ("Name", f"{alias} -> {cmdlet.name}" if alias else cmdlet.name),
            ("Version", MODULE_VERSIONS.get(cmdlet.module, "")),
            ("Source", cmdlet.module),
            ("Verb", verb),
            ("Noun", noun),
            ("ModuleName", cmdlet.module),
            ("Definition", cmdlet.name if alias else "\n".join(syntax(cmdlet))),
        ],
        label=alias or cmdlet.name,
    )


class GetCommand(Cmdlet):
    """Get-Command [[-Name] <String[]>] [-Verb <String[]>] [-Noun <String[]>] [-Module <String[]>]
    [-Syntax]

    Lists the cmdlets (and aliases) whose name, verb, noun and module match; wildcards allowed."""

    name = "Get-Command"
    aliases = ("gcm",)
    module = CORE
    synopsis = "Lists the shell's cmdlets, by name, verb, noun or module."
    examples = (
        ("Get-Command -Noun VM", "The cmdlets that act on VMs."),
        ("Get-Command -Verb Remove", "Every Remove- cmdlet."),
        ("Get-Command *Snapshot*", "Cmdlets whose name mentions snapshots."),
        ("Get-Command Get-VM -Syntax", "The syntax of Get-VM."),
    )
    parameters = (
        Parameter("Name", STRINGS, position=0),
        Parameter("Verb", STRINGS),
        Parameter("Noun", STRINGS),
        Parameter("Module", STRINGS),
        Parameter("Syntax", SWITCH),
    )

    def process(self, args: BoundArguments) -> Iterator[object]:
        names, verbs, nouns, modules = (args.strings(n) for n in ("Name", "Verb", "Noun", "Module"))
        found: list[tuple[int, str, PSObject]] = []
        for cmdlet in registry():
            verb, _, noun = cmdlet.name.partition("-")
            if verbs and not any(like(verb, v) for v in verbs):
                continue
            if nouns and not any(like(noun, n) for n in nouns):
                continue
            if modules and not any(like(cmdlet.module, m) for m in modules):
                continue
            if not names or any(like(cmdlet.name, n) for n in names):
                found.append((1, cmdlet.name.lower(), command_object(cmdlet)))
            if names and not (verbs or nouns):
                for alias in cmdlet.aliases:
                    if any(like(alias, n) for n in names):
                        found.append((0, alias.lower(), command_object(cmdlet, alias)))
        for name in names:
            if not is_wildcard(name) and not any(like(obj.label or "", name) for _, _, obj in found):
                raise not_recognized(name, [c.name for c in registry()])
        for _, _, obj in sorted(found, key=lambda f: (f[0], f[1])):
            yield obj.get("Definition") if args.flag("Syntax") else obj


class GetHelp(Cmdlet):
    """Get-Help [[-Name] <String>] [-Examples] [-Parameter <String>] [-Full]

    A cmdlet's help: synopsis, syntax from its declared parameters, the parameters, examples.
    A name with wildcards lists the matching cmdlets with their synopsis."""

    name = "Get-Help"
    aliases = ("help",)
    module = CORE
    synopsis = "Shows how to use a cmdlet: its syntax, parameters and examples."
    examples = (
        ("Get-Help Get-VM", "Everything about Get-VM."),
        ("Get-Help Remove-VM -Examples", "Only the examples."),
        ("Get-Help New-VM -Parameter Memory*", "The memory parameters of New-VM."),
        ("Get-Help *-Snapshot", "The snapshot cmdlets, one line each."),
    )
    parameters = (
        Parameter("Name", STRING, position=0),
        Parameter("Examples", SWITCH, sets=("Examples",)),
        Parameter("Parameter", STRING, sets=("Parameters",)),
        Parameter("Full", SWITCH, sets=("AllUsersView",)),
    )
    default_set = "AllUsersView"

    def process(self, args: BoundArguments) -> Iterator[object]:
        name = args.string("Name")
        if not name:
            yield OVERVIEW
            return
        everything = registry()
        matches = [c for c in everything if like(c.name, name) or any(like(a, name) for a in c.aliases)]
        if not matches:
            if is_wildcard(name):
                return
            hint = did_you_mean(name, [c.name for c in everything])
            raise ShellError(f"Get-Help could not find {name} in a help file in this session.{hint}")
        if len(matches) > 1 or is_wildcard(name):
            for cmdlet in sorted(matches, key=lambda c: c.name.lower()):
                yield PSObject(
                    HELP_LIST_TYPE,
                    [("Name", cmdlet.name), ("Category", "Cmdlet"), ("Module", cmdlet.module),
                     ("Synopsis", synopsis(cmdlet))],
                    label=cmdlet.name,
                )  # fmt: skip
            return
        cmdlet = matches[0]
        if args.flag("Examples"):
            yield examples_help(cmdlet)
        elif "Parameter" in args:
            found = matching_parameters(cmdlet, args.string("Parameter"))
            if not found:
                raise ShellError(f"No parameter matches criteria {args.string('Parameter')}.")
            yield parameter_help(cmdlet, found)
        else:
            yield full_help(cmdlet)


OVERVIEW = """
TOPIC
    pyesx shell: a PowerShell subset with PowerCLI's cmdlets.

SHORT DESCRIPTION
    Get-Command lists the cmdlets: Get-Command -Noun VM, Get-Command -Verb Remove.
    Get-Help NAME shows a cmdlet's syntax, parameters and examples:
        Get-Help Get-VM
        Get-Help New-VM -Examples
        Get-Help New-VM -Parameter MemoryMB
    Get-Member shows an object's properties: Get-VM | Get-Member
"""


def _definition(value: object, name: str) -> str:
    shown = {
        "String": "string",
        "Int32": "int",
        "Double": "double",
        "Boolean": "bool",
        "DateTime": "datetime",
    }
    kind = type_name(value)
    return f"{shown.get(kind, 'System.Object' if value is None else kind)} {name} {{get;}}"


class GetMember(Cmdlet):
    """Get-Member [[-Name] <String[]>] [-MemberType <String[]>] [-InputObject <Object>]

    The properties and methods of each type of input; -MemberType Property, NoteProperty, Method,
    Properties (both kinds of property) or All picks the kinds."""

    name = "Get-Member"
    aliases = ("gm",)
    module = UTILITY
    synopsis = "Shows the properties of the objects a command outputs."
    examples = (
        ("Get-VM | Get-Member", "A VM's properties, with their types."),
        ("Get-VM | Get-Member -Name *Memory*", "Only the memory properties."),
        ("'text' | Get-Member -MemberType Method", "What a string's methods are."),
    )
    parameters = (
        Parameter("Name", STRINGS, position=0),
        Parameter("MemberType", STRINGS, aliases=("Type",)),
        Parameter("InputObject", OBJECT, pipeline=True, allow_null=True),
    )

    def __init__(self, ctx: CommandContext) -> None:
        super().__init__(ctx)
        self.seen: set[str] = set()

    def process(self, args: BoundArguments) -> Iterator[object]:
        item = args.get("InputObject")
        if item is None:
            return
        kind = type_name(item)
        if kind in self.seen:
            return
        self.seen.add(kind)
        patterns = args.strings("Name") or ["*"]
        if isinstance(item, PSObject):
            members = [(n, v) for n, v in item.items()]
            member_type = (
                "NoteProperty" if kind.startswith("Selected.") or kind == "CsvObject" else "Property"
            )
        elif isinstance(item, str):
            members, member_type = [("Length", len(item))], "Property"
        else:
            members, member_type = [], "Property"
        rows = [(name, member_type, _definition(value, name)) for name, value in members]
        rows += [(name, "Method", f"{name}(...)") for name in method_names(item)]
        wanted = _member_types(args.strings("MemberType"))
        for name, row_type, definition in sorted(rows, key=lambda row: (row[1], row[0].lower())):
            if row_type.lower() in wanted and any(like(name, p) for p in patterns):
                fields = [
                    ("TypeName", kind),
                    ("Name", name),
                    ("MemberType", row_type),
                    ("Definition", definition),
                ]
                yield PSObject(MEMBER_TYPE, fields, label=name)


_MEMBER_TYPES = {"property", "noteproperty", "method"}


def _member_types(requested: list[str]) -> set[str]:
    """The MemberType values (lower case) that -MemberType asks for; every kind when none is given."""
    wanted: set[str] = set()
    for kind in requested or ["All"]:
        key = kind.lower()
        if key == "all":
            wanted |= _MEMBER_TYPES
        elif key == "properties":
            wanted |= {"property", "noteproperty"}
        elif key in _MEMBER_TYPES:
            wanted.add(key)
        else:
            raise ShellError(
                f"Cannot bind parameter 'MemberType'. '{kind}' is not one of Property, NoteProperty, Method,"
                " Properties, All."
            )
    return wanted


CMDLETS: tuple[type[Cmdlet], ...] = (GetCommand, GetHelp, GetMember)

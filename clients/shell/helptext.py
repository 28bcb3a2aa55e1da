"""Help text made from what a cmdlet declares: syntax per parameter set, parameters, examples.

Nothing here is written by hand per cmdlet except each class's ``synopsis`` and
``examples``; the syntax lines and the parameter list come from its ``parameters``.
"""

from __future__ import annotations

from collections.abc import Sequence

from clients.shell.binding import Parameter, parameters_of
from clients.shell.cmdlets.base import CORE, MANAGEMENT, POWERCLI, PYESX, UTILITY, Cmdlet
from clients.shell.wildcard import like

MODULE_VERSIONS = {
    UTILITY: "7.0.0.0",
    MANAGEMENT: "7.0.0.0",
    CORE: "7.0.0.0",
    POWERCLI: "13.3.0",
    PYESX: "0.1",
}
_HIDDEN = ("ErrorAction",)
INDENT = "    "


def synopsis(cmdlet: type[Cmdlet]) -> str:
    """One line on what the cmdlet does."""
    if cmdlet.synopsis:
        return cmdlet.synopsis
    first = (cmdlet.__doc__ or "").strip().split("\n\n")[0]
    _, sep, rest = " ".join(first.split()).partition(": ")
    return (rest[:1].upper() + rest[1:]) if sep else ""


def _sets(cmdlet: type[Cmdlet]) -> list[str]:
    names: list[str] = []
    for parameter in cmdlet.parameters:
        names.extend(s for s in parameter.sets if s not in names)
    if cmdlet.default_set in names:
        names.remove(cmdlet.default_set)
        names.insert(0, cmdlet.default_set)
    return names or [""]


def _type_text(parameter: Parameter) -> str:
    return "" if parameter.type.switch else f" <{parameter.type.name}>"


def _syntax_item(parameter: Parameter) -> str:
    if parameter.position is not None and not parameter.type.switch:
        core = f"[-{parameter.name}]{_type_text(parameter)}"
    else:
        core = f"-{parameter.name}{_type_text(parameter)}"
    return core if parameter.mandatory else f"[{core}]"


def syntax(cmdlet: type[Cmdlet]) -> list[str]:
    """One syntax line per parameter set, as Get-Help and Get-Command -Syntax show them."""
    lines: list[str] = []
    shown = [
        p for p in parameters_of(cmdlet.parameters, cmdlet.supports_should_process()) if p.name not in _HIDDEN
    ]
    for set_name in _sets(cmdlet):
        members = [p for p in shown if p.in_set(set_name)]
        positional = sorted((p for p in members if p.position is not None), key=lambda p: p.position or 0)
        named = [p for p in members if p.position is None]
        last = [p for p in named if p.name in ("WhatIf", "Confirm")]
        optional = [p for p in named if not p.mandatory and p not in last]
        ordered = [
            *positional,
            *(p for p in named if p.mandatory),
            *optional,
            *sorted(last, key=lambda p: p.name != "WhatIf"),
        ]
        lines.append(" ".join([cmdlet.name, *(_syntax_item(p) for p in ordered), "[<CommonParameters>]"]))
    return lines


def _parameter_sets(cmdlet: type[Cmdlet], parameter: Parameter) -> str:
    return ", ".join(parameter.sets) if parameter.sets else "(All)"


def parameter_block(cmdlet: type[Cmdlet], parameter: Parameter) -> list[str]:
    """A parameter's entry in the PARAMETERS section."""
    position = "Named" if parameter.position is None else str(parameter.position)
    return [
        f"{INDENT}-{parameter.name}{_type_text(parameter)}",
        f"{INDENT * 2}Required?                    {str(parameter.mandatory).lower()}",
        f"{INDENT * 2}Position?                    {position}",
        f"{INDENT * 2}Accept pipeline input?       {str(parameter.pipeline).lower()}",
        f"{INDENT * 2}Parameter set name           {_parameter_sets(cmdlet, parameter)}",
        f"{INDENT * 2}Aliases                      {', '.join(parameter.aliases) or 'None'}",
        f"{INDENT * 2}Accept wildcard characters?  false",
        "",
    ]


def matching_parameters(cmdlet: type[Cmdlet], pattern: str) -> list[Parameter]:
    """The cmdlet's parameters whose name matches ``pattern`` (wildcards allowed)."""
    everything = parameters_of(cmdlet.parameters, cmdlet.supports_should_process())
    return [p for p in everything if p.name not in _HIDDEN and like(p.name, pattern)]


def example_lines(cmdlet: type[Cmdlet]) -> list[str]:
    """The EXAMPLES section's body."""
    lines: list[str] = []
    for number, (command, remark) in enumerate(cmdlet.examples, 1):
        lines.extend(
            [
                f"{INDENT}-------------------------- Example {number} --------------------------",
                "",
                f"{INDENT}PS> {command}",
                "",
                f"{INDENT}{remark}",
                "",
            ]
        )
    return lines


def _section(title: str, body: Sequence[str]) -> list[str]:
    return [title, *body, ""]


def description_lines(cmdlet: type[Cmdlet]) -> list[str]:
    """The DESCRIPTION: the docstring without its syntax paragraph (the SYNTAX section has that)."""
    paragraphs = (cmdlet.__doc__ or "").strip().split("\n\n")
    if paragraphs and paragraphs[0].startswith(cmdlet.name):
        _, sep, rest = " ".join(paragraphs[0].split()).partition(": ")
        paragraphs = ([rest[:1].upper() + rest[1:]] if sep else []) + paragraphs[1:]
    lines = [line.strip() for paragraph in paragraphs for line in ("", *paragraph.splitlines())][1:]
    return lines or [synopsis(cmdlet)]


def full_help(cmdlet: type[Cmdlet]) -> str:
    """Get-Help NAME: name, synopsis, syntax, description, parameters, examples, aliases."""
    description = [f"{INDENT}{line}" for line in description_lines(cmdlet)]
    parameters: list[str] = []
    for parameter in matching_parameters(cmdlet, "*"):
        parameters.extend(parameter_block(cmdlet, parameter))
    parameters.extend(
        [
            f"{INDENT}<CommonParameters>",
            f"{INDENT * 2}This cmdlet supports the common parameter -ErrorAction (Stop, Continue,",
            f"{INDENT * 2}SilentlyContinue, Ignore).",
            "",
        ]
    )
    lines = [
        "",
        *_section("NAME", [f"{INDENT}{cmdlet.name}"]),
        *_section("SYNOPSIS", [f"{INDENT}{synopsis(cmdlet)}"]),
        *_section("SYNTAX", [f"{INDENT}{line}\n" for line in syntax(cmdlet)]),
        *_section("DESCRIPTION", description),
        *_section("PARAMETERS", parameters),
        *_section("EXAMPLES", example_lines(cmdlet)),
        *_section("ALIASES", [f"{INDENT}{', '.join(cmdlet.aliases) or 'None'}"]),
    ]
    return "\n".join(lines)


def examples_help(cmdlet: type[Cmdlet]) -> str:
    """Get-Help NAME -Examples."""
    lines = [
        "",
        *_section("NAME", [f"{INDENT}{cmdlet.name}"]),
        *_section("SYNOPSIS", [f"{INDENT}{synopsis(cmdlet)}"]),
        *example_lines(cmdlet),
    ]
    return "\n".join(lines)


def parameter_help(cmdlet: type[Cmdlet], parameters: Sequence[Parameter]) -> str:
    """Get-Help NAME -Parameter X."""
    lines = [""]
    for parameter in parameters:
        lines.extend(parameter_block(cmdlet, parameter))
    return "\n".join(lines)

"""Parameter binding: command-line arguments and pipeline input to a cmdlet's parameters.

Names are case-insensitive and may be shortened to any unambiguous prefix
(``-Mem`` is ambiguous on New-VM: -MemoryMB, -MemoryGB). Arguments without a
name fill positional parameters in order. Pipeline input binds, object by
object, to the parameter declared ``pipeline=True``. Parameter sets make
parameters exclusive (-MemoryMB or -MemoryGB) and decide which are mandatory.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from clients.shell.conversions import STRING, SWITCH, ParamType
from clients.shell.errors import ConversionError, ShellError
from clients.shell.values import to_string


@dataclass(frozen=True)
class Parameter:
    """One parameter of a cmdlet. ``sets`` empty means: in every parameter set."""

    name: str
    type: ParamType = STRING
    position: int | None = None
    mandatory: bool = False
    pipeline: bool = False
    remaining: bool = False
    sets: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    allow_null: bool = False  # a mandatory parameter that accepts $null and ""

    def in_set(self, name: str) -> bool:
        """Whether the parameter belongs to parameter set ``name``."""
        return not self.sets or name in self.sets


@dataclass(frozen=True)
class NamedArgument:
    """``-Name value`` or ``-Name:value`` (``attached``) or a bare switch ``-Name``."""

    name: str
    value: object = None
    attached: bool = False


@dataclass(frozen=True)
class PositionalArgument:
    """An argument without a parameter name."""

    value: object


Argument = NamedArgument | PositionalArgument

ACTION_PREFERENCES = ("Stop", "Continue", "SilentlyContinue", "Ignore")


#: the numeric values of PowerShell's ActionPreference enum (-ea 0 is SilentlyContinue)
_ACTION_NUMBERS = {0: "SilentlyContinue", 1: "Stop", 2: "Continue", 4: "Ignore"}


def action_preference(value: object) -> str:
    """An ActionPreference value (a name, any case, or its number)."""
    if isinstance(value, int) and not isinstance(value, bool) and value in _ACTION_NUMBERS:
        return _ACTION_NUMBERS[value]
    text = to_string(value)
    for choice in ACTION_PREFERENCES:
        if choice.lower() == text.lower():
            return choice
    raise ConversionError(text, "ActionPreference", f"Possible values are: {', '.join(ACTION_PREFERENCES)}.")


#: parameters every cmdlet has
COMMON_PARAMETERS = (
    Parameter("ErrorAction", ParamType("ActionPreference", action_preference), aliases=("ea",)),
)


#: the parameters of every cmdlet that changes something
SHOULD_PROCESS_PARAMETERS = (
    Parameter("WhatIf", SWITCH, aliases=("wi",)),
    Parameter("Confirm", SWITCH, aliases=("cf",)),
)


def parameters_of(declared: Sequence[Parameter], should_process: bool) -> tuple[Parameter, ...]:
    """A cmdlet's parameters: the declared ones, -WhatIf/-Confirm when it changes things, the common ones."""
    names = {p.name.lower() for p in declared}
    extra = [p for p in SHOULD_PROCESS_PARAMETERS if should_process and p.name.lower() not in names]
    return (*declared, *extra, *COMMON_PARAMETERS)


class BoundArguments:
    """The parameters bound for one invocation of a cmdlet's ``process``, by declared name."""

    def __init__(self, values: Mapping[str, object], parameter_set: str) -> None:
        self.values = dict(values)
        self.parameter_set = parameter_set

    def __contains__(self, name: str) -> bool:
        """Whether parameter ``name`` (declared spelling) was bound."""
        return name in self.values

    def get(self, name: str, default: object = None) -> object:
        """The bound value, whatever its type."""
        return self.values.get(name, default)

    def string(self, name: str, default: str = "") -> str:
        """A String parameter's value."""
        value = self.values.get(name, default)
        assert isinstance(value, str)
        return value

    def integer(self, name: str, default: int = 0) -> int:
        """An Int32 parameter's value."""
        value = self.values.get(name, default)
        assert isinstance(value, int)
        return value

    def number(self, name: str, default: float = 0.0) -> float:
        """A Double parameter's value."""
        value = self.values.get(name, default)
        assert isinstance(value, int | float)
        return float(value)

    def date(self, name: str) -> dt.datetime | None:
        """A DateTime parameter's value, or None when not bound."""
        value = self.values.get(name)
        assert value is None or isinstance(value, dt.datetime)
        return value

    def flag(self, name: str) -> bool:
        """Whether a switch is on."""
        return self.values.get(name) is True

    def items(self, name: str) -> list[object]:
        """An array parameter's items; empty when not bound."""
        value = self.values.get(name)
        if value is None:
            return []
        return list(value) if isinstance(value, list | tuple) else [value]

    def strings(self, name: str) -> list[str]:
        """An array parameter's items as strings."""
        return [to_string(item) for item in self.items(name)]


class Binder:
    """Binds arguments for one cmdlet; errors are ``ShellError`` without a category (the runner adds it)."""

    def __init__(
        self, parameters: Sequence[Parameter], default_set: str = "", should_process: bool = False
    ) -> None:
        self.parameters = parameters_of(parameters, should_process)
        self.default_set = default_set
        self.sets: list[str] = []
        for parameter in self.parameters:
            self.sets.extend(s for s in parameter.sets if s not in self.sets)

    # -- names --------------------------------------------------------------------------------

    def resolve(self, typed: str) -> Parameter:
        """The parameter that ``-typed`` names: exact name or alias first, then a unique prefix."""
        key = typed.lower()
        for parameter in self.parameters:
            if key == parameter.name.lower() or key in (a.lower() for a in parameter.aliases):
                return parameter
        matches = [p for p in self.parameters if p.name.lower().startswith(key)]
        if len(matches) == 1:
            return matches[0]
        if not matches:
            raise ShellError(f"A parameter cannot be found that matches parameter name '{typed}'.")
        names = " ".join(f"-{p.name}" for p in matches)
        raise ShellError(
            f"Parameter cannot be processed because the parameter name '{typed}' is ambiguous. "
            f"Possible matches include: {names}."
        )

    # -- binding ------------------------------------------------------------------------------

    def bind(self, arguments: Sequence[Argument], expects_input: bool) -> BoundArguments:
        """Bind the command line; with ``expects_input`` pipeline parameters may stay unbound."""
        values: dict[str, object] = {}
        positional: list[object] = []
        i = 0
        while i < len(arguments):
            argument = arguments[i]
            i += 1
            if isinstance(argument, PositionalArgument):
                positional.append(argument.value)
                continue
            parameter = self.resolve(argument.name)
            if parameter.name in values:
                raise ShellError(
                    f"Cannot bind parameter because parameter '{parameter.name}' is specified more than once."
                )
            if parameter.type.switch:
                value: object = argument.value if argument.attached else True
            elif argument.attached:
                value = argument.value
            elif i < len(arguments) and isinstance(arguments[i], PositionalArgument):
                value = arguments[i].value
                i += 1
            else:
                raise ShellError(
                    f"Missing an argument for parameter '{parameter.name}'. "
                    f"Specify a parameter of type '{parameter.type.name}' and try again."
                )
            values[parameter.name] = self._convert(parameter, value)
        self._bind_positional(values, positional)
        return self._finish(values, expects_input)

    def _bind_positional(self, values: dict[str, object], positional: list[object]) -> None:
        """Fill positional slots in order; where several parameters (of different sets) share a
        position, the first whose set is still possible and whose type takes the value wins."""
        rest = next((p for p in self.parameters if p.remaining and p.name not in values), None)
        while positional:
            sets = self._possible_sets(values)
            free = [
                p
                for p in self.parameters
                if p.position is not None and p.name not in values and any(p.in_set(s) for s in sets)
            ]
            if not free:
                if rest is None or rest.name in values:
                    shown = to_string(positional[0])
                    raise ShellError(
                        f"A positional parameter cannot be found that accepts argument '{shown}'."
                    )
                values[rest.name] = self._convert(rest, positional)
                return
            position = min(p.position or 0 for p in free)
            slot = [p for p in free if p.position == position]
            first_error: ShellError | None = None
            for parameter in slot:
                if parameter.remaining:
                    value: object = positional[0] if len(positional) == 1 else list(positional)
                    taken = len(positional)
                else:
                    value, taken = positional[0], 1
                try:
                    values[parameter.name] = self._convert(parameter, value)
                except ShellError as error:
                    first_error = first_error or error
                    continue
                del positional[:taken]
                break
            else:
                assert first_error is not None
                raise first_error

    def _possible_sets(self, values: Mapping[str, object]) -> list[str]:
        """The parameter sets still possible with ``values`` bound (``[""]`` without sets)."""
        candidates = list(self.sets) or [""]
        for parameter in self.parameters:
            if parameter.name in values and parameter.sets:
                candidates = [s for s in candidates if s in parameter.sets]
        if not candidates:
            raise ShellError("Parameter set cannot be resolved using the specified named parameters.")
        return candidates

    def bind_input(self, bound: BoundArguments, obj: object) -> BoundArguments:
        """``bound`` plus one pipeline input object."""
        candidates = [p for p in self.parameters if p.pipeline and p.name not in bound]
        if not candidates:
            raise ShellError(
                "The input object cannot be bound to any parameters for the command either because the "
                "command does not take pipeline input or the input and its properties do not match any "
                "of the parameters that take pipeline input."
            )
        values = dict(bound.values)
        parameter = candidates[0]
        values[parameter.name] = self._convert(parameter, obj)
        return self._finish(values, expects_input=False)

    def _convert(self, parameter: Parameter, value: object) -> object:
        strict = parameter.mandatory and not parameter.allow_null
        if strict and value is None:
            raise ShellError(f"Cannot bind argument to parameter '{parameter.name}' because it is null.")
        try:
            converted = parameter.type.convert(value)
        except ConversionError as error:
            raise ShellError(f"Cannot bind parameter '{parameter.name}'. {error.message}") from None
        if strict and converted == "":
            raise ShellError(
                f"Cannot bind argument to parameter '{parameter.name}' because it is an empty string."
            )
        return converted

    def _finish(self, values: dict[str, object], expects_input: bool) -> BoundArguments:
        parameter_set = self._resolve_set(values)
        missing = [
            p.name
            for p in self.parameters
            if p.mandatory and p.in_set(parameter_set) and p.name not in values
            and not (expects_input and p.pipeline)
        ]  # fmt: skip
        if missing:
            names = " ".join(missing)
            raise ShellError(
                f"Cannot process command because of one or more missing mandatory parameters: {names}."
            )
        return BoundArguments(values, parameter_set)

    def _resolve_set(self, values: Mapping[str, object]) -> str:
        if not self.sets:
            return self.default_set
        candidates = list(self.sets)
        for parameter in self.parameters:
            if parameter.name in values and parameter.sets:
                candidates = [s for s in candidates if s in parameter.sets]
        if not candidates:
            raise ShellError("Parameter set cannot be resolved using the specified named parameters.")
        return self.default_set if self.default_set in candidates else candidates[0]

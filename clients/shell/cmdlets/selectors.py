"""What Select/Sort/Group/Where/ForEach-Object take to pick a value from an object.

A selector is a property name (``Name``), a script block (``{ $_.MemoryMB * 2 }``,
run with ``$_`` bound to the object) or, for Select-Object and Sort-Object, a
hashtable naming a calculated property (``@{Name='GB'; Expression={…}}``).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from clients.shell.errors import ShellError
from clients.shell.formatting import select_properties
from clients.shell.members import member
from clients.shell.psobject import PSObject
from clients.shell.scriptblock import SCRIPTBLOCK, ScriptBlock, invoke
from clients.shell.values import collect, to_string
from clients.shell.wildcard import like

__all__ = [
    "SCRIPTBLOCK",
    "Selector",
    "block_value",
    "compare",
    "has_member",
    "is_block",
    "lookup",
    "member",
    "project",
    "run_block",
    "same",
    "selector",
    "sort_key",
]


def has_member(value: object, name: str) -> bool:
    """Whether ``value`` has a property ``name`` (a PSObject's, a hashtable's key, a string's Length)."""
    if isinstance(value, PSObject):
        return value.has(name)
    if isinstance(value, Mapping):
        return name in value or name.lower() in ("keys", "values", "count")
    return isinstance(value, str | list | tuple) and name.lower() in ("length", "count")


def is_block(value: object) -> bool:
    """Whether ``value`` is a script block."""
    return isinstance(value, ScriptBlock)


def run_block(block: object, item: object) -> list[object]:
    """Run a script block with ``$_`` bound to ``item``; its output objects."""
    assert isinstance(block, ScriptBlock)
    return invoke(block, dollar_underscore=item)


def block_value(block: object, item: object) -> object:
    """A script block's output for ``item`` as one value ($null, one object, or an array)."""
    return collect(run_block(block, item))


def lookup(table: Mapping[object, object], *keys: str) -> tuple[bool, object]:
    """A hashtable entry by any of ``keys`` or a unique prefix of one (case-insensitive)."""
    for key, value in table.items():
        text = to_string(key).lower()
        if text and any(k.lower().startswith(text) for k in keys):
            return True, value
    return False, None


@dataclass(frozen=True)
class Selector:
    """One -Property item: a name (``pattern`` may hold wildcards), or a label and an expression."""

    label: str
    pattern: str | None = None
    expression: object = None
    descending: bool | None = None

    def value(self, item: object) -> object:
        """The selected value for ``item``."""
        if self.pattern is not None:
            return member(item, self.pattern)
        if is_block(self.expression):
            return block_value(self.expression, item)
        return member(item, to_string(self.expression))


def selector(spec: object, *, calculated_keys: Sequence[str] = ("Name", "Label", "Expression")) -> Selector:
    """The selector a -Property item means; raises for a hashtable without a usable Expression."""
    if isinstance(spec, Mapping):
        found, expression = lookup(spec, "Expression")
        if not found:
            raise ShellError("The Expression key is missing from a hashtable passed as a property.")
        has_name, name = lookup(spec, *[k for k in calculated_keys if k != "Expression"])
        _, descending = lookup(spec, "Descending")
        label = to_string(name) if has_name else _block_text(expression)
        return Selector(label, None, expression, None if descending is None else bool(descending))
    if is_block(spec):
        return Selector(_block_text(spec), None, spec)
    text = to_string(spec)
    return Selector(text, text)


def _block_text(expression: object) -> str:
    return expression.text.strip() if isinstance(expression, ScriptBlock) else to_string(expression)


# -- ordering -------------------------------------------------------------------------------------


def _rank(value: object) -> int:
    if value is None:
        return 0
    if isinstance(value, bool | int | float):
        return 1
    if isinstance(value, dt.datetime):
        return 2
    return 3


def compare(left: object, right: object, case_sensitive: bool = False) -> int:
    """-1, 0 or 1 as Sort-Object orders two values: $null first, numbers by value, text ignoring case."""
    if isinstance(left, list | tuple):
        left = to_string(left)
    if isinstance(right, list | tuple):
        right = to_string(right)
    ranks = (_rank(left), _rank(right))
    if ranks[0] != ranks[1]:
        if 3 in ranks and 0 not in ranks:  # a number against text: compare as text, as PowerShell does
            return compare(to_string(left), to_string(right), case_sensitive)
        return (ranks[0] > ranks[1]) - (ranks[0] < ranks[1])
    if ranks[0] == 0:
        return 0
    a: object
    b: object
    if ranks[0] == 3:
        a, b = to_string(left), to_string(right)
        if case_sensitive:  # as the culture orders them: a < A < b < B
            a, b = (a.casefold(), a.swapcase()), (b.casefold(), b.swapcase())
        else:
            a, b = a.casefold(), b.casefold()
    else:
        a, b = left, right
    return int(a > b) - int(a < b)  # type: ignore[operator]


def sort_key(case_sensitive: bool = False) -> Callable[[object], Any]:
    """A key function for ``sorted`` that orders values as ``compare`` does."""
    return functools.cmp_to_key(lambda a, b: compare(a, b, case_sensitive))


def same(left: object, right: object, case_sensitive: bool = False) -> bool:
    """Whether two values are equal for -Unique and grouping."""
    if isinstance(left, PSObject) and isinstance(right, PSObject):
        if left is right or (left.base is not None and left.base is right.base):
            return True
        if left.label is not None or right.label is not None:
            return left.label == right.label and left.names() == right.names()
        return left.names() == right.names() and all(
            same(left.get(n), right.get(n), case_sensitive) for n in left.names()
        )
    return compare(left, right, case_sensitive) == 0 and _rank(left) == _rank(right)


def project(item: object, selectors: Sequence[Selector], excluded: Sequence[str] = ()) -> PSObject:
    """A ``Selected.<type>`` object with the chosen properties of ``item`` (Select-Object -Property)."""
    pairs: list[tuple[str, object]] = []
    sample = [item] if isinstance(item, PSObject) else []
    for chosen in selectors:
        if chosen.pattern is not None and any(c in chosen.pattern for c in "*?["):
            pairs.extend((name, member(item, name)) for name in select_properties(sample, [chosen.pattern]))
        elif chosen.pattern is not None:
            canonical = item.canonical(chosen.pattern) if isinstance(item, PSObject) else None
            pairs.append((canonical or chosen.pattern, member(item, chosen.pattern)))
        else:
            pairs.append((chosen.label, chosen.value(item)))
    pairs = [(n, v) for n, v in pairs if not any(like(n, pattern) for pattern in excluded)]
    seen: dict[str, tuple[str, object]] = {}
    for name, value in pairs:
        seen.setdefault(name.lower(), (name, value))
    type_name = item.type_name if isinstance(item, PSObject) else "Object"
    return PSObject(f"Selected.{type_name}", seen.values())

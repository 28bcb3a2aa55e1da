"""Turning output objects into text: tables, lists, and the default display (Out-Default).

The default display shows a run of objects of one type as a table (the type's
view from ``views.TABLE_VIEWS``, else all properties when there are at most
four) or as a list; plain values print one per line.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from clients.shell.psobject import PSObject
from clients.shell.values import enumerate_value, to_string
from clients.shell.views import GROUP_HEADINGS, TABLE_VIEWS, Column
from clients.shell.wildcard import like

#: PowerShell shows objects with more properties than this as a list
TABLE_MAX_PROPERTIES = 4


def cell(value: object) -> str:
    """A value inside a table or list: arrays as ``{a, b}``."""
    if isinstance(value, list | tuple):
        return "{" + ", ".join(to_string(item) for item in value) + "}"
    return to_string(value)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _numeric_column(objects: Sequence[PSObject], name: str) -> bool:
    values = [obj.get(name) for obj in objects if obj.get(name) is not None]
    return bool(values) and all(_is_number(v) for v in values)


def select_properties(objects: Sequence[PSObject], patterns: Sequence[str]) -> list[str]:
    """Property names matching ``patterns`` (wildcards allowed), in pattern order, without repeats."""
    names: list[str] = []
    available: list[str] = []
    for obj in objects:
        available.extend(n for n in obj.names() if n not in available)
    for pattern in patterns:
        matches = [n for n in available if like(n, pattern)] or ([] if "*" in pattern else [pattern])
        names.extend(n for n in matches if n not in names)
    return names


#: what ends a value cut to fit its column
ELLIPSIS = "\u2026"


def fit_widths(labels: Sequence[str], natural: Sequence[int], limit: int | None, autosize: bool) -> list[int]:
    """Column widths for a table at most ``limit`` characters wide (None: no limit).

    Without -AutoSize the widest columns give way first, down to their heading's width, and values
    are cut; with -AutoSize (or when that is not enough) the last columns are dropped (width 0)."""
    widths = list(natural)

    def total() -> int:
        shown = [w for w in widths if w > 0]
        return sum(shown) + len(shown) - 1

    if limit is None or total() <= limit:
        return widths
    if not autosize:
        minimum = [max(len(label), 1) for label in labels]
        while total() > limit:
            candidates = [i for i, w in enumerate(widths) if w > minimum[i]]
            if not candidates:
                break
            widest = max(candidates, key=lambda i: widths[i])
            widths[widest] = max(minimum[widest], widths[widest] - (total() - limit))
    for i in reversed(range(1, len(widths))):
        if total() <= limit:
            break
        widths[i] = 0
    return widths


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 1, 0)] + ELLIPSIS


def table_lines(
    objects: Sequence[PSObject], columns: Sequence[Column], width: int | None = None, autosize: bool = False
) -> list[str]:
    """A table: heading, dashes, one row per object; numbers align right; at most ``width`` wide."""
    rows = [[(col.format or cell)(obj.get(col.property)) for col in columns] for obj in objects]
    right = [
        col.right if col.right is not None else _numeric_column(objects, col.property) for col in columns
    ]
    natural = [max([len(col.label), *(len(row[i]) for row in rows)]) for i, col in enumerate(columns)]
    widths = fit_widths([col.label for col in columns], natural, width, autosize)

    def line(cells: Sequence[str]) -> str:
        shown = [
            _cut(c, w).rjust(w) if r else _cut(c, w).ljust(w)
            for c, w, r in zip(cells, widths, right, strict=True)
            if w > 0
        ]
        return " ".join(shown).rstrip()

    return [
        line([col.label for col in columns]),
        line(["-" * len(col.label) for col in columns]),
        *(line(row) for row in rows),
    ]


def list_lines(obj: PSObject, names: Sequence[str]) -> list[str]:
    """One object as ``Name : value`` lines."""
    width = max((len(n) for n in names), default=0)
    indent = "\n" + " " * (width + 3)
    return [
        f"{name.ljust(width)} : {indent.join(cell(obj.get(name)).splitlines())}".rstrip() for name in names
    ]


def format_table(
    objects: Iterable[object],
    properties: Sequence[str] = (),
    width: int | None = None,
    autosize: bool = False,
) -> str:
    """Format-Table: PSObjects as a table (their view, or the chosen properties); other values as lines."""
    return _render(objects, force="table", properties=properties, width=width, autosize=autosize)


def format_list(objects: Iterable[object], properties: Sequence[str] = ()) -> str:
    """Format-List: each PSObject as ``Name : value`` lines (all properties unless chosen)."""
    return _render(objects, force="list", properties=properties)


def format_default(objects: Iterable[object], width: int | None = None) -> str:
    """Out-Default: how the shell shows what a statement outputs (tables at most ``width`` wide)."""
    return _render(objects, force=None, properties=(), width=width)


def _groups(objects: Iterable[object]) -> list[list[object]]:
    groups: list[list[object]] = []
    key: object = object()
    for obj in objects:
        for item in enumerate_value(obj):
            item_key = item.type_name if isinstance(item, PSObject) else None
            if not groups or item_key != key:
                groups.append([])
                key = item_key
            groups[-1].append(item)
    return groups


def _render(
    objects: Iterable[object],
    force: str | None,
    properties: Sequence[str],
    width: int | None = None,
    autosize: bool = False,
) -> str:
    out: list[str] = []
    for group in _groups(objects):
        if not isinstance(group[0], PSObject):
            out.extend(to_string(item) + "\n" for item in group if item is not None)
            continue
        psobjects = [item for item in group if isinstance(item, PSObject)]
        out.append(_render_objects(psobjects, force, properties, Fit(width, autosize)))
    return "".join(out)


@dataclass(frozen=True)
class Fit:
    """How wide tables may be (None: as wide as their values) and whether -AutoSize was asked."""

    width: int | None = None
    autosize: bool = False


def _render_objects(objects: list[PSObject], force: str | None, properties: Sequence[str], fit: Fit) -> str:
    heading = GROUP_HEADINGS.get(objects[0].type_name)
    if heading is not None and not properties:
        label, prop = heading
        parts: list[list[PSObject]] = []
        for obj in objects:
            if not parts or obj.get(prop) != parts[-1][0].get(prop):
                parts.append([])
            parts[-1].append(obj)
        return "".join(
            f"\n   {label}: {to_string(part[0].get(prop))}\n" + _render_view(part, force, properties, fit)
            for part in parts
        )
    return _render_view(objects, force, properties, fit)


def _render_view(objects: list[PSObject], force: str | None, properties: Sequence[str], fit: Fit) -> str:
    view = TABLE_VIEWS.get(objects[0].type_name)
    names = select_properties(objects, properties) if properties else None
    if force == "list" or (force is None and view is None and len(objects[0].names()) > TABLE_MAX_PROPERTIES):
        blocks = ["\n".join(list_lines(obj, names or obj.names())) for obj in objects]
        return "\n" + "\n\n".join(blocks) + "\n\n"
    if names is not None:
        columns: Sequence[Column] = [Column(name, name, right=None) for name in names]
    elif view is not None:
        columns = view
    else:
        columns = [Column(name, name, right=None) for name in objects[0].names()]
    return "\n" + "\n".join(table_lines(objects, columns, fit.width, fit.autosize)) + "\n\n"

"""Turning output objects into text: tables, lists, and the default display (Out-Default).

The default display shows a run of objects of one type as a table (the type's
view from ``views.TABLE_VIEWS``, else all properties when there are at most
four) or as a list; plain values print one per line.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

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


def table_lines(objects: Sequence[PSObject], columns: Sequence[Column]) -> list[str]:
    """A table: heading, dashes, one row per object; numbers align right."""
    rows = [[(col.format or cell)(obj.get(col.property)) for col in columns] for obj in objects]
    right = [
        col.right if col.right is not None else _numeric_column(objects, col.property) for col in columns
    ]
    widths = [max([len(col.label), *(len(row[i]) for row in rows)]) for i, col in enumerate(columns)]

    def line(cells: Sequence[str]) -> str:
        return " ".join(
            c.rjust(w) if r else c.ljust(w) for c, w, r in zip(cells, widths, right, strict=True)
        ).rstrip()

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


def format_table(objects: Iterable[object], properties: Sequence[str] = ()) -> str:
    """Format-Table: PSObjects as a table (their view, or the chosen properties); other values as lines."""
    return _render(objects, force="table", properties=properties)


def format_list(objects: Iterable[object], properties: Sequence[str] = ()) -> str:
    """Format-List: each PSObject as ``Name : value`` lines (all properties unless chosen)."""
    return _render(objects, force="list", properties=properties)


def format_default(objects: Iterable[object]) -> str:
    """Out-Default: how the shell shows what a statement outputs."""
    return _render(objects, force=None, properties=())


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


def _render(objects: Iterable[object], force: str | None, properties: Sequence[str]) -> str:
    out: list[str] = []
    for group in _groups(objects):
        if not isinstance(group[0], PSObject):
            out.extend(to_string(item) + "\n" for item in group if item is not None)
            continue
        psobjects = [item for item in group if isinstance(item, PSObject)]
        out.append(_render_objects(psobjects, force, properties))
    return "".join(out)


def _render_objects(objects: list[PSObject], force: str | None, properties: Sequence[str]) -> str:
    heading = GROUP_HEADINGS.get(objects[0].type_name)
    if heading is not None and not properties:
        label, prop = heading
        parts: list[list[PSObject]] = []
        for obj in objects:
            if not parts or obj.get(prop) != parts[-1][0].get(prop):
                parts.append([])
            parts[-1].append(obj)
        return "".join(
            f"\n   {label}: {to_string(part[0].get(prop))}\n" + _render_view(part, force, properties)
            for part in parts
        )
    return _render_view(objects, force, properties)


def _render_view(objects: list[PSObject], force: str | None, properties: Sequence[str]) -> str:
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
    return "\n" + "\n".join(table_lines(objects, columns)) + "\n\n"

"""ConvertTo-Json: shell values as PowerShell 7 writes them (two-space indent, ``"key": value``).

Objects nested deeper than ``depth`` become their string form, as in
PowerShell, and ``truncated`` tells the caller to warn about it.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass

from clients.shell.psobject import PSObject
from clients.shell.values import to_string


@dataclass
class JsonResult:
    """The JSON text, and whether anything was cut at ``depth``."""

    text: str
    truncated: bool


def to_json(value: object, depth: int = 2, compress: bool = False) -> JsonResult:
    """``value`` as JSON text."""
    state = {"truncated": False}

    def convert(item: object, level: int) -> object:
        if item is None or isinstance(item, bool | int | str):
            return item
        if isinstance(item, float):
            return item if math.isfinite(item) else to_string(item)
        if isinstance(item, dt.datetime):
            return item.isoformat()
        if level > depth:
            state["truncated"] = True
            return to_string(item)
        if isinstance(item, list | tuple):
            return [convert(x, level + 1) for x in item]
        if isinstance(item, PSObject):
            return {name: convert(x, level + 1) for name, x in item.items()}
        if isinstance(item, dict):
            return {to_string(k): convert(x, level + 1) for k, x in item.items()}
        return to_string(item)

    tree = convert(value, 0)
    if compress:
        text = json.dumps(tree, ensure_ascii=False, separators=(",", ":"))
    else:
        text = json.dumps(tree, ensure_ascii=False, indent=2)
    return JsonResult(text, state["truncated"])

"""ESXi's .vmx configuration format: one ``key = "value"`` per line, values always quoted.

Keys are case-insensitive as in ESXi; their spelling and order are kept, and
unknown keys survive a round trip verbatim. ``VmxParseError`` names the line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path

from pyesx.faults import InvalidArgument

_LINE = re.compile(r'^\s*(?P<key>[A-Za-z0-9_.:\-]+)\s*=\s*"(?P<value>(?:[^"|]|\|[0-9A-Fa-f]{2})*)"\s*$')


class VmxParseError(InvalidArgument):
    """A .vmx file that is not in ESXi's format; names the file and line."""

    def __init__(self, source: str, line_no: int, line: str) -> None:
        super().__init__("vmx", f"{source}: line {line_no}: cannot parse {line.strip()[:80]!r}")
        self.line_no = line_no


def _unescape(value: str) -> str:
    # ESXi escapes '"', '|' and control characters as |XX (hex).
    return re.sub(r"\|([0-9A-Fa-f]{2})", lambda m: chr(int(m[1], 16)), value)


def _escape(value: str) -> str:
    return "".join(f"|{ord(c):02X}" if c in '"|' or ord(c) < 0x20 else c for c in value)


class VmxConfig(Mapping[str, str]):
    """An ordered, case-insensitive mapping of .vmx keys to values."""

    def __init__(self, items: Mapping[str, str] | None = None) -> None:
        self._items: dict[str, tuple[str, str]] = {}
        for key, value in (items or {}).items():
            self[key] = value

    @classmethod
    def parse(cls, text: str, source: str = "<vmx>") -> VmxConfig:
        config = cls()
        for line_no, line in enumerate(text.splitlines(), start=1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            match = _LINE.match(line)
            if not match:
                raise VmxParseError(source, line_no, line)
            config[match["key"]] = _unescape(match["value"])
        return config

    @classmethod
    def read(cls, path: Path, source: str = "") -> VmxConfig:
        """Parse the file at ``path``; bytes that are not UTF-8 text are a VmxParseError like any
        other line that is not in the format (FileNotFoundError and other OSErrors pass)."""
        data = path.read_bytes()
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise VmxParseError(
                source or path.name, data[: exc.start].count(b"\n") + 1, "<not UTF-8 text>"
            ) from None
        return cls.parse(text, source or path.name)

    def render(self) -> str:
        lines = [f'{key} = "{_escape(value)}"' for key, value in self._items.values()]
        return "\n".join(lines) + "\n"

    def __getitem__(self, key: str) -> str:
        return self._items[key.lower()][1]

    def __setitem__(self, key: str, value: str) -> None:
        existing = self._items.get(key.lower())
        self._items[key.lower()] = (existing[0] if existing else key, str(value))

    def __delitem__(self, key: str) -> None:
        del self._items[key.lower()]

    def __iter__(self) -> Iterator[str]:
        return (key for key, _ in self._items.values())

    def __len__(self) -> int:
        return len(self._items)

    def get_int(self, key: str, default: int) -> int:
        try:
            return int(self[key])
        except (KeyError, ValueError):
            return default

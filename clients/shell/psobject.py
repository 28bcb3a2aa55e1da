"""``PSObject``: an object with ordered, case-insensitively named properties.

Cmdlets output PSObjects; ``type_name`` selects the default table view
(``views.TABLE_VIEWS``) and ``base`` keeps the client object it was made from
so that ``Start-VM`` can act on a VM that ``Get-VM`` produced.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator


class PSObject:
    """A named bag of properties in display order."""

    __slots__ = ("_index", "base", "label", "properties", "type_name")

    def __init__(
        self,
        type_name: str,
        properties: Iterable[tuple[str, object]],
        *,
        base: object = None,
        label: str | None = None,
    ) -> None:
        self.type_name = type_name
        self.properties: dict[str, object] = dict(properties)
        self._index = {name.lower(): name for name in self.properties}
        self.base = base
        #: what the object converts to as a string (PowerCLI shows a VM as its name)
        self.label = label

    def has(self, name: str) -> bool:
        """Whether the object has property ``name`` (any case)."""
        return name.lower() in self._index

    def get(self, name: str) -> object:
        """Property ``name`` (any case), or None when there is no such property."""
        key = self._index.get(name.lower())
        return None if key is None else self.properties[key]

    def canonical(self, name: str) -> str | None:
        """The property's name as declared, or None."""
        return self._index.get(name.lower())

    def names(self) -> list[str]:
        return list(self.properties)

    def items(self) -> Iterator[tuple[str, object]]:
        return iter(self.properties.items())

    def __repr__(self) -> str:
        return f"PSObject({self.type_name!r}, {self.properties!r})"

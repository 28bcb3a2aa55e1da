"""``Hashtable``: PowerShell's ``@{ }`` — insertion-ordered, keys compared case-insensitively.

It is a ``dict`` (so JSON output and other dict-aware code take it as is) that
keeps each key as first written and finds it in any case: ``$h.name`` and
``$h['NAME']`` both read the key ``Name``. Non-string keys (``@{1 = 'a'}``)
compare as themselves.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def _fold(key: object) -> object:
    return key.casefold() if isinstance(key, str) else key


class Hashtable(dict[Any, Any]):
    """An ordered, case-insensitive dictionary (``@{}`` and ``[ordered]@{}``)."""

    def __init__(self, items: Mapping[Any, Any] | Iterable[tuple[Any, Any]] = ()) -> None:
        super().__init__()
        self._keys: dict[object, object] = {}
        pairs = items.items() if isinstance(items, Mapping) else items
        for key, value in pairs:
            self[key] = value

    def actual_key(self, key: object) -> object:
        """The key as stored for ``key`` (any case), or ``key`` itself when absent."""
        return self._keys.get(_fold(key), key)

    def __getitem__(self, key: object) -> Any:
        return super().__getitem__(self.actual_key(key))

    def __setitem__(self, key: object, value: Any) -> None:
        folded = _fold(key)
        stored = self._keys.setdefault(folded, key)
        super().__setitem__(stored, value)

    def __delitem__(self, key: object) -> None:
        stored = self._keys.pop(_fold(key))
        super().__delitem__(stored)

    def __contains__(self, key: object) -> bool:
        try:
            return _fold(key) in self._keys
        except TypeError:  # an unhashable key is never present
            return False

    def get(self, key: object, default: Any = None) -> Any:
        """The value for ``key`` (any case), or ``default``."""
        return super().get(self.actual_key(key), default) if key in self else default

    def add(self, key: object, value: object) -> None:
        """``$h.Add(key, value)``: a key already present is an error, as in .NET."""
        if key in self:
            raise KeyError(key)
        self[key] = value

    def pop(self, key: object, *default: Any) -> Any:
        """Remove ``key`` (any case) and return its value."""
        if key not in self:
            if default:
                return default[0]
            raise KeyError(key)
        value = self[key]
        del self[key]
        return value

    def setdefault(self, key: object, default: Any = None) -> Any:
        if key not in self:
            self[key] = default
        return self[key]

    def update(self, *others: Any, **named: Any) -> None:
        for other in others:
            for key, value in other.items() if isinstance(other, Mapping) else other:
                self[key] = value
        for key, value in named.items():
            self[key] = value

    def clear(self) -> None:
        super().clear()
        self._keys.clear()

    def copy(self) -> Hashtable:
        return Hashtable(self.items())

    def __repr__(self) -> str:
        return f"Hashtable({dict(self)!r})"

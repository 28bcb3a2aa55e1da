"""Shell variables: case-insensitive names, constants ($true $false $null), $env:, computed variables."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping

from clients.shell.errors import ShellError
from clients.shell.values import to_string

_CONSTANTS: dict[str, object] = {"true": True, "false": False, "null": None}
_SCOPES = ("global:", "script:", "local:", "private:")


class Variables:
    """One scope of variables (script blocks and functions will add child scopes)."""

    def __init__(self, computed: Mapping[str, Callable[[], object]] | None = None) -> None:
        self._values: dict[str, object] = {}
        #: read-only variables whose value is computed on read, e.g. $DefaultVIServer
        self._computed = {name.lower(): fn for name, fn in (computed or {}).items()}

    @staticmethod
    def _key(name: str) -> str:
        key = name.lower()
        for scope in _SCOPES:
            if key.startswith(scope):
                return key[len(scope) :]
        return key

    def get(self, name: str) -> object:
        """The value of ``$name``; undefined variables are $null."""
        key = self._key(name)
        if key.startswith("env:"):
            return os.environ.get(name[4:])
        if key in _CONSTANTS:
            return _CONSTANTS[key]
        if key in self._computed:
            return self._computed[key]()
        return self._values.get(key)

    def set(self, name: str, value: object) -> None:
        """``$name = value``; assigning to $null discards the value."""
        key = self._key(name)
        if key == "null":
            return
        if key in _CONSTANTS or key in self._computed:
            raise ShellError(
                f"Cannot overwrite variable {name} because it is read-only or constant.",
                "SessionStateUnauthorizedAccess",
            )
        if key.startswith("env:"):
            if value is None or value == "":
                os.environ.pop(name[4:], None)
            else:
                os.environ[name[4:]] = to_string(value)
            return
        self._values[key] = value

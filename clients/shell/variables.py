"""Shell variables: case-insensitive names, constants ($true $false $null), $env:, computed variables.

Scopes nest: a function call or ``& { }`` runs in a child ``Variables`` whose
reads fall through to the parent and whose writes stay local, as in PowerShell;
``$global:x`` and ``$script:x`` name the outermost scope.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping

from clients.shell.errors import ShellError
from clients.shell.values import to_string

_CONSTANTS: dict[str, object] = {"true": True, "false": False, "null": None}
_GLOBAL = ("global:", "script:")
_LOCAL = ("local:", "private:")
_MISSING = object()


class Variables:
    """One scope of variables; ``parent`` is the enclosing scope (None for the global scope)."""

    def __init__(
        self, computed: Mapping[str, Callable[[], object]] | None = None, parent: Variables | None = None
    ) -> None:
        self._values: dict[str, object] = {}
        self.parent = parent
        #: read-only variables whose value is computed on read, e.g. $DefaultVIServer
        self._computed = {name.lower(): fn for name, fn in (computed or {}).items()}
        #: functions defined in this scope, by lower-case name
        self.functions: dict[str, object] = {}
        #: type-constrained variables of this scope (``[int]$n = 1``): name -> conversion
        self._types: dict[str, Callable[[object], object]] = {}

    @property
    def root(self) -> Variables:
        """The global scope."""
        scope = self
        while scope.parent is not None:
            scope = scope.parent
        return scope

    def child(self) -> Variables:
        """A new scope inside this one."""
        return Variables(parent=self)

    def _key(self, name: str) -> tuple[Variables, str, bool]:
        """The scope to start from, the bare lower-case name, and whether the lookup stays local."""
        key = name.lower()
        for prefix in _GLOBAL:
            if key.startswith(prefix):
                return self.root, key[len(prefix) :], True
        for prefix in _LOCAL:
            if key.startswith(prefix):
                return self, key[len(prefix) :], True
        return self, key, False

    def _lookup(self, key: str) -> object:
        scope: Variables | None = self
        while scope is not None:
            if key in scope._computed:
                return scope._computed[key]()
            value = scope._values.get(key, _MISSING)
            if value is not _MISSING:
                return value
            scope = scope.parent
        return _MISSING

    def get(self, name: str) -> object:
        """The value of ``$name`` (this scope, then the enclosing ones); undefined variables are $null."""
        scope, key, _ = self._key(name)
        if key.startswith("env:"):
            return os.environ.get(name[name.lower().index("env:") + 4 :])
        if key in _CONSTANTS:
            return _CONSTANTS[key]
        value = scope._lookup(key)
        return None if value is _MISSING else value

    def defined(self, name: str) -> bool:
        """Whether ``$name`` has a value in this scope or an enclosing one."""
        scope, key, _ = self._key(name)
        return key in _CONSTANTS or scope._lookup(key) is not _MISSING

    def set(self, name: str, value: object) -> None:
        """``$name = value`` in this scope; assigning to $null discards the value."""
        scope, key, _ = self._key(name)
        if key == "null":
            return
        if key in _CONSTANTS or scope._computed_anywhere(key):
            raise ShellError(
                f"Cannot overwrite variable {name} because it is read-only or constant.",
                "SessionStateUnauthorizedAccess",
            )
        if key.startswith("env:"):
            variable = name[name.lower().index("env:") + 4 :]
            if value is None or value == "":
                os.environ.pop(variable, None)
            else:
                os.environ[variable] = to_string(value)
            return
        convert = scope._types.get(key)
        scope._values[key] = value if convert is None else convert(value)

    def constrain(self, name: str, convert: Callable[[object], object]) -> None:
        """``[type]$name = ...``: from now on this scope's ``$name`` holds ``convert(value)``."""
        scope, key, _ = self._key(name)
        scope._types[key] = convert

    def _computed_anywhere(self, key: str) -> bool:
        scope: Variables | None = self
        while scope is not None:
            if key in scope._computed:
                return True
            scope = scope.parent
        return False

    def set_local(self, name: str, value: object) -> None:
        """Bind ``$name`` in this very scope (parameters, ``$_``), bypassing the read-only checks
        (and dropping any type constraint)."""
        self._values[name.lower()] = value
        self._types.pop(name.lower(), None)

    def remove_local(self, name: str) -> None:
        """Forget ``$name`` in this scope (the enclosing scopes' value shows again)."""
        self._values.pop(name.lower(), None)

    def local_value(self, name: str) -> object:
        """The value bound in this very scope, or the ``MISSING`` marker."""
        return self._values.get(name.lower(), _MISSING)

    def save(self, *names: str) -> dict[str, object]:
        """This scope's own bindings of ``names`` (for ``restore``)."""
        return {name: self.local_value(name) for name in names}

    def restore(self, saved: dict[str, object]) -> None:
        """Put back bindings taken with ``save`` (names that were unbound become unbound again)."""
        for name, value in saved.items():
            if value is _MISSING:
                self.remove_local(name)
            else:
                self.set_local(name, value)

    def find_function(self, name: str) -> object | None:
        """The function called ``name`` in this scope or an enclosing one."""
        key = name.lower()
        scope: Variables | None = self
        while scope is not None:
            if key in scope.functions:
                return scope.functions[key]
            scope = scope.parent
        return None


MISSING = _MISSING

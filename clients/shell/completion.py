"""Tab completion: cmdlet names, their parameter names, and VM / datastore / port group names from the host.

``complete(text, names)`` is the whole logic, on the text before the cursor:
the word in command position completes to cmdlet names (and aliases), a
word starting with ``-`` to the command's parameters, any other word to the
names of what the parameter (or the command's first positional parameter)
takes. ``names(kind)`` supplies ``"vm"``, ``"datastore"`` or ``"portgroup"``
names; ``ServerNames`` fetches them from the session and keeps them a few
seconds, so that pressing Tab twice asks the host once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from clients.shell import cmdlets
from clients.shell.binding import COMMON_PARAMETERS, Parameter
from clients.shell.session import Session

VM, DATASTORE, PORTGROUP = "vm", "datastore", "portgroup"
CACHE_SECONDS = 5.0
_SEPARATORS = "|;{}()\n"
#: parameters whose values are names of VMs, datastores or port groups
_VALUE_KINDS = {
    "vm": VM,
    "entity": VM,
    "datastore": DATASTORE,
    "networkname": PORTGROUP,
    "portgroup": PORTGROUP,
    "virtualportgroup": PORTGROUP,
}
#: for -Name or a positional argument: the kind of the command's noun
_NOUN_KINDS = {"vm": VM, "datastore": DATASTORE, "virtualportgroup": PORTGROUP}

NameSource = Callable[[str], list[str]]


@dataclass(frozen=True)
class Completions:
    """The candidates for the word that ends at the cursor (``length`` characters long)."""

    length: int
    candidates: list[str]


def _words(segment: str) -> list[str]:
    """``segment`` split on blanks outside quotes; a trailing blank gives an empty last word."""
    words, current, quote = [], "", ""
    for c in segment:
        if quote:
            current += c
            if c == quote:
                quote = ""
        elif c in "'\"":
            quote, current = c, current + c
        elif c.isspace():
            if current:
                words.append(current)
            current = ""
        else:
            current += c
    words.append(current)
    return words


def _segment(text: str) -> str:
    """The text of the pipeline element being typed: after the last separator outside quotes."""
    start, quote = 0, ""
    for i, c in enumerate(text):
        if quote:
            quote = "" if c == quote else quote
        elif c in "'\"":
            quote = c
        elif c in _SEPARATORS:
            start = i + 1
    return text[start:]


def _quoted(name: str) -> str:
    return f"'{name}'" if any(c.isspace() or c in "'\"$`;|(){}," for c in name) else name


def _parameters(command: str) -> tuple[Parameter, ...]:
    cmdlet = cmdlets.find(command)
    return () if cmdlet is None else (*cmdlet.parameters, *COMMON_PARAMETERS)


def _named(parameters: tuple[Parameter, ...], typed: str) -> Parameter | None:
    key = typed.lower()
    exact = [p for p in parameters if key in (p.name.lower(), *(a.lower() for a in p.aliases))]
    prefixed = [p for p in parameters if p.name.lower().startswith(key)]
    return exact[0] if exact else prefixed[0] if len(prefixed) == 1 else None


def _kind_of(command: str, parameter: Parameter) -> str | None:
    if parameter.name == "Name":
        return _NOUN_KINDS.get(command.partition("-")[2].lower())
    return _VALUE_KINDS.get(parameter.name.lower())


def _value_kind(command: str, previous: str) -> str | None:
    parameters = _parameters(command)
    if previous.startswith("-") and ":" not in previous:
        parameter = _named(parameters, previous[1:])
        if parameter is not None and not getattr(parameter.type, "switch", False):
            return _kind_of(command, parameter)
    first = next((p for p in parameters if p.position == 0), None)
    return None if first is None else _kind_of(command, first)


def complete(text: str, names: NameSource) -> Completions:
    """The completions of the word before the cursor in ``text`` (which is all the text before it)."""
    words = _words(_segment(text))
    word = words[-1]
    if len(words) == 1:
        if word.startswith(("$", "'", '"', "-")) or not word:
            return Completions(len(word), [])
        all_names = sorted({n for c in cmdlets.ALL for n in (c.name, *c.aliases)}, key=str.lower)
        return Completions(len(word), [n for n in all_names if n.lower().startswith(word.lower())])
    command = words[0]
    if word.startswith("-"):
        typed = word[1:].lower()
        return Completions(
            len(word),
            [f"-{p.name}" for p in _parameters(command) if p.name.lower().startswith(typed)],
        )
    kind = _value_kind(command, words[-2])
    if kind is None or word.startswith("$"):
        return Completions(len(word), [])
    typed = word.lstrip("'\"").lower()
    found = sorted((n for n in names(kind) if n.lower().startswith(typed)), key=str.lower)
    return Completions(len(word), [_quoted(n) for n in found])


class ServerNames:
    """``names(kind)`` from the session's host, cached ``ttl`` seconds; [] when it cannot answer."""

    def __init__(
        self, session: Session, ttl: float = CACHE_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.session = session
        self.ttl = ttl
        self.clock = clock
        self._cache: dict[str, tuple[float, list[str]]] = {}

    def __call__(self, kind: str) -> list[str]:
        now = self.clock()
        cached = self._cache.get(kind)
        if cached is not None and now - cached[0] < self.ttl:
            return cached[1]
        try:
            found = self._fetch(kind)
        except Exception:  # Tab must never break the prompt: no names then, as PowerShell
            return []
        self._cache[kind] = (now, found)
        return found

    def _fetch(self, kind: str) -> list[str]:
        client = self.session.client()
        if kind == VM:
            return [vm.name for vm in client.list_vms()]
        if kind == DATASTORE:
            return [ds.name for ds in client.datastores()]
        return [pg.name for pg in client.port_groups()]

"""What a cmdlet is: declared parameters and begin/process/end steps that yield output objects."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from clients.shell.binding import BoundArguments, Parameter
from clients.shell.console import Console
from clients.shell.session import Client, Session


class CommandContext:
    """What a running cmdlet may use: the connection and the console."""

    def __init__(self, session: Session, console: Console, command: str) -> None:
        self.session = session
        self.console = console
        self.command = command

    def client(self) -> Client:
        """The connected client (connecting lazily); raises the not-connected error otherwise."""
        return self.session.client()


class Cmdlet:
    """Base class. A new instance runs each time the cmdlet appears in a pipeline.

    ``process`` runs once with the command-line arguments, or once per pipeline
    input object with that object bound; ``begin`` and ``end`` run around it.
    """

    name: ClassVar[str]
    parameters: ClassVar[tuple[Parameter, ...]] = ()
    default_set: ClassVar[str] = ""
    aliases: ClassVar[tuple[str, ...]] = ()
    #: (command line, what it does) pairs that Get-Help shows
    examples: ClassVar[tuple[tuple[str, str], ...]] = ()

    def __init__(self, ctx: CommandContext) -> None:
        self.ctx = ctx

    def begin(self, args: BoundArguments) -> Iterable[object]:
        return ()

    def process(self, args: BoundArguments) -> Iterable[object]:
        return ()

    def end(self, args: BoundArguments) -> Iterable[object]:
        return ()

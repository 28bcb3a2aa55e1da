"""What a cmdlet is: declared parameters and begin/process/end steps that yield output objects."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import ClassVar

from clients.shell.binding import BoundArguments, Parameter
from clients.shell.console import Console
from clients.shell.errors import ShellError
from clients.shell.session import Client, Session

POWERCLI = "VMware.VimAutomation.Core"
UTILITY = "Microsoft.PowerShell.Utility"
MANAGEMENT = "Microsoft.PowerShell.Management"
CORE = "Microsoft.PowerShell.Core"
PYESX = "pyesx"
#: verbs of cmdlets that change something (they take -WhatIf and -Confirm)
CHANGING_VERBS = frozenset(
    {"New", "Set", "Remove", "Start", "Stop", "Restart", "Suspend", "Move", "Copy", "Disconnect", "Invoke",
     "Export"}
)  # fmt: skip
#: verbs whose cmdlets ask before acting in an interactive shell, as PowerCLI's do
HIGH_IMPACT_VERBS = frozenset({"Remove", "Stop", "Restart", "Suspend", "Disconnect"})


class CommandContext:
    """What a running cmdlet may use: the connection, the console, and where its errors go."""

    def __init__(
        self,
        session: Session,
        console: Console,
        command: str,
        preference: Callable[[], str] | None = None,
    ) -> None:
        self.session = session
        self.console = console
        self.command = command
        self._preference = preference
        #: non-terminating errors to record in ``$Error`` once the pipeline ends (they make ``$?`` false)
        self.dropped: list[BaseException] = []
        #: whether the cmdlet wrote a non-terminating error (``-ErrorAction Ignore`` records none)
        self.failed = False

    def error_action(self, bound: str | None) -> str:
        """The ErrorAction in force: -ErrorAction, else $ErrorActionPreference (default here: Stop)."""
        if bound:
            return bound
        return self._preference() if self._preference is not None else "Stop"

    def write_error(self, error: ShellError, action: str) -> None:
        """A non-terminating error: shown now (Continue), recorded in $Error (not with Ignore), $? false."""
        if action == "Continue":
            self.console.error(error.render())
        if action != "Ignore":
            self.dropped.append(error)
        self.failed = True

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
    #: one line on what the cmdlet does (Get-Help's SYNOPSIS)
    synopsis: ClassVar[str] = ""
    #: (command line, what it does) pairs that Get-Help shows
    examples: ClassVar[tuple[tuple[str, str], ...]] = ()
    #: the module Get-Command names as the cmdlet's source
    module: ClassVar[str] = POWERCLI
    #: "High": an interactive shell asks before each change unless -Confirm:$false; "Medium": only
    #: with -Confirm; "None": the cmdlet changes nothing (no -WhatIf). Empty: decided by the verb.
    confirm_impact: ClassVar[str] = ""
    #: the parameter whose items -WhatIf and -Confirm name as targets (default: the pipeline one)
    target_parameter: ClassVar[str] = ""

    @classmethod
    def impact(cls) -> str:
        """The cmdlet's ConfirmImpact: High, Medium or None."""
        if cls.confirm_impact:
            return cls.confirm_impact
        verb = cls.name.split("-", 1)[0]
        if verb in HIGH_IMPACT_VERBS:
            return "High"
        return "Medium" if verb in CHANGING_VERBS else "None"

    @classmethod
    def supports_should_process(cls) -> bool:
        """Whether the cmdlet changes something, and so takes -WhatIf and -Confirm."""
        return cls.impact() != "None"

    def resolve_targets(self, items: list[object]) -> list[object]:
        """The objects that the target parameter's items stand for (e.g. VMs for names with wildcards);
        ``items`` is empty when the parameter was left out."""
        return items

    def __init__(self, ctx: CommandContext) -> None:
        self.ctx = ctx
        #: set by a cmdlet that wants no more input (Select-Object -First): the commands before stop
        self.upstream_done = False

    def begin(self, args: BoundArguments) -> Iterable[object]:
        return ()

    def process(self, args: BoundArguments) -> Iterable[object]:
        return ()

    def end(self, args: BoundArguments) -> Iterable[object]:
        return ()

"""Lockdown mode: Get-VMHostLockdown and Set-VMHostLockdown (ours; PowerCLI reaches the same
through the host's HostAccessManager view). In normal and strict mode only the exception users
may log in through the API, and the sessions of everyone else end."""

from __future__ import annotations

from collections.abc import Iterator

from clients.auth import Lockdown
from clients.shell.binding import BoundArguments, Parameter
from clients.shell.cmdlets.accounts import auth_client
from clients.shell.cmdlets.base import Cmdlet
from clients.shell.conversions import STRING, STRINGS
from clients.shell.errors import ShellError
from clients.shell.psobject import PSObject

MODES = {"disabled": "disabled", "normal": "normal", "strict": "strict"}
#: the names vSphere's API gives the modes
API_NAMES = {"lockdowndisabled": "disabled", "lockdownnormal": "normal", "lockdownstrict": "strict"}


def lockdown_object(state: Lockdown) -> PSObject:
    return PSObject(
        "VMHostLockdown",
        [("Mode", state.mode.capitalize()), ("ExceptionUsers", list(state.exception_users))],
        base=state,
        label=state.mode,
    )


class GetVMHostLockdown(Cmdlet):
    """Get-VMHostLockdown"""

    name = "Get-VMHostLockdown"
    synopsis = "Gets the host's lockdown mode (Disabled, Normal, Strict) and its exception users."
    examples = (("Get-VMHostLockdown", "The mode and the exception users."),)

    def process(self, args: BoundArguments) -> Iterator[object]:
        yield lockdown_object(auth_client(self.ctx).lockdown())


class SetVMHostLockdown(Cmdlet):
    """Set-VMHostLockdown [[-Mode] <String>] [-ExceptionUser <String[]>]"""

    name = "Set-VMHostLockdown"
    confirm_impact = "High"
    synopsis = "Sets the lockdown mode (Disabled, Normal, Strict) and/or replaces the exception users."
    examples = (
        ("Set-VMHostLockdown -Mode Normal -ExceptionUser root -Confirm:$false", "Only root may log in."),
        ("Set-VMHostLockdown -Mode Disabled -Confirm:$false", "Everyone may log in again."),
    )
    parameters = (Parameter("Mode", STRING, position=0), Parameter("ExceptionUser", STRINGS))
    target_parameter = "Mode"

    def process(self, args: BoundArguments) -> Iterator[object]:
        mode = None
        if "Mode" in args:
            text = args.string("Mode").lower()
            mode = MODES.get(text) or API_NAMES.get(text)
            if mode is None:
                raise ShellError(f"-Mode '{args.string('Mode')}' is not one of Disabled, Normal, Strict.")
        users = args.strings("ExceptionUser") if "ExceptionUser" in args else None
        if mode is None and users is None:
            raise ShellError("Set-VMHostLockdown needs -Mode or -ExceptionUser.")
        yield lockdown_object(auth_client(self.ctx).set_lockdown(mode, users))


CMDLETS: tuple[type[Cmdlet], ...] = (GetVMHostLockdown, SetVMHostLockdown)

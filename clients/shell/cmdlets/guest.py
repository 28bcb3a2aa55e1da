"""Guest operations: Invoke-VMScript, Copy-VMGuestFile, Get-VMGuestProcess, Suspend-VMGuest.

They act inside a running guest through its tools, as a guest user
(-GuestUser / -GuestPassword), as PowerCLI's do.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from pathlib import Path

from clients.model import VM
from clients.shell.binding import BoundArguments, Parameter
from clients.shell.cmdlets.base import PYESX, Cmdlet
from clients.shell.cmdlets.vm import VMS, resolve_vms
from clients.shell.conversions import DOUBLE, STRING, SWITCH
from clients.shell.errors import ShellError
from clients.shell.psobject import PSObject
from clients.shell.views import guest_object
from pyesx.faults import InvalidArgument

_AUTH = (
    Parameter("GuestUser", STRING),
    Parameter("GuestPassword", STRING),
)
SCRIPT_TYPES = ("bash", "sh")


def _credentials(args: BoundArguments) -> tuple[str, str]:
    if "GuestUser" not in args:
        raise ShellError("Specify -GuestUser and -GuestPassword: the guest checks its own accounts.")
    return args.string("GuestUser"), args.string("GuestPassword")


class InvokeVMScript(Cmdlet):
    """Invoke-VMScript [-ScriptText] <String> [-VM] <VirtualMachine[]> -GuestUser <String>
    -GuestPassword <String> [-ScriptType Bash] [-TimeoutSeconds <Double>]

    Runs the script in each guest's shell and waits for it; outputs a VMScriptResult (VM, ExitCode,
    ScriptOutput; shown as its output). -TimeoutSeconds (ours; default 300): past it the guest ends
    the script and the cmdlet fails with Timedout."""

    name = "Invoke-VMScript"
    synopsis = "Runs a script in the guest OS (through VMware Tools) and returns its output."
    examples = (
        (
            "Invoke-VMScript -VM web01 -ScriptText 'uname -a' -GuestUser root -GuestPassword secret",
            "Runs uname in web01's guest.",
        ),
        (
            "(Invoke-VMScript -VM web01 -ScriptText 'df' -GuestUser root -GuestPassword secret).ScriptOutput",
            "Only the script's output.",
        ),
    )
    parameters = (
        Parameter("ScriptText", STRING, position=0, mandatory=True),
        Parameter("VM", VMS, position=1, mandatory=True, pipeline=True),
        *_AUTH,
        Parameter("ScriptType", STRING),
        Parameter("TimeoutSeconds", DOUBLE),
    )

    def process(self, args: BoundArguments) -> Iterator[object]:
        script_type = args.string("ScriptType", "Bash")
        if script_type.lower() not in SCRIPT_TYPES:
            raise InvalidArgument("ScriptType", f"'{script_type}': this guest runs Bash scripts")
        user, password = _credentials(args)
        client = self.ctx.client()
        for vm in resolve_vms(client, args.items("VM")):
            result = client.run_script(
                vm.id, user, password, args.string("ScriptText"), args.number("TimeoutSeconds", 0.0)
            )
            yield PSObject(
                "VMScriptResult",
                [("VM", vm.name), ("ExitCode", result.exit_code), ("ScriptOutput", result.script_output)],
                label=result.script_output,
            )


class CopyVMGuestFile(Cmdlet):
    """Copy-VMGuestFile [-Source] <String> [-Destination] <String> -VM <VirtualMachine> (-LocalToGuest |
    -GuestToLocal) -GuestUser <String> -GuestPassword <String> [-Force]

    Copies a file between the local machine and a guest. A destination ending in / (a folder) gets
    the source's name. -Force replaces an existing file."""

    name = "Copy-VMGuestFile"
    synopsis = "Copies files between this machine and a guest OS."
    examples = (
        (
            "Copy-VMGuestFile -Source ./app.conf -Destination /etc/app.conf -VM web01 -LocalToGuest "
            "-GuestUser root -GuestPassword secret",
            "Copies a local file into the guest.",
        ),
        (
            "Copy-VMGuestFile -Source /var/log/messages -Destination ./ -VM web01 -GuestToLocal "
            "-GuestUser root -GuestPassword secret",
            "Copies a guest file here.",
        ),
    )
    parameters = (
        Parameter("Source", STRING, position=0, mandatory=True),
        Parameter("Destination", STRING, position=1, mandatory=True),
        Parameter("VM", VMS, mandatory=True, pipeline=True),
        Parameter("LocalToGuest", SWITCH),
        Parameter("GuestToLocal", SWITCH),
        *_AUTH,
        Parameter("Force", SWITCH),
    )

    def process(self, args: BoundArguments) -> Iterator[object]:
        to_guest, from_guest = args.flag("LocalToGuest"), args.flag("GuestToLocal")
        if to_guest == from_guest:
            raise ShellError("Specify exactly one of -LocalToGuest and -GuestToLocal.")
        user, password = _credentials(args)
        client = self.ctx.client()
        source, destination = args.string("Source"), args.string("Destination")
        for vm in resolve_vms(client, args.items("VM")):
            if to_guest:
                self._to_guest(vm, user, password, Path(source), destination, args.flag("Force"))
            else:
                self._to_local(vm, user, password, source, Path(destination), args.flag("Force"))
        return iter(())

    def _to_guest(self, vm: VM, user: str, password: str, source: Path, target: str, force: bool) -> None:
        if not source.is_file():
            raise ShellError(f"Copy-VMGuestFile: the local file '{source}' does not exist.")
        if target.endswith("/"):
            target += source.name
        self.ctx.client().copy_to_guest(vm.id, user, password, source.read_bytes(), target, force)

    def _to_local(self, vm: VM, user: str, password: str, source: str, target: Path, force: bool) -> None:
        if target.is_dir():
            target = target / posixpath.basename(source)
        if target.exists() and not force:
            raise ShellError(f"Copy-VMGuestFile: '{target}' exists: use -Force to replace it.")
        data = self.ctx.client().copy_from_guest(vm.id, user, password, source)
        target.write_bytes(data)


class GetVMGuestProcess(Cmdlet):
    """Get-VMGuestProcess [-VM] <VirtualMachine[]> -GuestUser <String> -GuestPassword <String>

    (ours) The processes running in each guest, as its tools list them (vSphere's
    ListProcessesInGuest): Pid, Name, Owner, CmdLine, StartTime."""

    name = "Get-VMGuestProcess"
    synopsis = "Lists the processes running in a guest OS (pyesx's own cmdlet)."
    module = PYESX
    examples = (
        ("Get-VMGuestProcess -VM web01 -GuestUser root -GuestPassword secret", "web01's guest processes."),
    )
    parameters = (Parameter("VM", VMS, position=0, mandatory=True, pipeline=True), *_AUTH)

    def process(self, args: BoundArguments) -> Iterator[object]:
        user, password = _credentials(args)
        client = self.ctx.client()
        for vm in resolve_vms(client, args.items("VM")):
            for process in client.guest_processes(vm.id, user, password):
                yield PSObject(
                    "GuestProcessInfo",
                    [
                        ("VM", vm.name),
                        ("Pid", process.pid),
                        ("Name", process.name),
                        ("Owner", process.owner),
                        ("CmdLine", process.cmd_line),
                        ("StartTime", process.start_time),
                    ],
                    label=process.name,
                )


class SuspendVMGuest(Cmdlet):
    """Suspend-VMGuest [-VM] <VirtualMachine[]> [-Confirm]: asks the guest OS to go to standby (it
    sleeps until a key is pressed on its console). Outputs the guest as it was when asked."""

    name = "Suspend-VMGuest"
    synopsis = "Asks the guest OS to go to standby; a key on its console wakes it."
    examples = (("Suspend-VMGuest web01 -Confirm:$false", "Puts web01's guest to sleep."),)
    parameters = (
        Parameter("VM", VMS, position=0, mandatory=True, pipeline=True),
        Parameter("Confirm", SWITCH),
    )

    def process(self, args: BoundArguments) -> Iterator[object]:
        client = self.ctx.client()
        for vm in resolve_vms(client, args.items("VM")):
            guest = client.guest_info(vm.id)
            client.standby_guest(vm.id)
            yield guest_object(vm, guest)


CMDLETS: tuple[type[Cmdlet], ...] = (InvokeVMScript, CopyVMGuestFile, GetVMGuestProcess, SuspendVMGuest)

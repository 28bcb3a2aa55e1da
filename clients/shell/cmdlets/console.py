"""Open-VMConsoleWindow and Get-VMScreenshot: the remote console from the shell.

There is no window to open here: Open-VMConsoleWindow outputs the console's ticket URL (PowerCLI's
-UrlOnly; a ticket good once, for 30 s), which ``pyesx console --url URL`` attaches to.
Get-VMScreenshot is ours (PowerCLI has none): vSphere's CreateScreenshot_Task.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from clients.shell.binding import BoundArguments, Parameter
from clients.shell.cmdlets.base import Cmdlet
from clients.shell.cmdlets.vm import VMS, resolve_vms
from clients.shell.conversions import STRING, SWITCH


class OpenVMConsoleWindow(Cmdlet):
    """Open-VMConsoleWindow [-VM] <VirtualMachine[]> [-UrlOnly] [-FullScreen]: each powered-on VM's
    console URL (``pyesx+console://HOST:PORT/vm-1?ticket=…``), for ``pyesx console --url``."""

    name = "Open-VMConsoleWindow"
    synopsis = "Gets a powered-on VM's console URL (for pyesx console --url)."
    examples = (("Open-VMConsoleWindow -VM web01 -UrlOnly", "The console URL, with a one-time ticket."),)
    parameters = (
        Parameter("VM", VMS, position=0, mandatory=True, pipeline=True),
        Parameter("UrlOnly", SWITCH),
        Parameter("FullScreen", SWITCH),
    )

    def process(self, args: BoundArguments) -> Iterator[object]:
        client = self.ctx.client()
        for vm in resolve_vms(client, args.items("VM")):
            yield client.acquire_ticket(vm.id).url


class GetVMScreenshot(Cmdlet):
    """Get-VMScreenshot [-VM] <VirtualMachine[]> [-Destination <String>]: a PNG of each VM's screen,
    written to its folder (``[datastore1] web01/web01-1.png``, the output); -Destination also
    downloads it (to that file, or into that folder)."""

    name = "Get-VMScreenshot"
    synopsis = "Takes a PNG screenshot of VMs' screens."
    examples = (("Get-VMScreenshot -VM web01 -Destination ./web01.png", "Saves web01's screen here."),)
    parameters = (
        Parameter("VM", VMS, position=0, mandatory=True, pipeline=True),
        Parameter("Destination", STRING),
    )

    def process(self, args: BoundArguments) -> Iterator[object]:
        client = self.ctx.client()
        destination = args.string("Destination")
        for vm in resolve_vms(client, args.items("VM")):
            done = client.wait_for_task(client.create_screenshot(vm.id).id)
            if destination:
                local = Path(destination).expanduser()
                if local.is_dir():
                    local = local / PurePosixPath(done.result.split("] ", 1)[-1]).name
                client.download(done.result, local)
            yield done.result


CMDLETS: tuple[type[Cmdlet], ...] = (OpenVMConsoleWindow, GetVMScreenshot)

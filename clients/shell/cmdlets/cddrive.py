"""Get-CDDrive, New-CDDrive, Set-CDDrive, Remove-CDDrive: a VM's CD/DVD drives, PowerCLI's way.

A drive is added or removed while its VM is powered off. Its media (an ISO
file on a datastore, ``[datastore1] iso/x.iso``, or ``-NoMedia``), its
connection (``-Connected``, a running VM's, at once: the guest sees the new
media) and ``-StartConnected`` (connected at the next power-on) change at any
time.
"""

from __future__ import annotations

from collections.abc import Iterator

from clients.model import VM
from clients.shell.binding import BoundArguments, Parameter
from clients.shell.cmdlets.base import Cmdlet
from clients.shell.cmdlets.vm import VMS, resolve_vms
from clients.shell.conversions import BOOLEAN, STRING, STRINGS, SWITCH
from clients.shell.devices import DeviceRef, device_references
from clients.shell.psobject import PSObject
from clients.shell.views import CD_DRIVE_TYPE, cd_drive_object
from clients.shell.wildcard import like
from pyesx.faults import InvalidArgument

CDS = device_references(CD_DRIVE_TYPE, "CDDrive")


def _drives(vm: VM) -> Iterator[PSObject]:
    for number, drive in enumerate(vm.cdroms, 1):
        yield cd_drive_object(vm, drive, number)


class GetCDDrive(Cmdlet):
    """Get-CDDrive [-VM] <VirtualMachine[]> [[-Name] <String[]>]"""

    name = "Get-CDDrive"
    synopsis = "Gets the CD/DVD drives of VMs."
    examples = (("Get-CDDrive -VM web01", "web01's drives and their ISO."),)
    parameters = (
        Parameter("VM", VMS, position=0, mandatory=True, pipeline=True),
        Parameter("Name", STRINGS, position=1),
    )

    def process(self, args: BoundArguments) -> Iterator[object]:
        client = self.ctx.client()
        patterns = args.strings("Name")
        for ref in resolve_vms(client, args.items("VM")):
            for obj in _drives(client.get_vm(ref.id)):
                if not patterns or any(like(str(obj.get("Name")), p) for p in patterns):
                    yield obj


class NewCDDrive(Cmdlet):
    """New-CDDrive [-VM] <VirtualMachine[]> [-IsoPath <String>] [-StartConnected]"""

    name = "New-CDDrive"
    synopsis = "Adds a CD/DVD drive to VMs."
    examples = (
        (
            "New-CDDrive -VM web01 -IsoPath '[datastore1] iso/install.iso' -StartConnected",
            "A drive with an ISO inserted.",
        ),
    )
    parameters = (
        Parameter("VM", VMS, position=0, mandatory=True, pipeline=True),
        Parameter("IsoPath", STRING),
        Parameter("StartConnected", SWITCH),
    )

    def process(self, args: BoundArguments) -> Iterator[object]:
        spec: dict[str, str | bool] = {"start_connected": args.flag("StartConnected")}
        if "IsoPath" in args:
            spec["iso_path"] = args.string("IsoPath")
        client = self.ctx.client()
        for vm in resolve_vms(client, args.items("VM")):
            before = {d.key for d in vm.cdroms}
            client.wait_for_task(client.reconfigure_vm(vm.id, add_cd_drives=[spec]).id)
            after = client.get_vm(vm.id)
            for number, drive in enumerate(after.cdroms, 1):
                if drive.key not in before:
                    yield cd_drive_object(after, drive, number)


class SetCDDrive(Cmdlet):
    """Set-CDDrive [-CD] <CDDrive[]> [-IsoPath <String>] [-NoMedia] [-Connected <Boolean>]
    [-StartConnected <Boolean>] [-Confirm]"""

    name = "Set-CDDrive"
    confirm_impact = "High"  # PowerCLI asks before this change
    synopsis = "Inserts or ejects media, or connects a CD/DVD drive."
    examples = (
        (
            "Get-CDDrive -VM web01 | Set-CDDrive -IsoPath '[datastore1] iso/tools.iso' -Connected "
            "$true -Confirm:$false",
            "Inserts another ISO.",
        ),
        ("Get-CDDrive -VM web01 | Set-CDDrive -NoMedia -Confirm:$false", "Ejects the media."),
    )
    parameters = (
        Parameter("CD", CDS, position=0, mandatory=True, pipeline=True),
        Parameter("IsoPath", STRING),
        Parameter("NoMedia", SWITCH),
        Parameter("Connected", BOOLEAN),
        Parameter("StartConnected", BOOLEAN),
        Parameter("Confirm", SWITCH),
    )

    def process(self, args: BoundArguments) -> Iterator[object]:
        change: dict[str, str | bool] = {}
        if "IsoPath" in args and args.flag("NoMedia"):
            raise InvalidArgument("NoMedia", "-IsoPath and -NoMedia cannot be used together")
        if "IsoPath" in args:
            change["iso_path"] = args.string("IsoPath")
        if args.flag("NoMedia"):
            change["no_media"] = True
        for name, key in (("Connected", "connected"), ("StartConnected", "start_connected")):
            if name in args:
                change[key] = bool(args.get(name))
        client = self.ctx.client()
        for ref in args.items("CD"):
            assert isinstance(ref, DeviceRef)
            if change:
                request = [{"key": ref.key, **change}]
                client.wait_for_task(client.reconfigure_vm(ref.vm_id, change_cd_drives=request).id)
            vm = client.get_vm(ref.vm_id)
            for number, drive in enumerate(vm.cdroms, 1):
                if drive.key == ref.key:
                    yield cd_drive_object(vm, drive, number)


class RemoveCDDrive(Cmdlet):
    """Remove-CDDrive [-CD] <CDDrive[]> [-Confirm]"""

    name = "Remove-CDDrive"
    synopsis = "Removes CD/DVD drives from VMs."
    examples = (("Get-CDDrive -VM web01 | Remove-CDDrive -Confirm:$false", "Removes web01's drives."),)
    parameters = (
        Parameter("CD", CDS, position=0, mandatory=True, pipeline=True),
        Parameter("Confirm", SWITCH),
    )

    def process(self, args: BoundArguments) -> Iterator[object]:
        client = self.ctx.client()
        for ref in args.items("CD"):
            assert isinstance(ref, DeviceRef)
            client.wait_for_task(client.reconfigure_vm(ref.vm_id, remove_cd_drive_keys=[ref.key]).id)
        return iter(())


CMDLETS: tuple[type[Cmdlet], ...] = (GetCDDrive, NewCDDrive, SetCDDrive, RemoveCDDrive)

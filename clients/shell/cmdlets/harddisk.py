"""New-HardDisk, Set-HardDisk, Remove-HardDisk: a VM's virtual disks, PowerCLI's way.

A disk is added, extended or changed in mode while its VM is powered off; it is
thin, thick or eager-zeroed thick, and persistent or independent (left out of
snapshots). ``Remove-HardDisk`` detaches it; ``-DeletePermanently`` also deletes
its files.
"""

from __future__ import annotations

from collections.abc import Iterator

from clients.model import VM
from clients.shell.binding import BoundArguments, Parameter
from clients.shell.cmdlets.base import Cmdlet
from clients.shell.cmdlets.vm import VMS, resolve_vms
from clients.shell.conversions import DOUBLE, STRING, SWITCH
from clients.shell.devices import DeviceRef, device_references
from clients.shell.session import Client
from clients.shell.views import HARD_DISK_TYPE, hard_disk_object, task_object
from pyesx.faults import InvalidArgument

KIB = 1024
GIB = 2**30
FORMATS = {"thin": "thin", "thick": "thick", "eagerzeroedthick": "eagerZeroedThick"}
MODES = {
    "persistent": "persistent",
    "independentpersistent": "independent_persistent",
    "independentnonpersistent": "independent_nonpersistent",
}


DISKS = device_references(HARD_DISK_TYPE, "HardDisk")


def _choice(args: BoundArguments, name: str, choices: dict[str, str]) -> str | None:
    if name not in args:
        return None
    value = args.string(name)
    try:
        return choices[value.lower()]
    except KeyError:
        raise InvalidArgument(name, f"'{value}' is not one of {', '.join(choices)}") from None


def _capacity(args: BoundArguments) -> int | None:
    if "CapacityGB" in args:
        size = args.number("CapacityGB") * GIB
    elif "CapacityKB" in args:
        size = args.number("CapacityKB") * KIB
    else:
        return None
    if size <= 0 or size != int(size) or int(size) % KIB:
        raise InvalidArgument("CapacityGB", "the size must be a positive whole number of KB")
    return int(size)


def _disk_number(vm: VM, key: str) -> int:
    return next(n for n, d in enumerate(vm.disks, 1) if d.key == key)


class NewHardDisk(Cmdlet):
    """New-HardDisk [-VM] <VirtualMachine[]> -CapacityGB <Double> | -CapacityKB <Double>
    [-StorageFormat Thin|Thick|EagerZeroedThick] [-Persistence Persistent|IndependentPersistent|
    IndependentNonPersistent] [-RunAsync]"""

    name = "New-HardDisk"
    synopsis = "Adds a virtual disk to VMs."
    examples = (("New-HardDisk -VM web01 -CapacityGB 2 -StorageFormat Thin", "A 2 GB thin disk."),)
    parameters = (
        Parameter("VM", VMS, position=0, mandatory=True, pipeline=True),
        Parameter("CapacityGB", DOUBLE),
        Parameter("CapacityKB", DOUBLE),
        Parameter("StorageFormat", STRING),
        Parameter("Persistence", STRING),
        Parameter("Datastore", STRING),
        Parameter("RunAsync", SWITCH),
    )

    def process(self, args: BoundArguments) -> Iterator[object]:
        capacity = _capacity(args)
        if capacity is None:
            raise InvalidArgument("CapacityGB", "give -CapacityGB or -CapacityKB")
        spec: dict[str, int | str] = {"capacity_bytes": capacity}
        spec["disk_format"] = _choice(args, "StorageFormat", FORMATS) or "thin"
        spec["disk_mode"] = _choice(args, "Persistence", MODES) or "persistent"
        client = self.ctx.client()
        for vm in resolve_vms(client, args.items("VM")):
            before = {d.key for d in vm.disks}
            task = client.reconfigure_vm(vm.id, add_disks=[spec])
            if args.flag("RunAsync"):
                yield task_object(task)
                continue
            client.wait_for_task(task.id)
            after = client.get_vm(vm.id)
            for number, disk in enumerate(after.disks, 1):
                if disk.key not in before:
                    yield hard_disk_object(after, disk, number)


class SetHardDisk(Cmdlet):
    """Set-HardDisk [-HardDisk] <HardDisk[]> [-CapacityGB <Double> | -CapacityKB <Double>]
    [-Persistence <String>] [-Confirm]: extends a disk (never shrinks) or changes its mode."""

    name = "Set-HardDisk"
    confirm_impact = "High"  # PowerCLI asks before this change
    synopsis = "Extends a disk or changes its persistence mode."
    examples = (
        (
            "Get-HardDisk -VM web01 | Set-HardDisk -CapacityGB 4 -Confirm:$false",
            "Grows web01's disks to 4 GB.",
        ),
    )
    parameters = (
        Parameter("HardDisk", DISKS, position=0, mandatory=True, pipeline=True),
        Parameter("CapacityGB", DOUBLE),
        Parameter("CapacityKB", DOUBLE),
        Parameter("Persistence", STRING),
        Parameter("Confirm", SWITCH),
    )

    def process(self, args: BoundArguments) -> Iterator[object]:
        change: dict[str, int | str] = {}
        capacity = _capacity(args)
        if capacity is not None:
            change["capacity_bytes"] = capacity
        mode = _choice(args, "Persistence", MODES)
        if mode is not None:
            change["disk_mode"] = mode
        client = self.ctx.client()
        for ref in args.items("HardDisk"):
            assert isinstance(ref, DeviceRef)
            if change:
                client.wait_for_task(
                    client.reconfigure_vm(ref.vm_id, change_disks=[{"key": ref.key, **change}]).id
                )
            vm = client.get_vm(ref.vm_id)
            number = _disk_number(vm, ref.key)
            yield hard_disk_object(vm, vm.disks[number - 1], number)


class RemoveHardDisk(Cmdlet):
    """Remove-HardDisk [-HardDisk] <HardDisk[]> [-DeletePermanently] [-Confirm]"""

    name = "Remove-HardDisk"
    synopsis = "Removes disks from VMs (-DeletePermanently also deletes the files)."
    examples = (
        (
            "Get-HardDisk -VM web01 -Name 'Hard disk 2' | Remove-HardDisk -Confirm:$false",
            "Detaches the second disk.",
        ),
    )
    parameters = (
        Parameter("HardDisk", DISKS, position=0, mandatory=True, pipeline=True),
        Parameter("DeletePermanently", SWITCH),
        Parameter("Confirm", SWITCH),
    )

    def process(self, args: BoundArguments) -> Iterator[object]:
        client: Client = self.ctx.client()
        for ref in args.items("HardDisk"):
            assert isinstance(ref, DeviceRef)
            task = client.reconfigure_vm(
                ref.vm_id,
                remove_disk_keys=[ref.key],
                delete_removed_disk_files=args.flag("DeletePermanently"),
            )
            client.wait_for_task(task.id)
        return iter(())


CMDLETS: tuple[type[Cmdlet], ...] = (NewHardDisk, SetHardDisk, RemoveHardDisk)

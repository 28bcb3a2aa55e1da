"""VM cmdlets: Get-VM, New-VM, Set-VM, Start/Stop/Suspend/Restart/Remove-VM, the guest and the devices.

They take VMs as objects (from Get-VM) or names with wildcards, on the command
line or from the pipeline. Cmdlets that run a task wait for it and output the
VM as it is afterwards; with -RunAsync they output the task instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import ClassVar

from clients.model import VM, Snapshot, Task
from clients.shell.binding import BoundArguments, Parameter
from clients.shell.cmdlets.base import Cmdlet
from clients.shell.cmdlets.poolrefs import POOL, pools_below, resolve_pool
from clients.shell.conversions import (
    DOUBLE,
    DOUBLES,
    INT32,
    INT32S,
    OBJECT,
    STRING,
    STRINGS,
    SWITCH,
    ArrayType,
    ParamType,
    shown,
)
from clients.shell.errors import ConversionError, ShellError
from clients.shell.psobject import PSObject
from clients.shell.session import Client
from clients.shell.views import (
    SNAPSHOT_ID_PREFIX,
    VM_ID_PREFIX,
    guest_object,
    hard_disk_object,
    network_adapter_object,
    task_object,
    vm_object,
)
from clients.shell.wildcard import is_wildcard, like, unescape
from pyesx.faults import NotFound, VimFault

MIB = 2**20


def _vm_reference(value: object) -> VM | str:
    if isinstance(value, PSObject) and isinstance(value.base, VM):
        return value.base
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return shown(value)
    raise ConversionError(shown(value), "VirtualMachine")


#: -VM: VM objects or names (wildcards allowed)
VMS = ArrayType(ParamType("VirtualMachine", _vm_reference))


def _snapshot_reference(value: object) -> Snapshot | str:
    if isinstance(value, PSObject) and isinstance(value.base, Snapshot):
        return value.base
    if isinstance(value, str) and value:
        return value
    raise ConversionError(shown(value), "Snapshot")


#: Set-VM -Snapshot: a snapshot object, or a snapshot's name (or id) on the VM
SNAPSHOT = ParamType("Snapshot", _snapshot_reference)


def missing(name: str) -> ShellError:
    """PowerShell's error for a mandatory parameter left out."""
    return ShellError(f"Cannot process command because of one or more missing mandatory parameters: {name}.")


def not_found(name: str) -> NotFound:
    """PowerCLI's error for a name that matches no VM."""
    return NotFound(
        "VirtualMachine", name, f"VM with name '{name}' was not found using the specified filter(s)."
    )


def match_names(vms: list[VM], patterns: list[str]) -> list[VM]:
    """The VMs whose names match ``patterns`` (in pattern order, each once); a plain name must match."""
    found: dict[str, VM] = {}
    for pattern in patterns:
        if is_wildcard(pattern):
            matches = [vm for vm in vms if like(vm.name, pattern)]
        else:
            literal = unescape(pattern).lower()
            matches = [vm for vm in vms if vm.name.lower() == literal]
            if not matches:
                raise not_found(unescape(pattern))
        for vm in matches:
            found.setdefault(vm.id, vm)
    return list(found.values())


def resolve_vms(client: Client, references: Iterable[object]) -> list[VM]:
    """VM objects as they are, names looked up; each VM once, in order."""
    refs = list(references)
    names = [r for r in refs if isinstance(r, str)]
    inventory = client.list_vms() if names else []
    found: dict[str, VM] = {}
    for ref in refs:
        for vm in [ref] if isinstance(ref, VM) else match_names(inventory, [str(ref)]):
            found.setdefault(vm.id, vm)
    return list(found.values())


def vm_id(text: str) -> str:
    """``VirtualMachine-vm-1`` or ``vm-1`` -> ``vm-1``."""
    return text[len(VM_ID_PREFIX) :] if text.startswith(VM_ID_PREFIX) else text


def snapshot_id(text: str) -> str:
    """``VirtualMachineSnapshot-vm-1-snapshot-2`` or ``vm-1-snapshot-2`` -> ``vm-1-snapshot-2``."""
    return text[len(SNAPSHOT_ID_PREFIX) :] if text.startswith(SNAPSHOT_ID_PREFIX) else text


def finished_vm(client: Client, done: Task, vm: VM) -> VM:
    """The VM after its task: the one the task reported, else read again."""
    if done.result_vm is not None and done.result_vm.id == vm.id:
        return done.result_vm
    return client.get_vm(vm.id)


class GetVM(Cmdlet):
    """Get-VM [[-Name] <String[]>] [-Location <ResourcePool|VMHost>] [-NoRecursion] | -Id <String[]>

    With -Location, the VMs in that pool and (unless -NoRecursion) in the pools below it."""

    name = "Get-VM"
    synopsis = "Gets virtual machines, by name (wildcards allowed), by id or by resource pool."
    examples = (
        ("Get-VM", "Every VM: Name, PowerState, Num CPUs, MemoryGB."),
        ("Get-VM web*", "VMs whose name starts with web."),
        ("Get-VM -Location pool1 -NoRecursion", "VMs directly in resource pool pool1."),
    )
    default_set = "Name"
    parameters = (
        Parameter("Name", STRINGS, position=0, sets=("Name",)),
        Parameter("Location", POOL, sets=("Name",)),
        Parameter("NoRecursion", SWITCH, sets=("Name",)),
        Parameter("Id", STRINGS, sets=("Id",)),
    )

    def process(self, args: BoundArguments) -> Iterator[object]:
        client = self.ctx.client()
        if "Id" in args:
            for ident in args.strings("Id"):
                yield vm_object(client.get_vm(vm_id(ident)))
            return
        vms = client.list_vms()
        if "Location" in args:
            location = resolve_pool(client, args.get("Location"), "Location")
            inside = {location.id}
            if not args.flag("NoRecursion"):
                inside |= {p.id for p in pools_below(client.list_resource_pools(), location.id)}
            vms = [vm for vm in vms if vm.resource_pool_id in inside]
        patterns = args.strings("Name")
        for vm in match_names(vms, patterns) if patterns else vms:
            yield vm_object(vm)


_NEW = ("MB", "GB")


class NewVM(Cmdlet):
    """New-VM [-Name] <String> [-NumCpu <Int32>] [-MemoryMB <Int32> | -MemoryGB <Double>]
    [-DiskMB <Int32[]> | -DiskGB <Double[]>] [-NetworkName <String[]>] [-CD] [-Datastore <String>]
    [-GuestId <String>] [-Notes <String>] [-ResourcePool <ResourcePool>] [-VMHost <Object>] [-RunAsync]

    New-VM -VMFilePath <String> [[-Name] <String>] [-RunAsync]: registers an existing .vmx.

    Each -DiskMB/-DiskGB value is one new disk; each -NetworkName one network adapter (the host
    gives a VM without -NetworkName one adapter on "VM Network")."""

    name = "New-VM"
    synopsis = "Creates a virtual machine (or registers an existing .vmx with -VMFilePath)."
    examples = (
        (
            "New-VM -Name web01 -NumCpu 2 -MemoryMB 512 -DiskGB 1",
            "A VM with two vCPUs, 512 MB of memory and a 1 GB disk.",
        ),
        (
            "New-VM -Name db01 -MemoryGB 1 -NetworkName 'VM Network' -CD",
            "A VM with a NIC on 'VM Network' and a CD/DVD drive.",
        ),
        (
            "New-VM -VMFilePath '[datastore1] old/old.vmx'",
            "Registers a VM whose files are already on a datastore.",
        ),
    )
    default_set = "MB"
    parameters = (
        Parameter("Name", STRING, position=0),  # mandatory unless -VMFilePath
        Parameter("NumCpu", INT32, sets=_NEW),
        Parameter("MemoryMB", INT32, sets=("MB",)),
        Parameter("MemoryGB", DOUBLE, sets=("GB",)),
        Parameter("DiskMB", INT32S, sets=_NEW),
        Parameter("DiskGB", DOUBLES, sets=_NEW),
        Parameter("NetworkName", STRINGS, sets=_NEW),
        Parameter("CD", SWITCH, sets=_NEW),
        Parameter("Datastore", STRING, sets=_NEW),
        Parameter("GuestId", STRING, sets=_NEW),
        Parameter("Notes", STRING, aliases=("Description",), sets=_NEW),
        Parameter("VMFilePath", STRING, sets=("Register",)),
        Parameter("ResourcePool", POOL),
        Parameter("VMHost", OBJECT),  # accepted: there is one host
        Parameter("RunAsync", SWITCH),
    )

    def process(self, args: BoundArguments) -> Iterator[object]:
        name = args.string("Name")
        if args.parameter_set == "Register":
            if not args.string("VMFilePath"):
                raise ShellError(
                    "Cannot bind argument to parameter 'VMFilePath' because it is an empty string."
                )
            client = self.ctx.client()
            task = client.register_vm(args.string("VMFilePath"), name, _pool_id(client, args))
        else:
            if "Name" not in args:
                raise missing("Name")
            if not name:
                raise ShellError("Cannot bind argument to parameter 'Name' because it is an empty string.")
            if "DiskMB" in args and "DiskGB" in args:
                raise ShellError("Parameter set cannot be resolved using the specified named parameters.")
            client = self.ctx.client()
            task = client.create_vm(
                name,
                args.integer("NumCpu", 1),
                _memory_mb(args, 256),
                args.string("GuestId", "otherGuest64"),
                args.string("Notes"),
                disk_capacity_bytes=_disks(args) or None,
                network_names=args.strings("NetworkName") or None,
                cd_drive=args.flag("CD"),
                datastore=args.string("Datastore"),
                resource_pool_id=_pool_id(client, args),
            )
        if args.flag("RunAsync"):
            yield task_object(task)
            return
        done = client.wait_for_task(task.id)
        if done.result_vm is not None:
            yield vm_object(done.result_vm)
        elif done.result_entity_id:
            yield vm_object(client.get_vm(done.result_entity_id))


def _pool_id(client: Client, args: BoundArguments) -> str:
    """-ResourcePool's id ("" = the root pool)."""
    return resolve_pool(client, args.get("ResourcePool"), "ResourcePool").id if "ResourcePool" in args else ""


def _memory_mb(args: BoundArguments, default: int) -> int:
    if "MemoryGB" in args:
        return round(args.number("MemoryGB") * 1024)
    return args.integer("MemoryMB", default)


def _disks(args: BoundArguments) -> list[int]:
    """The new disks' sizes in bytes: whole MB for -DiskMB, whole KB for -DiskGB."""
    sizes = [mb * MIB for mb in args.items("DiskMB") if isinstance(mb, int)]
    sizes += [round(gb * MIB) * 1024 for gb in args.items("DiskGB") if isinstance(gb, float)]
    return sizes


class VMTaskCmdlet(Cmdlet):
    """A cmdlet that starts one task per VM, then waits for them all unless -RunAsync.

    A fault while starting one VM's task ends the cmdlet after the tasks already started are
    waited for (and their VMs output)."""

    #: whether the VM is output after its task finished
    outputs_vm: ClassVar[bool] = True

    def resolve_targets(self, items: list[object]) -> list[object]:
        """The VMs that the -VM names and objects stand for (what -WhatIf names, -Confirm asks about)."""
        return list(resolve_vms(self.ctx.client(), items))

    def start(self, client: Client, vm: VM, args: BoundArguments) -> Task | None:
        """Start the task for one VM (each subclass its own); None when there is nothing to do."""
        raise NotImplementedError

    def finish(self, client: Client, vm: VM, done: Task | None) -> Iterable[object]:
        """What to output once the VM's task finished (``done`` None: no task was needed)."""
        if not self.outputs_vm:
            return ()
        return (vm_object(client.get_vm(vm.id) if done is None else finished_vm(client, done, vm)),)

    def process(self, args: BoundArguments) -> Iterator[object]:
        client = self.ctx.client()
        started: list[tuple[VM, Task | None]] = []
        failure: VimFault | None = None
        for vm in resolve_vms(client, args.items("VM")):
            try:
                started.append((vm, self.start(client, vm, args)))
            except VimFault as fault:
                failure = fault
                break
        for vm, task in started:
            if task is None:
                yield from self.finish(client, vm, None)
            elif args.flag("RunAsync"):
                yield task_object(task)
            else:
                yield from self.finish(client, vm, client.wait_for_task(task.id))
        if failure is not None:
            raise failure


_VM_PARAMETERS = (
    Parameter("VM", VMS, position=0, mandatory=True, pipeline=True),
    Parameter("RunAsync", SWITCH),
    Parameter("Confirm", SWITCH),
)


class StartVM(VMTaskCmdlet):
    """Start-VM [-VM] <VirtualMachine[]> [-RunAsync] [-Confirm]: powers on, or resumes a suspended VM."""

    name = "Start-VM"
    synopsis = "Powers on VMs, or resumes suspended ones."
    examples = (
        ("Start-VM web01", "Powers on web01 and waits until it is on."),
        ("Get-VM web* | Start-VM -RunAsync", "Starts the web VMs and outputs their tasks at once."),
    )
    parameters = _VM_PARAMETERS

    def start(self, client: Client, vm: VM, args: BoundArguments) -> Task:
        return client.power_on(vm.id)


class StopVM(VMTaskCmdlet):
    """Stop-VM [-VM] <VirtualMachine[]> [-Kill] [-RunAsync] [-Confirm]"""

    name = "Stop-VM"
    synopsis = "Powers off VMs (-Kill: ends their vmx process)."
    examples = (
        ("Stop-VM web01 -Confirm:$false", "Powers off web01 without asking."),
        (
            "Get-VM | Where-Object PowerState -eq PoweredOn | Stop-VM -WhatIf",
            "Shows which VMs would be powered off.",
        ),
    )
    parameters = (*_VM_PARAMETERS, Parameter("Kill", SWITCH))

    def start(self, client: Client, vm: VM, args: BoundArguments) -> Task:
        return client.kill(vm.id) if args.flag("Kill") else client.power_off(vm.id)


class SuspendVM(VMTaskCmdlet):
    """Suspend-VM [-VM] <VirtualMachine[]> [-RunAsync] [-Confirm]"""

    name = "Suspend-VM"
    synopsis = "Suspends VMs: their memory is saved and they stop running."
    examples = (("Suspend-VM web01 -Confirm:$false", "Suspends web01; Start-VM resumes it."),)
    parameters = _VM_PARAMETERS

    def start(self, client: Client, vm: VM, args: BoundArguments) -> Task:
        return client.suspend(vm.id)


class RestartVM(VMTaskCmdlet):
    """Restart-VM [-VM] <VirtualMachine[]> [-RunAsync] [-Confirm]: a hard reset."""

    name = "Restart-VM"
    synopsis = "Resets VMs (a hard reset, like pressing the reset button)."
    examples = (("Restart-VM web01 -Confirm:$false", "Resets web01."),)
    parameters = _VM_PARAMETERS

    def start(self, client: Client, vm: VM, args: BoundArguments) -> Task:
        return client.reset(vm.id)


class RemoveVM(VMTaskCmdlet):
    """Remove-VM [-VM] <VirtualMachine[]> [-DeletePermanently] [-RunAsync] [-Confirm]

    Without -DeletePermanently the VM is unregistered and its files are kept."""

    name = "Remove-VM"
    synopsis = "Removes VMs from the inventory (-DeletePermanently also deletes their files)."
    examples = (
        ("Remove-VM web01 -Confirm:$false", "Unregisters web01; its files stay on the datastore."),
        ("Remove-VM test* -DeletePermanently -WhatIf", "Shows which VMs would be deleted."),
    )
    parameters = (*_VM_PARAMETERS, Parameter("DeletePermanently", SWITCH))
    outputs_vm = False

    def start(self, client: Client, vm: VM, args: BoundArguments) -> Task:
        return client.destroy_vm(vm.id) if args.flag("DeletePermanently") else client.unregister_vm(vm.id)


_CONFIG = ("MB", "GB")


class SetVM(VMTaskCmdlet):
    """Set-VM [-VM] <VirtualMachine[]> [-NumCpu <Int32>] [-MemoryMB <Int32> | -MemoryGB <Double>]
    [-Name <String>] [-Notes <String>] [-RunAsync] [-Confirm]

    Set-VM [-VM] <VirtualMachine[]> -Snapshot <Snapshot> [-RunAsync] [-Confirm]: reverts the VM to
    the snapshot (an object from Get-Snapshot, or the name of one of the VM's snapshots)."""

    name = "Set-VM"
    confirm_impact = "High"  # PowerCLI asks before this change
    synopsis = "Changes a VM's CPUs, memory, name or notes, or reverts it to a snapshot."
    examples = (
        ("Set-VM web01 -NumCpu 4 -MemoryGB 2 -Confirm:$false", "Four vCPUs and 2 GB of memory."),
        (
            "Set-VM web01 -Snapshot before-upgrade -Confirm:$false",
            "Reverts web01 to its snapshot before-upgrade.",
        ),
    )
    default_set = "MB"
    parameters = (
        *_VM_PARAMETERS,
        Parameter("NumCpu", INT32, sets=_CONFIG),
        Parameter("MemoryMB", INT32, sets=("MB",)),
        Parameter("MemoryGB", DOUBLE, sets=("GB",)),
        Parameter("Name", STRING, sets=_CONFIG),
        Parameter("Notes", STRING, aliases=("Description",), sets=_CONFIG),
        Parameter("Snapshot", SNAPSHOT, sets=("Snapshot",)),
    )

    def start(self, client: Client, vm: VM, args: BoundArguments) -> Task | None:
        if args.parameter_set == "Snapshot":
            reference = args.get("Snapshot")
            assert isinstance(reference, Snapshot | str)
            return client.revert_to_snapshot(find_snapshot(client, vm, reference).id)
        if not any(n in args for n in ("NumCpu", "MemoryMB", "MemoryGB", "Name", "Notes")):
            return None
        return client.reconfigure_vm(
            vm.id,
            num_cpu=args.integer("NumCpu") if "NumCpu" in args else None,
            memory_mb=_memory_mb(args, 0) if "MemoryMB" in args or "MemoryGB" in args else None,
            name=args.string("Name") if "Name" in args else None,
            notes=args.string("Notes") if "Notes" in args else None,
        )


def flatten(
    roots: Iterable[Snapshot], parent: Snapshot | None = None
) -> Iterator[tuple[Snapshot, Snapshot | None]]:
    """Each snapshot of the trees with its parent, parents before children."""
    for snapshot in roots:
        yield snapshot, parent
        yield from flatten(snapshot.children, snapshot)


def find_snapshot(client: Client, vm: VM, reference: Snapshot | str) -> Snapshot:
    """The VM's snapshot that ``reference`` names (an object, an id, or a name)."""
    if isinstance(reference, Snapshot):
        if reference.vm_id != vm.id:
            raise ShellError(f"The snapshot '{reference.name}' does not belong to VM '{vm.name}'.")
        return reference
    snapshots = [s for s, _ in flatten(client.snapshots(vm.id))]
    by_id = [s for s in snapshots if s.id == snapshot_id(reference)]
    literal = unescape(reference).lower()
    wildcard = is_wildcard(reference)
    matches = by_id or [
        s for s in snapshots if (like(s.name, reference) if wildcard else s.name.lower() == literal)
    ]
    if not matches:
        raise NotFound(
            "Snapshot", reference, f"Snapshot with name '{reference}' was not found on VM '{vm.name}'."
        )
    if len(matches) > 1:
        raise ShellError(
            f"The VM '{vm.name}' has {len(matches)} snapshots named '{reference}'; pass the snapshot object "
            "from Get-Snapshot instead."
        )
    return matches[0]


class _GuestCmdlet(Cmdlet):
    """Asks each VM's guest (through its tools) to do something; not a task: returns at once.

    Outputs the guest as it was when asked (PowerCLI's VMGuest), as the guest then goes on alone."""

    parameters = (
        Parameter("VM", VMS, position=0, mandatory=True, pipeline=True),
        Parameter("Confirm", SWITCH),
    )

    def request(self, client: Client, vm: VM) -> None:
        raise NotImplementedError

    def resolve_targets(self, items: list[object]) -> list[object]:
        """The VMs that the -VM names and objects stand for (what -WhatIf names, -Confirm asks about)."""
        return list(resolve_vms(self.ctx.client(), items))

    def process(self, args: BoundArguments) -> Iterator[object]:
        client = self.ctx.client()
        for vm in resolve_vms(client, args.items("VM")):
            guest = client.guest_info(vm.id)  # before the request: a guest shutting down has no tools
            self.request(client, vm)
            yield guest_object(vm, guest)


class StopVMGuest(_GuestCmdlet):
    """Stop-VMGuest [-VM] <VirtualMachine[]> [-Confirm]: asks the guest OS to shut down."""

    name = "Stop-VMGuest"
    synopsis = "Asks the guest operating system to shut down (needs VMware Tools)."
    examples = (("Stop-VMGuest web01 -Confirm:$false", "A clean shutdown of web01's guest."),)

    def request(self, client: Client, vm: VM) -> None:
        client.shutdown_guest(vm.id)


class RestartVMGuest(_GuestCmdlet):
    """Restart-VMGuest [-VM] <VirtualMachine[]> [-Confirm]: asks the guest OS to reboot."""

    name = "Restart-VMGuest"
    synopsis = "Asks the guest operating system to reboot (needs VMware Tools)."
    examples = (("Restart-VMGuest web01 -Confirm:$false", "Reboots web01's guest."),)

    def request(self, client: Client, vm: VM) -> None:
        client.reboot_guest(vm.id)


class GetVMGuest(_GuestCmdlet):
    """Get-VMGuest [-VM] <VirtualMachine[]>: the guest's state and its tools' status."""

    name = "Get-VMGuest"
    synopsis = "Gets the guest's state, OS, IP addresses and tools status."
    examples = (
        ("Get-VMGuest web01", "web01's guest."),
        ("Get-VMGuest web01 | Select-Object -ExpandProperty IPAddress", "Its IP addresses."),
    )

    def request(self, client: Client, vm: VM) -> None:
        return None


class _VmDevices(Cmdlet):
    """A cmdlet listing one kind of device of VMs, filtered by device name (wildcards)."""

    parameters = (
        Parameter("VM", VMS, position=0, mandatory=True, pipeline=True),
        Parameter("Name", STRINGS, position=1),
    )

    def devices(self, vm: VM) -> Iterator[PSObject]:
        raise NotImplementedError

    def process(self, args: BoundArguments) -> Iterator[object]:
        client = self.ctx.client()
        patterns = args.strings("Name")
        for ref in resolve_vms(client, args.items("VM")):
            for obj in self.devices(client.get_vm(ref.id)):
                if not patterns or any(like(str(obj.get("Name")), p) for p in patterns):
                    yield obj


class GetHardDisk(_VmDevices):
    """Get-HardDisk [-VM] <VirtualMachine[]> [[-Name] <String[]>]"""

    name = "Get-HardDisk"
    synopsis = "Gets the virtual disks of VMs."
    examples = (("Get-HardDisk -VM web01", "web01's disks: capacity, persistence, file."),)

    def devices(self, vm: VM) -> Iterator[PSObject]:
        for number, disk in enumerate(vm.disks, 1):
            yield hard_disk_object(vm, disk, number)


class GetNetworkAdapter(_VmDevices):
    """Get-NetworkAdapter [-VM] <VirtualMachine[]> [[-Name] <String[]>]"""

    name = "Get-NetworkAdapter"
    synopsis = "Gets the network adapters of VMs."
    examples = (("Get-NetworkAdapter -VM web01", "web01's adapters: type, network, MAC address."),)

    def devices(self, vm: VM) -> Iterator[PSObject]:
        for number, adapter in enumerate(vm.network_adapters, 1):
            yield network_adapter_object(vm, adapter, number)


CMDLETS: tuple[type[Cmdlet], ...] = (
    GetVM,
    NewVM,
    SetVM,
    StartVM,
    StopVM,
    SuspendVM,
    RestartVM,
    RemoveVM,
    StopVMGuest,
    RestartVMGuest,
    GetVMGuest,
    GetHardDisk,
    GetNetworkAdapter,
)

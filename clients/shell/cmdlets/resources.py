"""VM resource settings: Get-VMResourceConfiguration and Set-VMResourceConfiguration.

A VM's CPU (MHz) and memory (MB) shares, reservation and limit, as PowerCLI
shows them; a reservation set on a powered-on VM passes the host's admission
control (InsufficientResourcesFault otherwise, and nothing changes).
"""

from __future__ import annotations

from collections.abc import Iterator

from clients.model import VM, HardDisk, ResourceAllocation
from clients.shell.binding import BoundArguments, Parameter
from clients.shell.cmdlets.base import Cmdlet
from clients.shell.cmdlets.harddisk import DISKS
from clients.shell.cmdlets.vm import VMS, resolve_vms
from clients.shell.conversions import INT32, STRING, SWITCH, ArrayType, ParamType, shown
from clients.shell.devices import DeviceRef
from clients.shell.errors import ConversionError
from clients.shell.psobject import PSObject
from pyesx.faults import InvalidArgument

CONFIG_TYPE = "VMResourceConfiguration"


def _pascal(level: str) -> str:
    return level[:1].upper() + level[1:]


def resource_configuration(vm: VM) -> PSObject:
    """The VM's allocations as Get-VMResourceConfiguration shows them (-1: unlimited)."""
    cpu = vm.cpu_allocation or ResourceAllocation(0, -1, "normal", 1000 * vm.num_cpu)
    mem = vm.memory_allocation or ResourceAllocation(0, -1, "normal", 10 * vm.memory_mb)
    return PSObject(
        CONFIG_TYPE,
        [
            ("VM", vm.name),
            ("NumCpuShares", cpu.shares),
            ("CpuReservationMhz", cpu.reservation),
            ("CpuLimitMhz", cpu.limit),
            ("CpuSharesLevel", _pascal(cpu.shares_level)),
            ("NumMemShares", mem.shares),
            ("MemReservationMB", mem.reservation),
            ("MemLimitMB", mem.limit),
            ("MemSharesLevel", _pascal(mem.shares_level)),
            ("DiskResourceConfiguration", [_disk_configuration(d) for d in vm.disks]),
        ],
        base=vm,
        label=vm.name,
    )


def _disk_configuration(disk: HardDisk) -> PSObject:
    level = {500: "Low", 1000: "Normal", 2000: "High"}.get(disk.io_shares, "Custom")
    return PSObject(
        "DiskResourceConfiguration",
        [
            ("Key", disk.key),
            ("NumDiskShares", disk.io_shares),
            ("DiskSharesLevel", level),
            ("DiskLimitIOPerSecond", disk.io_limit),
            ("DiskReservationIOPerSecond", disk.io_reservation),
        ],
        base=disk,
        label=disk.key,
    )


def _configured_vm(value: object) -> VM:
    if isinstance(value, PSObject) and isinstance(value.base, VM):
        return value.base
    raise ConversionError(shown(value), CONFIG_TYPE)


CONFIGURATIONS = ArrayType(ParamType(CONFIG_TYPE, _configured_vm))


class GetVMResourceConfiguration(Cmdlet):
    """Get-VMResourceConfiguration [-VM] <VirtualMachine[]>"""

    name = "Get-VMResourceConfiguration"
    synopsis = "Gets a VM's CPU and memory reservations, limits and shares."
    examples = (("Get-VMResourceConfiguration -VM web01", "web01's resource settings."),)
    parameters = (Parameter("VM", VMS, position=0, mandatory=True, pipeline=True),)

    def process(self, args: BoundArguments) -> Iterator[object]:
        client = self.ctx.client()
        for vm in resolve_vms(client, args.items("VM")):
            yield resource_configuration(client.get_vm(vm.id))


class SetVMResourceConfiguration(Cmdlet):
    """Set-VMResourceConfiguration [-Configuration] <VMResourceConfiguration[]> [-CpuReservationMhz <Int>]
    [-CpuLimitMhz <Int>] [-CpuSharesLevel Low|Normal|High|Custom] [-NumCpuShares <Int>]
    [-MemReservationMB <Int>] [-MemLimitMB <Int>] [-MemSharesLevel …] [-NumMemShares <Int>]
    [-Disk <HardDisk[]> [-DiskSharesLevel …] [-NumDiskShares <Int>] [-DiskLimitIOPerSecond <Int>]]
    [-Confirm]

    A limit of -1 removes it. The disk options set the I/O allocation of the given disks (mClock
    on their datastore), in force at once on a running VM."""

    name = "Set-VMResourceConfiguration"
    synopsis = "Changes a VM's CPU and memory reservations, limits and shares."
    examples = (
        (
            "Get-VMResourceConfiguration -VM web01 | Set-VMResourceConfiguration -CpuReservationMhz "
            "500 -MemLimitMB 1024",
            "Reserves 500 MHz and caps memory at 1 GB.",
        ),
        (
            "Get-VM web* | Get-VMResourceConfiguration | Set-VMResourceConfiguration -CpuSharesLevel High",
            "High CPU shares for the web VMs.",
        ),
    )
    parameters = (
        Parameter("Configuration", CONFIGURATIONS, position=0, mandatory=True, pipeline=True),
        Parameter("CpuReservationMhz", INT32),
        Parameter("CpuLimitMhz", INT32),
        Parameter("CpuSharesLevel", STRING),
        Parameter("NumCpuShares", INT32),
        Parameter("MemReservationMB", INT32),
        Parameter("MemLimitMB", INT32),
        Parameter("MemSharesLevel", STRING),
        Parameter("NumMemShares", INT32),
        Parameter("Disk", DISKS),
        Parameter("DiskSharesLevel", STRING),
        Parameter("NumDiskShares", INT32),
        Parameter("DiskLimitIOPerSecond", INT32),
        Parameter("Confirm", SWITCH),
    )

    @staticmethod
    def _change(args: BoundArguments, prefix: str, unit: str) -> dict[str, int | str] | None:
        names = {
            "reservation": f"{prefix}Reservation{unit}",
            "limit": f"{prefix}Limit{unit}",
            "shares_level": f"{prefix}SharesLevel",
            "shares": f"Num{prefix}Shares",
        }
        change: dict[str, int | str] = {}
        for key, name in names.items():
            value = args.get(name)
            if isinstance(value, int | str):
                change[key] = value
        if "shares" in change and "shares_level" not in change:
            change["shares_level"] = "custom"
        if "shares_level" in change:
            change["shares_level"] = str(change["shares_level"]).lower()
        return change or None

    @staticmethod
    def _disk_changes(args: BoundArguments, vm: VM) -> list[dict[str, int | str]] | None:
        io: dict[str, int | str] = {}
        if "DiskSharesLevel" in args:
            io["io_shares_level"] = args.string("DiskSharesLevel").lower()
        if "NumDiskShares" in args:
            io["io_shares"] = args.integer("NumDiskShares")
            io.setdefault("io_shares_level", "custom")
        if "DiskLimitIOPerSecond" in args:
            io["io_limit"] = args.integer("DiskLimitIOPerSecond")
        disks = [d for d in args.items("Disk") if isinstance(d, DeviceRef) and d.vm_id == vm.id]
        if io and not args.items("Disk"):
            raise InvalidArgument("Disk", "the disk options need -Disk (from Get-HardDisk)")
        return [{"key": d.key, **io} for d in disks] if io and disks else None

    def process(self, args: BoundArguments) -> Iterator[object]:
        client = self.ctx.client()
        cpu, memory = self._change(args, "Cpu", "Mhz"), self._change(args, "Mem", "MB")
        for item in args.items("Configuration"):
            vm = item if isinstance(item, VM) else resolve_vms(client, [item])[0]
            task = client.reconfigure_vm(
                vm.id, cpu_allocation=cpu, memory_allocation=memory, change_disks=self._disk_changes(args, vm)
            )
            client.wait_for_task(task.id)
            yield resource_configuration(client.get_vm(vm.id))


CMDLETS: tuple[type[Cmdlet], ...] = (GetVMResourceConfiguration, SetVMResourceConfiguration)

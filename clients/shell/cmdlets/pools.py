"""Resource pools: Get-ResourcePool, New-ResourcePool, Set-ResourcePool, Remove-ResourcePool,
Move-ResourcePool, and Move-VM -Destination <pool>.

Pools are shown as PowerCLI shows them (CpuSharesLevel, NumCpuShares, CpuReservationMHz,
CpuLimitMHz, CpuExpandableReservation, Mem… ; -1: unlimited). The host's root pool is "Resources";
it can be listed and used as a -Location, not changed. Reservations pass the host's admission
control (InsufficientResourcesFault, and nothing changes).
"""

from __future__ import annotations

from collections.abc import Iterator

from clients.model import ResourcePool
from clients.shell.binding import BoundArguments, Parameter
from clients.shell.cmdlets.base import Cmdlet
from clients.shell.cmdlets.poolrefs import (
    POOL,
    POOLS,
    match_pools,
    pools_below,
    resolve_pool,
    resolve_pools,
)
from clients.shell.cmdlets.vm import VMS, missing, resolve_vms
from clients.shell.conversions import BOOLEAN, DOUBLE, INT32, STRING, STRINGS, SWITCH
from clients.shell.errors import ShellError
from clients.shell.psobject import PSObject
from clients.shell.session import Client
from clients.shell.views import POOL_ID_PREFIX, pool_object, vm_object

Change = dict[str, int | str | bool]

#: the allocation parameters of New-ResourcePool and Set-ResourcePool
ALLOCATION_PARAMETERS = (
    Parameter("CpuSharesLevel", STRING),
    Parameter("NumCpuShares", INT32),
    Parameter("CpuReservationMhz", INT32),
    Parameter("CpuLimitMhz", INT32),
    Parameter("CpuExpandableReservation", BOOLEAN),
    Parameter("MemSharesLevel", STRING),
    Parameter("NumMemShares", INT32),
    Parameter("MemReservationMB", INT32),
    Parameter("MemReservationGB", DOUBLE),
    Parameter("MemLimitMB", INT32),
    Parameter("MemLimitGB", DOUBLE),
    Parameter("MemExpandableReservation", BOOLEAN),
)


def _mb(args: BoundArguments, mb: str, gb: str) -> int | None:
    if mb in args and gb in args:
        raise ShellError(f"Parameters -{mb} and -{gb} cannot be used together.")
    if mb in args:
        return args.integer(mb)
    if gb in args:
        value = args.number(gb)
        return -1 if value == -1 else round(value * 1024)
    return None


def allocation_changes(args: BoundArguments) -> tuple[Change | None, Change | None]:
    """The CPU and memory allocation changes the arguments ask for (None: no change)."""
    out: list[Change | None] = []
    for prefix, reservation, limit in (
        ("Cpu", args.get("CpuReservationMhz"), args.get("CpuLimitMhz")),
        ("Mem", _mb(args, "MemReservationMB", "MemReservationGB"), _mb(args, "MemLimitMB", "MemLimitGB")),
    ):
        change: Change = {}
        if isinstance(reservation, int):
            change["reservation"] = reservation
        if isinstance(limit, int):
            change["limit"] = limit
        level, number = args.get(f"{prefix}SharesLevel"), args.get(f"Num{prefix}Shares")
        if isinstance(level, str):
            change["shares_level"] = level.lower()
        if isinstance(number, int):
            change["shares"] = number
            change.setdefault("shares_level", "custom")
        expandable = args.get(f"{prefix}ExpandableReservation")
        if isinstance(expandable, bool):
            change["expandable_reservation"] = expandable
        out.append(change or None)
    return out[0], out[1]


def pool_objects(client: Client, pools: list[ResourcePool]) -> Iterator[PSObject]:
    by_id = {p.id: p for p in client.list_resource_pools()}
    for pool in pools:
        yield pool_object(pool, by_id.get(pool.parent_id))


class GetResourcePool(Cmdlet):
    """Get-ResourcePool [[-Name] <String[]>] [-Location <ResourcePool|VMHost>] [-NoRecursion]
    | -Id <String[]>

    With -Location, the pools under it (all of them, or its children with -NoRecursion)."""

    name = "Get-ResourcePool"
    synopsis = "Gets resource pools, by name, id or location."
    examples = (
        ("Get-ResourcePool", "Every pool, the root pool Resources first."),
        ("Get-ResourcePool -Location Resources -NoRecursion", "The pools directly under the root."),
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
        pools = client.list_resource_pools()
        if "Id" in args:
            ids = [f"{POOL_ID_PREFIX}{i.removeprefix(POOL_ID_PREFIX)}" for i in args.strings("Id")]
            chosen = resolve_pools(client, ids)
        else:
            if "Location" in args:
                location = resolve_pool(client, args.get("Location"), "Location")
                pools = pools_below(pools, location.id, recursive=not args.flag("NoRecursion"))
            patterns = args.strings("Name")
            chosen = match_pools(pools, patterns) if patterns else pools
        yield from pool_objects(client, chosen)


class NewResourcePool(Cmdlet):
    """New-ResourcePool -Name <String> -Location <ResourcePool|VMHost> [-CpuSharesLevel …]
    [-NumCpuShares <Int>] [-CpuReservationMhz <Int>] [-CpuLimitMhz <Int>]
    [-CpuExpandableReservation <Bool>] [-MemSharesLevel …] [-NumMemShares <Int>]
    [-MemReservationMB <Int> | -MemReservationGB <Double>] [-MemLimitMB <Int> | -MemLimitGB <Double>]
    [-MemExpandableReservation <Bool>]

    A new pool takes normal shares, no reservation, no limit and expandable reservations unless told."""

    name = "New-ResourcePool"
    synopsis = "Creates a resource pool."
    examples = (
        (
            "New-ResourcePool -Name gold -Location Resources -CpuSharesLevel High -MemReservationMB 512",
            "A pool with high CPU shares and 512 MB reserved.",
        ),
    )
    parameters = (
        Parameter("Name", STRING, position=0),
        Parameter("Location", POOL),
        *ALLOCATION_PARAMETERS,
    )

    def process(self, args: BoundArguments) -> Iterator[object]:
        for required in ("Name", "Location"):
            if required not in args:
                raise missing(required)
        client = self.ctx.client()
        parent = resolve_pool(client, args.get("Location"), "Location")
        cpu, memory = allocation_changes(args)
        pool = client.create_resource_pool(
            args.string("Name"), parent.id, cpu_allocation=cpu, memory_allocation=memory
        )
        yield from pool_objects(client, [pool])


class SetResourcePool(Cmdlet):
    """Set-ResourcePool [-ResourcePool] <ResourcePool[]> [-Name <String>] [allocation parameters of
    New-ResourcePool] [-Confirm]"""

    name = "Set-ResourcePool"
    synopsis = "Changes a resource pool's name or allocation."
    examples = (("Set-ResourcePool gold -CpuLimitMhz 2000 -Confirm:$false", "Caps the pool at 2000 MHz."),)
    parameters = (
        Parameter("ResourcePool", POOLS, position=0, mandatory=True, pipeline=True),
        Parameter("Name", STRING),
        *ALLOCATION_PARAMETERS,
        Parameter("Confirm", SWITCH),
    )

    def process(self, args: BoundArguments) -> Iterator[object]:
        client = self.ctx.client()
        cpu, memory = allocation_changes(args)
        name = args.string("Name") if "Name" in args else None
        for pool in resolve_pools(client, args.items("ResourcePool")):
            updated = client.update_resource_pool(
                pool.id, name=name, cpu_allocation=cpu, memory_allocation=memory
            )
            yield from pool_objects(client, [updated])


class RemoveResourcePool(Cmdlet):
    """Remove-ResourcePool [-ResourcePool] <ResourcePool[]> [-Confirm]: only an empty pool."""

    name = "Remove-ResourcePool"
    synopsis = "Removes empty resource pools."
    examples = (("Remove-ResourcePool gold -Confirm:$false", "Removes the pool gold."),)
    parameters = (
        Parameter("ResourcePool", POOLS, position=0, mandatory=True, pipeline=True),
        Parameter("Confirm", SWITCH),
    )

    def process(self, args: BoundArguments) -> Iterator[object]:
        client = self.ctx.client()
        for pool in resolve_pools(client, args.items("ResourcePool")):
            client.delete_resource_pool(pool.id)
        return iter(())


class MoveResourcePool(Cmdlet):
    """Move-ResourcePool [-ResourcePool] <ResourcePool[]> [-Destination] <ResourcePool|VMHost>"""

    name = "Move-ResourcePool"
    synopsis = "Moves resource pools under another pool."
    examples = (("Move-ResourcePool silver -Destination gold", "silver becomes a child of gold."),)
    parameters = (
        Parameter("ResourcePool", POOLS, position=0, mandatory=True, pipeline=True),
        Parameter("Destination", POOL, position=1),
        Parameter("Confirm", SWITCH),
    )

    def process(self, args: BoundArguments) -> Iterator[object]:
        if "Destination" not in args:
            raise missing("Destination")
        client = self.ctx.client()
        destination = resolve_pool(client, args.get("Destination"), "Destination")
        pools = resolve_pools(client, args.items("ResourcePool"))
        client.move_into_resource_pool(destination.id, [p.id for p in pools])
        by_id = {p.id: p for p in client.list_resource_pools()}
        yield from pool_objects(client, [by_id[p.id] for p in pools])


class MoveVM(Cmdlet):
    """Move-VM [-VM] <VirtualMachine[]> [-Destination] <ResourcePool|VMHost> [-Confirm]

    A powered-on VM's reservations must fit in the destination (InsufficientResourcesFault)."""

    name = "Move-VM"
    synopsis = "Moves VMs into a resource pool."
    examples = (("Move-VM web01 -Destination gold", "web01 now draws on gold's resources."),)
    parameters = (
        Parameter("VM", VMS, position=0, mandatory=True, pipeline=True),
        Parameter("Destination", POOL, position=1),
        Parameter("Confirm", SWITCH),
    )

    def process(self, args: BoundArguments) -> Iterator[object]:
        if "Destination" not in args:
            raise missing("Destination")
        client = self.ctx.client()
        destination = resolve_pool(client, args.get("Destination"), "Destination")
        vms = resolve_vms(client, args.items("VM"))
        client.move_into_resource_pool(destination.id, [vm.id for vm in vms])
        for vm in vms:
            yield vm_object(client.get_vm(vm.id))


CMDLETS: tuple[type[Cmdlet], ...] = (
    GetResourcePool,
    NewResourcePool,
    SetResourcePool,
    RemoveResourcePool,
    MoveResourcePool,
    MoveVM,
)

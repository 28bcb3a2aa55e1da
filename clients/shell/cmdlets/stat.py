"""Get-Stat and Get-StatType: the host's realtime performance statistics, as PowerCLI shows them.

Counters are named ``group.counter.rollup`` (``cpu.usage.average``). The host keeps
realtime samples only (every 20 s, an hour of them), so -Realtime, -IntervalSecs
and -IntervalMins all select them, as PowerCLI picks the closest interval there is.
"""

from __future__ import annotations

from collections.abc import Iterator

from clients.model import HOST_ENTITY_ID, VM, Host, PerfCatalogue, PerfSample
from clients.shell.binding import BoundArguments, Parameter
from clients.shell.cmdlets.base import Cmdlet, CommandContext
from clients.shell.cmdlets.vm import match_names
from clients.shell.conversions import DATETIME, INT32, INT32S, STRINGS, SWITCH, ArrayType, ParamType, shown
from clients.shell.errors import ConversionError, ShellError
from clients.shell.psobject import PSObject
from clients.shell.session import Client
from clients.shell.views import stat_object
from clients.shell.wildcard import is_wildcard, like, unescape
from pyesx.faults import NotFound

#: the counter sets of -Common, -Cpu and -Memory (PowerCLI's); Get-Stat takes those the host collects
COMMON = (
    "cpu.usage.average",
    "cpu.usagemhz.average",
    "mem.usage.average",
    "disk.usage.average",
    "net.usage.average",
    "sys.uptime.latest",
)
CPU = ("cpu.usage.average", "cpu.usagemhz.average")
MEMORY = ("mem.usage.average", "mem.vmmemctl.average", "mem.active.average", "mem.granted.average")
HOST_TYPE, VM_TYPE = "HostSystem", "VirtualMachine"


def _entity_reference(value: object) -> VM | Host | str:
    if isinstance(value, PSObject) and isinstance(value.base, VM | Host):
        return value.base
    if isinstance(value, str):
        return value
    raise ConversionError(shown(value), "VIObject")


#: -Entity: VM and VMHost objects, or names (wildcards allowed) of VMs or of the host
ENTITIES = ArrayType(ParamType("VIObject", _entity_reference))


def resolve_entities(client: Client, references: list[object]) -> list[VM | Host]:
    """Objects as they are; a name is the host's (when it matches) or VMs'; each entity once."""
    found: dict[str, VM | Host] = {}
    host: Host | None = None
    inventory: list[VM] | None = None
    for ref in references:
        if isinstance(ref, VM | Host):
            found.setdefault(ref.id if isinstance(ref, VM) else HOST_ENTITY_ID, ref)
            continue
        name = str(ref)
        host = host or client.host()
        if like(host.name, name) if is_wildcard(name) else unescape(name).lower() == host.name.lower():
            found.setdefault(HOST_ENTITY_ID, host)
            if not is_wildcard(name):
                continue
        inventory = client.list_vms() if inventory is None else inventory
        try:
            vms = match_names(inventory, [name])
        except NotFound:
            raise NotFound(
                "VIObject", name, f"Could not find VIObject with name '{unescape(name)}'."
            ) from None
        for vm in vms:
            found.setdefault(vm.id, vm)
    return list(found.values())


def _entity_id(entity: VM | Host) -> str:
    return entity.id if isinstance(entity, VM) else HOST_ENTITY_ID


def _entity_type(entity: VM | Host) -> str:
    return VM_TYPE if isinstance(entity, VM) else HOST_TYPE


def _collected(catalogue: PerfCatalogue, entity: VM | Host) -> list[str]:
    kind = _entity_type(entity)
    return [c.name for c in catalogue.counters if c.collected and kind in c.entity_types]


class GetStat(Cmdlet):
    """Get-Stat [-Entity] <VIObject[]> [-Common] [-Cpu] [-Memory] [-Stat <String[]>] [-Realtime]
    [-Start <DateTime>] [-Finish <DateTime>] [-MaxSamples <Int32>] [-IntervalSecs <Int32[]>]
    [-IntervalMins <Int32[]>] [-Instance <String[]>]

    Outputs one sample object per counter, instance and time, newest first; Instance is "" for
    the aggregate and the vCPU's number for a per-vCPU value. Without -Stat, -Cpu or -Memory it
    takes the -Common counters the host collects."""

    name = "Get-Stat"
    synopsis = "Gets performance statistics (realtime samples) of the host or VMs."
    examples = (
        ("Get-Stat -Entity web01 -Cpu -Realtime -MaxSamples 3", "web01's last three CPU samples."),
        ("Get-Stat -Entity web01 -Stat mem.usage.average -Realtime", "One counter."),
    )
    parameters = (
        Parameter("Entity", ENTITIES, position=0, mandatory=True, pipeline=True),
        Parameter("Common", SWITCH),
        Parameter("Cpu", SWITCH),
        Parameter("Memory", SWITCH),
        Parameter("Stat", STRINGS),
        Parameter("Realtime", SWITCH),
        Parameter("Start", DATETIME),
        Parameter("Finish", DATETIME),
        Parameter("MaxSamples", INT32),
        Parameter("IntervalSecs", INT32S),
        Parameter("IntervalMins", INT32S),
        Parameter("Instance", STRINGS),
    )

    def __init__(self, ctx: CommandContext) -> None:
        super().__init__(ctx)
        self._catalogue: PerfCatalogue | None = None

    def _counters(self, client: Client, args: BoundArguments, entity: VM | Host) -> list[str]:
        explicit = args.strings("Stat")
        sets = [s for flag, s in (("Common", COMMON), ("Cpu", CPU), ("Memory", MEMORY)) if args.flag(flag)]
        if explicit and not sets:
            return explicit
        if self._catalogue is None:
            self._catalogue = client.perf_counters()
        collected = _collected(self._catalogue, entity)
        wanted = [name for chosen in sets or [COMMON] for name in chosen if name in collected]
        return list(dict.fromkeys([*explicit, *wanted]))

    def process(self, args: BoundArguments) -> Iterator[object]:
        client = self.ctx.client()
        limit = args.integer("MaxSamples", 0)
        if limit < 0:
            raise ShellError(
                f"Cannot validate argument on parameter 'MaxSamples'. The {limit} argument is less than the "
                "minimum allowed range of 0."
            )
        instances = args.strings("Instance")
        for entity in resolve_entities(client, args.items("Entity")):
            counters = self._counters(client, args, entity)
            if not counters:
                continue
            samples = client.query_perf(
                _entity_id(entity), counters, limit, args.date("Start"), args.date("Finish")
            )
            series: dict[tuple[str, str], list[PerfSample]] = {}
            for sample in samples:
                if not instances or any(like(sample.instance, p) for p in instances):
                    series.setdefault((sample.counter, sample.instance), []).append(sample)
            for points in series.values():
                for sample in reversed(points):  # newest first, as PowerCLI
                    yield stat_object(sample, entity)


class GetStatType(Cmdlet):
    """Get-StatType [-Entity] <VIObject[]> [-Name <String[]>] [-Realtime]

    The names of the counters the host samples for the entities (wildcards in -Name)."""

    name = "Get-StatType"
    synopsis = "Lists the statistics counters available for an entity."
    examples = (("Get-StatType -Entity web01 -Realtime", "web01's counters."),)
    parameters = (
        Parameter("Entity", ENTITIES, position=0, mandatory=True, pipeline=True),
        Parameter("Name", STRINGS),
        Parameter("Realtime", SWITCH),
    )

    def __init__(self, ctx: CommandContext) -> None:
        super().__init__(ctx)
        self._shown: set[str] = set()

    def process(self, args: BoundArguments) -> Iterator[object]:
        client = self.ctx.client()
        catalogue = client.perf_counters()
        patterns = args.strings("Name")
        for entity in resolve_entities(client, args.items("Entity")):
            for name in _collected(catalogue, entity):
                if name not in self._shown and (not patterns or any(like(name, p) for p in patterns)):
                    self._shown.add(name)
                    yield name


CMDLETS: tuple[type[Cmdlet], ...] = (GetStat, GetStatType)

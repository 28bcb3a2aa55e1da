"""Get-VIEvent: the host's event log, newest first."""

from __future__ import annotations

from collections.abc import Iterator

from clients.model import Event
from clients.shell.binding import BoundArguments, Parameter
from clients.shell.cmdlets.base import Cmdlet
from clients.shell.cmdlets.vm import VMS, resolve_vms
from clients.shell.conversions import DATETIME, INT32, STRING, ArrayType, ParamType
from clients.shell.errors import ConversionError, ShellError
from clients.shell.values import to_string
from clients.shell.views import event_object

#: PowerCLI's EventCategory values for -Types
SEVERITIES = ("Error", "Info", "Warning")
DEFAULT_MAX_SAMPLES = 100  # as PowerCLI

#: event types that are not informational (vSphere's categories for the events pyesx records)
_ERRORS = frozenset({"VmFailedToPowerOnEvent", "VmDiedEvent"})
_WARNINGS = frozenset({"HostdRestartedEvent", "VmOrphanedEvent", "VmDisconnectedEvent"})


def severity(event_type: str) -> str:
    """The category of an event type: ``Error``, ``Warning`` or ``Info``."""
    if event_type in _ERRORS or "Failed" in event_type:
        return "Error"
    if event_type in _WARNINGS:
        return "Warning"
    return "Info"


def _event_type(value: object) -> str:
    """A -Types value: a category (any case) or an event type's name (``VmPoweredOnEvent``)."""
    text = to_string(value)
    for category in SEVERITIES:
        if category.lower() == text.lower():
            return category
    if text.lower().endswith("event") and text.isascii() and text.isalnum():
        return text
    raise ConversionError(
        text,
        "EventCategory",
        f"Possible values are: {', '.join(SEVERITIES)}, or an event type such as VmPoweredOnEvent.",
    )


EVENT_TYPES = ArrayType(ParamType("EventCategory", _event_type))


class GetVIEvent(Cmdlet):
    """Get-VIEvent [[-Entity] <VirtualMachine[]>] [-Start <DateTime>] [-Finish <DateTime>]
    [-Username <String>] [-MaxSamples <Int32>] [-Types <EventCategory[]>]

    -Types takes categories (Error, Info, Warning) and event type names (VmPoweredOnEvent); an
    event shows when it matches any of them. -MaxSamples defaults to 100; 0 means all."""

    name = "Get-VIEvent"
    synopsis = "Gets the host's events, newest first."
    examples = (
        ("Get-VIEvent -MaxSamples 10", "The ten newest events."),
        ("Get-VIEvent -Entity web01 -Types Error", "web01's error events."),
    )
    parameters = (
        Parameter("Entity", VMS, position=0, pipeline=True),
        Parameter("Start", DATETIME),
        Parameter("Finish", DATETIME),
        Parameter("Username", STRING, aliases=("User",)),
        Parameter("MaxSamples", INT32),
        Parameter("Types", EVENT_TYPES),
    )

    def process(self, args: BoundArguments) -> Iterator[object]:
        client = self.ctx.client()
        limit = args.integer("MaxSamples", DEFAULT_MAX_SAMPLES)
        if limit < 0:
            raise ShellError(
                f"Cannot validate argument on parameter 'MaxSamples'. The {limit} argument is less than the "
                "minimum allowed range of 0."
            )
        wanted = args.strings("Types")
        categories = {t for t in wanted if t in SEVERITIES}
        types = [t for t in wanted if t not in SEVERITIES]
        user = args.string("Username")
        local = bool(categories) or bool(user)  # filters the host cannot apply: take all, then filter
        begin, end = args.date("Start"), args.date("Finish")
        vm_ids = [vm.id for vm in resolve_vms(client, args.items("Entity"))] if "Entity" in args else [""]
        found: dict[int, Event] = {}
        for vm_id in vm_ids:
            for event in client.events(
                vm_id=vm_id,
                types=None if local else types or None,
                max_count=0 if local else limit,
                begin=begin,
                end=end,
            ):
                found.setdefault(event.key, event)
        events = sorted(found.values(), key=lambda e: e.key, reverse=True)
        if categories or types:
            named = {t.lower() for t in types}
            events = [e for e in events if e.type.lower() in named or severity(e.type) in categories]
        if user:
            events = [e for e in events if e.user.lower() == user.lower()]
        for event in events[:limit] if limit else events:
            yield event_object(event)


CMDLETS: tuple[type[Cmdlet], ...] = (GetVIEvent,)

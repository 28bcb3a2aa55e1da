"""VM autostart: Get-/Set-VMStartPolicy (one VM's entry) and Get-/Set-VMHostStartPolicy (the host's
defaults, with -Enabled). After the host boots, VMs whose StartAction is PowerOn start in StartOrder
with their StartDelay; at shutdown their StopAction runs in reverse order."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

from clients.hostops import AutoPowerInfo, AutoStartConfig, AutoStartDefaults
from clients.model import VM
from clients.shell.binding import BoundArguments, Parameter
from clients.shell.cmdlets.base import Cmdlet
from clients.shell.cmdlets.hostops import VMHOSTS, resolve_host
from clients.shell.cmdlets.vm import VMS, resolve_vms
from clients.shell.conversions import BOOLEAN, INT32, STRING, SWITCH, ArrayType, ParamType, shown
from clients.shell.errors import ConversionError
from clients.shell.psobject import PSObject
from pyesx.faults import InvalidArgument

START_ACTIONS = {"poweron": "powerOn", "none": "none"}
STOP_ACTIONS = {
    "poweroff": "powerOff",
    "guestshutdown": "guestShutdown",
    "suspend": "suspend",
    "none": "none",
}
_SHOWN = {"powerOn": "PowerOn", "none": "None", "powerOff": "PowerOff", "guestShutdown": "GuestShutdown",
          "suspend": "Suspend"}  # fmt: skip


def _choice(argument: str, text: str, allowed: dict[str, str]) -> str:
    value = allowed.get(text.lower())
    if value is None:
        names = ", ".join(_SHOWN[v] for v in allowed.values())
        raise InvalidArgument(argument, f"'{text}' is not one of {names}")
    return value


def start_policy_object(vm: VM, info: AutoPowerInfo, defaults: AutoStartDefaults) -> PSObject:
    """One VM's start policy as Get-VMStartPolicy shows it (inherited values resolved)."""
    stop_action = defaults.stop_action if info.stop_action == "systemDefault" else info.stop_action
    heartbeat = (
        defaults.wait_for_heartbeat
        if info.wait_for_heartbeat == "systemDefault"
        else info.wait_for_heartbeat == "yes"
    )
    return PSObject(
        "VMStartPolicy",
        [
            ("VM", vm.name),
            ("StartAction", _SHOWN[info.start_action]),
            ("StartOrder", info.start_order if info.start_order > 0 else None),
            ("StartDelay", defaults.start_delay if info.start_delay == -1 else info.start_delay),
            ("StopAction", _SHOWN[stop_action]),
            ("StopDelay", defaults.stop_delay if info.stop_delay == -1 else info.stop_delay),
            ("WaitForHeartBeat", heartbeat),
            ("InheritStartDelayFromHost", info.start_delay == -1),
            ("InheritStopActionFromHost", info.stop_action == "systemDefault"),
            ("InheritStopDelayFromHost", info.stop_delay == -1),
            ("InheritWaitForHeartbeatFromHost", info.wait_for_heartbeat == "systemDefault"),
            ("VirtualMachineId", vm.id),
        ],
        base=info,
        label=vm.name,
    )


def host_start_policy_object(host_name: str, defaults: AutoStartDefaults) -> PSObject:
    """The host's autostart defaults as Get-VMHostStartPolicy shows them."""
    return PSObject(
        "VMHostStartPolicy",
        [
            ("VMHost", host_name),
            ("Enabled", defaults.enabled),
            ("StartDelay", defaults.start_delay),
            ("StopAction", _SHOWN[defaults.stop_action]),
            ("StopDelay", defaults.stop_delay),
            ("WaitForHeartBeat", defaults.wait_for_heartbeat),
        ],
        base=defaults,
        label=host_name,
    )


def _entries(config: AutoStartConfig) -> dict[str, AutoPowerInfo]:
    return {p.vm_id: p for p in config.power_info}


def _named(item: object, label: str) -> PSObject:
    """A target as -WhatIf and -Confirm name it."""
    return PSObject("Target", [("Name", label)], base=item, label=label)


def _unwrap(items: list[object]) -> list[object]:
    return [item.base if isinstance(item, PSObject) else item for item in items]


class GetVMStartPolicy(Cmdlet):
    """Get-VMStartPolicy [[-VM] <VirtualMachine[]>]: every VM's when -VM is left out."""

    name = "Get-VMStartPolicy"
    synopsis = "Gets VMs' start policies: start action, order and delay, stop action and delay."
    examples = (
        ("Get-VMStartPolicy", "Every VM's start policy."),
        ("Get-VMStartPolicy -VM web01 | Select-Object StartAction, StartOrder", "web01's."),
    )
    parameters = (Parameter("VM", VMS, position=0, pipeline=True),)

    def process(self, args: BoundArguments) -> Iterator[object]:
        client = self.ctx.client()
        vms = resolve_vms(client, args.items("VM")) if "VM" in args else client.list_vms()
        config = client.autostart()
        entries = _entries(config)
        for vm in vms:
            yield start_policy_object(vm, entries.get(vm.id, AutoPowerInfo(vm.id, vm.name)), config.defaults)


def _policy(value: object) -> AutoPowerInfo:
    if isinstance(value, PSObject) and isinstance(value.base, AutoPowerInfo):
        return value.base
    raise ConversionError(shown(value), "VMStartPolicy")


START_POLICIES = ArrayType(ParamType("VMStartPolicy", _policy))


class SetVMStartPolicy(Cmdlet):
    """Set-VMStartPolicy [-StartPolicy] <VMStartPolicy[]> [-StartAction <PowerOn|None>]
    [-StartOrder <Int32>] [-UnspecifiedStartOrder] [-StartDelay <Int32>]
    [-StopAction <PowerOff|GuestShutdown|Suspend|None>] [-StopDelay <Int32>] [-WaitForHeartBeat <Boolean>]
    [-InheritStartDelayFromHost] [-InheritStopActionFromHost] [-InheritStopDelayFromHost]
    [-InheritWaitForHeartbeatFromHost] [-Confirm] [-WhatIf]"""

    name = "Set-VMStartPolicy"
    synopsis = "Changes VMs' start policies (what happens to them when the host boots and shuts down)."
    examples = (
        (
            "Get-VMStartPolicy web01 | Set-VMStartPolicy -StartAction PowerOn -StartOrder 1 -StartDelay 0",
            "web01 starts first after the host boots.",
        ),
        (
            "Get-VMStartPolicy db01 | Set-VMStartPolicy -StopAction GuestShutdown -StopDelay 60",
            "db01's guest is shut down at host shutdown (powered off after 60 s).",
        ),
    )
    parameters = (
        Parameter("StartPolicy", START_POLICIES, position=0, mandatory=True, pipeline=True),
        Parameter("StartAction", STRING),
        Parameter("StartOrder", INT32),
        Parameter("UnspecifiedStartOrder", SWITCH),
        Parameter("StartDelay", INT32),
        Parameter("StopAction", STRING),
        Parameter("StopDelay", INT32),
        Parameter("WaitForHeartBeat", BOOLEAN),
        Parameter("InheritStartDelayFromHost", SWITCH),
        Parameter("InheritStopActionFromHost", SWITCH),
        Parameter("InheritStopDelayFromHost", SWITCH),
        Parameter("InheritWaitForHeartbeatFromHost", SWITCH),
        Parameter("Confirm", SWITCH),
    )

    def resolve_targets(self, items: list[object]) -> list[object]:
        """The policies, named by their VM."""
        return [_named(p, p.vm_name) if isinstance(p, AutoPowerInfo) else p for p in items]

    def _changes(self, args: BoundArguments) -> dict[str, Any]:
        changes: dict[str, Any] = {}
        if "StartAction" in args:
            changes["start_action"] = _choice("StartAction", args.string("StartAction"), START_ACTIONS)
        if "StopAction" in args:
            changes["stop_action"] = _choice("StopAction", args.string("StopAction"), STOP_ACTIONS)
        if "StartOrder" in args:
            changes["start_order"] = args.integer("StartOrder")
        if "StartDelay" in args:
            changes["start_delay"] = args.integer("StartDelay")
        if "StopDelay" in args:
            changes["stop_delay"] = args.integer("StopDelay")
        if "WaitForHeartBeat" in args:
            changes["wait_for_heartbeat"] = "yes" if args.get("WaitForHeartBeat") else "no"
        inherited = (
            ("UnspecifiedStartOrder", "start_order", -1),
            ("InheritStartDelayFromHost", "start_delay", -1),
            ("InheritStopActionFromHost", "stop_action", "systemDefault"),
            ("InheritStopDelayFromHost", "stop_delay", -1),
            ("InheritWaitForHeartbeatFromHost", "wait_for_heartbeat", "systemDefault"),
        )
        for switch, field, value in inherited:
            if args.flag(switch):
                changes[field] = value
        return changes

    def process(self, args: BoundArguments) -> Iterator[object]:
        client = self.ctx.client()
        changes = self._changes(args)
        policies = [p for p in _unwrap(args.items("StartPolicy")) if isinstance(p, AutoPowerInfo)]
        current = _entries(client.autostart())
        updated = [dataclasses.replace(current.get(p.vm_id, p), **changes) for p in policies]
        config = client.reconfigure_autostart(power_info=updated)
        entries = _entries(config)
        for policy in policies:
            vm = client.get_vm(policy.vm_id)
            yield start_policy_object(vm, entries.get(vm.id, AutoPowerInfo(vm.id, vm.name)), config.defaults)


class GetVMHostStartPolicy(Cmdlet):
    """Get-VMHostStartPolicy [[-VMHost] <VMHost[]>]"""

    name = "Get-VMHostStartPolicy"
    synopsis = "Gets the host's autostart defaults: whether autostart is enabled, delays, stop action."
    examples = (("Get-VMHostStartPolicy", "Whether VMs start with the host, and the default delays."),)
    parameters = (Parameter("VMHost", VMHOSTS, position=0, pipeline=True),)

    def process(self, args: BoundArguments) -> Iterator[object]:
        client = self.ctx.client()
        host = resolve_host(client, args.items("VMHost"))
        yield host_start_policy_object(host.name, client.autostart().defaults)


def _host_policy(value: object) -> AutoStartDefaults:
    if isinstance(value, PSObject) and isinstance(value.base, AutoStartDefaults):
        return value.base
    raise ConversionError(shown(value), "VMHostStartPolicy")


class SetVMHostStartPolicy(Cmdlet):
    """Set-VMHostStartPolicy [[-VMHostStartPolicy] <VMHostStartPolicy[]>] [-Enabled <Boolean>]
    [-StartDelay <Int32>] [-StopAction <PowerOff|GuestShutdown|Suspend|None>] [-StopDelay <Int32>]
    [-WaitForHeartBeat <Boolean>] [-Confirm] [-WhatIf]"""

    name = "Set-VMHostStartPolicy"
    synopsis = "Changes the host's autostart defaults (-Enabled turns autostart on or off)."
    examples = (
        ("Get-VMHostStartPolicy | Set-VMHostStartPolicy -Enabled $true", "Turns autostart on."),
        (
            "Set-VMHostStartPolicy -StopAction GuestShutdown -StopDelay 300",
            "Shuts guests down at host shutdown.",
        ),
    )
    parameters = (
        Parameter(
            "VMHostStartPolicy", ArrayType(ParamType("VMHostStartPolicy", _host_policy)), 0, pipeline=True
        ),
        Parameter("Enabled", BOOLEAN),
        Parameter("StartDelay", INT32),
        Parameter("StopAction", STRING),
        Parameter("StopDelay", INT32),
        Parameter("WaitForHeartBeat", BOOLEAN),
        Parameter("Confirm", SWITCH),
    )

    target_parameter = "VMHostStartPolicy"

    def resolve_targets(self, items: list[object]) -> list[object]:
        """The host's policy, named by the host."""
        return [_named(item, self.ctx.client().host().name) for item in items or [None]]

    def process(self, args: BoundArguments) -> Iterator[object]:
        client = self.ctx.client()
        changes: dict[str, Any] = {}
        if "Enabled" in args:
            changes["enabled"] = bool(args.get("Enabled"))
        if "WaitForHeartBeat" in args:
            changes["wait_for_heartbeat"] = bool(args.get("WaitForHeartBeat"))
        if "StopAction" in args:
            changes["stop_action"] = _choice("StopAction", args.string("StopAction"), STOP_ACTIONS)
        for name, field in (("StartDelay", "start_delay"), ("StopDelay", "stop_delay")):
            if name in args:
                changes[field] = args.integer(name)
        defaults = dataclasses.replace(client.autostart().defaults, **changes)
        config = client.reconfigure_autostart(defaults=defaults)
        yield host_start_policy_object(client.host().name, config.defaults)


CMDLETS: tuple[type[Cmdlet], ...] = (
    GetVMStartPolicy,
    SetVMStartPolicy,
    GetVMHostStartPolicy,
    SetVMHostStartPolicy,
)

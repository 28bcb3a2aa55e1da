"""Advanced settings of VMs (the .vmx's extra config) and of the host: New-, Get-, Set-,
Remove-AdvancedSetting.

PowerCLI's way to set what has no property of its own, such as the simulated
guest's ``sim.cpu.demand``; a running VM follows a change at once. The host's
settings (``Get-AdvancedSetting -Entity (Get-VMHost)``) are a fixed catalogue
with types and ranges: they can be changed, not added or removed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from clients.hostops import HostSetting
from clients.model import VM, Host
from clients.shell.binding import BoundArguments, Parameter
from clients.shell.cmdlets.base import Cmdlet
from clients.shell.cmdlets.stat import ENTITIES, resolve_entities
from clients.shell.cmdlets.vm import VMS, resolve_vms
from clients.shell.conversions import OBJECT, STRING, STRINGS, SWITCH, ArrayType, ParamType, shown
from clients.shell.errors import ConversionError, ShellError
from clients.shell.psobject import PSObject
from clients.shell.wildcard import like

SETTING_TYPE = "AdvancedSetting"


@dataclass(frozen=True)
class SettingRef:
    vm_id: str
    name: str


def setting_object(vm: VM, name: str, value: str) -> PSObject:
    """One advanced setting as Get-AdvancedSetting shows it."""
    return PSObject(
        SETTING_TYPE,
        [("Entity", vm.name), ("Name", name), ("Value", value), ("Type", "VM")],
        base=SettingRef(vm.id, name),
        label=name,
    )


@dataclass(frozen=True)
class HostSettingRef:
    name: str


def host_setting_object(host: Host, setting: HostSetting) -> PSObject:
    """One host advanced setting, its value typed (Int64, Boolean or String) as PowerCLI shows it."""
    value: object = setting.value
    if setting.type == "int":
        value = int(setting.value)
    elif setting.type == "bool":
        value = setting.value == "true"
    return PSObject(
        SETTING_TYPE,
        [
            ("Entity", host.name),
            ("Name", setting.key),
            ("Value", value),
            ("Type", "VMHost"),
            ("Description", setting.summary),
            ("DefaultValue", setting.default_value),
            ("Range", f"{setting.min}-{setting.max}" if setting.type == "int" else ",".join(setting.choices)),
        ],
        base=HostSettingRef(setting.key),
        label=setting.key,
    )


def _setting(value: object) -> SettingRef | HostSettingRef:
    if isinstance(value, PSObject) and isinstance(value.base, SettingRef | HostSettingRef):
        return value.base
    raise ConversionError(shown(value), SETTING_TYPE)


SETTINGS = ArrayType(ParamType(SETTING_TYPE, _setting))


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    return str(value)


class GetAdvancedSetting(Cmdlet):
    """Get-AdvancedSetting [-Entity] <VIObject[]> [[-Name] <String[]>]

    -Entity takes VMs and the host (Get-VMHost, or its name)."""

    name = "Get-AdvancedSetting"
    synopsis = "Gets advanced settings of VMs (their .vmx extra configuration) or of the host."
    examples = (
        ("Get-AdvancedSetting -Entity web01", "All of web01's settings."),
        ("Get-AdvancedSetting -Entity web01 -Name 'tools.*'", "The tools settings."),
        (
            "Get-AdvancedSetting -Entity (Get-VMHost) -Name Security.AccountLock*",
            "The host's account lockout settings, with their ranges.",
        ),
    )
    parameters = (
        Parameter("Entity", ENTITIES, position=0, mandatory=True, pipeline=True),
        Parameter("Name", STRINGS, position=1),
    )

    def process(self, args: BoundArguments) -> Iterator[object]:
        client = self.ctx.client()
        patterns = args.strings("Name")
        for entity in resolve_entities(client, args.items("Entity")):
            if isinstance(entity, Host):
                for setting in client.host_settings():
                    if not patterns or any(like(setting.key, p) for p in patterns):
                        yield host_setting_object(entity, setting)
                continue
            for name, value in sorted(client.advanced_settings(entity.id).items()):
                if not patterns or any(like(name, p) for p in patterns):
                    yield setting_object(entity, name, value)


class NewAdvancedSetting(Cmdlet):
    """New-AdvancedSetting [-Entity] <VirtualMachine[]> [-Name] <String> [-Value] <Object> [-Force]
    [-Confirm]

    Without -Force, a setting that exists already is an error."""

    name = "New-AdvancedSetting"
    synopsis = "Adds an advanced setting to a VM's configuration."
    examples = (
        (
            "New-AdvancedSetting -Entity web01 -Name guestinfo.role -Value web -Confirm:$false",
            "Adds guestinfo.role = web.",
        ),
    )
    parameters = (
        Parameter("Entity", VMS, position=0, mandatory=True, pipeline=True),
        Parameter("Name", STRING, position=1, mandatory=True),
        Parameter("Value", OBJECT, position=2, mandatory=True),
        Parameter("Force", SWITCH),
        Parameter("Confirm", SWITCH),
    )

    def process(self, args: BoundArguments) -> Iterator[object]:
        client = self.ctx.client()
        name, value = args.string("Name"), _text(args.get("Value"))
        for vm in resolve_vms(client, args.items("Entity")):
            if name in client.advanced_settings(vm.id) and not args.flag("Force"):
                raise ShellError(f"The advanced setting '{name}' already exists for {vm.name}; use -Force.")
            client.wait_for_task(client.reconfigure_vm(vm.id, set_extra_config={name: value}).id)
            yield setting_object(vm, name, value)


class SetAdvancedSetting(Cmdlet):
    """Set-AdvancedSetting [-AdvancedSetting] <AdvancedSetting[]> [-Value] <Object> [-Confirm]"""

    name = "Set-AdvancedSetting"
    confirm_impact = "High"  # PowerCLI asks before this change
    synopsis = "Changes the value of advanced settings."
    examples = (
        (
            "Get-AdvancedSetting -Entity web01 -Name guestinfo.role | Set-AdvancedSetting -Value db "
            "-Confirm:$false",
            "Changes guestinfo.role.",
        ),
    )
    parameters = (
        Parameter("AdvancedSetting", SETTINGS, position=0, mandatory=True, pipeline=True),
        Parameter("Value", OBJECT, position=1, mandatory=True),
        Parameter("Confirm", SWITCH),
    )

    def process(self, args: BoundArguments) -> Iterator[object]:
        client = self.ctx.client()
        value = _text(args.get("Value"))
        for ref in args.items("AdvancedSetting"):
            if isinstance(ref, HostSettingRef):
                (updated,) = client.update_host_settings({ref.name: value})
                yield host_setting_object(client.host(), updated)
                continue
            assert isinstance(ref, SettingRef)
            client.wait_for_task(client.reconfigure_vm(ref.vm_id, set_extra_config={ref.name: value}).id)
            yield setting_object(client.get_vm(ref.vm_id), ref.name, value)


class RemoveAdvancedSetting(Cmdlet):
    """Remove-AdvancedSetting [-AdvancedSetting] <AdvancedSetting[]> [-Confirm]"""

    name = "Remove-AdvancedSetting"
    synopsis = "Removes advanced settings from a VM's configuration."
    examples = (
        (
            "Get-AdvancedSetting -Entity web01 -Name guestinfo.role | Remove-AdvancedSetting -Confirm:$false",
            "Removes guestinfo.role.",
        ),
    )
    parameters = (
        Parameter("AdvancedSetting", SETTINGS, position=0, mandatory=True, pipeline=True),
        Parameter("Confirm", SWITCH),
    )

    def process(self, args: BoundArguments) -> Iterator[object]:
        client = self.ctx.client()
        for ref in args.items("AdvancedSetting"):
            if isinstance(ref, HostSettingRef):
                raise ShellError(
                    f"The host's advanced setting '{ref.name}' cannot be removed; set its value."
                )
            assert isinstance(ref, SettingRef)
            client.wait_for_task(client.reconfigure_vm(ref.vm_id, remove_extra_config=[ref.name]).id)
        return iter(())


CMDLETS: tuple[type[Cmdlet], ...] = (
    GetAdvancedSetting,
    NewAdvancedSetting,
    SetAdvancedSetting,
    RemoveAdvancedSetting,
)

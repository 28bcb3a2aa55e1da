"""Advanced settings of VMs (the .vmx's extra config): New-, Get-, Set-, Remove-AdvancedSetting.

PowerCLI's way to set what has no property of its own, such as the simulated
guest's ``sim.cpu.demand``; a running VM follows a change at once. With the host as
-Entity (``Get-VMHost``) they are the host's security settings (Security.AccountLockFailures,
Security.AccountUnlockTime, Security.PasswordQualityControl, UserVars.HostClientSessionTimeout,
UserVars.HostSessionMaxLifetime): a fixed set, changed with Set-AdvancedSetting.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import cast

from clients.auth import AuthCalls
from clients.model import VM, Host
from clients.shell.binding import BoundArguments, Parameter
from clients.shell.cmdlets.base import Cmdlet
from clients.shell.cmdlets.vm import _vm_reference, resolve_vms
from clients.shell.conversions import OBJECT, STRING, STRINGS, SWITCH, ArrayType, ParamType, shown
from clients.shell.errors import ConversionError, ShellError
from clients.shell.psobject import PSObject
from clients.shell.wildcard import like

SETTING_TYPE = "AdvancedSetting"


@dataclass(frozen=True)
class SettingRef:
    vm_id: str  # "" for the host
    name: str


def _entity_reference(value: object) -> object:
    if isinstance(value, PSObject) and isinstance(value.base, Host):
        return value.base
    return _vm_reference(value)


#: -Entity: VMs (objects or names) or the host (Get-VMHost)
ENTITIES = ArrayType(ParamType("VIObject", _entity_reference))


def host_setting_object(host: Host, name: str, value: str) -> PSObject:
    return PSObject(
        SETTING_TYPE,
        [("Entity", host.name), ("Name", name), ("Value", value), ("Type", "VMHost")],
        base=SettingRef("", name),
        label=name,
    )


def setting_object(vm: VM, name: str, value: str) -> PSObject:
    """One advanced setting as Get-AdvancedSetting shows it."""
    return PSObject(
        SETTING_TYPE,
        [("Entity", vm.name), ("Name", name), ("Value", value), ("Type", "VM")],
        base=SettingRef(vm.id, name),
        label=name,
    )


def _setting(value: object) -> SettingRef:
    if isinstance(value, PSObject) and isinstance(value.base, SettingRef):
        return value.base
    raise ConversionError(shown(value), SETTING_TYPE)


SETTINGS = ArrayType(ParamType(SETTING_TYPE, _setting))


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    return str(value)


class GetAdvancedSetting(Cmdlet):
    """Get-AdvancedSetting [-Entity] <VIObject[]> [[-Name] <String[]>]"""

    name = "Get-AdvancedSetting"
    synopsis = "Gets a VM's advanced settings (its .vmx extra configuration) or the host's security settings."
    examples = (
        ("Get-AdvancedSetting -Entity web01", "All of web01's settings."),
        ("Get-AdvancedSetting -Entity web01 -Name 'tools.*'", "The tools settings."),
        ("Get-AdvancedSetting -Entity (Get-VMHost) -Name 'Security.*'", "The host's lockout settings."),
    )
    parameters = (
        Parameter("Entity", ENTITIES, position=0, mandatory=True, pipeline=True),
        Parameter("Name", STRINGS, position=1),
    )

    def process(self, args: BoundArguments) -> Iterator[object]:
        client = self.ctx.client()
        patterns = args.strings("Name")
        entities = args.items("Entity")
        for host in [e for e in entities if isinstance(e, Host)]:
            for setting in cast(AuthCalls, client).security_settings():
                if not patterns or any(like(setting.key, p) for p in patterns):
                    yield host_setting_object(host, setting.key, setting.value)
        for vm in resolve_vms(client, [e for e in entities if not isinstance(e, Host)]):
            for name, value in sorted(client.advanced_settings(vm.id).items()):
                if not patterns or any(like(name, p) for p in patterns):
                    yield setting_object(vm, name, value)


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
        Parameter("Entity", ENTITIES, position=0, mandatory=True, pipeline=True),
        Parameter("Name", STRING, position=1, mandatory=True),
        Parameter("Value", OBJECT, position=2, mandatory=True),
        Parameter("Force", SWITCH),
        Parameter("Confirm", SWITCH),
    )

    def process(self, args: BoundArguments) -> Iterator[object]:
        client = self.ctx.client()
        name, value = args.string("Name"), _text(args.get("Value"))
        if any(isinstance(e, Host) for e in args.items("Entity")):
            raise ShellError(
                "The host's advanced settings are a fixed set: change them with Set-AdvancedSetting."
            )
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
            assert isinstance(ref, SettingRef)
            if not ref.vm_id:
                changed = cast(AuthCalls, client).update_security_settings({ref.name: value})
                now = next(s.value for s in changed if s.key == ref.name)
                yield host_setting_object(client.host(), ref.name, now)
                continue
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
            assert isinstance(ref, SettingRef)
            if not ref.vm_id:
                raise ShellError(f"The host's {ref.name} cannot be removed; set it to its default instead.")
            client.wait_for_task(client.reconfigure_vm(ref.vm_id, remove_extra_config=[ref.name]).id)
        return iter(())


CMDLETS: tuple[type[Cmdlet], ...] = (
    GetAdvancedSetting,
    NewAdvancedSetting,
    SetAdvancedSetting,
    RemoveAdvancedSetting,
)

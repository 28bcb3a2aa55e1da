"""A VM's device as the pipeline carries it (a Get-HardDisk or Get-NetworkAdapter object): its VM
and its key, read back from the object's ``Id`` ("VirtualMachine-vm-1/scsi0:0")."""

from __future__ import annotations

from dataclasses import dataclass, field

from clients.shell.conversions import ArrayType, ParamType, shown
from clients.shell.errors import ConversionError
from clients.shell.psobject import PSObject
from clients.shell.views import VM_ID_PREFIX


@dataclass(frozen=True)
class DeviceRef:
    vm_id: str
    key: str  # "scsi0:0", "ethernet0"
    #: how -WhatIf and -Confirm name it: "Hard disk 1 on web01"
    name: str = field(default="", compare=False)


def device_references(object_type: str, type_name: str) -> ArrayType:
    """A parameter type taking objects of ``object_type`` (as ``type_name`` in errors)."""

    def convert(value: object) -> DeviceRef:
        if isinstance(value, PSObject) and value.type_name == object_type:
            vm_part, _, key = str(value.get("Id")).partition("/")
            name = f"{value.label} on {value.get('Parent')}"
            return DeviceRef(vm_part.removeprefix(VM_ID_PREFIX), key, name)
        raise ConversionError(shown(value), type_name)

    return ArrayType(ParamType(type_name, convert))

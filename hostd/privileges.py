"""The privileges (vSphere's ids) and the built-in roles made of them.

Administrator (-1)  every privilege
ReadOnly      (-2)  System.Anonymous, System.View, System.Read
NoAccess      (-5)  none
"""

from __future__ import annotations

from dataclasses import dataclass

PRIVILEGES: dict[str, str] = {
    "System.Anonymous": "Log in and see nothing else",
    "System.View": "See that an object exists",
    "System.Read": "Read an object's configuration and state",
    "Global.CancelTask": "Cancel a running task",
    "Global.Diagnostics": "Read host logs and diagnostics",
    "Global.Settings": "Change the host's global settings",
    "Authorization.ModifyRoles": "Create, change and remove roles",
    "Authorization.ModifyPermissions": "Create, change and remove permissions",
    "Sessions.TerminateSession": "List and end the sessions of other users",
    "Host.Local.ManageUserGroups": "Create, change and remove local accounts",
    "Host.Config.Settings": "Change host settings (lockdown mode, security settings)",
    "Host.Config.AdvancedConfig": "Change advanced settings",
    "Host.Config.Network": "Configure virtual switches, port groups and host network adapters",
    "Host.Config.Storage": "Add, change and remove datastores",
    "Host.Config.Maintenance": "Enter and exit maintenance mode; restart and shut down the host",
    "Host.Config.Power": "Change the host's power management",
    "Host.Config.DateTime": "Change the host's time settings (NTP servers)",
    "Host.Config.AutoStart": "Change the VMs' start and stop policy",
    "Host.Config.NetService": "Start, stop and set the policy of host services",
    "Host.Config.Firmware": "Reset the host's configuration to its defaults",
    "Datastore.Browse": "Browse datastores and download files",
    "Datastore.FileManagement": "Create, delete, move, copy and upload datastore files",
    "Datastore.AllocateSpace": "Allocate space on a datastore",
    "Network.Assign": "Connect a VM's adapter to a network",
    "Resource.CreatePool": "Create resource pools",
    "Resource.EditPool": "Change a resource pool",
    "Resource.DeletePool": "Remove a resource pool",
    "Resource.MovePool": "Move a resource pool",
    "Resource.AssignVMToPool": "Move a VM into a resource pool",
    "VirtualMachine.Inventory.Create": "Create a VM",
    "VirtualMachine.Inventory.Register": "Register an existing VM",
    "VirtualMachine.Inventory.Unregister": "Unregister a VM",
    "VirtualMachine.Inventory.Delete": "Delete a VM and its files",
    "VirtualMachine.Interact.PowerOn": "Power on or resume a VM",
    "VirtualMachine.Interact.PowerOff": "Power off a VM",
    "VirtualMachine.Interact.Suspend": "Suspend a VM",
    "VirtualMachine.Interact.Reset": "Reset a VM",
    "VirtualMachine.Interact.AnswerQuestion": "Answer a VM's question",
    "VirtualMachine.Interact.ConsoleInteract": "Use a VM's console (keyboard, mouse, screen)",
    "VirtualMachine.Interact.CreateScreenshot": "Take a screenshot of a VM's console",
    "VirtualMachine.Interact.GuestControl": "Shut down, reboot or stand by the guest",
    "VirtualMachine.Interact.DeviceConnection": "Connect and disconnect a VM's devices",
    "VirtualMachine.Interact.SetCDMedia": "Change a VM's CD media",
    "VirtualMachine.Config.CPUCount": "Change a VM's number of vCPUs",
    "VirtualMachine.Config.Memory": "Change a VM's memory",
    "VirtualMachine.Config.AddNewDisk": "Add a new virtual disk",
    "VirtualMachine.Config.RemoveDisk": "Remove a virtual disk",
    "VirtualMachine.Config.DiskExtend": "Extend a virtual disk",
    "VirtualMachine.Config.AddRemoveDevice": "Add or remove devices",
    "VirtualMachine.Config.EditDevice": "Change a device's settings",
    "VirtualMachine.Config.Rename": "Rename a VM",
    "VirtualMachine.Config.Annotation": "Change a VM's notes",
    "VirtualMachine.Config.AdvancedConfig": "Change a VM's advanced settings",
    "VirtualMachine.Config.Resource": "Change a VM's resource allocation",
    "VirtualMachine.Config.Settings": "Change other VM settings (hot add)",
    "VirtualMachine.State.CreateSnapshot": "Take a snapshot",
    "VirtualMachine.State.RevertToSnapshot": "Revert to a snapshot",
    "VirtualMachine.State.RemoveSnapshot": "Remove snapshots",
    "VirtualMachine.GuestOperations.Query": "List the guest's processes",
    "VirtualMachine.GuestOperations.Modify": "Copy files into the guest",
    "VirtualMachine.GuestOperations.Execute": "Run programs in the guest",
}

READ_ONLY = ("System.Anonymous", "System.View", "System.Read")


@dataclass(frozen=True)
class Role:
    id: int
    name: str
    privileges: frozenset[str]
    system: bool = False


ADMINISTRATOR = Role(-1, "Administrator", frozenset(PRIVILEGES), system=True)
BUILT_IN: dict[str, Role] = {
    r.name: r
    for r in (
        ADMINISTRATOR,
        Role(-2, "ReadOnly", frozenset(READ_ONLY), system=True),
        Role(-5, "NoAccess", frozenset(), system=True),
    )
}


def group_of(privilege: str) -> str:
    return privilege.rsplit(".", 1)[0]

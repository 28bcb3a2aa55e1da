"""The privilege every public RPC needs, and the entity it needs it on: ``RULES``, one entry per
method of every public service (a unit test keeps it complete). A new RPC is refused with
NoPermission until it has a rule here.

A rule's ``privileges`` is a tuple, or a function of the request for calls whose need depends
on what they change (ReconfigureVM); ``entity`` derives the entity from the request: a VM id,
a pool id, else the host. ``None`` privileges: any logged-in user may call it; ``public``: no
session needed (hostd.sessions.PUBLIC_METHODS, which a unit test keeps in step).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hostd.entities import HOST
from hostd.inventory import ROOT_POOL_ID
from hostd.sessions import current_user

Privileges = tuple[str, ...] | Callable[[Any], tuple[str, ...]] | None


@dataclass(frozen=True)
class Rule:
    privileges: Privileges
    entity: Callable[[Any], str] = lambda request: HOST
    public: bool = False  # no session needed (Login; Attach, which a console ticket authorizes)


def host(request: Any) -> str:
    return HOST


def field(name: str, default: str = HOST) -> Callable[[Any], str]:
    """The entity named by the request's field (a VM or pool id); ``default`` when it is empty."""

    def entity(request: Any) -> str:
        value = getattr(request, name, "")
        return value if isinstance(value, str) and value else default

    return entity


def snapshot_vm(request: Any) -> str:
    """The VM a snapshot id ("vm-3-snapshot-2") belongs to."""
    snapshot_id = getattr(request, "snapshot_id", "")
    return snapshot_id.rsplit("-snapshot-", 1)[0] if "-snapshot-" in snapshot_id else HOST


def own_password(request: Any) -> tuple[str, ...]:
    """A user may change their own password; anything else is account management."""
    if getattr(request, "id", "") == current_user() and not request.HasField("description"):
        return ()
    return ("Host.Local.ManageUserGroups",)


def events(request: Any) -> tuple[str, ...]:
    """A VM's events need System.Read on it; the host's event log is filtered to what one may see."""
    return ("System.Read",) if getattr(request, "vm_id", "") else ("System.View",)


def reconfigure(request: Any) -> tuple[str, ...]:
    """What a ReconfigureVM asks for, privilege by privilege (vSphere's VirtualMachine.Config.*)."""
    r = request
    wanted = {
        "VirtualMachine.Config.CPUCount": r.HasField("num_cpu"),
        "VirtualMachine.Config.Memory": r.HasField("memory_mb"),
        "VirtualMachine.Config.Rename": r.HasField("name"),
        "VirtualMachine.Config.Annotation": r.HasField("notes"),
        "VirtualMachine.Config.Settings": r.HasField("cpu_hot_add") or r.HasField("memory_hot_add"),
        "VirtualMachine.Config.AddNewDisk": bool(r.add_disk_capacity_bytes or r.add_disks),
        "VirtualMachine.Config.RemoveDisk": bool(r.remove_disk_keys),
        "VirtualMachine.Config.AddRemoveDevice": bool(
            r.add_network_names
            or r.remove_network_keys
            or r.add_nics
            or r.add_cd_drives
            or r.remove_cd_drive_keys
        ),
        "VirtualMachine.Config.EditDevice": bool(r.change_nics or r.change_disks or r.change_cd_drives),
        "VirtualMachine.Interact.SetCDMedia": any(
            c.HasField("iso_path") or c.HasField("no_media") for c in r.change_cd_drives
        ),
        "VirtualMachine.Config.DiskExtend": any(c.HasField("capacity_bytes") for c in r.change_disks),
        "VirtualMachine.Config.AdvancedConfig": bool(r.set_extra_config or r.remove_extra_config),
        "VirtualMachine.Config.Resource": r.HasField("cpu_allocation") or r.HasField("memory_allocation"),
    }
    return tuple(p for p, asked in wanted.items() if asked) or ("VirtualMachine.Config.Settings",)


S, VM, TASK, EV, CF = (
    "/pyesx.api.v1.SessionService/",
    "/pyesx.api.v1.VirtualMachineService/",
    "/pyesx.api.v1.TaskService/",
    "/pyesx.api.v1.EventService/",
    "/pyesx.api.v1.ChangeFeedService/",
)
PERF, DS, NET, POOL = (
    "/pyesx.api.v1.PerformanceService/",
    "/pyesx.api.v1.DatastoreService/",
    "/pyesx.api.v1.NetworkService/",
    "/pyesx.api.v1.ResourcePoolService/",
)
GUEST, CON, HOSTSVC = (
    "/pyesx.api.v1.GuestOperationsService/",
    "/pyesx.api.v1.ConsoleService/",
    "/pyesx.api.v1.HostService/",
)
DATETIME, HOSTNET, HOSTSERVICES = (
    "/pyesx.api.v1.DateTimeService/",
    "/pyesx.api.v1.HostNetworkService/",
    "/pyesx.api.v1.HostServiceService/",
)
ACC, AUTH, ACCESS = (
    "/pyesx.api.v1.HostAccountService/",
    "/pyesx.api.v1.AuthorizationService/",
    "/pyesx.api.v1.HostAccessService/",
)
CERT = "/pyesx.api.v1.CertificateManagerService/"
READ = ("System.Read",)
VIEW = ("System.View",)
vm_id, id_ = field("vm_id"), field("id")

RULES: dict[str, Rule] = {
    S + "Login": Rule(None, public=True),
    S + "Logout": Rule(None),
    S + "GetCurrentSession": Rule(None),
    S + "ListSessions": Rule(("Sessions.TerminateSession",)),
    S + "TerminateSession": Rule(("Sessions.TerminateSession",)),
    HOSTSVC + "GetHost": Rule(VIEW),
    HOSTSVC + "GetAbout": Rule(None, public=True),  # what the host is, shown before logging in
    HOSTSVC + "RestartManagementAgents": Rule(("Host.Config.Maintenance",)),
    HOSTSVC + "ResetSystemConfiguration": Rule(("Host.Config.Firmware",)),
    HOSTSVC + "QueryHostOptions": Rule(READ),
    HOSTSVC + "UpdateHostOptions": Rule(("Host.Config.AdvancedConfig",)),
    HOSTSVC + "EnterMaintenanceMode": Rule(("Host.Config.Maintenance",)),
    HOSTSVC + "ExitMaintenanceMode": Rule(("Host.Config.Maintenance",)),
    HOSTSVC + "RebootHost": Rule(("Host.Config.Maintenance",)),
    HOSTSVC + "ShutdownHost": Rule(("Host.Config.Maintenance",)),
    HOSTSVC + "GetAutoStartConfig": Rule(READ),
    HOSTSVC + "ReconfigureAutoStart": Rule(("Host.Config.AutoStart",)),
    HOSTSVC + "ListLogTypes": Rule(READ),
    HOSTSVC + "BrowseLog": Rule(("Global.Diagnostics",)),
    DATETIME + "GetNtpConfig": Rule(READ),
    DATETIME + "GetNtpStatus": Rule(READ),
    DATETIME + "UpdateNtpConfig": Rule(("Host.Config.DateTime",)),
    DATETIME + "AddNtpServers": Rule(("Host.Config.DateTime",)),
    DATETIME + "RemoveNtpServers": Rule(("Host.Config.DateTime",)),
    HOSTNET + "GetHostNetwork": Rule(READ),
    HOSTNET + "ResolveName": Rule(READ),
    HOSTNET + "UpdateHostNetwork": Rule(("Host.Config.Network",)),
    HOSTSERVICES + "ListHostServices": Rule(READ),
    HOSTSERVICES + "StartHostService": Rule(("Host.Config.NetService",)),
    HOSTSERVICES + "StopHostService": Rule(("Host.Config.NetService",)),
    HOSTSERVICES + "RestartHostService": Rule(("Host.Config.NetService",)),
    HOSTSERVICES + "UpdateHostServicePolicy": Rule(("Host.Config.NetService",)),
    VM + "CreateVM": Rule(("VirtualMachine.Inventory.Create",), field("resource_pool_id", ROOT_POOL_ID)),
    VM + "RegisterVM": Rule(("VirtualMachine.Inventory.Register",), field("resource_pool_id", ROOT_POOL_ID)),
    VM + "GetVM": Rule(VIEW, id_),
    VM + "ListVMs": Rule(VIEW),  # the reply holds only the VMs the caller may see (so do events, tasks)
    VM + "PowerOnVM": Rule(("VirtualMachine.Interact.PowerOn",), id_),
    VM + "PowerOffVM": Rule(("VirtualMachine.Interact.PowerOff",), id_),
    VM + "KillVM": Rule(("VirtualMachine.Interact.PowerOff",), id_),
    VM + "SuspendVM": Rule(("VirtualMachine.Interact.Suspend",), id_),
    VM + "ResetVM": Rule(("VirtualMachine.Interact.Reset",), id_),
    VM + "ShutdownGuest": Rule(("VirtualMachine.Interact.GuestControl",), id_),
    VM + "RebootGuest": Rule(("VirtualMachine.Interact.GuestControl",), id_),
    VM + "StandbyGuest": Rule(("VirtualMachine.Interact.GuestControl",), id_),
    VM + "GetGuestInfo": Rule(READ, id_),
    VM + "AnswerVM": Rule(("VirtualMachine.Interact.AnswerQuestion",), id_),
    VM + "UnregisterVM": Rule(("VirtualMachine.Inventory.Unregister",), id_),
    VM + "DestroyVM": Rule(("VirtualMachine.Inventory.Delete",), id_),
    VM + "ReconfigureVM": Rule(reconfigure, id_),
    VM + "CreateSnapshot": Rule(("VirtualMachine.State.CreateSnapshot",), vm_id),
    VM + "ListSnapshots": Rule(READ, id_),
    VM + "RevertToSnapshot": Rule(("VirtualMachine.State.RevertToSnapshot",), snapshot_vm),
    VM + "RemoveSnapshot": Rule(("VirtualMachine.State.RemoveSnapshot",), snapshot_vm),
    VM + "RemoveAllSnapshots": Rule(("VirtualMachine.State.RemoveSnapshot",), id_),
    VM + "GetAdvancedSettings": Rule(READ, id_),
    TASK + "GetTask": Rule(VIEW),
    TASK + "WaitForTask": Rule(VIEW),
    TASK + "ListTasks": Rule(VIEW, field("entity_id")),
    TASK + "CancelTask": Rule(("Global.CancelTask",)),
    EV + "QueryEvents": Rule(events, vm_id),  # the reply holds only the events the caller may see
    EV + "WatchEvents": Rule(events, vm_id),
    CF + "WatchChanges": Rule(VIEW),  # the changes of the VMs (and their tasks) the caller may see
    PERF + "GetWorldStats": Rule(READ),
    PERF + "ListPerfCounters": Rule(VIEW),
    PERF + "QueryPerf": Rule(READ, field("entity_id")),
    PERF + "GetMemoryStats": Rule(READ),
    PERF + "GetDiskStats": Rule(READ),
    PERF + "GetNetStats": Rule(READ),
    DS + "ListDatastores": Rule(VIEW),
    DS + "GetDatastore": Rule(VIEW),
    DS + "CreateDatastore": Rule(("Host.Config.Storage",)),
    DS + "UpdateDatastore": Rule(("Host.Config.Storage",)),
    DS + "RemoveDatastore": Rule(("Host.Config.Storage",)),
    DS + "BrowseDatastore": Rule(("Datastore.Browse",)),
    DS + "DownloadFile": Rule(("Datastore.Browse",)),
    DS + "MakeDirectory": Rule(("Datastore.FileManagement",)),
    DS + "DeleteFile": Rule(("Datastore.FileManagement",)),
    DS + "MoveFile": Rule(("Datastore.FileManagement",)),
    DS + "CopyFile": Rule(("Datastore.FileManagement",)),
    DS + "UploadFile": Rule(("Datastore.FileManagement",)),
    NET + "ListVirtualSwitches": Rule(VIEW),
    NET + "ListHostNetworkAdapters": Rule(VIEW),
    NET + "CreateVirtualSwitch": Rule(("Host.Config.Network",)),
    NET + "UpdateVirtualSwitch": Rule(("Host.Config.Network",)),
    NET + "RemoveVirtualSwitch": Rule(("Host.Config.Network",)),
    NET + "CreatePortGroup": Rule(("Host.Config.Network",)),
    NET + "UpdatePortGroup": Rule(("Host.Config.Network",)),
    NET + "RemovePortGroup": Rule(("Host.Config.Network",)),
    NET + "SetPhysicalNicLink": Rule(("Host.Config.Network",)),
    POOL + "ListResourcePools": Rule(VIEW),
    POOL + "GetResourcePool": Rule(VIEW, id_),
    POOL + "CreateResourcePool": Rule(("Resource.CreatePool",), field("parent_id", ROOT_POOL_ID)),
    POOL + "UpdateResourcePool": Rule(("Resource.EditPool",), id_),
    POOL + "DeleteResourcePool": Rule(("Resource.DeletePool",), id_),
    POOL + "MoveIntoResourcePool": Rule(("Resource.AssignVMToPool",), field("pool_id")),
    GUEST + "RunScriptInGuest": Rule(("VirtualMachine.GuestOperations.Execute",), vm_id),
    GUEST + "ListProcessesInGuest": Rule(("VirtualMachine.GuestOperations.Query",), vm_id),
    GUEST + "CopyFileToGuest": Rule(("VirtualMachine.GuestOperations.Modify",), vm_id),
    GUEST + "CopyFileFromGuest": Rule(("VirtualMachine.GuestOperations.Query",), vm_id),
    CON + "AcquireTicket": Rule(("VirtualMachine.Interact.ConsoleInteract",), vm_id),
    CON + "Attach": Rule(None, public=True),
    CON + "CreateScreenshot": Rule(("VirtualMachine.Interact.CreateScreenshot",), vm_id),
    CON + "GetScreen": Rule(("VirtualMachine.Interact.ConsoleInteract",), vm_id),
    ACC + "ListAccounts": Rule(READ),
    ACC + "CreateAccount": Rule(("Host.Local.ManageUserGroups",)),
    ACC + "UpdateAccount": Rule(own_password),
    ACC + "RemoveAccount": Rule(("Host.Local.ManageUserGroups",)),
    AUTH + "ListPrivileges": Rule(None),
    AUTH + "ListRoles": Rule(None),
    AUTH + "CreateRole": Rule(("Authorization.ModifyRoles",)),
    AUTH + "UpdateRole": Rule(("Authorization.ModifyRoles",)),
    AUTH + "RemoveRole": Rule(("Authorization.ModifyRoles",)),
    AUTH + "ListPermissions": Rule(READ, field("entity")),
    AUTH + "SetPermission": Rule(("Authorization.ModifyPermissions",), field("entity")),
    AUTH + "RemovePermission": Rule(("Authorization.ModifyPermissions",), field("entity")),
    ACCESS + "GetLockdownMode": Rule(READ),
    ACCESS + "SetLockdownMode": Rule(("Host.Config.Settings",)),
    CERT + "GetCertificate": Rule(READ),
    CERT + "RegenerateCertificate": Rule(("Host.Config.Settings",)),
}

"""The SDK's object model, synchronous: a ``Session`` and objects with methods.

    from clients.objects import connect

    with connect("127.0.0.1:8443", "root", "secret") as session:
        vm = session.create_vm("web01", num_cpu=2, memory_mb=256).wait().result_vm()
        vm.power_on().wait(timeout=60)
        vm.wait_for(power_state="poweredOn")
        for snap in vm.snapshots():
            print(snap.name, snap.created)

Long operations return a ``Task``; ``task.wait()`` follows the host's change feed (no polling) and
raises the task's fault. Faults are the classes of ``pyesx.faults``. ``clients.aio`` is the same
model with ``async`` methods; both build their calls in ``clients.ops``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fnmatch
from collections.abc import Generator, Mapping
from types import TracebackType
from typing import Unpack

from clients import entities, model, ops
from clients.datastores import DatastoreFile
from clients.guestops import GuestProcess, ScriptResult
from clients.hostconfig import HostNetwork, HostService, NtpConfig, NtpStatus, Resolution
from clients.hostops import AutoPowerInfo, AutoStartConfig, AutoStartDefaults, HostSetting, LogLines
from clients.sdk import AllocationChange, Client
from clients.security import Security
from clients.tls import Trust
from clients.transport import SyncTransport, open_channel
from pyesx import faults

__all__ = [
    "VM",
    "Datastore",
    "Event",
    "HardDisk",
    "Host",
    "NetworkAdapter",
    "PortGroup",
    "ResourcePool",
    "Session",
    "Snapshot",
    "Task",
    "VirtualSwitch",
    "connect",
]


class Host(entities.HostData["Session"]):
    """The host (HostSystem)."""

    def refresh(self) -> Host:
        """Read the host's figures again; returns self."""
        self._record = self._session._t.call(ops.get_host())
        return self

    def stats(self, counters: list[str] | None = None, max_samples: int = 0) -> list[model.PerfSample]:
        """The host's realtime performance samples (Get-Stat -Entity host)."""
        return self._session.stats(model.HOST_ENTITY_ID, counters, max_samples)

    def advanced_settings(self, keys: list[str] | None = None) -> list[HostSetting]:
        """The host's advanced settings with their types and ranges (Get-AdvancedSetting)."""
        return self._session._t.call(ops.host_settings(keys))

    def set_advanced_settings(self, values: Mapping[str, str]) -> list[HostSetting]:
        """Set advanced settings; a bad value raises InvalidArgument and nothing changes."""
        return self._session._t.call(ops.update_host_settings(values))

    def enter_maintenance_mode(self) -> Task:
        """Start entering maintenance mode (InvalidState while VMs are powered on)."""
        return Task(self._session, self._session._t.call(ops.enter_maintenance_mode()))

    def exit_maintenance_mode(self) -> Task:
        """Start leaving maintenance mode."""
        return Task(self._session, self._session._t.call(ops.exit_maintenance_mode()))

    def autostart(self) -> AutoStartConfig:
        """The autostart defaults and VM entries (Get-VMHostStartPolicy, Get-VMStartPolicy)."""
        return self._session._t.call(ops.get_autostart())

    def reconfigure_autostart(
        self, defaults: AutoStartDefaults | None = None, power_info: list[AutoPowerInfo] | None = None
    ) -> AutoStartConfig:
        """Replace the autostart defaults (when given) and these VMs' entries."""
        return self._session._t.call(ops.reconfigure_autostart(defaults, power_info))

    def reboot(self, force: bool = False) -> Task:
        """Reboot the host; without force it must be in maintenance mode."""
        return Task(self._session, self._session._t.call(ops.reboot_host(force)))

    def shutdown(self, force: bool = False) -> Task:
        """Shut the host down; without force it must be in maintenance mode."""
        return Task(self._session, self._session._t.call(ops.shutdown_host(force)))

    def log(self, key: str, start_line_num: int = 0, num_lines: int = 0) -> LogLines:
        """Lines of a host log (hostd, vmkernel): from start_line_num, or the last num_lines."""
        return self._session._t.call(ops.browse_log(key, start_line_num, num_lines))


class Task(entities.TaskData["Session"]):
    """A long operation; ``wait()`` for it to finish."""

    def refresh(self) -> Task:
        """Read the task's state again; returns self."""
        self._record = self._session._t.call(ops.get_task(self.id))
        return self

    def wait(self, timeout: float | None = None) -> Task:
        """Wait on the change feed until the task finishes; returns self, updated. Raises the task's
        fault when it failed, NotFound for an unknown task and Timedout when ``timeout`` passes."""
        waiter = ops.TaskWaiter(self.id, timeout)
        with contextlib.closing(self._session._t.stream(waiter.watch())) as changes:
            for change in changes:
                finished = waiter.feed(change)
                if finished is not None:
                    self._record = finished
                    if finished.error is not None:
                        raise finished.error
                    return self
        raise waiter.stream_ended()

    def cancel(self) -> Task:
        """Ask the host to cancel the task (a cancelable one); returns self, updated."""
        self._record = self._session._t.call(ops.cancel_task(self.id))
        return self

    def result_vm(self) -> VM:
        """The VM the task made or acted on (CreateVM, RegisterVM: the new VM)."""
        return self._session.vm(self.result_entity_id or self.entity_id)


class Event(entities.EventData["Session"]):
    """A recorded event."""

    def vm(self) -> VM:
        """The event's VM (NotFound when it has none, or it is gone)."""
        return self._session.vm(self.vm_id or "-")


class Snapshot(entities.SnapshotData["Session"]):
    """A VM's snapshot."""

    @property
    def children(self) -> list[Snapshot]:
        """The snapshots taken after this one, from this state."""
        return [Snapshot(self._session, c) for c in self._record.children]

    def revert(self, suppress_power_on: bool = False) -> Task:
        """Make this the VM's state again (Set-VM -Snapshot)."""
        return self._session._task(ops.revert_to_snapshot(self.id, suppress_power_on))

    def remove(self, remove_children: bool = False) -> Task:
        """Delete this snapshot (its changes fold into its child or the VM)."""
        return self._session._task(ops.remove_snapshot(self.id, remove_children))

    def vm(self) -> VM:
        """The snapshot's VM."""
        return self._session.vm(self.vm_id)


class HardDisk(entities.HardDiskData["Session"]):
    """A virtual disk of a VM."""

    def extend(self, capacity_bytes: int) -> Task:
        """Grow the disk to ``capacity_bytes`` (Set-HardDisk -CapacityKB)."""
        change = [{"key": self.key, "capacity_bytes": capacity_bytes}]
        return self._session._task(ops.reconfigure_vm(self.vm_id, {"change_disks": change}))

    def set_mode(self, disk_mode: str) -> Task:
        """persistent | independent_persistent | independent_nonpersistent."""
        change = [{"key": self.key, "disk_mode": disk_mode}]
        return self._session._task(ops.reconfigure_vm(self.vm_id, {"change_disks": change}))

    def remove(self, delete_files: bool = False) -> Task:
        """Detach the disk (and delete its files)."""
        changes = {"remove_disk_keys": [self.key], "delete_removed_disk_files": delete_files}
        return self._session._task(ops.reconfigure_vm(self.vm_id, changes))


class NetworkAdapter(entities.NetworkAdapterData["Session"]):
    """A virtual NIC of a VM."""

    def _change(self, **change: str | bool) -> Task:
        changes = {"change_nics": [{"key": self.key, **change}]}
        return self._session._task(ops.reconfigure_vm(self.vm_id, changes))

    def connect(self) -> Task:
        """Put a running VM's NIC on its port."""
        return self._change(connected=True)

    def disconnect(self) -> Task:
        """Take a running VM's NIC off its port."""
        return self._change(connected=False)

    def set_network(self, network_name: str) -> Task:
        """Move the NIC to another port group."""
        return self._change(network_name=network_name)

    def remove(self) -> Task:
        """Remove the NIC from the VM."""
        return self._session._task(ops.reconfigure_vm(self.vm_id, {"remove_network_keys": [self.key]}))


class VM(entities.VMData["Session"]):
    """A virtual machine. Properties are as of the last read; ``refresh()`` reads them again."""

    @property
    def disks(self) -> list[HardDisk]:
        """The VM's virtual disks, as of the last read."""
        return [HardDisk(self._session, d, self.id) for d in self._record.disks]

    @property
    def nics(self) -> list[NetworkAdapter]:
        """The VM's network adapters, as of the last read."""
        return [NetworkAdapter(self._session, n, self.id) for n in self._record.network_adapters]

    def refresh(self) -> VM:
        """Read the VM again (GetVM); returns self."""
        self._record = self._session._t.call(ops.get_vm(self.id))
        return self

    def _op(self, method: str) -> Task:
        return self._session._task(ops.vm_task(method, self.id))

    def power_on(self) -> Task:
        """Power on (or resume) the VM."""
        return self._op("PowerOnVM")

    def power_off(self) -> Task:
        """Power the VM off (hard, as Stop-VM)."""
        return self._op("PowerOffVM")

    def suspend(self) -> Task:
        """Suspend the VM (its memory to a .vmss; power_on resumes it)."""
        return self._op("SuspendVM")

    def reset(self) -> Task:
        """Reset the VM (a hard reboot)."""
        return self._op("ResetVM")

    def kill(self) -> Task:
        """End the vmx at once (Stop-VM -Kill)."""
        return self._op("KillVM")

    def destroy(self) -> Task:
        """Unregister the VM and delete its files (Remove-VM -DeletePermanently)."""
        return self._op("DestroyVM")

    def unregister(self) -> Task:
        """Remove the VM from the inventory; its files stay."""
        return self._op("UnregisterVM")

    def shutdown_guest(self) -> None:
        """Ask the guest OS to shut down (needs its tools)."""
        self._session._t.call(ops.vm_request("ShutdownGuest", self.id))

    def reboot_guest(self) -> None:
        """Ask the guest OS to reboot (needs its tools)."""
        self._session._t.call(ops.vm_request("RebootGuest", self.id))

    def answer(self, choice: str) -> None:
        """Answer the question the VM waits on ("Retry" or "Cancel")."""
        if self.question is None:
            raise faults.InvalidState(f"{self.name} has no question to answer")
        self._session._t.call(ops.answer_vm(self.id, self.question.id, choice))

    def reconfigure(self, **changes: Unpack[ops.VMChanges]) -> Task:
        """Change the VM: num_cpu, memory_mb, name, notes, devices, allocations, extra config
        (``clients.ops.VMChanges`` lists every keyword)."""
        return self._session._task(ops.reconfigure_vm(self.id, changes))

    def add_disk(self, capacity_bytes: int, disk_format: str = "thin") -> Task:
        """A new virtual disk (thin | thick | eagerZeroedThick)."""
        disk: dict[str, int | str] = {"capacity_bytes": capacity_bytes, "disk_format": disk_format}
        return self.reconfigure(add_disks=[disk])

    def add_nic(self, network_name: str = "VM Network", adapter_type: str = "vmxnet3") -> Task:
        """A new network adapter on ``network_name`` (vmxnet3 | e1000 | e1000e)."""
        return self.reconfigure(add_nics=[{"network_name": network_name, "adapter_type": adapter_type}])

    def wait_for(self, power_state: str | None = None, timeout: float | None = None, **fields: object) -> VM:
        """Wait on the change feed until the VM's properties match (``power_state="poweredOn"``, or
        any VM record field); returns self, updated. Timedout when ``timeout`` passes first."""
        expected = {**({"power_state": power_state} if power_state else {}), **fields}
        waiter = ops.VMWaiter(self.id, expected, timeout)
        with contextlib.closing(self._session._t.stream(waiter.watch())) as changes:
            for change in changes:
                matched = waiter.feed(change)
                if matched is not None:
                    self._record = matched
                    return self
        raise waiter.stream_ended()

    def snapshots(self) -> list[Snapshot]:
        """Every snapshot of the VM, oldest first."""
        trees = self._session._t.call(ops.list_snapshots(self.id))
        return [Snapshot(self._session, s) for s in ops.flatten(trees)]

    def snapshot(self, name: str) -> Snapshot:
        """The snapshot of that name (NotFound)."""
        for snap in self.snapshots():
            if snap.name == name:
                return snap
        raise faults.NotFound("Snapshot", name)

    def current_snapshot(self) -> Snapshot | None:
        """The snapshot the VM runs from, or None."""
        return next((s for s in self.snapshots() if s.is_current), None)

    def create_snapshot(self, name: str, description: str = "", memory: bool = False) -> Task:
        """A new snapshot (memory: with the running VM's memory)."""
        return self._session._task(ops.create_snapshot(self.id, name, description, memory))

    def remove_all_snapshots(self) -> Task:
        """Delete every snapshot, consolidating them into the VM's disks."""
        return self._op("RemoveAllSnapshots")

    def guest(self) -> model.GuestInfo:
        """The guest's state as its tools report it (Get-VMGuest)."""
        return self._session._t.call(ops.guest_info(self.id))

    def run_script(self, script: str, user: str, password: str, timeout: float = 0.0) -> ScriptResult:
        """Run ``script`` in the guest's shell as ``user`` (Invoke-VMScript)."""
        return self._session._t.call(ops.run_script(self.id, user, password, script, timeout))

    def guest_processes(self, user: str, password: str) -> list[GuestProcess]:
        """The guest's processes, listed through its tools as ``user``."""
        return self._session._t.call(ops.guest_processes(self.id, user, password))

    def advanced_settings(self) -> dict[str, str]:
        """The .vmx keys no other property covers (Get-AdvancedSetting)."""
        return self._session._t.call(ops.advanced_settings(self.id))

    def events(self, types: list[str] | None = None, max_count: int = 0) -> list[Event]:
        """The VM's events, newest first."""
        return self._session.events(vm=self, types=types, max_count=max_count)

    def tasks(self) -> list[Task]:
        """The VM's recent tasks."""
        return self._session.tasks(entity_id=self.id)

    def stats(self, counters: list[str] | None = None, max_samples: int = 0) -> list[model.PerfSample]:
        """The VM's realtime performance samples (Get-Stat)."""
        return self._session.stats(self.id, counters, max_samples)

    def resource_pool(self) -> ResourcePool:
        """The resource pool the VM is in."""
        return self._session.resource_pool(self.resource_pool_id)

    def move_to(self, pool: ResourcePool) -> VM:
        """Move the VM into ``pool`` (Move-VM -Destination); returns self, updated."""
        self._session._t.call(ops.move_into_pool(pool.id, [self.id]))
        return self.refresh()


class Datastore(entities.DatastoreData["Session"]):
    """A datastore and its files."""

    def refresh(self) -> Datastore:
        """Read the datastore again (free space …); returns self."""
        self._record = self._session._t.call(ops.get_datastore(self.name))
        return self

    def browse(self, folder: str = "", recursive: bool = False, pattern: str = "") -> list[DatastoreFile]:
        """A folder's entries ("" = the top); ``pattern`` a glob on names ("*.vmx")."""
        return self._session._t.call(ops.browse(self.path(folder), recursive, pattern))

    def make_directory(self, folder: str, create_parents: bool = False) -> DatastoreFile:
        """A new folder (``create_parents``: and its missing parents)."""
        return self._session._t.call(ops.make_directory(self.path(folder), create_parents))

    def delete(self, path: str) -> None:
        """Delete a file or a folder with everything in it."""
        self._session._t.call(ops.delete_file(self.path(path)))

    def copy(self, source: str, destination: str, force: bool = False) -> DatastoreFile:
        """Copy a file or folder (a relative path is on this datastore; "[ds] x" on any)."""
        return self._session._t.call(ops.copy_file(self.path(source), self.path(destination), force))

    def move(self, source: str, destination: str, force: bool = False) -> DatastoreFile:
        """Move (rename) a file or folder."""
        plan = ops.copy_file(self.path(source), self.path(destination), force, move=True)
        return self._session._t.call(plan)

    def read(self, path: str) -> bytes:
        """A file's content."""
        chunks: list[bytes] = list(self._session._t.stream(ops.download(self.path(path))))
        return b"".join(chunks)

    def write(self, path: str, data: bytes, overwrite: bool = False) -> DatastoreFile:
        """Write a file (whole or not at all)."""
        return self._session._t.call(ops.upload(self.path(path), data, overwrite))


class PortGroup(entities.PortGroupData["Session"]):
    """A port group of a standard vSwitch."""

    def set_vlan(self, vlan_id: int) -> PortGroup:
        """Change the VLAN; returns self, updated."""
        self._record = self._session._t.call(ops.update_port_group(self.name, vlan_id=vlan_id))
        return self

    def rename(self, new_name: str) -> PortGroup:
        """Rename the port group; returns self, updated."""
        self._record = self._session._t.call(ops.update_port_group(self.name, new_name=new_name))
        return self

    def remove(self) -> None:
        """Remove the port group (no VM NIC may use it)."""
        self._session._t.call(ops.remove_port_group(self.name))

    def virtual_switch(self) -> VirtualSwitch:
        """The vSwitch the port group is on."""
        return self._session.virtual_switch(self.virtual_switch_name)


class VirtualSwitch(entities.VirtualSwitchData["Session"]):
    """A standard vSwitch."""

    @property
    def port_groups(self) -> list[PortGroup]:
        """The switch's port groups, as of the last read."""
        return [PortGroup(self._session, p) for p in self._record.port_groups]

    def add_port_group(self, name: str, vlan_id: int = 0) -> PortGroup:
        """A new port group on this switch (``vlan_id`` 0: none)."""
        return PortGroup(
            self._session, self._session._t.call(ops.create_port_group(self.name, name, vlan_id))
        )

    def remove(self) -> None:
        """Remove the switch (and its port groups)."""
        self._session._t.call(ops.remove_switch(self.name))


class ResourcePool(entities.ResourcePoolData["Session"]):
    """A resource pool."""

    def refresh(self) -> ResourcePool:
        """Read the pool again; returns self."""
        self._record = self._session._t.call(ops.get_pool(self.id))
        return self

    def vms(self) -> list[VM]:
        """The VMs directly in this pool."""
        wanted = set(self.refresh().vm_ids)
        return [vm for vm in self._session.vms() if vm.id in wanted]

    def children(self) -> list[ResourcePool]:
        """The pools directly under this one."""
        return [p for p in self._session.resource_pools() if p.parent_id == self.id]

    def create_child(
        self,
        name: str,
        cpu_allocation: AllocationChange | None = None,
        memory_allocation: AllocationChange | None = None,
    ) -> ResourcePool:
        """A new pool under this one (allocation keys: reservation, limit, shares_level, shares,
        expandable_reservation)."""
        plan = ops.create_pool(name, self.id, cpu_allocation, memory_allocation)
        return ResourcePool(self._session, self._session._t.call(plan))

    def update(
        self,
        name: str | None = None,
        cpu_allocation: AllocationChange | None = None,
        memory_allocation: AllocationChange | None = None,
    ) -> ResourcePool:
        """Rename and/or change allocations; returns self, updated."""
        self._record = self._session._t.call(
            ops.update_pool(self.id, name, cpu_allocation, memory_allocation)
        )
        return self

    def move_in(self, *entities: VM | ResourcePool) -> ResourcePool:
        """Move VMs and pools into this pool, all or none; returns self, updated."""
        self._record = self._session._t.call(ops.move_into_pool(self.id, [e.id for e in entities]))
        return self

    def remove(self) -> None:
        """Delete the (empty) pool."""
        self._session._t.call(ops.delete_pool(self.id))


class Session:
    """A logged-in connection to one host: the way in to every object. ``connect()`` makes one;
    ``Session.of(client)`` shares a ``clients.sdk.Client``'s channel and login."""

    def __init__(self, transport: SyncTransport, server: str = "", user: str = "") -> None:
        self._t = transport
        self.server = server
        self.user = user
        self._owned = True

    @classmethod
    def of(cls, client: Client) -> Session:
        """A session over an existing ``Client``'s channel and login (closing it leaves the client)."""
        session = cls(SyncTransport(client._channel, client.session_key), client.server, client.user)
        session._owned = False
        return session

    def _task(self, plan: ops.Call[model.Task]) -> Task:
        return Task(self, self._t.call(plan))

    # -- life cycle ---------------------------------------------------------------------------

    def close(self) -> None:
        """Log out and close the channel (a session made by ``of()`` leaves both to its client)."""
        if self._owned:
            with contextlib.suppress(faults.VimFault):
                self._t.call(ops.logout())
            self._t.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @property
    def security(self) -> Security:
        """Accounts, sessions, roles and permissions, lockdown and security settings."""
        return Security(self._t)

    # -- inventory ----------------------------------------------------------------------------

    def host(self) -> Host:
        """The host (Get-VMHost)."""
        return Host(self, self._t.call(ops.get_host()))

    def vms(self, name: str = "*") -> list[VM]:
        """Every VM, or those whose name matches the glob ``name`` ("web*")."""
        records = self._t.call(ops.list_vms())
        return [VM(self, r) for r in records if fnmatch.fnmatchcase(r.name, name)]

    def vm(self, name_or_id: str) -> VM:
        """The VM of that name or id ("web01", "vm-3"); NotFound when there is none."""
        if name_or_id.startswith("vm-"):
            with contextlib.suppress(faults.NotFound):
                return VM(self, self._t.call(ops.get_vm(name_or_id)))
        for record in self._t.call(ops.list_vms()):
            if record.name == name_or_id:
                return VM(self, record)
        raise faults.NotFound("VirtualMachine", name_or_id)

    def create_vm(
        self,
        name: str,
        num_cpu: int = 1,
        memory_mb: int = 256,
        *,
        disk_capacity_bytes: list[int] | None = None,
        network_names: list[str] | None = None,
        no_network: bool = False,
        guest_id: str = "",
        notes: str = "",
        cd_drive: bool = False,
        datastore: str = "",
        resource_pool: ResourcePool | None = None,
    ) -> Task:
        """Create a VM; ``task.wait().result_vm()`` is the new VM."""
        plan = ops.create_vm(
            name,
            num_cpu,
            memory_mb,
            guest_id=guest_id,
            notes=notes,
            disk_capacity_bytes=disk_capacity_bytes,
            network_names=network_names,
            no_network=no_network,
            cd_drive=cd_drive,
            datastore=datastore,
            resource_pool_id=resource_pool.id if resource_pool else "",
        )
        return self._task(plan)

    def register_vm(self, vmx_path: str, name: str = "", resource_pool: ResourcePool | None = None) -> Task:
        """Register an existing .vmx ("[datastore1] web02/web02.vmx")."""
        return self._task(ops.register_vm(vmx_path, name, resource_pool.id if resource_pool else ""))

    def datastores(self) -> list[Datastore]:
        """Every datastore (Get-Datastore)."""
        return [Datastore(self, d) for d in self._t.call(ops.list_datastores())]

    def datastore(self, name: str = "datastore1") -> Datastore:
        """The datastore of that name (NotFound)."""
        return Datastore(self, self._t.call(ops.get_datastore(name)))

    def virtual_switches(self) -> list[VirtualSwitch]:
        """Every standard vSwitch (Get-VirtualSwitch)."""
        return [VirtualSwitch(self, s) for s in self._t.call(ops.list_switches())]

    def virtual_switch(self, name: str) -> VirtualSwitch:
        """The vSwitch of that name (NotFound)."""
        for switch in self.virtual_switches():
            if switch.name == name:
                return switch
        raise faults.NotFound("VirtualSwitch", name)

    def create_virtual_switch(
        self, name: str, num_ports: int | None = None, mtu: int | None = None
    ) -> VirtualSwitch:
        """A new standard vSwitch (New-VirtualSwitch)."""
        return VirtualSwitch(self, self._t.call(ops.create_switch(name, num_ports, mtu)))

    def port_groups(self) -> list[PortGroup]:
        """Every port group of every vSwitch (Get-VirtualPortGroup)."""
        return [p for s in self.virtual_switches() for p in s.port_groups]

    def port_group(self, name: str) -> PortGroup:
        """The port group of that name (NotFound)."""
        for group in self.port_groups():
            if group.name == name:
                return group
        raise faults.NotFound("PortGroup", name)

    def resource_pools(self) -> list[ResourcePool]:
        """Every pool, the root pool first, parents before children."""
        return [ResourcePool(self, p) for p in self._t.call(ops.list_pools())]

    def resource_pool(self, name_or_id: str = "ha-root-pool") -> ResourcePool:
        """The pool of that id or name ("Resources" is the root pool)."""
        for pool in self.resource_pools():
            if name_or_id in (pool.id, pool.name):
                return pool
        raise faults.NotFound("ResourcePool", name_or_id)

    # -- host configuration: services, NTP, name resolution ------------------------------------

    def host_services(self) -> list[HostService]:
        """The host's services (Get-VMHostService)."""
        return self._t.call(ops.list_host_services())

    def start_host_service(self, key: str) -> HostService:
        """Start a service ("ntpd")."""
        return self._t.call(ops.host_service_action("StartHostService", key))

    def stop_host_service(self, key: str) -> HostService:
        """Stop a service."""
        return self._t.call(ops.host_service_action("StopHostService", key))

    def restart_host_service(self, key: str) -> HostService:
        """Restart a service."""
        return self._t.call(ops.host_service_action("RestartHostService", key))

    def set_host_service_policy(self, key: str, policy: str) -> HostService:
        """A service's policy: on, off or automatic."""
        return self._t.call(ops.set_host_service_policy(key, policy))

    def ntp_config(self) -> NtpConfig:
        """The NTP servers and poll interval (Get-VMHostNtpServer)."""
        return self._t.call(ops.get_ntp_config())

    def add_ntp_servers(self, servers: list[str]) -> NtpConfig:
        """Add ``host[:port]`` NTP servers (Add-VMHostNtpServer)."""
        return self._t.call(ops.change_ntp_servers(servers))

    def remove_ntp_servers(self, servers: list[str]) -> NtpConfig:
        """Remove NTP servers (Remove-VMHostNtpServer)."""
        return self._t.call(ops.change_ntp_servers(servers, remove=True))

    def set_ntp_poll_interval(self, seconds: float) -> NtpConfig:
        """How often ntpd polls each server (0.1 .. 1024 s)."""
        return self._t.call(ops.set_ntp_poll_interval(seconds))

    def ntp_status(self) -> NtpStatus:
        """Sync state, and offset, delay, stratum and reach per server (Get-VMHostNtpStatus)."""
        return self._t.call(ops.get_ntp_status())

    def host_network(self) -> HostNetwork:
        """Host name, domain, DNS servers, search domains (Get-VMHostNetwork)."""
        return self._t.call(ops.get_host_network())

    def update_host_network(
        self,
        host_name: str | None = None,
        domain_name: str | None = None,
        dns_servers: list[str] | None = None,
        search_domains: list[str] | None = None,
    ) -> HostNetwork:
        """Change what is given (Set-VMHostNetwork); a bad value changes nothing."""
        return self._t.call(ops.update_host_network(host_name, domain_name, dns_servers, search_domains))

    def resolve_name(self, name: str) -> Resolution:
        """Resolve a name as the host does, through its own DNS servers."""
        return self._t.call(ops.resolve_name(name))

    # -- tasks, events, changes, statistics ---------------------------------------------------

    def task(self, task_id: str) -> Task:
        """The task of that id (NotFound)."""
        return Task(self, self._t.call(ops.get_task(task_id)))

    def tasks(self, entity_id: str = "") -> list[Task]:
        """Recent tasks (of one entity)."""
        return [Task(self, t) for t in self._t.call(ops.list_tasks(entity_id))]

    def events(
        self,
        vm: VM | None = None,
        types: list[str] | None = None,
        max_count: int = 0,
        begin: dt.datetime | None = None,
        end: dt.datetime | None = None,
    ) -> list[Event]:
        """Recorded events, newest first (Get-VIEvent)."""
        plan = ops.query_events(vm.id if vm else "", types, max_count, begin, end)
        return [Event(self, e) for e in self._t.call(plan)]

    def follow_events(
        self,
        vm: VM | None = None,
        types: list[str] | None = None,
        timeout: float | None = None,
        after_key: int = 0,
    ) -> Generator[Event, None, None]:
        """Events as they happen, until ``timeout`` seconds pass (None: until the loop stops);
        ``after_key``: first replay the recorded events after that key (no event is missed between)."""
        for record in self._t.stream(ops.watch_events(vm.id if vm else "", types, after_key, timeout)):
            yield Event(self, record)

    def watch(
        self,
        object_types: list[str] | None = None,
        object_ids: list[str] | None = None,
        timeout: float | None = None,
    ) -> Generator[ops.Change, None, None]:
        """The change feed: the current state of each object, then each change as it happens."""
        yield from self._t.stream(ops.watch_changes(object_types, object_ids, timeout=timeout))

    def perf_counters(self) -> model.PerfCatalogue:
        """The performance counters and the realtime interval (Get-StatType)."""
        return self._t.call(ops.perf_counters())

    def stats(
        self,
        entity_id: str = model.HOST_ENTITY_ID,
        counters: list[str] | None = None,
        max_samples: int = 0,
        begin: dt.datetime | None = None,
        end: dt.datetime | None = None,
    ) -> list[model.PerfSample]:
        """Realtime samples of "ha-host" or a VM's id, oldest first (Get-Stat)."""
        return self._t.call(ops.query_perf(entity_id, counters, max_samples, begin, end))


def connect(
    server: str,
    user: str,
    password: str,
    timeout: float = 10.0,
    *,
    thumbprint: str | None = None,
    invalid_certificate_action: str = "pin",
    ca_file: str | None = None,
    trust: Trust | None = None,
) -> Session:
    """Open a TLS channel to HOST:PORT, wait until it is up, and log in (the host's certificate is
    trusted as ``clients.tls`` says: pinned on first use, a given thumbprint, or a CA file)."""
    trust = trust or Trust(thumbprint, invalid_certificate_action, ca_file)
    transport = SyncTransport(open_channel(server, timeout, trust))
    try:
        user, transport.session_key = transport.call(ops.login(user, password))
    except BaseException:
        transport.close()
        raise
    return Session(transport, server, user)

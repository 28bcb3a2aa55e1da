"""The SDK's object model for asyncio: an ``AsyncSession`` and objects with ``async`` methods.

    from clients import aio

    async with await aio.connect("127.0.0.1:8443", "root", "secret") as session:
        task = await session.create_vm("web01")
        await task.wait()
        vm = await task.result_vm()
        await (await vm.power_on()).wait(timeout=60)
        async for change in session.watch(["VirtualMachine"], timeout=5):
            print(change.kind, change.object_id)

The same objects, properties and faults as ``clients.objects`` (the sync flavour), over ``grpc.aio``;
both build their calls in ``clients.ops`` and share their properties (``clients.entities``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fnmatch
from collections.abc import AsyncGenerator, Mapping
from types import TracebackType
from typing import Unpack

from clients import entities, model, ops
from clients.datastores import DatastoreFile
from clients.guestops import GuestProcess, ScriptResult
from clients.hostconfig import HostNetwork, HostService, NtpConfig, NtpStatus, Resolution
from clients.hostops import AutoPowerInfo, AutoStartConfig, AutoStartDefaults, HostSetting, LogLines
from clients.sdk import AllocationChange
from clients.security import AsyncSecurity
from clients.tls import Trust, open_aio_channel
from clients.transport import AsyncTransport
from pyesx import faults

__all__ = [
    "VM",
    "AsyncSession",
    "Datastore",
    "Event",
    "HardDisk",
    "Host",
    "NetworkAdapter",
    "PortGroup",
    "ResourcePool",
    "Snapshot",
    "Task",
    "VirtualSwitch",
    "connect",
]


class Host(entities.HostData["AsyncSession"]):
    """The host (HostSystem)."""

    async def refresh(self) -> Host:
        """Read the host's figures again; returns self."""
        self._record = await self._session._t.call(ops.get_host())
        return self

    async def stats(self, counters: list[str] | None = None, max_samples: int = 0) -> list[model.PerfSample]:
        """The host's realtime performance samples (Get-Stat -Entity host)."""
        return await self._session.stats(model.HOST_ENTITY_ID, counters, max_samples)

    async def advanced_settings(self, keys: list[str] | None = None) -> list[HostSetting]:
        """The host's advanced settings with their types and ranges (Get-AdvancedSetting)."""
        return await self._session._t.call(ops.host_settings(keys))

    async def set_advanced_settings(self, values: Mapping[str, str]) -> list[HostSetting]:
        """Set advanced settings; a bad value raises InvalidArgument and nothing changes."""
        return await self._session._t.call(ops.update_host_settings(values))

    async def enter_maintenance_mode(self) -> Task:
        """Start entering maintenance mode (InvalidState while VMs are powered on)."""
        return Task(self._session, await self._session._t.call(ops.enter_maintenance_mode()))

    async def exit_maintenance_mode(self) -> Task:
        """Start leaving maintenance mode."""
        return Task(self._session, await self._session._t.call(ops.exit_maintenance_mode()))

    async def autostart(self) -> AutoStartConfig:
        """The autostart defaults and VM entries (Get-VMHostStartPolicy, Get-VMStartPolicy)."""
        return await self._session._t.call(ops.get_autostart())

    async def reconfigure_autostart(
        self, defaults: AutoStartDefaults | None = None, power_info: list[AutoPowerInfo] | None = None
    ) -> AutoStartConfig:
        """Replace the autostart defaults (when given) and these VMs' entries."""
        return await self._session._t.call(ops.reconfigure_autostart(defaults, power_info))

    async def reboot(self, force: bool = False) -> Task:
        """Reboot the host; without force it must be in maintenance mode."""
        return Task(self._session, await self._session._t.call(ops.reboot_host(force)))

    async def shutdown(self, force: bool = False) -> Task:
        """Shut the host down; without force it must be in maintenance mode."""
        return Task(self._session, await self._session._t.call(ops.shutdown_host(force)))

    async def log(self, key: str, start_line_num: int = 0, num_lines: int = 0) -> LogLines:
        """Lines of a host log (hostd, vmkernel): from start_line_num, or the last num_lines."""
        return await self._session._t.call(ops.browse_log(key, start_line_num, num_lines))


class Task(entities.TaskData["AsyncSession"]):
    """A long operation; ``wait()`` for it to finish."""

    async def refresh(self) -> Task:
        """Read the task's state again; returns self."""
        self._record = await self._session._t.call(ops.get_task(self.id))
        return self

    async def wait(self, timeout: float | None = None) -> Task:
        """Wait on the change feed until the task finishes; returns self, updated. Raises the task's
        fault when it failed, NotFound for an unknown task and Timedout when ``timeout`` passes."""
        waiter = ops.TaskWaiter(self.id, timeout)
        async with contextlib.aclosing(self._session._t.stream(waiter.watch())) as changes:
            async for change in changes:
                finished = waiter.feed(change)
                if finished is not None:
                    self._record = finished
                    if finished.error is not None:
                        raise finished.error
                    return self
        raise waiter.stream_ended()

    async def cancel(self) -> Task:
        """Ask the host to cancel the task (a cancelable one); returns self, updated."""
        self._record = await self._session._t.call(ops.cancel_task(self.id))
        return self

    async def result_vm(self) -> VM:
        """The VM the task made or acted on (CreateVM, RegisterVM: the new VM)."""
        return await self._session.vm(self.result_entity_id or self.entity_id)


class Event(entities.EventData["AsyncSession"]):
    """A recorded event."""

    async def vm(self) -> VM:
        """The event's VM (NotFound when it has none, or it is gone)."""
        return await self._session.vm(self.vm_id or "-")


class Snapshot(entities.SnapshotData["AsyncSession"]):
    """A VM's snapshot."""

    @property
    def children(self) -> list[Snapshot]:
        """The snapshots taken after this one, from this state."""
        return [Snapshot(self._session, c) for c in self._record.children]

    async def revert(self, suppress_power_on: bool = False) -> Task:
        """Make this the VM's state again (Set-VM -Snapshot)."""
        return await self._session._task(ops.revert_to_snapshot(self.id, suppress_power_on))

    async def remove(self, remove_children: bool = False) -> Task:
        """Delete this snapshot (its changes fold into its child or the VM)."""
        return await self._session._task(ops.remove_snapshot(self.id, remove_children))

    async def vm(self) -> VM:
        """The snapshot's VM."""
        return await self._session.vm(self.vm_id)


class HardDisk(entities.HardDiskData["AsyncSession"]):
    """A virtual disk of a VM."""

    async def extend(self, capacity_bytes: int) -> Task:
        """Grow the disk to ``capacity_bytes`` (Set-HardDisk -CapacityKB)."""
        change = [{"key": self.key, "capacity_bytes": capacity_bytes}]
        return await self._session._task(ops.reconfigure_vm(self.vm_id, {"change_disks": change}))

    async def set_mode(self, disk_mode: str) -> Task:
        """persistent | independent_persistent | independent_nonpersistent."""
        change = [{"key": self.key, "disk_mode": disk_mode}]
        return await self._session._task(ops.reconfigure_vm(self.vm_id, {"change_disks": change}))

    async def remove(self, delete_files: bool = False) -> Task:
        """Detach the disk (and delete its files)."""
        changes = {"remove_disk_keys": [self.key], "delete_removed_disk_files": delete_files}
        return await self._session._task(ops.reconfigure_vm(self.vm_id, changes))


class NetworkAdapter(entities.NetworkAdapterData["AsyncSession"]):
    """A virtual NIC of a VM."""

    async def _change(self, **change: str | bool) -> Task:
        changes = {"change_nics": [{"key": self.key, **change}]}
        return await self._session._task(ops.reconfigure_vm(self.vm_id, changes))

    async def connect(self) -> Task:
        """Put a running VM's NIC on its port."""
        return await self._change(connected=True)

    async def disconnect(self) -> Task:
        """Take a running VM's NIC off its port."""
        return await self._change(connected=False)

    async def set_network(self, network_name: str) -> Task:
        """Move the NIC to another port group."""
        return await self._change(network_name=network_name)

    async def remove(self) -> Task:
        """Remove the NIC from the VM."""
        return await self._session._task(ops.reconfigure_vm(self.vm_id, {"remove_network_keys": [self.key]}))


class VM(entities.VMData["AsyncSession"]):
    """A virtual machine. Properties are as of the last read; ``refresh()`` reads them again."""

    @property
    def disks(self) -> list[HardDisk]:
        """The VM's virtual disks, as of the last read."""
        return [HardDisk(self._session, d, self.id) for d in self._record.disks]

    @property
    def nics(self) -> list[NetworkAdapter]:
        """The VM's network adapters, as of the last read."""
        return [NetworkAdapter(self._session, n, self.id) for n in self._record.network_adapters]

    async def refresh(self) -> VM:
        """Read the VM again (GetVM); returns self."""
        self._record = await self._session._t.call(ops.get_vm(self.id))
        return self

    async def _op(self, method: str) -> Task:
        return await self._session._task(ops.vm_task(method, self.id))

    async def power_on(self) -> Task:
        """Power on (or resume) the VM."""
        return await self._op("PowerOnVM")

    async def power_off(self) -> Task:
        """Power the VM off (hard, as Stop-VM)."""
        return await self._op("PowerOffVM")

    async def suspend(self) -> Task:
        """Suspend the VM (its memory to a .vmss; power_on resumes it)."""
        return await self._op("SuspendVM")

    async def reset(self) -> Task:
        """Reset the VM (a hard reboot)."""
        return await self._op("ResetVM")

    async def kill(self) -> Task:
        """End the vmx at once (Stop-VM -Kill)."""
        return await self._op("KillVM")

    async def destroy(self) -> Task:
        """Unregister the VM and delete its files (Remove-VM -DeletePermanently)."""
        return await self._op("DestroyVM")

    async def unregister(self) -> Task:
        """Remove the VM from the inventory; its files stay."""
        return await self._op("UnregisterVM")

    async def shutdown_guest(self) -> None:
        """Ask the guest OS to shut down (needs its tools)."""
        await self._session._t.call(ops.vm_request("ShutdownGuest", self.id))

    async def reboot_guest(self) -> None:
        """Ask the guest OS to reboot (needs its tools)."""
        await self._session._t.call(ops.vm_request("RebootGuest", self.id))

    async def answer(self, choice: str) -> None:
        """Answer the question the VM waits on ("Retry" or "Cancel")."""
        if self.question is None:
            raise faults.InvalidState(f"{self.name} has no question to answer")
        await self._session._t.call(ops.answer_vm(self.id, self.question.id, choice))

    async def reconfigure(self, **changes: Unpack[ops.VMChanges]) -> Task:
        """Change the VM: num_cpu, memory_mb, name, notes, devices, allocations, extra config
        (``clients.ops.VMChanges`` lists every keyword)."""
        return await self._session._task(ops.reconfigure_vm(self.id, changes))

    async def add_disk(self, capacity_bytes: int, disk_format: str = "thin") -> Task:
        """A new virtual disk (thin | thick | eagerZeroedThick)."""
        disk: dict[str, int | str] = {"capacity_bytes": capacity_bytes, "disk_format": disk_format}
        return await self.reconfigure(add_disks=[disk])

    async def add_nic(self, network_name: str = "VM Network", adapter_type: str = "vmxnet3") -> Task:
        """A new network adapter on ``network_name`` (vmxnet3 | e1000 | e1000e)."""
        return await self.reconfigure(add_nics=[{"network_name": network_name, "adapter_type": adapter_type}])

    async def wait_for(
        self, power_state: str | None = None, timeout: float | None = None, **fields: object
    ) -> VM:
        """Wait on the change feed until the VM's properties match (``power_state="poweredOn"``, or
        any VM record field); returns self, updated. Timedout when ``timeout`` passes first."""
        expected = {**({"power_state": power_state} if power_state else {}), **fields}
        waiter = ops.VMWaiter(self.id, expected, timeout)
        async with contextlib.aclosing(self._session._t.stream(waiter.watch())) as changes:
            async for change in changes:
                matched = waiter.feed(change)
                if matched is not None:
                    self._record = matched
                    return self
        raise waiter.stream_ended()

    async def snapshots(self) -> list[Snapshot]:
        """Every snapshot of the VM, oldest first."""
        trees = await self._session._t.call(ops.list_snapshots(self.id))
        return [Snapshot(self._session, s) for s in ops.flatten(trees)]

    async def snapshot(self, name: str) -> Snapshot:
        """The snapshot of that name (NotFound)."""
        for snap in await self.snapshots():
            if snap.name == name:
                return snap
        raise faults.NotFound("Snapshot", name)

    async def current_snapshot(self) -> Snapshot | None:
        """The snapshot the VM runs from, or None."""
        return next((s for s in await self.snapshots() if s.is_current), None)

    async def create_snapshot(self, name: str, description: str = "", memory: bool = False) -> Task:
        """A new snapshot (memory: with the running VM's memory)."""
        return await self._session._task(ops.create_snapshot(self.id, name, description, memory))

    async def remove_all_snapshots(self) -> Task:
        """Delete every snapshot, consolidating them into the VM's disks."""
        return await self._op("RemoveAllSnapshots")

    async def guest(self) -> model.GuestInfo:
        """The guest's state as its tools report it (Get-VMGuest)."""
        return await self._session._t.call(ops.guest_info(self.id))

    async def run_script(self, script: str, user: str, password: str, timeout: float = 0.0) -> ScriptResult:
        """Run ``script`` in the guest's shell as ``user`` (Invoke-VMScript)."""
        return await self._session._t.call(ops.run_script(self.id, user, password, script, timeout))

    async def guest_processes(self, user: str, password: str) -> list[GuestProcess]:
        """The guest's processes, listed through its tools as ``user``."""
        return await self._session._t.call(ops.guest_processes(self.id, user, password))

    async def advanced_settings(self) -> dict[str, str]:
        """The .vmx keys no other property covers (Get-AdvancedSetting)."""
        return await self._session._t.call(ops.advanced_settings(self.id))

    async def events(self, types: list[str] | None = None, max_count: int = 0) -> list[Event]:
        """The VM's events, newest first."""
        return await self._session.events(vm=self, types=types, max_count=max_count)

    async def tasks(self) -> list[Task]:
        """The VM's recent tasks."""
        return await self._session.tasks(entity_id=self.id)

    async def stats(self, counters: list[str] | None = None, max_samples: int = 0) -> list[model.PerfSample]:
        """The VM's realtime performance samples (Get-Stat)."""
        return await self._session.stats(self.id, counters, max_samples)

    async def resource_pool(self) -> ResourcePool:
        """The resource pool the VM is in."""
        return await self._session.resource_pool(self.resource_pool_id)

    async def move_to(self, pool: ResourcePool) -> VM:
        """Move the VM into ``pool`` (Move-VM -Destination); returns self, updated."""
        await self._session._t.call(ops.move_into_pool(pool.id, [self.id]))
        return await self.refresh()


class Datastore(entities.DatastoreData["AsyncSession"]):
    """A datastore and its files."""

    async def refresh(self) -> Datastore:
        """Read the datastore again (free space …); returns self."""
        self._record = await self._session._t.call(ops.get_datastore(self.name))
        return self

    async def browse(
        self, folder: str = "", recursive: bool = False, pattern: str = ""
    ) -> list[DatastoreFile]:
        """A folder's entries ("" = the top); ``pattern`` a glob on names ("*.vmx")."""
        return await self._session._t.call(ops.browse(self.path(folder), recursive, pattern))

    async def make_directory(self, folder: str, create_parents: bool = False) -> DatastoreFile:
        """A new folder (``create_parents``: and its missing parents)."""
        return await self._session._t.call(ops.make_directory(self.path(folder), create_parents))

    async def delete(self, path: str) -> None:
        """Delete a file or a folder with everything in it."""
        await self._session._t.call(ops.delete_file(self.path(path)))

    async def copy(self, source: str, destination: str, force: bool = False) -> DatastoreFile:
        """Copy a file or folder (a relative path is on this datastore; "[ds] x" on any)."""
        return await self._session._t.call(ops.copy_file(self.path(source), self.path(destination), force))

    async def move(self, source: str, destination: str, force: bool = False) -> DatastoreFile:
        """Move (rename) a file or folder."""
        plan = ops.copy_file(self.path(source), self.path(destination), force, move=True)
        return await self._session._t.call(plan)

    async def read(self, path: str) -> bytes:
        """A file's content."""
        return b"".join([chunk async for chunk in self._session._t.stream(ops.download(self.path(path)))])

    async def write(self, path: str, data: bytes, overwrite: bool = False) -> DatastoreFile:
        """Write a file (whole or not at all)."""
        return await self._session._t.call(ops.upload(self.path(path), data, overwrite))


class PortGroup(entities.PortGroupData["AsyncSession"]):
    """A port group of a standard vSwitch."""

    async def set_vlan(self, vlan_id: int) -> PortGroup:
        """Change the VLAN; returns self, updated."""
        self._record = await self._session._t.call(ops.update_port_group(self.name, vlan_id=vlan_id))
        return self

    async def rename(self, new_name: str) -> PortGroup:
        """Rename the port group; returns self, updated."""
        self._record = await self._session._t.call(ops.update_port_group(self.name, new_name=new_name))
        return self

    async def remove(self) -> None:
        """Remove the port group (no VM NIC may use it)."""
        await self._session._t.call(ops.remove_port_group(self.name))

    async def virtual_switch(self) -> VirtualSwitch:
        """The vSwitch the port group is on."""
        return await self._session.virtual_switch(self.virtual_switch_name)


class VirtualSwitch(entities.VirtualSwitchData["AsyncSession"]):
    """A standard vSwitch."""

    @property
    def port_groups(self) -> list[PortGroup]:
        """The switch's port groups, as of the last read."""
        return [PortGroup(self._session, p) for p in self._record.port_groups]

    async def add_port_group(self, name: str, vlan_id: int = 0) -> PortGroup:
        """A new port group on this switch (``vlan_id`` 0: none)."""
        return PortGroup(
            self._session, await self._session._t.call(ops.create_port_group(self.name, name, vlan_id))
        )

    async def remove(self) -> None:
        """Remove the switch (and its port groups)."""
        await self._session._t.call(ops.remove_switch(self.name))


class ResourcePool(entities.ResourcePoolData["AsyncSession"]):
    """A resource pool."""

    async def refresh(self) -> ResourcePool:
        """Read the pool again; returns self."""
        self._record = await self._session._t.call(ops.get_pool(self.id))
        return self

    async def vms(self) -> list[VM]:
        """The VMs directly in this pool."""
        wanted = set((await self.refresh()).vm_ids)
        return [vm for vm in await self._session.vms() if vm.id in wanted]

    async def children(self) -> list[ResourcePool]:
        """The pools directly under this one."""
        return [p for p in await self._session.resource_pools() if p.parent_id == self.id]

    async def create_child(
        self,
        name: str,
        cpu_allocation: AllocationChange | None = None,
        memory_allocation: AllocationChange | None = None,
    ) -> ResourcePool:
        """A new pool under this one (allocation keys: reservation, limit, shares_level, shares,
        expandable_reservation)."""
        plan = ops.create_pool(name, self.id, cpu_allocation, memory_allocation)
        return ResourcePool(self._session, await self._session._t.call(plan))

    async def update(
        self,
        name: str | None = None,
        cpu_allocation: AllocationChange | None = None,
        memory_allocation: AllocationChange | None = None,
    ) -> ResourcePool:
        """Rename and/or change allocations; returns self, updated."""
        self._record = await self._session._t.call(
            ops.update_pool(self.id, name, cpu_allocation, memory_allocation)
        )
        return self

    async def move_in(self, *entities: VM | ResourcePool) -> ResourcePool:
        """Move VMs and pools into this pool, all or none; returns self, updated."""
        self._record = await self._session._t.call(ops.move_into_pool(self.id, [e.id for e in entities]))
        return self

    async def remove(self) -> None:
        """Delete the (empty) pool."""
        await self._session._t.call(ops.delete_pool(self.id))


class AsyncSession:
    """A logged-in asyncio connection to one host: the way in to every object. ``await connect()``
    makes one; use it as ``async with``."""

    def __init__(self, transport: AsyncTransport, server: str = "", user: str = "") -> None:
        self._t = transport
        self.server = server
        self.user = user

    async def _task(self, plan: ops.Call[model.Task]) -> Task:
        return Task(self, await self._t.call(plan))

    # -- life cycle ---------------------------------------------------------------------------

    async def close(self) -> None:
        """Log out and close the channel."""
        with contextlib.suppress(faults.VimFault):
            await self._t.call(ops.logout())
        await self._t.close()

    async def __aenter__(self) -> AsyncSession:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    @property
    def security(self) -> AsyncSecurity:
        """Accounts, sessions, roles and permissions, lockdown and security settings."""
        return AsyncSecurity(self._t)

    # -- inventory ----------------------------------------------------------------------------

    async def host(self) -> Host:
        """The host (Get-VMHost)."""
        return Host(self, await self._t.call(ops.get_host()))

    async def vms(self, name: str = "*") -> list[VM]:
        """Every VM, or those whose name matches the glob ``name`` ("web*")."""
        records = await self._t.call(ops.list_vms())
        return [VM(self, r) for r in records if fnmatch.fnmatchcase(r.name, name)]

    async def vm(self, name_or_id: str) -> VM:
        """The VM of that name or id ("web01", "vm-3"); NotFound when there is none."""
        if name_or_id.startswith("vm-"):
            with contextlib.suppress(faults.NotFound):
                return VM(self, await self._t.call(ops.get_vm(name_or_id)))
        for record in await self._t.call(ops.list_vms()):
            if record.name == name_or_id:
                return VM(self, record)
        raise faults.NotFound("VirtualMachine", name_or_id)

    async def create_vm(
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
        return await self._task(plan)

    async def register_vm(
        self, vmx_path: str, name: str = "", resource_pool: ResourcePool | None = None
    ) -> Task:
        """Register an existing .vmx ("[datastore1] web02/web02.vmx")."""
        return await self._task(ops.register_vm(vmx_path, name, resource_pool.id if resource_pool else ""))

    async def datastores(self) -> list[Datastore]:
        """Every datastore (Get-Datastore)."""
        return [Datastore(self, d) for d in await self._t.call(ops.list_datastores())]

    async def datastore(self, name: str = "datastore1") -> Datastore:
        """The datastore of that name (NotFound)."""
        return Datastore(self, await self._t.call(ops.get_datastore(name)))

    async def virtual_switches(self) -> list[VirtualSwitch]:
        """Every standard vSwitch (Get-VirtualSwitch)."""
        return [VirtualSwitch(self, s) for s in await self._t.call(ops.list_switches())]

    async def virtual_switch(self, name: str) -> VirtualSwitch:
        """The vSwitch of that name (NotFound)."""
        for switch in await self.virtual_switches():
            if switch.name == name:
                return switch
        raise faults.NotFound("VirtualSwitch", name)

    async def create_virtual_switch(
        self, name: str, num_ports: int | None = None, mtu: int | None = None
    ) -> VirtualSwitch:
        """A new standard vSwitch (New-VirtualSwitch)."""
        return VirtualSwitch(self, await self._t.call(ops.create_switch(name, num_ports, mtu)))

    async def port_groups(self) -> list[PortGroup]:
        """Every port group of every vSwitch (Get-VirtualPortGroup)."""
        return [p for s in await self.virtual_switches() for p in s.port_groups]

    async def port_group(self, name: str) -> PortGroup:
        """The port group of that name (NotFound)."""
        for group in await self.port_groups():
            if group.name == name:
                return group
        raise faults.NotFound("PortGroup", name)

    async def resource_pools(self) -> list[ResourcePool]:
        """Every pool, the root pool first, parents before children."""
        return [ResourcePool(self, p) for p in await self._t.call(ops.list_pools())]

    async def resource_pool(self, name_or_id: str = "ha-root-pool") -> ResourcePool:
        """The pool of that id or name ("Resources" is the root pool)."""
        for pool in await self.resource_pools():
            if name_or_id in (pool.id, pool.name):
                return pool
        raise faults.NotFound("ResourcePool", name_or_id)

    # -- host configuration: services, NTP, name resolution ------------------------------------

    async def host_services(self) -> list[HostService]:
        """The host's services (Get-VMHostService)."""
        return await self._t.call(ops.list_host_services())

    async def start_host_service(self, key: str) -> HostService:
        """Start a service ("ntpd")."""
        return await self._t.call(ops.host_service_action("StartHostService", key))

    async def stop_host_service(self, key: str) -> HostService:
        """Stop a service."""
        return await self._t.call(ops.host_service_action("StopHostService", key))

    async def restart_host_service(self, key: str) -> HostService:
        """Restart a service."""
        return await self._t.call(ops.host_service_action("RestartHostService", key))

    async def set_host_service_policy(self, key: str, policy: str) -> HostService:
        """A service's policy: on, off or automatic."""
        return await self._t.call(ops.set_host_service_policy(key, policy))

    async def ntp_config(self) -> NtpConfig:
        """The NTP servers and poll interval (Get-VMHostNtpServer)."""
        return await self._t.call(ops.get_ntp_config())

    async def add_ntp_servers(self, servers: list[str]) -> NtpConfig:
        """Add ``host[:port]`` NTP servers (Add-VMHostNtpServer)."""
        return await self._t.call(ops.change_ntp_servers(servers))

    async def remove_ntp_servers(self, servers: list[str]) -> NtpConfig:
        """Remove NTP servers (Remove-VMHostNtpServer)."""
        return await self._t.call(ops.change_ntp_servers(servers, remove=True))

    async def set_ntp_poll_interval(self, seconds: float) -> NtpConfig:
        """How often ntpd polls each server (0.1 .. 1024 s)."""
        return await self._t.call(ops.set_ntp_poll_interval(seconds))

    async def ntp_status(self) -> NtpStatus:
        """Sync state, and offset, delay, stratum and reach per server (Get-VMHostNtpStatus)."""
        return await self._t.call(ops.get_ntp_status())

    async def host_network(self) -> HostNetwork:
        """Host name, domain, DNS servers, search domains (Get-VMHostNetwork)."""
        return await self._t.call(ops.get_host_network())

    async def update_host_network(
        self,
        host_name: str | None = None,
        domain_name: str | None = None,
        dns_servers: list[str] | None = None,
        search_domains: list[str] | None = None,
    ) -> HostNetwork:
        """Change what is given (Set-VMHostNetwork); a bad value changes nothing."""
        return await self._t.call(
            ops.update_host_network(host_name, domain_name, dns_servers, search_domains)
        )

    async def resolve_name(self, name: str) -> Resolution:
        """Resolve a name as the host does, through its own DNS servers."""
        return await self._t.call(ops.resolve_name(name))

    # -- tasks, events, changes, statistics ---------------------------------------------------

    async def task(self, task_id: str) -> Task:
        """The task of that id (NotFound)."""
        return Task(self, await self._t.call(ops.get_task(task_id)))

    async def tasks(self, entity_id: str = "") -> list[Task]:
        """Recent tasks (of one entity)."""
        return [Task(self, t) for t in await self._t.call(ops.list_tasks(entity_id))]

    async def events(
        self,
        vm: VM | None = None,
        types: list[str] | None = None,
        max_count: int = 0,
        begin: dt.datetime | None = None,
        end: dt.datetime | None = None,
    ) -> list[Event]:
        """Recorded events, newest first (Get-VIEvent)."""
        plan = ops.query_events(vm.id if vm else "", types, max_count, begin, end)
        return [Event(self, e) for e in await self._t.call(plan)]

    async def follow_events(
        self,
        vm: VM | None = None,
        types: list[str] | None = None,
        timeout: float | None = None,
        after_key: int = 0,
    ) -> AsyncGenerator[Event, None]:
        """Events as they happen, until ``timeout`` seconds pass (None: until the loop stops);
        ``after_key``: first replay the recorded events after that key (no event is missed between)."""
        async for record in self._t.stream(ops.watch_events(vm.id if vm else "", types, after_key, timeout)):
            yield Event(self, record)

    async def watch(
        self,
        object_types: list[str] | None = None,
        object_ids: list[str] | None = None,
        timeout: float | None = None,
    ) -> AsyncGenerator[ops.Change, None]:
        """The change feed: the current state of each object, then each change as it happens."""
        async for change in self._t.stream(ops.watch_changes(object_types, object_ids, timeout=timeout)):
            yield change

    async def perf_counters(self) -> model.PerfCatalogue:
        """The performance counters and the realtime interval (Get-StatType)."""
        return await self._t.call(ops.perf_counters())

    async def stats(
        self,
        entity_id: str = model.HOST_ENTITY_ID,
        counters: list[str] | None = None,
        max_samples: int = 0,
        begin: dt.datetime | None = None,
        end: dt.datetime | None = None,
    ) -> list[model.PerfSample]:
        """Realtime samples of "ha-host" or a VM's id, oldest first (Get-Stat)."""
        return await self._t.call(ops.query_perf(entity_id, counters, max_samples, begin, end))


async def connect(
    server: str,
    user: str,
    password: str,
    timeout: float = 10.0,
    *,
    thumbprint: str | None = None,
    invalid_certificate_action: str = "pin",
    ca_file: str | None = None,
    trust: Trust | None = None,
) -> AsyncSession:
    """Open a ``grpc.aio`` TLS channel to HOST:PORT, wait until it is up, and log in (the host is
    trusted as ``clients.tls`` says)."""
    trust = trust or Trust(thumbprint, invalid_certificate_action, ca_file)
    channel = await open_aio_channel(server, timeout, trust)
    transport = AsyncTransport(channel)
    try:
        user, transport.session_key = await transport.call(ops.login(user, password))
    except BaseException:
        await transport.close()
        raise
    return AsyncSession(transport, server, user)

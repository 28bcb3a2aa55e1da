"""The VM inventory and lifecycle: the domain code behind VirtualMachineService.

Validation happens before a task is created (a bad call changes nothing and
returns its fault directly); the work of a valid call runs as a task. Power
state comes from the VMkernel: StartVmx/StopVmx results, its world table at
start-up, and its vmx-exit events afterwards.
"""

from __future__ import annotations

import contextlib
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from hostd import vmconfig
from hostd.events import EventLog
from hostd.inventory import Inventory
from hostd.sessions import current_user
from hostd.tasks import Task, TaskManager, Work
from pyesx import faults
from pyesx.atomic import atomic_write
from pyesx.layout import HostLayout, check_entity_name
from pyesx.logs import get_logger
from pyesx.rpc.channel import call
from pyesx.vmkernel.v1 import vmkernel_pb2, vmkernel_pb2_grpc
from pyesx.vmxfile import VmxConfig

_log = get_logger("vms")

POWERED_OFF, POWERED_ON, SUSPENDED = "poweredOff", "poweredOn", "suspended"
MAX_VMS = 1024
MAX_VCPUS_PER_VM = 128
MIN_MEMORY_MB, MAX_MEMORY_MB = 4, 24 * 1024 * 1024


@dataclass
class VmRecord:
    id: str
    obj_id: int
    vmx_path: Path
    config: VmxConfig
    power_state: str = POWERED_OFF
    vmx_pid: int = 0
    vmm_pids: list[int] = field(default_factory=list)

    @property
    def name(self) -> str:
        return vmconfig.display_name(self.config, self.vmx_path.stem)


class VmManager:
    def __init__(
        self,
        layout: HostLayout,
        inventory: Inventory,
        vmkernel: vmkernel_pb2_grpc.VMkernelStub,
        tasks: TaskManager,
        events: EventLog,
        host: vmkernel_pb2.HostInfo,
    ) -> None:
        self.layout, self.inventory, self.vmkernel = layout, inventory, vmkernel
        self.tasks, self.events, self.host = tasks, events, host
        self.vms: dict[str, VmRecord] = {}
        self._reserved_names: set[str] = set()

    # -- start-up -----------------------------------------------------------------------------

    def load(self) -> None:
        """Read every registered .vmx; a VM whose file is gone or broken is logged and kept out."""
        for entry in self.inventory.load():
            try:
                config = VmxConfig.parse(entry.vmx_path.read_text(), str(entry.vmx_path))
            except (OSError, faults.VimFault) as exc:
                _log.error("vm.unreadable", vm_id=entry.vm_id, vmx_path=str(entry.vmx_path), reason=str(exc))
                continue
            self.vms[entry.vm_id] = VmRecord(entry.vm_id, entry.obj_id, entry.vmx_path, config)

    def attach(self, running: list[vmkernel_pb2.VmxWorld]) -> None:
        """Mark the VMs whose vmx the VMkernel runs as powered on (hostd start-up and restart)."""
        for vmx in running:
            vm = self.vms.get(vmx.vm_id)
            if vm is None:
                _log.warning("vm.orphan_vmx", vm_id=vmx.vm_id, pid=vmx.pid)
                continue
            vm.power_state, vm.vmx_pid, vm.vmm_pids = POWERED_ON, vmx.pid, list(vmx.vmm_pids)
            _log.info("vm.reattached", vm_id=vm.id, vm=vm.name, vmx_pid=vmx.pid)

    def on_world_event(self, event: vmkernel_pb2.WorldEvent) -> None:
        if event.WhichOneof("kind") == "vmx_exited":
            exited = event.vmx_exited
            vm = self.vms.get(exited.vm_id)
            if vm is None or vm.vmx_pid != exited.pid:
                return
            vm.power_state, vm.vmx_pid, vm.vmm_pids = POWERED_OFF, 0, []
            if not exited.expected:
                self.events.record(
                    "VmDiedEvent",
                    f"The virtual machine process of {vm.name} has exited unexpectedly "
                    f"(exit code {exited.exit_code}).",
                    vm_id=vm.id,
                    vm_name=vm.name,
                )
        elif event.WhichOneof("kind") == "hostd_restarted":
            r = event.hostd_restarted
            self.events.record(
                "HostdRestartedEvent",
                f"hostd (pid {r.old_pid}) exited with code {r.exit_code}; "
                f"the watchdog restarted it as pid {r.new_pid}.",
            )

    # -- reads --------------------------------------------------------------------------------

    def get(self, vm_id: str) -> VmRecord:
        vm = self.vms.get(vm_id)
        if vm is None:
            raise faults.NotFound("VirtualMachine", vm_id)
        return vm

    def list(self) -> list[VmRecord]:
        return sorted(self.vms.values(), key=lambda vm: vm.obj_id)

    def datastore_path(self, vm: VmRecord) -> str:
        return self.layout.datastore_path(vm.vmx_path)

    # -- create -------------------------------------------------------------------------------

    def create(
        self, name: str, num_cpu: int, memory_mb: int, guest_id: str, notes: str, datastore: str
    ) -> Task:
        check_entity_name(name)
        num_cpu = num_cpu or vmconfig.DEFAULT_NUM_CPU
        memory_mb = memory_mb or vmconfig.DEFAULT_MEMORY_MB
        guest_id = guest_id or vmconfig.DEFAULT_GUEST_ID
        datastore = datastore or "datastore1"
        if not 1 <= num_cpu <= min(MAX_VCPUS_PER_VM, self.host.num_pcpus):
            raise faults.InvalidArgument(
                "numCPUs",
                f"{num_cpu} is outside 1..{min(MAX_VCPUS_PER_VM, self.host.num_pcpus)} (the host's PCPUs)",
            )
        if memory_mb % 4 or not MIN_MEMORY_MB <= memory_mb <= min(
            MAX_MEMORY_MB, self.host.memory_bytes >> 20
        ):
            raise faults.InvalidArgument(
                "memoryMB",
                f"{memory_mb} must be a multiple of 4 between {MIN_MEMORY_MB} and the host's memory",
            )
        if not guest_id.isascii() or not guest_id.replace("_", "").isalnum() or len(guest_id) > 64:
            raise faults.InvalidArgument("guestId", f"'{guest_id[:64]}' is not a guest identifier")
        if len(notes) > 64 * 1024:
            raise faults.InvalidArgument("annotation", "notes are limited to 64 KiB")
        check_entity_name(datastore, "datastore")
        if name in self._reserved_names or any(vm.name == name for vm in self.vms.values()):
            raise faults.DuplicateName(name)
        if len(self.vms) + len(self._reserved_names) >= MAX_VMS:
            raise faults.InvalidArgument("name", f"the host already has {MAX_VMS} VMs, its maximum")
        vm_dir = self.layout.resolve(f"[{datastore}] {name}")
        if vm_dir.exists():
            raise faults.FileAlreadyExists(f"[{datastore}] {name}")
        config = vmconfig.new_vmx(name, num_cpu, memory_mb, guest_id, notes, "VM Network")
        self._reserved_names.add(name)

        async def work(task: Task) -> str:
            try:
                vm_dir.mkdir(parents=True)
                vmx_path = vm_dir / f"{name}.vmx"
                atomic_write(vmx_path, config.render())
                entry = self.inventory.add(vmx_path)
            except OSError as exc:
                shutil.rmtree(vm_dir, ignore_errors=True)
                raise faults.SystemError(f"cannot create the files of {name}: {exc}") from None
            finally:
                self._reserved_names.discard(name)
            vm = VmRecord(entry.vm_id, entry.obj_id, vmx_path, config)
            self.vms[vm.id] = vm
            self.events.record(
                "VmCreatedEvent",
                f"Created virtual machine {name} on {self.host.hostname}",
                user=task.user,
                vm_id=vm.id,
                vm_name=name,
            )
            _log.info("vm.created", vm_id=vm.id, vm=name, num_cpu=num_cpu, memory_mb=memory_mb)
            return vm.id

        return self.tasks.submit("Folder.createVm", f"name:{name}", name, current_user(), work)

    # -- power --------------------------------------------------------------------------------

    def _require(self, vm: VmRecord, *states: str, requested: str) -> None:
        if vm.power_state not in states:
            raise faults.InvalidPowerState(requested, vm.power_state)

    def _submit(self, description_id: str, vm: VmRecord, work: Work) -> Task:
        return self.tasks.submit(description_id, vm.id, vm.name, current_user(), work)

    def power_on(self, vm_id: str) -> Task:
        vm = self.get(vm_id)
        self._check_idle(vm)
        self._require(vm, POWERED_OFF, requested=POWERED_OFF)

        async def work(task: Task) -> str:
            self._require(vm, POWERED_OFF, requested=POWERED_OFF)
            self.events.record(
                "VmStartingEvent",
                f"{vm.name} on {self.host.hostname} is starting",
                user=task.user,
                vm_id=vm.id,
                vm_name=vm.name,
            )
            request = vmkernel_pb2.StartVmxRequest(
                vm_id=vm.id,
                vm_name=vm.name,
                vmx_path=str(vm.vmx_path),
                num_cpu=vmconfig.num_cpu(vm.config),
                memory_mb=vmconfig.memory_mb(vm.config),
            )
            try:
                world = await call(self.vmkernel.StartVmx, request, timeout=60)
            except faults.VimFault as fault:
                self.events.record(
                    "VmFailedToPowerOnEvent",
                    f"Cannot power on {vm.name}: {fault.message}",
                    user=task.user,
                    vm_id=vm.id,
                    vm_name=vm.name,
                )
                _log.error("vm.power_on_failed", vm_id=vm.id, vm=vm.name, reason=str(fault))
                raise
            vm.power_state, vm.vmx_pid, vm.vmm_pids = POWERED_ON, world.pid, list(world.vmm_pids)
            self.events.record(
                "VmPoweredOnEvent",
                f"{vm.name} on {self.host.hostname} is powered on",
                user=task.user,
                vm_id=vm.id,
                vm_name=vm.name,
            )
            _log.info(
                "vm.powered_on", vm_id=vm.id, vm=vm.name, vmx_pid=world.pid, vmm_pids=list(world.vmm_pids)
            )
            return vm.id

        return self._submit("VirtualMachine.powerOn", vm, work)

    def _stop(self, vm_id: str, description_id: str, kill: bool) -> Task:
        vm = self.get(vm_id)
        self._check_idle(vm)
        self._require(vm, POWERED_ON, requested=POWERED_ON)

        async def work(task: Task) -> str:
            self._require(vm, POWERED_ON, requested=POWERED_ON)
            self.events.record(
                "VmStoppingEvent",
                f"{vm.name} on {self.host.hostname} is stopping",
                user=task.user,
                vm_id=vm.id,
                vm_name=vm.name,
            )
            with contextlib.suppress(faults.InvalidPowerState):  # the vmx already exited on its own
                await call(
                    self.vmkernel.StopVmx, vmkernel_pb2.StopVmxRequest(vm_id=vm.id, kill=kill), timeout=60
                )
            vm.power_state, vm.vmx_pid, vm.vmm_pids = POWERED_OFF, 0, []
            self.events.record(
                "VmPoweredOffEvent",
                f"{vm.name} on {self.host.hostname} is powered off",
                user=task.user,
                vm_id=vm.id,
                vm_name=vm.name,
            )
            _log.info("vm.powered_off", vm_id=vm.id, vm=vm.name, killed=kill)
            return vm.id

        return self._submit(description_id, vm, work)

    def power_off(self, vm_id: str) -> Task:
        return self._stop(vm_id, "VirtualMachine.powerOff", kill=False)

    def kill(self, vm_id: str) -> Task:
        return self._stop(vm_id, "VirtualMachine.terminateVM", kill=True)

    # -- unregister / destroy -----------------------------------------------------------------

    def _remove(self, vm_id: str, description_id: str, delete_files: bool) -> Task:
        vm = self.get(vm_id)
        self._check_idle(vm)
        self._require(vm, POWERED_OFF, requested=POWERED_OFF)

        async def work(task: Task) -> str:
            self._require(vm, POWERED_OFF, requested=POWERED_OFF)
            self.inventory.remove(vm.obj_id)
            self.vms.pop(vm.id, None)
            if delete_files:
                shutil.rmtree(vm.vmx_path.parent, ignore_errors=True)
            self.events.record(
                "VmRemovedEvent",
                f"Removed {vm.name} on {self.host.hostname}",
                user=task.user,
                vm_id=vm.id,
                vm_name=vm.name,
            )
            _log.info("vm.removed", vm_id=vm.id, vm=vm.name, files_deleted=delete_files)
            return vm.id

        return self._submit(description_id, vm, work)

    def unregister(self, vm_id: str) -> Task:
        return self._remove(vm_id, "VirtualMachine.unregister", delete_files=False)

    def destroy(self, vm_id: str) -> Task:
        return self._remove(vm_id, "VirtualMachine.destroy", delete_files=True)

    def _check_idle(self, vm: VmRecord) -> None:
        running = self.tasks.busy_task(vm.id)
        if running:
            raise faults.TaskInProgress(running)

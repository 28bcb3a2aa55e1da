"""The VM inventory: registered VMs, their configuration and power state, create/register/remove.

Validation happens before a task is created (a bad call changes nothing and
returns its fault directly); the work of a valid call runs as a task. Power
state comes from the VMkernel (StartVmx/StopVmx results, its world table at
start-up, its vmx-exit events afterwards) and, for a suspended VM, from the
checkpoint its .vmx names. Power operations live in ``hostd.power``,
reconfiguration in ``hostd.reconfigure``, snapshots in ``hostd.snapshots``.
"""

from __future__ import annotations

import contextlib
import enum
import shutil
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from hostd import vmconfig
from hostd.events import EventLog
from hostd.inventory import ROOT_POOL_ID, Inventory
from hostd.sessions import current_user
from hostd.tasks import Task, TaskManager, Work
from pyesx import faults
from pyesx.api.v1 import vm_pb2
from pyesx.atomic import atomic_write
from pyesx.exits import VMX_EXIT_GUEST_POWEROFF, VMX_EXIT_VMM_DIED
from pyesx.layout import HostLayout, check_entity_name
from pyesx.logs import get_logger
from pyesx.vmkernel.v1 import vmkernel_pb2, vmkernel_pb2_grpc
from pyesx.vmxfile import VmxConfig

_log = get_logger("vms")

POWERED_OFF, POWERED_ON, SUSPENDED = "poweredOff", "poweredOn", "suspended"
MAX_VMS = 1024
MAX_VCPUS_PER_VM = 128
MIN_MEMORY_MB, MAX_MEMORY_MB = 4, 24 * 1024 * 1024
_EXTENT_ACCESS = ("RW", "RDONLY", "NOACCESS")
SPACE_TTL = 5.0


class ChangeKind(enum.Enum):
    ENTER = 0
    MODIFY = 1
    LEAVE = 2


@dataclass
class VmRecord:
    id: str
    obj_id: int
    vmx_path: Path
    config: VmxConfig
    power_state: str = POWERED_OFF
    vmx_pid: int = 0
    vmm_pids: list[int] = field(default_factory=list)
    current_snapshot: int = 0  # uid of the snapshot the running state descends from (0: none)
    nic_connected: dict[str, bool] = field(default_factory=dict)  # a running VM's NICs: connected now
    cd_connected: dict[str, bool] = field(default_factory=dict)  # a running VM's CD drives: connected now
    question: vm_pb2.VmQuestion | None = None  # what the stunned VM waits to be told
    pool_id: str = ROOT_POOL_ID  # the resource pool it was created in or moved to
    _space: tuple[float, int] = (0.0, 0)
    _capacities: dict[str, tuple[int, bool]] = field(default_factory=dict)  # file -> (capacity, thin)
    shown: tuple[float, vm_pb2.VirtualMachine | None] = (
        0.0,
        None,
    )  # (when, its API message): converting is not free

    @property
    def name(self) -> str:
        return vmconfig.display_name(self.config, self.vmx_path.stem)

    @property
    def folder(self) -> Path:
        return self.vmx_path.parent

    def checkpoint_file(self) -> Path | None:
        """The .vmss of a suspended VM, when its .vmx names one that exists."""
        name = self.config.get(vmconfig.CHECKPOINT_KEY, "")
        path = self.folder / name if name and "/" not in name else None
        return path if path and path.is_file() else None

    def used_bytes(self) -> int:
        """Bytes the VM's files occupy on the datastore (cached for a few seconds)."""
        stamp, value = self._space
        if time.monotonic() - stamp > SPACE_TTL:
            value = 0
            with contextlib.suppress(OSError):
                value = sum(p.stat().st_blocks * 512 for p in self.folder.iterdir() if p.is_file())
            self._space = (time.monotonic(), value)
        return value

    def disk_capacity(self, file_name: str) -> int:
        """A disk's capacity from its descriptor's extent lines (512-byte sectors); 0 if unreadable."""
        return self._disk_facts(file_name)[0]

    def disk_thin(self, file_name: str) -> bool:
        """Whether the disk's base is thin (``ddb.thinProvisioned = "1"``), following deltas down."""
        return self._disk_facts(file_name)[1]

    def _disk_facts(self, file_name: str) -> tuple[int, bool]:
        if file_name not in self._capacities:
            total, thin, name = 0, False, file_name
            for depth in range(64):  # a chain deeper than ESXi's 32 snapshots is broken
                lines: list[str] = []
                with contextlib.suppress(OSError):
                    lines = (self.folder / name).read_text(errors="replace").splitlines()
                parent = ""
                for line in lines:
                    parts = line.split()
                    if depth == 0 and len(parts) >= 3 and parts[0] in _EXTENT_ACCESS and parts[1].isdigit():
                        total += int(parts[1]) * 512
                    elif line.startswith("parentFileNameHint="):
                        parent = line.split("=", 1)[1].strip().strip('"')
                    elif line.replace(" ", "") == 'ddb.thinProvisioned="1"':
                        thin = True
                if not parent or "/" in parent:
                    break
                name = parent
            self._capacities[file_name] = (total, thin)
        return self._capacities[file_name]

    def forget_space(self) -> None:
        """Drop what is cached of the VM's files and its API message (its state changed)."""
        self._space = (0.0, 0)
        self._capacities.clear()
        self.shown = (0.0, None)


OnChange = Callable[[VmRecord, ChangeKind, tuple[str, ...]], None]


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
        #: the VMkernel's resource pools, id -> name (hostd.pools keeps it current)
        self.pool_names: dict[str, str] = {ROOT_POOL_ID: "Resources"}
        #: pool id -> its parent's (the root pool's is ""), for permissions that propagate
        self.pool_parents: dict[str, str] = {}
        self._reserved_names: set[str] = set()
        self.on_change: OnChange = lambda vm, kind, props: None

    # -- state ----------------------------------------------------------------------------------

    def changed(self, vm: VmRecord, *props: str, kind: ChangeKind = ChangeKind.MODIFY) -> None:
        vm.forget_space()
        self.on_change(vm, kind, props)

    def set_power(
        self, vm: VmRecord, state: str, vmx_pid: int = 0, vmm_pids: list[int] | None = None
    ) -> None:
        vm.power_state, vm.vmx_pid, vm.vmm_pids = state, vmx_pid, list(vmm_pids or [])
        if state != POWERED_ON:
            vm.question = None  # a powered-off VM waits on nothing
        self.changed(vm, "power_state")

    def save_config(self, vm: VmRecord) -> None:
        """Write the VM's .vmx atomically."""
        atomic_write(vm.vmx_path, vm.config.render())
        vm.forget_space()

    def record(self, type_: str, vm: VmRecord, message: str, user: str | None = None) -> None:
        self.events.record(
            type_, message, user=current_user() if user is None else user, vm_id=vm.id, vm_name=vm.name
        )

    @property
    def hostname(self) -> str:
        return self.host.hostname

    def port_groups(self) -> set[str]:
        return {pg.name for vswitch in self.host.virtual_switches for pg in vswitch.port_groups}

    # -- start-up -------------------------------------------------------------------------------

    def load(self) -> None:
        """Read every registered .vmx; a VM whose file is gone or broken is logged and kept out."""
        for entry in self.inventory.load():
            try:
                config = VmxConfig.read(entry.vmx_path, str(entry.vmx_path))
            except (OSError, faults.VimFault) as exc:
                _log.error("vm.unreadable", vm_id=entry.vm_id, vmx_path=str(entry.vmx_path), reason=str(exc))
                continue
            vm = VmRecord(entry.vm_id, entry.obj_id, entry.vmx_path, config, pool_id=entry.pool_id)
            if vm.checkpoint_file():
                vm.power_state = SUSPENDED
            vmsd = vm.folder / f"{vm.vmx_path.stem}.vmsd"
            if vmsd.exists():
                with contextlib.suppress(OSError, faults.VimFault):
                    vm.current_snapshot = VmxConfig.read(vmsd).get_int("snapshot.current", 0)
            self.vms[vm.id] = vm

    def attach(self, running: list[vmkernel_pb2.VmxWorld]) -> None:
        """Mark the VMs whose vmx the VMkernel runs as powered on (hostd start-up and restart)."""
        for vmx in running:
            vm = self.vms.get(vmx.vm_id)
            if vm is None:
                _log.warning("vm.orphan_vmx", vm_id=vmx.vm_id, pid=vmx.pid)
                continue
            vm.power_state, vm.vmx_pid, vm.vmm_pids = POWERED_ON, vmx.pid, list(vmx.vmm_pids)
            _log.info("vm.reattached", vm_id=vm.id, vm=vm.name, vmx_pid=vmx.pid)

    def recover(self, interrupted: list[Task]) -> None:
        """Undo what tasks a previous hostd left half done (its journal says which)."""
        for task in interrupted:
            folder = task.recovery.get("remove_unregistered_folder")
            if folder and not any(vm.folder == Path(folder) for vm in self.vms.values()):
                shutil.rmtree(folder, ignore_errors=True)
                _log.warning("vm.recovered_half_created", task=task.id, folder=folder)
                if task.description_id == "VirtualMachine.destroy":  # unregistered: it is gone
                    self.events.record(
                        "VmRemovedEvent",
                        f"Removed {task.entity_name} on {self.hostname} (finished after hostd restarted)",
                        user=task.user,
                        vm_id=task.entity_id,
                        vm_name=task.entity_name,
                    )

    def on_world_event(self, event: vmkernel_pb2.WorldEvent) -> None:
        """Apply the VMkernel's news. A start or an expected exit that a task of ours drives is the
        task's to apply; without one (the hostd that asked died), the news is the truth."""
        kind = event.WhichOneof("kind")
        if kind == "vmx_started":
            started = event.vmx_started
            vm = self.vms.get(started.vm_id)
            if vm is not None and vm.vmx_pid != started.pid and not self.tasks.busy_task(vm.id):
                self.set_power(vm, POWERED_ON, started.pid, list(started.vmm_pids))
        elif kind == "vmx_exited":
            self._on_vmx_exit(event.vmx_exited)
        elif kind == "vm_question":
            raised = event.vm_question
            vm = self.vms.get(raised.vm_id)
            if vm is not None:
                vm.question = raised.question
                self.changed(vm, "question")
                self.record("VmMessageErrorEvent", vm, f"{vm.name}: {raised.question.text}")
        elif kind == "hostd_restarted":
            r = event.hostd_restarted
            why = (
                f"restarted by {r.requested_by} (the management agents)"
                if r.requested_by
                else f"exited with code {r.exit_code}; the watchdog restarted it"
            )
            self.events.record("HostdRestartedEvent", f"hostd (pid {r.old_pid}) {why} as pid {r.new_pid}.")

    def _on_vmx_exit(self, exited: vmkernel_pb2.VmxExited) -> None:
        vm = self.vms.get(exited.vm_id)
        if vm is None or vm.vmx_pid != exited.pid:
            return
        if exited.expected:
            if not self.tasks.busy_task(vm.id):
                self.set_power(vm, SUSPENDED if vm.checkpoint_file() else POWERED_OFF)
            return
        self.set_power(vm, POWERED_OFF)
        if exited.exit_code == VMX_EXIT_VMM_DIED:
            self.record(
                "VmDiedEvent",
                vm,
                f"A VMM world of {vm.name} died; the virtual machine was powered off (see its vmware.log).",
                "",
            )
        elif exited.exit_code == VMX_EXIT_GUEST_POWEROFF:
            self.record(
                "VmPoweredOffEvent", vm, f"{vm.name} on {self.hostname} is powered off by the guest", ""
            )
        else:
            self.record(
                "VmDiedEvent",
                vm,
                f"The virtual machine process of {vm.name} has exited unexpectedly "
                f"(exit code {exited.exit_code}).",
                "",
            )

    # -- reads ----------------------------------------------------------------------------------

    def get(self, vm_id: str) -> VmRecord:
        vm = self.vms.get(vm_id)
        if vm is None:
            raise faults.NotFound("VirtualMachine", vm_id)
        return vm

    def all(self) -> list[VmRecord]:
        return sorted(self.vms.values(), key=lambda vm: vm.obj_id)

    def datastore_path(self, path: Path) -> str:
        return self.layout.datastore_path(path)

    def pool_of(self, vm: VmRecord) -> str:
        """The VM's resource pool; the root pool if the one it was in no longer exists."""
        return vm.pool_id if vm.pool_id in self.pool_names else ROOT_POOL_ID

    def check_pool(self, pool_id: str) -> str:
        """``pool_id`` ("" = the root pool) if the pool exists; NotFound otherwise."""
        pool_id = pool_id or ROOT_POOL_ID
        if pool_id not in self.pool_names:
            raise faults.NotFound("ResourcePool", pool_id)
        return pool_id

    # -- validation shared with reconfigure -----------------------------------------------------

    def check_num_cpu(self, num_cpu: int) -> int:
        limit = min(MAX_VCPUS_PER_VM, self.host.num_pcpus)
        if not 1 <= num_cpu <= limit:
            raise faults.InvalidArgument("numCPUs", f"{num_cpu} is outside 1..{limit} (the host's PCPUs)")
        return num_cpu

    def check_memory_mb(self, memory_mb: int) -> int:
        if memory_mb % 4 or not MIN_MEMORY_MB <= memory_mb <= min(
            MAX_MEMORY_MB, self.host.memory_bytes >> 20
        ):
            raise faults.InvalidArgument(
                "memoryMB",
                f"{memory_mb} must be a multiple of 4 between {MIN_MEMORY_MB} and the host's memory",
            )
        return memory_mb

    def check_name_free(self, name: str, except_vm: VmRecord | None = None) -> str:
        check_entity_name(name)
        if name in self._reserved_names or any(
            vm.name == name and vm is not except_vm for vm in self.vms.values()
        ):
            raise faults.DuplicateName(name)
        return name

    def check_network(self, network_name: str) -> str:
        if network_name not in self.port_groups():
            raise faults.InvalidArgument("networkName", f"there is no port group named '{network_name}'")
        return network_name

    def require(self, vm: VmRecord, *states: str, requested: str) -> None:
        if vm.power_state not in states:
            raise faults.InvalidPowerState(requested, vm.power_state)

    def check_idle(self, vm: VmRecord) -> None:
        running = self.tasks.busy_task(vm.id)
        if running:
            raise faults.TaskInProgress(running)

    def submit(self, description_id: str, vm: VmRecord, work: Work, *, cancelable: bool = False) -> Task:
        return self.tasks.submit(description_id, vm.id, vm.name, current_user(), work, cancelable=cancelable)

    # -- create / register ----------------------------------------------------------------------

    def _check_capacity(self) -> None:
        if len(self.vms) + len(self._reserved_names) >= MAX_VMS:
            raise faults.InvalidArgument("name", f"the host already has {MAX_VMS} VMs, its maximum")

    def create(
        self,
        name: str,
        num_cpu: int,
        memory_mb: int,
        guest_id: str,
        notes: str,
        datastore: str,
        network_names: list[str],
        disk_capacity_bytes: list[int],
        cd_drive: bool,
        create_disks: Callable[[Path, list[int]], Awaitable[list[str]]],
        pool_id: str = "",
    ) -> Task:
        """Create a VM folder with its .vmx (and disks) on a datastore and register it in a pool."""
        self.check_name_free(name)
        pool_id = self.check_pool(pool_id)
        self.check_num_cpu(num_cpu or vmconfig.DEFAULT_NUM_CPU)
        self.check_memory_mb(memory_mb or vmconfig.DEFAULT_MEMORY_MB)
        guest_id = guest_id or vmconfig.DEFAULT_GUEST_ID
        if not guest_id.isascii() or not guest_id.replace("_", "").isalnum() or len(guest_id) > 64:
            raise faults.InvalidArgument("guestId", f"'{guest_id[:64]}' is not a guest identifier")
        if len(notes) > 64 * 1024:
            raise faults.InvalidArgument("annotation", "notes are limited to 64 KiB")
        check_entity_name(datastore or "datastore1", "datastore")
        if len(network_names) > vmconfig.MAX_NICS:
            raise faults.InvalidArgument(
                "networkAdapter", f"a VM has at most {vmconfig.MAX_NICS} network adapters"
            )
        for network in network_names:
            self.check_network(network)
        if len(disk_capacity_bytes) > vmconfig.MAX_DISKS:
            raise faults.InvalidArgument("disk", f"a VM has at most {vmconfig.MAX_DISKS} disks")
        for capacity in disk_capacity_bytes:
            if capacity <= 0 or capacity % 1024 or capacity > 62 * 2**40:
                raise faults.InvalidArgument(
                    "capacity", f"{capacity} bytes is not a disk size (whole KB, up to 62 TB)"
                )
        self._check_capacity()
        vm_dir = self.layout.resolve(f"[{datastore or 'datastore1'}] {name}")
        if vm_dir.exists():
            raise faults.FileAlreadyExists(f"[{datastore or 'datastore1'}] {name}")
        config = vmconfig.new_vmx(
            name,
            num_cpu or vmconfig.DEFAULT_NUM_CPU,
            memory_mb or vmconfig.DEFAULT_MEMORY_MB,
            guest_id,
            notes,
        )
        for network in network_names:
            vmconfig.add_nic(config, network)
        if cd_drive:  # a VM made to install an OS from CD: a PC's firmware (vmx/nvram.py)
            vmconfig.add_cd_drive(config)
            config["firmware"] = "bios"
        self._reserved_names.add(name)

        async def work(task: Task) -> str:
            try:
                vm_dir.mkdir(parents=True)
                for file_name in await create_disks(vm_dir, disk_capacity_bytes):
                    vmconfig.add_disk(config, vmconfig.next_disk_key(config), file_name)
                vmx_path = vm_dir / f"{name}.vmx"
                atomic_write(vmx_path, config.render())
                entry = self.inventory.add(vmx_path, pool_id)
            except (OSError, faults.VimFault) as exc:
                shutil.rmtree(vm_dir, ignore_errors=True)
                if isinstance(exc, faults.VimFault):
                    raise
                fault = faults.from_os_error(exc) or faults.SystemError(
                    f"cannot create the files of {name}: {exc}"
                )
                raise fault from None
            finally:
                self._reserved_names.discard(name)
            vm = VmRecord(entry.vm_id, entry.obj_id, vmx_path, config, pool_id=pool_id)
            self.vms[vm.id] = vm
            self.changed(vm, kind=ChangeKind.ENTER)
            self.record("VmCreatedEvent", vm, f"Created virtual machine {name} on {self.hostname}", task.user)
            _log.info("vm.created", vm_id=vm.id, vm=name, num_cpu=vmconfig.num_cpu(config))
            return vm.id

        return self.tasks.submit(
            "Folder.createVm", f"name:{name}", name, current_user(), work,
            recovery={"remove_unregistered_folder": str(vm_dir)},
        )  # fmt: skip

    def register(self, vmx_datastore_path: str, name: str, pool_id: str = "") -> Task:
        """Register an existing .vmx (ESXi's or Workstation's: unknown keys are kept verbatim) in a pool."""
        pool_id = self.check_pool(pool_id)
        vmx_path = self.layout.resolve(vmx_datastore_path)
        if vmx_path.suffix.lower() != ".vmx":
            raise faults.InvalidArgument("path", f"'{vmx_datastore_path}' is not a .vmx file")
        if not vmx_path.is_file():
            raise faults.NotFound("File", vmx_datastore_path)
        if any(vm.vmx_path == vmx_path for vm in self.vms.values()):
            raise faults.FileAlreadyExists(
                vmx_datastore_path, f"'{vmx_datastore_path}' is already registered."
            )
        try:
            text = vmx_path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise faults.InvalidArgument("path", f"cannot read '{vmx_datastore_path}': {exc}") from None
        config = VmxConfig.parse(text, vmx_path.name)
        name = name or vmconfig.display_name(config, vmx_path.stem)
        self.check_name_free(name)
        for key, low, high in (("numvcpus", 1, MAX_VCPUS_PER_VM), ("memSize", MIN_MEMORY_MB, MAX_MEMORY_MB)):
            if key in config and not (config[key].isdigit() and low <= int(config[key]) <= high):
                raise faults.InvalidArgument(key, f"'{config[key]}' in {vmx_path.name} is out of range")
        self._check_capacity()
        self._reserved_names.add(name)

        async def work(task: Task) -> str:
            try:
                if config.get("displayName") != name:
                    config["displayName"] = name
                    atomic_write(vmx_path, config.render())
                entry = self.inventory.add(vmx_path, pool_id)
            finally:
                self._reserved_names.discard(name)
            vm = VmRecord(entry.vm_id, entry.obj_id, vmx_path, config, pool_id=pool_id)
            if vm.checkpoint_file():
                vm.power_state = SUSPENDED
            self.vms[vm.id] = vm
            self.changed(vm, kind=ChangeKind.ENTER)
            self.record("VmRegisteredEvent", vm, f"Registered {name} on {self.hostname}", task.user)
            return vm.id

        return self.tasks.submit("Folder.registerVm", f"name:{name}", name, current_user(), work)

    # -- unregister / destroy -------------------------------------------------------------------

    def _remove(self, vm_id: str, description_id: str, delete_files: bool) -> Task:
        vm = self.get(vm_id)
        self.check_idle(vm)
        self.require(vm, POWERED_OFF, *([SUSPENDED] if not delete_files else []), requested=POWERED_OFF)

        async def work(task: Task) -> str:
            self.inventory.remove(vm.obj_id)
            self.vms.pop(vm.id, None)
            if delete_files:
                shutil.rmtree(vm.folder, ignore_errors=True)
            self.changed(vm, kind=ChangeKind.LEAVE)
            self.record("VmRemovedEvent", vm, f"Removed {vm.name} on {self.hostname}", task.user)
            _log.info("vm.removed", vm_id=vm.id, vm=vm.name, files_deleted=delete_files)
            return vm.id

        # a destroy killed between the unregister and the last file is finished by the next hostd
        recovery = {"remove_unregistered_folder": str(vm.folder)} if delete_files else None
        return self.tasks.submit(description_id, vm.id, vm.name, current_user(), work, recovery=recovery)

    def unregister(self, vm_id: str) -> Task:
        return self._remove(vm_id, "VirtualMachine.unregister", delete_files=False)

    def destroy(self, vm_id: str) -> Task:
        return self._remove(vm_id, "VirtualMachine.destroy", delete_files=True)

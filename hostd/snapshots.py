"""Snapshot operations: create, revert, remove one (consolidating), remove all.

Disks get real copy-on-write deltas from the VMkernel's storage stack: taking a
snapshot freezes each disk's top file and puts a new delta on it; a revert
drops the running delta and starts a new one on the snapshot's files; removing
a snapshot with one child merges the child's delta into the snapshot's file
(the storage stack moves whatever sat on the child's delta onto that file).
Every step writes new files first, then the .vmx, then the .vmsd, and deletes
last, so a crash leaves a consistent VM with at most an orphan file.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from hostd import vmconfig
from hostd.disks import DiskOps
from hostd.power import PowerOps
from hostd.snapshot_tree import SnapshotNode, SnapshotTree, new_node
from hostd.tasks import Task
from hostd.vms import POWERED_OFF, POWERED_ON, SUSPENDED, VmManager, VmRecord
from pyesx import faults
from pyesx.checkpoint import read_checkpoint, write_checkpoint
from pyesx.logs import get_logger
from pyesx.rpc.channel import call
from pyesx.vmx.v1 import vmx_pb2
from pyesx.vmxfile import VmxConfig

_log = get_logger("snapshots")
MAX_SNAPSHOT_NAME = 80
KEPT_ON_REVERT = ("displayName", "annotation", "uuid.bios", "vc.uuid")
DELTA_DESCRIPTOR = re.compile(r"-\d{6}\.vmdk$")  # web01-000001.vmdk: a delta, never a base disk


def _remove_files(*paths: Path) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


def snapshot_id(vm: VmRecord, uid: int) -> str:
    return f"{vm.id}-snapshot-{uid}"


class SnapshotOps:
    def __init__(self, vms: VmManager, power: PowerOps, disks: DiskOps) -> None:
        self.vms, self.power, self.disks = vms, power, disks

    # -- lookups --------------------------------------------------------------------------------

    @staticmethod
    def vmsd_path(vm: VmRecord) -> Path:
        return vm.folder / f"{vm.vmx_path.stem}.vmsd"

    def tree(self, vm: VmRecord) -> SnapshotTree:
        return SnapshotTree.load(self.vmsd_path(vm))

    def find(self, snapshot: str) -> tuple[VmRecord, SnapshotTree, SnapshotNode]:
        vm_id, _, uid = snapshot.rpartition("-snapshot-")
        vm = self.vms.vms.get(vm_id)
        tree = self.tree(vm) if vm else None
        node = tree.nodes.get(int(uid)) if tree and uid.isdigit() else None
        if vm is None or tree is None or node is None:
            raise faults.NotFound("Snapshot", snapshot)
        return vm, tree, node

    def _save(self, vm: VmRecord, tree: SnapshotTree) -> None:
        self.vms.save_config(vm)
        tree.save(self.vmsd_path(vm))
        vm.current_snapshot = tree.current
        self.vms.changed(vm, "snapshot", "config")

    async def _drop_running_delta(self, path: Path) -> None:
        """Delete the old running delta a revert leaves (a base disk stays). One whose files were
        deleted or overwritten under it is garbage all the same: what is left of it goes, and the
        revert stands."""
        try:
            if await self._parent_of(path) is not None:
                await self.disks.delete(path)
        except (faults.NotFound, faults.FileNotFound, faults.InvalidArgument):
            if DELTA_DESCRIPTOR.search(path.name):
                _remove_files(path, path.with_name(f"{path.stem}-delta.vmdk"))

    async def _parent_of(self, path: Path) -> Path | None:
        chain = (await self.disks.info(path)).chain
        return Path(chain[1]) if len(chain) > 1 else None

    # -- create ---------------------------------------------------------------------------------

    def create(self, vm_id: str, name: str, description: str, memory: bool) -> Task:
        vm = self.vms.get(vm_id)
        self.vms.check_idle(vm)
        if not name.strip() or len(name) > MAX_SNAPSHOT_NAME or "\x00" in name:
            raise faults.InvalidArgument("name", f"a snapshot name has 1 to {MAX_SNAPSHOT_NAME} characters")
        if len(description) > 64 * 1024:
            raise faults.InvalidArgument("description", "descriptions are limited to 64 KiB")

        async def work(task: Task) -> str:
            task.check_canceled()
            tree = self.tree(vm)
            with_memory = memory and vm.power_state == POWERED_ON
            node = new_node(tree, vm.vmx_path.stem, name, description, with_memory, vm.power_state)
            vmsn = vm.folder / node.filename
            if with_memory:
                await call(self.power.vmx.stub(vm).Checkpoint, vmx_pb2.CheckpointRequest(path=str(vmsn)))
            else:
                write_checkpoint(vmsn, vm.id, vm.config.render(), None)
            made: list[Path] = []
            before = vm.config.render()  # the rollback's configuration (its .vmx may be gone)
            try:
                for disk in vmconfig.disks(vm.config):
                    if vmconfig.is_independent(disk):
                        continue  # independent disks are not in snapshots
                    task.check_canceled()  # a safe point: what was made so far is undone below
                    node.disks[disk.key] = disk.file_name
                    made.append(await self.disks.delta(vm.folder / disk.file_name))
                    vm.config[f"{disk.key}.fileName"] = made[-1].name
            except BaseException:
                for path in made:
                    await self.disks.delete(path)
                vmsn.unlink(missing_ok=True)
                vm.config = VmxConfig.parse(before)
                raise
            tree.nodes[node.uid], tree.current, tree.last_uid = node, node.uid, node.uid
            self._save(vm, tree)
            self.vms.record(
                "VmSnapshotCreatedEvent", vm, f"Created snapshot '{name}' of {vm.name}", task.user
            )
            return snapshot_id(vm, node.uid)

        return self.vms.submit("VirtualMachine.createSnapshot", vm, work, cancelable=True)

    # -- revert ---------------------------------------------------------------------------------

    def revert(self, snapshot: str, suppress_power_on: bool) -> Task:
        vm, _, _ = self.find(snapshot)
        self.vms.check_idle(vm)

        async def work(task: Task) -> str:
            _, tree, node = self.find(snapshot)
            checkpoint = read_checkpoint(vm.folder / node.filename)
            config = VmxConfig.parse(checkpoint.vmx_text, node.filename)
            for key in KEPT_ON_REVERT:
                if key in vm.config:
                    config[key] = vm.config[key]
            if vmconfig.CHECKPOINT_KEY in config:
                del config[vmconfig.CHECKPOINT_KEY]
            # The new deltas first: a snapshot disk that is gone fails the revert before the VM's
            # power state or suspended state is touched (and the deltas made so far are undone).
            made: list[Path] = []
            try:
                for key, file_name in node.disks.items():
                    made.append(await self.disks.delta(vm.folder / file_name))
                    config[f"{key}.fileName"] = made[-1].name
            except BaseException:
                for path in made:
                    await self.disks.delete(path)
                raise
            if vm.power_state == POWERED_ON:
                await self.power.stop_vmx(vm)
                self.vms.set_power(vm, POWERED_OFF)
            elif vm.power_state == SUSPENDED:
                self.power.clear_checkpoint(vm, delete=True)
                self.vms.set_power(vm, POWERED_OFF)
            dropped = [d.file_name for d in vmconfig.disks(vm.config)]
            vm.config, tree.current = config, node.uid
            self._save(vm, tree)
            referenced = tree.referenced_files() | {d.file_name for d in vmconfig.disks(config)}
            for file_name in dropped:
                if file_name not in referenced:
                    await self._drop_running_delta(vm.folder / file_name)
            self.vms.record(
                "VmSnapshotRevertedEvent", vm, f"Reverted {vm.name} to snapshot '{node.name}'", task.user
            )
            if node.memory and checkpoint.vcpus is not None:
                await self._restore_running_state(vm, vm.folder / node.filename, suppress_power_on)
            return vm.id

        return self.vms.submit("VirtualMachine.revertToSnapshot", vm, work)

    async def _restore_running_state(self, vm: VmRecord, vmsn: Path, suppress_power_on: bool) -> None:
        if suppress_power_on:  # the VM waits, suspended in the snapshot's running state
            vmss = vm.folder / f"{vm.vmx_path.stem}.vmss"
            shutil.copyfile(vmsn, vmss)
            vm.config[vmconfig.CHECKPOINT_KEY] = vmss.name
            self.vms.save_config(vm)
            self.vms.set_power(vm, SUSPENDED)
            return
        world = await self.power.start_vmx(vm, str(vmsn))
        self.vms.set_power(vm, POWERED_ON, world.pid, list(world.vmm_pids))
        self.vms.record("VmPoweredOnEvent", vm, f"{vm.name} on {self.vms.hostname} is powered on")

    # -- remove ---------------------------------------------------------------------------------

    def remove(self, snapshot: str, remove_children: bool) -> Task:
        vm, _, _ = self.find(snapshot)
        self.vms.check_idle(vm)

        async def work(task: Task) -> str:
            _, tree, node = self.find(snapshot)
            for doomed in tree.subtree(node.uid) if remove_children else [node]:
                task.check_canceled()  # between nodes: each removal is whole, the rest stay
                await self._remove_node(vm, tree, doomed)
                self._save(vm, tree)
                self.vms.record(
                    "VmSnapshotRemovedEvent", vm, f"Removed snapshot '{doomed.name}' of {vm.name}", task.user
                )
            return vm.id

        return self.vms.submit("VirtualMachine.removeSnapshot", vm, work, cancelable=True)

    def remove_all(self, vm_id: str) -> Task:
        vm = self.vms.get(vm_id)
        self.vms.check_idle(vm)

        async def work(task: Task) -> str:
            tree = self.tree(vm)
            for root in [n for n in tree.nodes.values() if n.parent == 0]:
                for doomed in tree.subtree(root.uid):
                    task.check_canceled()  # between nodes: each removal is whole and saved, the rest stay
                    await self._remove_node(vm, tree, doomed)
                    self._save(vm, tree)
            self.vms.record("VmSnapshotRemovedEvent", vm, f"Removed all snapshots of {vm.name}", task.user)
            return vm.id

        return self.vms.submit("VirtualMachine.removeAllSnapshots", vm, work, cancelable=True)

    async def _remove_node(self, vm: VmRecord, tree: SnapshotTree, node: SnapshotNode) -> None:
        """Drop one node; with exactly one child (a snapshot or the running state) merge the child's
        delta into the node's file, which then serves the child."""
        kids = tree.children(node.uid)
        is_current = tree.current == node.uid
        for key, file_name in node.disks.items():
            own = vm.folder / file_name
            if len(kids) + is_current == 1:
                await self._merge_child_into(vm, tree, kids[0] if kids else None, key, own)
            elif (
                not kids
                and not is_current
                and file_name not in _others(tree, node)
                and await self._parent_of(own) is not None
            ):
                await self.disks.delete(own)  # a leaf's frozen delta that nothing sits on
        (vm.folder / node.filename).unlink(missing_ok=True)
        for kid in kids:
            kid.parent = node.parent
        if is_current:
            tree.current = node.parent
        del tree.nodes[node.uid]

    async def _merge_child_into(
        self, vm: VmRecord, tree: SnapshotTree, kid: SnapshotNode | None, key: str, own: Path
    ) -> None:
        """Consolidate the child's delta into own (the storage stack moves the deltas that sat on
        the child's file onto own); own then serves the child."""
        child_name = kid.disks.get(key) if kid else vm.config.get(f"{key}.fileName")
        child = vm.folder / child_name if child_name else None
        if child is None or await self._parent_of(child) != own:
            return  # the child has no delta on this file (a disk added or removed since)
        await self.disks.consolidate(child)
        if kid is None:
            vm.config[f"{key}.fileName"] = own.name
        else:
            kid.disks[key] = own.name


def _others(tree: SnapshotTree, node: SnapshotNode) -> set[str]:
    return {name for other in tree.nodes.values() if other is not node for name in other.disks.values()}

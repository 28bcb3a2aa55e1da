"""At hostd start-up, fold back snapshot deltas that an interrupted snapshot left under a VM's disk.

Taking a snapshot puts a delta on each disk (the VMkernel moves a running VM onto it at once), then
writes the .vmx naming the delta. A hostd (or host) killed between the two leaves the .vmx naming
the old disk while the guest's acknowledged writes go into, or went into, the delta no file names:
the next power-on would start from the old disk and those writes would be lost. The disk a .vmx
names is the running state's top and never has a child, so a child found under it is such an
orphan: it is consolidated into the disk (a running VM goes on in the disk), as ESXi's "disk
consolidation needed" is resolved, and nothing the guest wrote is lost. Independent disks are
left alone (a nonpersistent disk's redo log is a child by design). And a .vmx naming a delta
that is gone (a snapshot removal merged it, then was killed before writing the .vmx) names the
current snapshot's file again, which holds the merged data.
"""

from __future__ import annotations

from pathlib import Path

from hostd import vmconfig
from hostd.disks import DiskOps
from hostd.snapshot_tree import SnapshotTree
from hostd.vms import VmManager, VmRecord
from pyesx import faults
from pyesx.logs import get_logger

_log = get_logger("disk_recovery")


async def _children(disks: DiskOps, disk: Path) -> list[Path]:
    """The deltas in the disk's folder whose parent is ``disk``."""
    found = []
    for candidate in sorted(disk.parent.glob("*-[0-9][0-9][0-9][0-9][0-9][0-9].vmdk")):  # delta descriptors
        if candidate == disk:
            continue
        try:
            chain = (await disks.info(candidate)).chain
        except faults.VimFault:
            continue  # not a descriptor we can read: not ours to judge
        if len(chain) > 1 and Path(chain[1]).name == disk.name:  # a delta and its parent share a folder
            found.append(candidate)
    return found


async def _recover_vm(vms: VmManager, disks: DiskOps, vm: VmRecord) -> int:
    folded = 0
    for disk in vmconfig.disks(vm.config):
        if vmconfig.is_independent(disk):
            continue
        path = vm.folder / disk.file_name
        if not path.is_file():
            path = _after_interrupted_merge(vms, vm, disk.key) or path
            if not path.is_file():
                continue
        for child in await _children(disks, path):
            await disks.consolidate(child)
            folded += 1
            _log.warning("vm.orphan_delta_consolidated", vm_id=vm.id, disk=str(path), delta=child.name)
            vms.record(
                "VmMessageEvent",
                vm,
                f"{vm.name}: the delta {child.name}, left by an interrupted snapshot operation, was "
                f"consolidated into {path.name}; nothing the guest wrote is lost.",
                "",
            )
    return folded


def _after_interrupted_merge(vms: VmManager, vm: VmRecord, key: str) -> Path | None:
    """The disk a VM runs on when its .vmx names a delta that is gone: a snapshot removal merged it
    into the current snapshot's file and was killed before the .vmx said so. That file now holds
    the running state: the .vmx names it again (None: no such file, nothing to mend)."""
    tree = SnapshotTree.load(vm.folder / f"{vm.vmx_path.stem}.vmsd")
    node = tree.nodes.get(tree.current)
    name = node.disks.get(key) if node else None
    if not name or not (vm.folder / name).is_file():
        return None
    vm.config[f"{key}.fileName"] = name
    vms.save_config(vm)
    vms.record(
        "VmMessageEvent",
        vm,
        f"{vm.name}: {key} runs on {name} again (a snapshot removal was interrupted).",
        "",
    )
    _log.warning("vm.merged_delta_renamed", vm_id=vm.id, key=key, disk=name)
    return vm.folder / name


async def consolidate_orphan_deltas(vms: VmManager, disks: DiskOps) -> int:
    """Fold every orphan delta back into its disk (see the module docstring); how many."""
    folded = 0
    for vm in vms.all():
        try:
            folded += await _recover_vm(vms, disks, vm)
        except (faults.VimFault, OSError) as fault:
            _log.error("vm.orphan_delta_failed", vm_id=vm.id, fault=str(fault))
    return folded

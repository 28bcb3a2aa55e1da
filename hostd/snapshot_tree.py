"""A VM's snapshot tree, kept as ESXi keeps it: ``<vm>.vmsd`` in the .vmx's ``key = "value"`` format.

Each node records the disk files that were the top of each chain when it was
taken (they are read-only from then on: children deltas sit on them) and the
``.vmsn`` checkpoint holding the VM's configuration (and running state, for a
memory snapshot). ``current`` is the node the running state descends from.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from pyesx import faults
from pyesx.atomic import atomic_write
from pyesx.vmxfile import VmxConfig


@dataclass
class SnapshotNode:
    uid: int
    name: str
    description: str
    create_time: float
    parent: int  # 0: a root snapshot
    filename: str  # "<vm>-Snapshot<uid>.vmsn"
    memory: bool
    power_state: str
    disks: dict[str, str] = field(default_factory=dict)  # "scsi0:0" -> file name in the VM folder


@dataclass
class SnapshotTree:
    nodes: dict[int, SnapshotNode] = field(default_factory=dict)
    current: int = 0
    last_uid: int = 0

    def children(self, uid: int) -> list[SnapshotNode]:
        return [n for n in self.nodes.values() if n.parent == uid]

    def referenced_files(self) -> set[str]:
        return {name for node in self.nodes.values() for name in node.disks.values()}

    def subtree(self, uid: int) -> list[SnapshotNode]:
        """uid's node and its descendants, children before parents."""
        ordered: list[SnapshotNode] = []
        for child in self.children(uid):
            ordered.extend(self.subtree(child.uid))
        ordered.append(self.nodes[uid])
        return ordered

    # -- the .vmsd file -------------------------------------------------------------------------

    @classmethod
    def load(cls, path: Path) -> SnapshotTree:
        if not path.exists():
            return cls()
        config = VmxConfig.read(path)
        tree = cls(
            current=config.get_int("snapshot.current", 0), last_uid=config.get_int("snapshot.lastUID", 0)
        )
        for index in range(config.get_int("snapshot.numSnapshots", 0)):
            p = f"snapshot{index}"
            try:
                micros = (config.get_int(f"{p}.createTimeHigh", 0) << 32) | config.get_int(
                    f"{p}.createTimeLow", 0
                )
                node = SnapshotNode(
                    uid=int(config[f"{p}.uid"]),
                    name=config.get(f"{p}.displayName", ""),
                    description=config.get(f"{p}.description", ""),
                    create_time=micros / 1e6,
                    parent=config.get_int(f"{p}.parent", 0),
                    filename=config[f"{p}.filename"],
                    memory=config.get(f"{p}.type", "0") == "1",
                    power_state=config.get(f"{p}.powerState", "poweredOff"),
                    disks={
                        config[f"{p}.disk{d}.node"]: config[f"{p}.disk{d}.fileName"]
                        for d in range(config.get_int(f"{p}.numDisks", 0))
                    },
                )
            except (KeyError, ValueError) as exc:
                raise faults.InvalidArgument(
                    "vmsd", f"{path.name}: snapshot {index} is incomplete: {exc}"
                ) from None
            tree.nodes[node.uid] = node
        return tree

    def save(self, path: Path) -> None:
        config = VmxConfig()
        config[".encoding"] = "UTF-8"
        config["snapshot.lastUID"] = str(self.last_uid)
        config["snapshot.current"] = str(self.current)
        for index, node in enumerate(sorted(self.nodes.values(), key=lambda n: n.uid)):
            p = f"snapshot{index}"
            micros = int(node.create_time * 1e6)
            config[f"{p}.uid"] = str(node.uid)
            config[f"{p}.filename"] = node.filename
            if node.parent:
                config[f"{p}.parent"] = str(node.parent)
            config[f"{p}.displayName"] = node.name
            config[f"{p}.description"] = node.description
            config[f"{p}.type"] = "1" if node.memory else "0"
            config[f"{p}.powerState"] = node.power_state
            config[f"{p}.createTimeHigh"] = str(micros >> 32)
            config[f"{p}.createTimeLow"] = str(micros & 0xFFFFFFFF)
            config[f"{p}.numDisks"] = str(len(node.disks))
            for d, (key, file_name) in enumerate(sorted(node.disks.items())):
                config[f"{p}.disk{d}.fileName"] = file_name
                config[f"{p}.disk{d}.node"] = key
        config["snapshot.numSnapshots"] = str(len(self.nodes))
        atomic_write(path, config.render())


def new_node(
    tree: SnapshotTree, vm_stem: str, name: str, description: str, memory: bool, power_state: str
) -> SnapshotNode:
    uid = tree.last_uid + 1
    return SnapshotNode(
        uid,
        name,
        description,
        time.time(),
        tree.current,
        f"{vm_stem}-Snapshot{uid}.vmsn",
        memory,
        power_state,
    )

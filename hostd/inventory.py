"""The registered VMs, kept as ESXi keeps them: ``etc/vmware/hostd/vmInventory.xml``.

Each ConfigEntry holds an objID (the VM id's number) and a vmxCfgPath, written
as the path inside the host root (``/vmfs/volumes/datastore1/web01/web01.vmx``),
and the VM's resource pool (``resourcePool``; absent: the root pool).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from pyesx.atomic import atomic_write
from pyesx.layout import HostLayout, relative_path

#: the host's root resource pool, which holds every VM not placed in another
ROOT_POOL_ID = "ha-root-pool"


@dataclass(frozen=True)
class InventoryEntry:
    obj_id: int
    vmx_path: Path  # absolute
    pool_id: str = ROOT_POOL_ID

    @property
    def vm_id(self) -> str:
        return f"vm-{self.obj_id}"


class Inventory:
    def __init__(self, layout: HostLayout) -> None:
        self.layout = layout
        self.entries: dict[int, InventoryEntry] = {}
        self.next_id = 1

    def load(self) -> list[InventoryEntry]:
        path = self.layout.inventory
        if path.exists():
            for element in ET.parse(path).getroot().iter("ConfigEntry"):
                obj_id = int(element.findtext("objID", "0"))
                rel = element.findtext("vmxCfgPath", "").lstrip("/")
                pool_id = element.findtext("resourcePool", "") or ROOT_POOL_ID
                self.entries[obj_id] = InventoryEntry(obj_id, self.layout.root / rel, pool_id)
        self.next_id = max(self.entries, default=0) + 1
        return list(self.entries.values())

    def add(self, vmx_path: Path, pool_id: str = ROOT_POOL_ID) -> InventoryEntry:
        entry = InventoryEntry(self.next_id, vmx_path, pool_id)
        self.next_id += 1
        self.entries[entry.obj_id] = entry
        self._save()
        return entry

    def set_pool(self, obj_id: int, pool_id: str) -> None:
        """Record that the VM now belongs to the resource pool ``pool_id``."""
        entry = self.entries[obj_id]
        self.entries[obj_id] = InventoryEntry(entry.obj_id, entry.vmx_path, pool_id)
        self._save()

    def remove(self, obj_id: int) -> None:
        self.entries.pop(obj_id, None)
        self._save()

    def _save(self) -> None:
        root = ET.Element("ConfigRoot")
        for index, entry in enumerate(sorted(self.entries.values(), key=lambda e: e.obj_id)):
            element = ET.SubElement(root, "ConfigEntry", id=f"{index:04d}")
            ET.SubElement(element, "objID").text = str(entry.obj_id)
            ET.SubElement(element, "secDomain").text = str(entry.obj_id)
            ET.SubElement(element, "vmxCfgPath").text = "/" + relative_path(entry.vmx_path, self.layout.root)
            if entry.pool_id != ROOT_POOL_ID:
                ET.SubElement(element, "resourcePool").text = entry.pool_id
        ET.indent(root)
        self.layout.inventory.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(self.layout.inventory, ET.tostring(root, encoding="unicode") + "\n")

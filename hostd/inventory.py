"""The registered VMs, kept as ESXi keeps them: ``etc/vmware/hostd/vmInventory.xml``.

Each ConfigEntry holds an objID (the VM id's number) and a vmxCfgPath, written
as the path inside the host root (``/vmfs/volumes/datastore1/web01/web01.vmx``).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from pyesx.atomic import atomic_write
from pyesx.layout import HostLayout


@dataclass(frozen=True)
class InventoryEntry:
    obj_id: int
    vmx_path: Path  # absolute

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
                self.entries[obj_id] = InventoryEntry(obj_id, self.layout.root / rel)
        self.next_id = max(self.entries, default=0) + 1
        return list(self.entries.values())

    def add(self, vmx_path: Path) -> InventoryEntry:
        entry = InventoryEntry(self.next_id, vmx_path)
        self.next_id += 1
        self.entries[entry.obj_id] = entry
        self._save()
        return entry

    def remove(self, obj_id: int) -> None:
        self.entries.pop(obj_id, None)
        self._save()

    def _save(self) -> None:
        root = ET.Element("ConfigRoot")
        for index, entry in enumerate(sorted(self.entries.values(), key=lambda e: e.obj_id)):
            element = ET.SubElement(root, "ConfigEntry", id=f"{index:04d}")
            ET.SubElement(element, "objID").text = str(entry.obj_id)
            ET.SubElement(element, "secDomain").text = str(entry.obj_id)
            ET.SubElement(element, "vmxCfgPath").text = "/" + str(
                entry.vmx_path.relative_to(self.layout.root)
            )
        ET.indent(root)
        self.layout.inventory.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(self.layout.inventory, ET.tostring(root, encoding="unicode") + "\n")

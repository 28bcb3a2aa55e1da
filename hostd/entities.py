"""The entities permissions hang on, as a tree: the host ``ha-host`` > resource pools > VMs."""

from __future__ import annotations

from hostd.inventory import ROOT_POOL_ID
from hostd.vms import VmManager

HOST = "ha-host"


class EntityTree:
    def __init__(self, vms: VmManager) -> None:
        self.vms = vms

    def parent(self, entity: str) -> str | None:
        vm = self.vms.vms.get(entity)
        if vm is not None:
            return self.vms.pool_of(vm)
        if entity in self.vms.pool_names:
            return HOST if entity == ROOT_POOL_ID else self.vms.pool_parents.get(entity) or ROOT_POOL_ID
        return None

    def chain(self, entity: str) -> list[str]:
        """The entity and its ancestors, nearest first, always ending with the host."""
        chain = [entity]
        while chain[-1] != HOST and len(chain) < 64:
            chain.append(self.parent(chain[-1]) or HOST)
        return chain

    def exists(self, entity: str) -> bool:
        return entity == HOST or entity in self.vms.vms or entity in self.vms.pool_names

    def name(self, entity: str) -> str:
        """The entity's display name: a VM's or pool's name, "localhost" for the host."""
        if entity == HOST:
            return "localhost"
        vm = self.vms.vms.get(entity)
        if vm is not None:
            return vm.name
        return self.vms.pool_names.get(entity, "")

    def describe(self, entity: str) -> str:
        """How a fault names the entity: ``VirtualMachine 'web01' (vm-3)``."""
        kind = "VirtualMachine" if entity in self.vms.vms else "ResourcePool"
        if entity == HOST:
            return f"HostSystem ({HOST})"
        name = self.name(entity)
        return f"{kind} '{name}' ({entity})" if name else entity[:64]

"""The world table: every schedulable entity the VMkernel knows, with its pid and owner."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import TypeAlias

from pyesx.vmkernel.v1 import vmkernel_pb2

Kind: TypeAlias = vmkernel_pb2.WorldKind.ValueType


@dataclass(frozen=True)
class World:
    world_id: int
    kind: Kind
    pid: int
    name: str
    vm_id: str = ""
    vcpu: int = 0

    def to_proto(self) -> vmkernel_pb2.World:
        return vmkernel_pb2.World(
            world_id=self.world_id,
            kind=self.kind,
            pid=self.pid,
            name=self.name,
            vm_id=self.vm_id,
            vcpu=self.vcpu,
        )


class WorldTable:
    def __init__(self) -> None:
        self._ids = itertools.count(1000)
        self._worlds: dict[int, World] = {}

    def add(self, kind: Kind, pid: int, name: str, vm_id: str = "", vcpu: int = 0) -> World:
        world = World(next(self._ids), kind, pid, name, vm_id, vcpu)
        self._worlds[world.world_id] = world
        return world

    def remove_pid(self, pid: int) -> None:
        for world_id in [w.world_id for w in self._worlds.values() if w.pid == pid]:
            del self._worlds[world_id]

    def remove_vm(self, vm_id: str) -> None:
        for world_id in [w.world_id for w in self._worlds.values() if w.vm_id == vm_id]:
            del self._worlds[world_id]

    def owns(self, vm_id: str, pid: int) -> bool:
        """Whether ``pid`` is one of the VM's worlds (its vmx or a VMM world)."""
        return any(w.pid == pid and w.vm_id == vm_id for w in self._worlds.values())

    def all(self) -> list[World]:
        return sorted(self._worlds.values(), key=lambda w: w.world_id)

"""The VMkernel's persistent configuration (``etc/esx.conf.json``): datastores and standard vSwitches."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from pyesx.atomic import atomic_write
from pyesx.layout import HostLayout

DEFAULT_VSWITCH_PORTS = 128


@dataclass
class DatastoreConfig:
    name: str
    path: str = ""  # an added datastore's directory ("": datastore1, under vmfs/volumes)
    capacity_bytes: int = 0  # a configured cap on its capacity (0: the filesystem's)


@dataclass
class PortGroupConfig:
    name: str
    vlan_id: int = 0


@dataclass
class VSwitchConfig:
    name: str
    num_ports: int = DEFAULT_VSWITCH_PORTS
    uplinks: list[str] = field(default_factory=list)
    port_groups: list[PortGroupConfig] = field(default_factory=list)


@dataclass
class EsxConfig:
    hostname: str
    datastores: list[DatastoreConfig]
    vswitches: list[VSwitchConfig]

    @classmethod
    def default(cls, hostname: str) -> EsxConfig:
        """What an install creates: datastore1 and vSwitch0 with ESXi's two port groups."""
        return cls(
            hostname=hostname,
            datastores=[DatastoreConfig("datastore1")],
            vswitches=[
                VSwitchConfig(
                    "vSwitch0",
                    uplinks=["vmnic0"],
                    port_groups=[PortGroupConfig("VM Network"), PortGroupConfig("Management Network")],
                )
            ],
        )

    @classmethod
    def load(cls, layout: HostLayout) -> EsxConfig:
        raw = json.loads(layout.esx_conf.read_text())
        return cls(
            hostname=raw["hostname"],
            datastores=[DatastoreConfig(**d) for d in raw["datastores"]],
            vswitches=[
                VSwitchConfig(
                    name=v["name"],
                    num_ports=v["num_ports"],
                    uplinks=list(v["uplinks"]),
                    port_groups=[PortGroupConfig(**p) for p in v["port_groups"]],
                )
                for v in raw["vswitches"]
            ],
        )

    def save(self, layout: HostLayout) -> None:
        atomic_write(layout.esx_conf, json.dumps(asdict(self), indent=2) + "\n")

"""The VMkernel's persistent configuration (``etc/esx.conf.json``): datastores and standard vSwitches."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from pyesx.atomic import atomic_write
from pyesx.layout import HostLayout

DEFAULT_VSWITCH_PORTS = 128
DEFAULT_MTU = 1500


@dataclass
class DatastoreConfig:
    name: str
    path: str = ""  # an added datastore's directory ("": datastore1, under vmfs/volumes)
    capacity_bytes: int = 0  # a configured cap on its capacity (0: the filesystem's)
    capacity_iops: int = 0  # a configured throughput for guest I/O (0: as fast as the disk goes)


@dataclass
class SecurityPolicy:
    """A switch's security policy (ESXi's defaults); on a port group, None inherits the switch's."""

    allow_promiscuous: bool | None = False
    mac_changes: bool | None = True
    forged_transmits: bool | None = True


@dataclass
class ShapingPolicy:
    """Outbound traffic shaping: average and peak in bits/s, burst in bytes (a dual token bucket)."""

    enabled: bool = False
    average_bps: int = 100_000_000
    peak_bps: int = 100_000_000
    burst_bytes: int = 104_857_600


@dataclass
class PortGroupConfig:
    name: str
    vlan_id: int = 0
    security: SecurityPolicy = field(default_factory=lambda: SecurityPolicy(None, None, None))
    shaping: ShapingPolicy | None = None  # None: the switch's
    vmkernel_nics: list[str] = field(default_factory=list)  # "vmk0" on the Management Network


@dataclass
class VSwitchConfig:
    name: str
    num_ports: int = DEFAULT_VSWITCH_PORTS
    uplinks: list[str] = field(default_factory=list)
    port_groups: list[PortGroupConfig] = field(default_factory=list)
    mtu: int = DEFAULT_MTU
    security: SecurityPolicy = field(default_factory=SecurityPolicy)
    shaping: ShapingPolicy = field(default_factory=ShapingPolicy)


def _port_group(raw: dict[str, Any]) -> PortGroupConfig:
    shaping = raw.get("shaping")
    return PortGroupConfig(
        name=raw["name"],
        vlan_id=raw.get("vlan_id", 0),
        security=SecurityPolicy(
            **raw.get("security", {"allow_promiscuous": None, "mac_changes": None, "forged_transmits": None})
        ),
        shaping=ShapingPolicy(**shaping) if shaping else None,
        vmkernel_nics=list(raw.get("vmkernel_nics", [])),
    )


def _vswitch(raw: dict[str, Any]) -> VSwitchConfig:
    return VSwitchConfig(
        name=raw["name"],
        num_ports=raw["num_ports"],
        uplinks=list(raw["uplinks"]),
        port_groups=[_port_group(p) for p in raw["port_groups"]],
        mtu=raw.get("mtu", DEFAULT_MTU),
        security=SecurityPolicy(**raw["security"]) if "security" in raw else SecurityPolicy(),
        shaping=ShapingPolicy(**raw["shaping"]) if "shaping" in raw else ShapingPolicy(),
    )


@dataclass
class EsxConfig:
    hostname: str
    datastores: list[DatastoreConfig]
    vswitches: list[VSwitchConfig]
    #: physical NICs wired to a UDP endpoint on loopback: nic -> [local "127.0.0.1:port", peer]
    nic_links: dict[str, list[str]] = field(default_factory=dict)

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
                    port_groups=[
                        PortGroupConfig("VM Network"),
                        PortGroupConfig("Management Network", vmkernel_nics=["vmk0"]),
                    ],
                )
            ],
        )

    @classmethod
    def load(cls, layout: HostLayout) -> EsxConfig:
        raw = json.loads(layout.esx_conf.read_text())
        return cls(
            hostname=raw["hostname"],
            datastores=[DatastoreConfig(**d) for d in raw["datastores"]],
            vswitches=[_vswitch(v) for v in raw["vswitches"]],
            nic_links={nic: list(ends) for nic, ends in raw.get("nic_links", {}).items()},
        )

    def save(self, layout: HostLayout) -> None:
        atomic_write(layout.esx_conf, json.dumps(asdict(self), indent=2) + "\n")

"""A VM's configuration in ESXi's .vmx keys: building a new one, and reading devices back from any."""

from __future__ import annotations

import re
import secrets
import uuid
from dataclasses import dataclass

from pyesx import faults
from pyesx.cdconfig import CdDrive as CdDrive
from pyesx.cdconfig import add_cd_drive as add_cd_drive
from pyesx.cdconfig import cd_drives as cd_drives
from pyesx.vmxfile import VmxConfig

DEFAULT_GUEST_ID = "otherGuest64"
DEFAULT_NUM_CPU = 1
DEFAULT_MEMORY_MB = 256
DEFAULT_NETWORK = "VM Network"
HW_VERSION = "21"
MAX_NICS = 10
MAX_DISKS = 4 * 15  # 4 SCSI adapters × 15 disks
TOOLS_KEY = "pyesx.guest.tools"  # "FALSE": the guest runs no tools (our key; kept verbatim by ESXi)
CHECKPOINT_KEY = "checkpoint.vmState"  # ESXi's: the .vmss of a suspended VM

#: disk modes: the API's names and the .vmx's spelling
DISK_MODES = {
    "persistent": "persistent",
    "independent_persistent": "independent-persistent",
    "independent_nonpersistent": "independent-nonpersistent",
}
DISK_FORMATS = ("thin", "thick", "eagerZeroedThick")

_NIC = re.compile(r"^ethernet(\d+)\.present$", re.IGNORECASE)
_DISK = re.compile(r"^scsi(\d):(\d+)\.present$", re.IGNORECASE)


@dataclass(frozen=True)
class Nic:
    key: str  # "ethernet0"
    network_name: str
    adapter_type: str
    mac_address: str
    start_connected: bool
    address_type: str = "generated"


@dataclass(frozen=True)
class Disk:
    key: str  # "scsi0:0"
    file_name: str  # as written in the .vmx: relative to the VM folder, or absolute
    mode: str


def bios_uuid() -> str:
    """ESXi's uuid.bios spelling: ``56 4d 8c 2e 5e 0f 1b 7a-9c 7b 3d 7a 8f 4e 2c 1d``."""
    spaced = " ".join(f"{x:02x}" for x in uuid.uuid4().bytes)
    return f"{spaced[:23]}-{spaced[24:]}"


def generated_mac() -> str:
    """A generated address in VMware's 00:0c:29 range."""
    return "00:0c:29:" + ":".join(f"{b:02x}" for b in secrets.token_bytes(3))


#: .vmx keys with a property or operation of their own: not advanced settings
MANAGED_KEYS = (
    ".encoding",
    "config.version",
    "virtualhw.version",
    "displayname",
    "guestos",
    "memsize",
    "numvcpus",
    "annotation",
    "vc.uuid",
    "vcpu.hotadd",
    "mem.hotadd",
)
MANAGED_PREFIXES = ("uuid.", "scsi", "ethernet", "ide", "sata", "checkpoint.", "sched.")
_SETTING_KEY = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.:\-]{0,255}$")


def is_managed(key: str) -> bool:
    return key.lower() in MANAGED_KEYS or key.lower().startswith(MANAGED_PREFIXES)


def advanced_settings(config: VmxConfig) -> dict[str, str]:
    """The VM's advanced settings (extra config): every .vmx key no other property covers."""
    return {key: config[key] for key in config if not is_managed(key)}


def check_advanced_setting(key: str, value: str) -> None:
    if not _SETTING_KEY.match(key):
        raise faults.InvalidArgument("extraConfig", f"'{key[:80]}' is not a .vmx key")
    if is_managed(key):
        raise faults.InvalidArgument(
            "extraConfig", f"'{key}' is set through its own property, not as a setting"
        )
    if len(value) > 64 * 1024 or any(c in value for c in "\x00\n\r"):
        raise faults.InvalidArgument("extraConfig", f"the value of '{key}' is too long or holds a line break")


def is_true(value: str) -> bool:
    return value.strip().lower() in ("true", "1", "yes")


def new_vmx(name: str, num_cpu: int, memory_mb: int, guest_id: str, notes: str) -> VmxConfig:
    config = VmxConfig()
    for key, value in (
        (".encoding", "UTF-8"),
        ("config.version", "8"),
        ("virtualHW.version", HW_VERSION),
        ("displayName", name),
        ("guestOS", guest_id),
        ("memSize", str(memory_mb)),
        ("numvcpus", str(num_cpu)),
        ("annotation", notes),
        ("uuid.bios", bios_uuid()),
        ("vc.uuid", bios_uuid()),
    ):
        config[key] = value
    return config


def display_name(config: VmxConfig, fallback: str) -> str:
    return config.get("displayName", fallback)


def num_cpu(config: VmxConfig) -> int:
    return config.get_int("numvcpus", DEFAULT_NUM_CPU)


def memory_mb(config: VmxConfig) -> int:
    return config.get_int("memSize", DEFAULT_MEMORY_MB)


def guest_tools(config: VmxConfig) -> bool:
    return is_true(config.get(TOOLS_KEY, "TRUE"))


def cpu_hot_add(config: VmxConfig) -> bool:
    return is_true(config.get("vcpu.hotadd", "FALSE"))


def memory_hot_add(config: VmxConfig) -> bool:
    return is_true(config.get("mem.hotadd", "FALSE"))


def nics(config: VmxConfig) -> list[Nic]:
    found = []
    for key in config:
        match = _NIC.match(key)
        if match and is_true(config[key]):
            prefix = f"ethernet{match[1]}"
            found.append(
                Nic(
                    prefix,
                    config.get(f"{prefix}.networkName", ""),
                    config.get(f"{prefix}.virtualDev", "e1000"),
                    config.get(f"{prefix}.generatedAddress", config.get(f"{prefix}.address", "")),
                    is_true(config.get(f"{prefix}.startConnected", "TRUE")),
                    config.get(f"{prefix}.addressType", "generated").lower(),
                )
            )
    return sorted(found, key=lambda n: int(n.key[8:]))


ADAPTER_TYPES = ("vmxnet3", "e1000", "e1000e")
_STATIC_MAC = re.compile(r"^00:50:56:[0-3][0-9a-f](:[0-9a-f]{2}){2}$", re.IGNORECASE)


def check_static_mac(mac: str) -> str:
    """A static MAC in VMware's range 00:50:56:00:00:00-00:50:56:3f:ff:ff; InvalidArgument otherwise."""
    if not _STATIC_MAC.match(mac):
        raise faults.InvalidArgument(
            "macAddress", f"'{mac}' is not a static MAC in 00:50:56:00:00:00-3f:ff:ff"
        )
    return mac.lower()


def add_nic(
    config: VmxConfig,
    network_name: str,
    adapter_type: str = "vmxnet3",
    mac: str = "",
    start_connected: bool = True,
) -> None:
    """Add an adapter on network_name at the first free ethernetN (a generated MAC unless ``mac``, a
    static one, is given); InvalidArgument past 10 or for an unknown adapter type."""
    used = {int(n.key[8:]) for n in nics(config)}
    if len(used) >= MAX_NICS:
        raise faults.InvalidArgument("networkAdapter", f"a VM has at most {MAX_NICS} network adapters")
    if adapter_type not in ADAPTER_TYPES:
        raise faults.InvalidArgument(
            "adapterType", f"'{adapter_type}' is not one of {', '.join(ADAPTER_TYPES)}"
        )
    index = next(i for i in range(MAX_NICS) if i not in used)
    prefix = f"ethernet{index}"
    address = ("address", check_static_mac(mac)) if mac else ("generatedAddress", generated_mac())
    for suffix, value in (
        ("present", "TRUE"),
        ("virtualDev", adapter_type),
        ("networkName", network_name),
        ("addressType", "static" if mac else "generated"),
        address,
        ("startConnected", "TRUE" if start_connected else "FALSE"),
    ):
        config[f"{prefix}.{suffix}"] = value


def remove_device(config: VmxConfig, key: str) -> None:
    """Drop every ``key.*`` setting of a device ("ethernet1", "scsi0:1", "ide1:0")."""
    prefix = key.lower() + "."
    for name in [k for k in config if k.lower().startswith(prefix)]:
        del config[name]


def disks(config: VmxConfig) -> list[Disk]:
    found = []
    for key in config:
        match = _DISK.match(key)
        prefix = f"scsi{match[1]}:{match[2]}" if match else ""
        if (
            match
            and is_true(config[key])
            and config.get(f"{prefix}.deviceType", "scsi-hardDisk") != "cdrom-image"
        ):
            found.append(
                Disk(prefix, config.get(f"{prefix}.fileName", ""), config.get(f"{prefix}.mode", "persistent"))
            )
    return sorted(found, key=lambda d: (int(d.key[4]), int(d.key.split(":")[1])))


def next_disk_key(config: VmxConfig) -> str:
    used = {d.key for d in disks(config)}
    for bus in range(4):
        for unit in range(16):
            if unit != 7 and f"scsi{bus}:{unit}" not in used:  # unit 7 is the controller's
                return f"scsi{bus}:{unit}"
    raise faults.InvalidArgument("disk", f"a VM has at most {MAX_DISKS} disks")


def check_disk_mode(mode: str) -> str:
    """The API's disk mode ("" = persistent) as the .vmx spells it; InvalidArgument otherwise."""
    if mode not in ("", *DISK_MODES):
        raise faults.InvalidArgument("diskMode", f"'{mode}' is not one of {', '.join(DISK_MODES)}")
    return DISK_MODES[mode or "persistent"]


def api_disk_mode(vmx_mode: str) -> str:
    """A .vmx disk mode as the API names it."""
    return {v: k for k, v in DISK_MODES.items()}.get(vmx_mode.lower(), "persistent")


def is_independent(disk: Disk) -> bool:
    """Independent disks are left out of snapshots."""
    return disk.mode.lower().startswith("independent")


def add_disk(config: VmxConfig, key: str, file_name: str, mode: str = "persistent") -> None:
    bus = key.split(":")[0]
    if not is_true(config.get(f"{bus}.present", "FALSE")):
        config[f"{bus}.present"] = "TRUE"
        config[f"{bus}.virtualDev"] = "pvscsi"
    config[f"{key}.present"] = "TRUE"
    config[f"{key}.fileName"] = file_name
    config[f"{key}.deviceType"] = "scsi-hardDisk"
    config[f"{key}.mode"] = mode

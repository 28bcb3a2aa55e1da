"""A new VM's .vmx, in ESXi's keys, and the values hostd reads back from any .vmx."""

from __future__ import annotations

import secrets
import uuid

from pyesx.vmxfile import VmxConfig

DEFAULT_GUEST_ID = "otherGuest64"
DEFAULT_NUM_CPU = 1
DEFAULT_MEMORY_MB = 256
HW_VERSION = "21"


def bios_uuid() -> str:
    """ESXi's uuid.bios spelling: ``56 4d 8c 2e 5e 0f 1b 7a-9c 7b 3d 7a 8f 4e 2c 1d``."""
    spaced = " ".join(f"{x:02x}" for x in uuid.uuid4().bytes)
    return f"{spaced[:23]}-{spaced[24:]}"


def generated_mac() -> str:
    """A generated address in VMware's 00:0c:29 range."""
    return "00:0c:29:" + ":".join(f"{b:02x}" for b in secrets.token_bytes(3))


def new_vmx(name: str, num_cpu: int, memory_mb: int, guest_id: str, notes: str, network: str) -> VmxConfig:
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
        ("ethernet0.present", "TRUE"),
        ("ethernet0.virtualDev", "vmxnet3"),
        ("ethernet0.networkName", network),
        ("ethernet0.addressType", "generated"),
        ("ethernet0.generatedAddress", generated_mac()),
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

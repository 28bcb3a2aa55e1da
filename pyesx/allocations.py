"""Shares, reservation and limit of one resource, their presets, and the VM's ``sched.*`` .vmx keys."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

from pyesx.faults import InvalidArgument

Resource = Literal["cpu", "memory"]
RESOURCES: tuple[Resource, Resource] = ("cpu", "memory")

UNLIMITED = -1
#: custom shares are 1 … MAX_SHARES (presets are computed and may exceed it, e.g. a 64 GB VM's memory)
MAX_SHARES = 1_000_000
#: no reservation or limit (MHz or MB) beyond a signed 32-bit number is plausible
MAX_AMOUNT = 2**31 - 1


class SharesLevel(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    CUSTOM = "custom"


_FACTORS = {SharesLevel.LOW: 1, SharesLevel.NORMAL: 2, SharesLevel.HIGH: 4}
#: VM shares at level normal: per vCPU (CPU) or per configured MB (memory); low is half, high double
VM_NORMAL_SHARES: dict[Resource, int] = {"cpu": 1000, "memory": 10}
#: pool shares at level normal (ESXi: CPU 2000/4000/8000, memory 81920/163840/327680)
POOL_NORMAL_SHARES: dict[Resource, int] = {"cpu": 4000, "memory": 163840}


def parse_level(level: str | SharesLevel, argument: str = "shares.level") -> SharesLevel:
    """``level`` as a SharesLevel; InvalidArgument if it is none of low/normal/high/custom."""
    try:
        return SharesLevel(str(level).strip().lower())
    except ValueError:
        reason = f"unknown shares level {level!r} (low, normal, high or custom)"
        raise InvalidArgument(argument, reason) from None


def _check_int(value: object, argument: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidArgument(argument, f"{value!r} is not an integer")
    return value


@dataclass(frozen=True)
class Shares:
    """A shares level and its number (for a preset level the number follows from the preset)."""

    level: SharesLevel
    number: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "level", parse_level(self.level))
        _check_int(self.number, "shares.shares")
        if self.number <= 0:
            raise InvalidArgument("shares.shares", f"{self.number} must be positive")
        if self.level is SharesLevel.CUSTOM and self.number > MAX_SHARES:
            raise InvalidArgument("shares.shares", f"{self.number} exceeds {MAX_SHARES}")

    @classmethod
    def custom(cls, number: int) -> Shares:
        return cls(SharesLevel.CUSTOM, number)


def vm_shares(
    resource: Resource, level: str | SharesLevel, num_cpu: int, memory_mb: int, number: int | None = None
) -> Shares:
    """A VM's shares: a preset × vCPUs (CPU) or × configured MB (memory), or ``number`` if custom."""
    lvl = parse_level(level)
    if lvl is SharesLevel.CUSTOM:
        if number is None:
            raise InvalidArgument("shares.shares", "custom shares need a number")
        return Shares(lvl, number)
    size = num_cpu if resource == "cpu" else memory_mb
    return Shares(lvl, max(1, VM_NORMAL_SHARES[resource] * _FACTORS[lvl] * size // 2))


def pool_shares(resource: Resource, level: str | SharesLevel, number: int | None = None) -> Shares:
    """A resource pool's shares: ESXi's pool presets, or ``number`` if custom."""
    lvl = parse_level(level)
    if lvl is SharesLevel.CUSTOM:
        if number is None:
            raise InvalidArgument("shares.shares", "custom shares need a number")
        return Shares(lvl, number)
    return Shares(lvl, POOL_NORMAL_SHARES[resource] * _FACTORS[lvl] // 2)


@dataclass(frozen=True)
class Allocation:
    """One resource's allocation: shares, reservation and limit (MHz or MB; limit -1 = unlimited).

    ``expandable_reservation`` is meaningful for pools only (a VM's is always False).
    """

    shares: Shares
    reservation: int = 0
    limit: int = UNLIMITED
    expandable_reservation: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.shares, Shares):
            raise InvalidArgument("shares", f"{self.shares!r} is not a Shares")
        reservation = _check_int(self.reservation, "reservation")
        limit = _check_int(self.limit, "limit")
        if reservation < 0:
            raise InvalidArgument("reservation", f"{reservation} is negative")
        if reservation > MAX_AMOUNT:
            raise InvalidArgument("reservation", f"{reservation} exceeds {MAX_AMOUNT}")
        if limit < UNLIMITED:
            raise InvalidArgument("limit", f"{limit} is below -1 (unlimited)")
        if limit > MAX_AMOUNT:
            raise InvalidArgument("limit", f"{limit} exceeds {MAX_AMOUNT}")
        if limit != UNLIMITED and reservation > limit:
            raise InvalidArgument("reservation", f"reservation {reservation} is over the limit {limit}")
        if not isinstance(self.expandable_reservation, bool):
            raise InvalidArgument("expandableReservation", f"{self.expandable_reservation!r} is not a bool")

    @property
    def limited(self) -> bool:
        return self.limit != UNLIMITED

    def cap(self, value: float) -> float:
        """``value`` bounded by the limit."""
        return min(value, self.limit) if self.limited else value


@dataclass(frozen=True)
class VmAllocations:
    """A VM's CPU (MHz) and memory (MB) allocations."""

    cpu: Allocation
    memory: Allocation

    def of(self, resource: Resource) -> Allocation:
        return self.cpu if resource == "cpu" else self.memory


def default_vm_allocations(num_cpu: int, memory_mb: int) -> VmAllocations:
    """Normal shares, no reservation, no limit: a new VM's allocations."""
    return VmAllocations(
        cpu=Allocation(vm_shares("cpu", SharesLevel.NORMAL, num_cpu, memory_mb)),
        memory=Allocation(vm_shares("memory", SharesLevel.NORMAL, num_cpu, memory_mb)),
    )


def default_pool_allocation(resource: Resource, expandable: bool = True) -> Allocation:
    """A new pool's allocation: normal shares, no reservation, no limit, expandable."""
    return Allocation(pool_shares(resource, SharesLevel.NORMAL), expandable_reservation=expandable)


# --- .vmx keys ------------------------------------------------------------------------------------------

_VMX_PREFIX: dict[Resource, str] = {"cpu": "sched.cpu", "memory": "sched.mem"}


@dataclass(frozen=True)
class _VmxKeys:
    values: dict[str, str] = field(default_factory=dict)

    def get(self, key: str) -> str | None:
        value = self.values.get(key)
        return None if value is None else value.strip().strip('"').strip()


def _parse_amount(text: str, key: str, allow_unlimited: bool) -> int:
    if allow_unlimited and text.lower() in ("unlimited", "-1"):
        return UNLIMITED
    try:
        value = int(text)
    except ValueError:
        raise InvalidArgument(key, f"{text!r} is not a number") from None
    if value < 0:
        raise InvalidArgument(key, f"{value} is negative")
    if value > MAX_AMOUNT:
        raise InvalidArgument(key, f"{value} exceeds {MAX_AMOUNT}")
    return value


def _parse_allocation(keys: _VmxKeys, resource: Resource, num_cpu: int, memory_mb: int) -> Allocation:
    prefix = _VMX_PREFIX[resource]
    reservation = _parse_amount(keys.get(f"{prefix}.min") or "0", f"{prefix}.min", allow_unlimited=False)
    max_text = keys.get(f"{prefix}.max")
    limit = UNLIMITED if not max_text else _parse_amount(max_text, f"{prefix}.max", allow_unlimited=True)
    shares_text = (keys.get(f"{prefix}.shares") or "normal").lower()
    try:
        if shares_text.lstrip("-").isdigit():
            shares = vm_shares(resource, SharesLevel.CUSTOM, num_cpu, memory_mb, int(shares_text))
        else:
            shares = vm_shares(resource, shares_text, num_cpu, memory_mb)
    except InvalidArgument as err:
        raise InvalidArgument(f"{prefix}.shares", err.reason) from None
    if limit != UNLIMITED and reservation > limit:
        raise InvalidArgument(f"{prefix}.min", f"reservation {reservation} is over the limit {limit}")
    return Allocation(shares, reservation, limit)


def from_vmx(mapping: Mapping[str, str], num_cpu: int, memory_mb: int) -> VmAllocations:
    """A VM's allocations from its .vmx ``sched.cpu.*`` / ``sched.mem.*`` keys (keys case-insensitive).

    ``min`` is the reservation, ``max`` the limit (absent = unlimited), ``shares`` low/normal/high or a
    number (custom). ``sched.cpu.units`` must be ``mhz`` if present.
    """
    keys = _VmxKeys({k.lower(): v for k, v in mapping.items() if k.lower().startswith("sched.")})
    units = keys.get("sched.cpu.units")
    if units is not None and units.lower() != "mhz":
        raise InvalidArgument("sched.cpu.units", f"{units!r} is not supported (mhz)")
    return VmAllocations(
        cpu=_parse_allocation(keys, "cpu", num_cpu, memory_mb),
        memory=_parse_allocation(keys, "memory", num_cpu, memory_mb),
    )


def to_vmx(allocations: VmAllocations) -> dict[str, str]:
    """The .vmx keys of ``allocations`` (``max`` omitted when unlimited), as ESXi writes them."""
    out: dict[str, str] = {"sched.cpu.units": "mhz"}
    for resource in RESOURCES:
        prefix = _VMX_PREFIX[resource]
        alloc = allocations.of(resource)
        out[f"{prefix}.min"] = str(alloc.reservation)
        if alloc.limited:
            out[f"{prefix}.max"] = str(alloc.limit)
        shares = alloc.shares
        custom = shares.level is SharesLevel.CUSTOM
        out[f"{prefix}.shares"] = str(shares.number) if custom else shares.level.value
    return out


DISK_SHARES = {"low": 500, "normal": 1000, "high": 2000}
MAX_IOPS = 10_000_000


def disk_io_from_vmx(config: Mapping[str, str], key: str) -> tuple[int, int, int]:
    """A disk's I/O allocation from ESXi's keys: (shares, reservation IOPS, limit IOPS or 0).

    ``sched.scsi0:0.shares`` (low / normal / high or a number), ``sched.scsi0:0.reservation``
    (IOPS) and ``sched.scsi0:0.throughputCap`` (IOPS; "off" or absent: unlimited)."""

    def get(name: str, default: str) -> str:
        wanted = f"sched.{key}.{name}".lower()
        return next((v for k, v in config.items() if k.lower() == wanted), default).strip().lower()

    shares_text, cap, reservation = (
        get("shares", "normal"),
        get("throughputCap", "off"),
        get("reservation", "0"),
    )
    try:
        shares = DISK_SHARES.get(shares_text) or int(shares_text)
        limit = 0 if cap in ("", "off") else int(cap.removesuffix("iops"))
        reserved = int(reservation)
    except ValueError:
        raise InvalidArgument(
            f"sched.{key}", "shares, reservation and throughputCap must be numbers"
        ) from None
    if not 1 <= shares <= 1_000_000 or not 0 <= reserved <= MAX_IOPS or not 0 <= limit <= MAX_IOPS:
        raise InvalidArgument(
            f"sched.{key}", f"shares {shares}, reservation {reserved}, limit {limit}: out of range"
        )
    if limit and reserved > limit:
        raise InvalidArgument(f"sched.{key}", f"the reservation {reserved} IOPS is above the limit {limit}")
    return shares, reserved, limit

"""Allocation settings: share presets, validation, and the VM's sched.* .vmx keys."""

from __future__ import annotations

from typing import Any

import pytest

from pyesx.faults import InvalidArgument
from vmkernel.resources import (
    Allocation,
    Shares,
    SharesLevel,
    VmAllocations,
    default_vm_allocations,
    from_vmx,
    pool_shares,
    to_vmx,
    vm_shares,
)

pytestmark = pytest.mark.timeout(30)

NORMAL = Shares(SharesLevel.NORMAL, 1000)


def test_vm_presets_scale_with_vcpus_and_memory() -> None:
    assert [vm_shares("cpu", lvl, 2, 4096).number for lvl in ("low", "normal", "high")] == [1000, 2000, 4000]
    assert [vm_shares("memory", lvl, 2, 4096).number for lvl in ("low", "normal", "high")] == [
        20480,
        40960,
        81920,
    ]
    assert vm_shares("cpu", "custom", 2, 4096, 1234) == Shares(SharesLevel.CUSTOM, 1234)


def test_pool_presets_are_esxi_s() -> None:
    assert [pool_shares("cpu", lvl).number for lvl in ("low", "normal", "high")] == [2000, 4000, 8000]
    assert [pool_shares("memory", lvl).number for lvl in ("low", "normal", "high")] == [
        81920,
        163840,
        327680,
    ]


def test_level_is_case_insensitive() -> None:
    assert vm_shares("cpu", "HIGH", 1, 1024).level is SharesLevel.HIGH


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"reservation": -1}, "reservation"),
        ({"reservation": 2**40}, "reservation"),
        ({"limit": -2}, "limit"),
        ({"limit": 2**40}, "limit"),
        ({"reservation": 500, "limit": 400}, "reservation"),
        ({"reservation": 1.5}, "reservation"),
        ({"limit": True}, "limit"),
        ({"expandable_reservation": "yes"}, "expandableReservation"),
    ],
)
def test_bad_allocation(kwargs: dict[str, Any], argument: str) -> None:
    with pytest.raises(InvalidArgument) as info:
        Allocation(NORMAL, **kwargs)
    assert info.value.argument == argument


def test_reservation_equal_to_limit_and_unlimited_are_fine() -> None:
    assert Allocation(NORMAL, 500, 500).limited
    assert not Allocation(NORMAL, 10**6).limited
    assert Allocation(NORMAL, 0, 300).cap(1000) == 300


@pytest.mark.parametrize("number", [0, -5, 1_000_001])
def test_bad_custom_shares(number: int) -> None:
    with pytest.raises(InvalidArgument) as info:
        Shares(SharesLevel.CUSTOM, number)
    assert info.value.argument == "shares.shares"


def test_presets_may_exceed_the_custom_maximum() -> None:
    assert vm_shares("memory", "high", 8, 65536).number == 1_310_720


@pytest.mark.parametrize("level", ["medium", "", "42"])
def test_unknown_level(level: str) -> None:
    with pytest.raises(InvalidArgument) as info:
        vm_shares("cpu", level, 1, 1024)
    assert info.value.argument == "shares.level"
    with pytest.raises(InvalidArgument):
        Shares(level, 10)  # type: ignore[arg-type]


def test_custom_without_number() -> None:
    with pytest.raises(InvalidArgument):
        pool_shares("cpu", "custom")


def test_from_vmx_defaults() -> None:
    assert from_vmx({}, 2, 2048) == default_vm_allocations(2, 2048)


def test_from_vmx_reads_every_key_case_insensitively() -> None:
    alloc = from_vmx(
        {
            "sched.cpu.min": "1500",
            "SCHED.CPU.MAX": "2600",
            "sched.cpu.shares": "high",
            "sched.cpu.units": "mhz",
            "sched.mem.min": '"512"',
            "sched.mem.shares": "3000",
            "displayName": "web01",
        },
        num_cpu=2,
        memory_mb=1024,
    )
    assert alloc.cpu == Allocation(Shares(SharesLevel.HIGH, 4000), 1500, 2600)
    assert alloc.memory == Allocation(Shares(SharesLevel.CUSTOM, 3000), 512, -1)


def test_vmx_round_trip() -> None:
    alloc = VmAllocations(
        Allocation(Shares(SharesLevel.LOW, 500), 100, 900),
        Allocation(Shares(SharesLevel.CUSTOM, 777), 256),
    )
    keys = to_vmx(alloc)
    assert keys == {
        "sched.cpu.units": "mhz",
        "sched.cpu.min": "100",
        "sched.cpu.max": "900",
        "sched.cpu.shares": "low",
        "sched.mem.min": "256",
        "sched.mem.shares": "777",
    }
    assert from_vmx(keys, 1, 1024) == alloc


def test_vmx_unlimited_spellings() -> None:
    for text in ("-1", "unlimited", ""):
        assert not from_vmx({"sched.mem.max": text}, 1, 1024).memory.limited


@pytest.mark.parametrize(
    ("keys", "argument"),
    [
        ({"sched.cpu.min": "-5"}, "sched.cpu.min"),
        ({"sched.cpu.min": "lots"}, "sched.cpu.min"),
        ({"sched.cpu.min": "99999999999"}, "sched.cpu.min"),
        ({"sched.cpu.max": "-7"}, "sched.cpu.max"),
        ({"sched.mem.min": "800", "sched.mem.max": "500"}, "sched.mem.min"),
        ({"sched.cpu.shares": "medium"}, "sched.cpu.shares"),
        ({"sched.mem.shares": "0"}, "sched.mem.shares"),
        ({"sched.mem.shares": "-10"}, "sched.mem.shares"),
        ({"sched.cpu.shares": "2000000"}, "sched.cpu.shares"),
        ({"sched.cpu.units": "percent"}, "sched.cpu.units"),
    ],
)
def test_bad_vmx(keys: dict[str, str], argument: str) -> None:
    with pytest.raises(InvalidArgument) as info:
        from_vmx(keys, 1, 1024)
    assert info.value.argument == argument

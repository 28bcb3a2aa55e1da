"""``pyesx boot`` options: the host's memory size for VMs (``--memory-mb``)."""

from __future__ import annotations

import pytest

from vmkernel.bootargs import parse_args
from vmkernel.hostinfo import discover


def test_memory_mb_sets_the_host_memory_below_the_machines() -> None:
    assert parse_args(["--memory-mb", "256"]).memory_mb == 256
    assert parse_args([]).memory_mb == 0  # the machine's
    machine = discover().memory_bytes
    assert discover(256).memory_bytes == 256 << 20
    assert discover(10 * (machine >> 20)).memory_bytes == machine  # never above the machine's


def test_negative_memory_mb_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        parse_args(["--memory-mb", "-1"])
    assert exited.value.code == 2
    assert "--memory-mb -1" in capsys.readouterr().err

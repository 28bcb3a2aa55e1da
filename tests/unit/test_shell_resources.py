"""Get- and Set-VMResourceConfiguration against the fake host."""

from __future__ import annotations

import json

import pytest

from tests.unit.shell_fake import FakeConnector, run

pytestmark = pytest.mark.timeout(30)


def test_get_and_set_resource_configuration(capsys: pytest.CaptureFixture[str]) -> None:
    fake = FakeConnector()
    script = (
        "New-VM -Name web01 -NumCpu 2 | Out-Null; "
        "Get-VMResourceConfiguration web01 | Set-VMResourceConfiguration -CpuLimitMhz 1300 "
        "-NumCpuShares 3000 -MemReservationMB 64 | ConvertTo-Json -Compress"
    )
    result = run(capsys, script, fake)
    assert (result.code, result.err) == (0, "")
    shown = json.loads(result.out)
    assert (shown["CpuLimitMhz"], shown["NumCpuShares"], shown["CpuSharesLevel"]) == (1300, 3000, "Custom")
    assert (shown["MemReservationMB"], shown["MemLimitMB"], shown["CpuReservationMhz"]) == (64, -1, 0)


def test_a_reservation_over_the_limit_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    fake = FakeConnector()
    script = "New-VM -Name web01 | Out-Null; Get-VMResourceConfiguration web01 | Set-VMResourceConfiguration "
    result = run(capsys, script + "-CpuReservationMhz 500 -CpuLimitMhz 100", fake)
    assert result.code == 1 and result.err.startswith("Set-VMResourceConfiguration: InvalidArgument:")

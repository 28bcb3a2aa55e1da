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


def test_disk_io_shares_and_limits(capsys: pytest.CaptureFixture[str]) -> None:
    fake = FakeConnector()
    fake.client.add_vm("db01", disk_capacity_bytes=[2**30])
    script = (
        "Get-VMResourceConfiguration db01 | Set-VMResourceConfiguration -Disk (Get-HardDisk db01) "
        "-DiskSharesLevel High -DiskLimitIOPerSecond 500 | ConvertTo-Json -Compress -Depth 3"
    )
    result = run(capsys, script, fake)
    assert (result.code, result.err) == (0, "")
    [disk] = json.loads(result.out)["DiskResourceConfiguration"]
    assert (disk["Key"], disk["DiskSharesLevel"], disk["NumDiskShares"], disk["DiskLimitIOPerSecond"]) == (
        "scsi0:0",
        "High",
        2000,
        500,
    )
    result = run(
        capsys, "Get-VMResourceConfiguration db01 | Set-VMResourceConfiguration -NumDiskShares 700", fake
    )
    assert result.code == 1 and "-Disk" in result.err

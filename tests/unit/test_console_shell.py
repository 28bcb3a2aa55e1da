"""Open-VMConsoleWindow -UrlOnly and Get-VMScreenshot through ``main`` against the fake host."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from tests.unit.shell_fake import FakeConnector, run

pytestmark = pytest.mark.timeout(30)


@pytest.fixture
def fake() -> FakeConnector:
    connector = FakeConnector()
    connector.client.add_vm("web01", "poweredOn")
    connector.client.add_vm("off01")
    return connector


def test_console_url_only(capsys: pytest.CaptureFixture[str], fake: FakeConnector) -> None:
    result = run(capsys, "Get-VM web01 | Open-VMConsoleWindow -UrlOnly", fake)
    assert result.code == 0, result.err
    assert result.out.strip().startswith("pyesx+console://fake:8443/vm-1?ticket=")


def test_console_of_a_powered_off_vm(capsys: pytest.CaptureFixture[str], fake: FakeConnector) -> None:
    result = run(capsys, "Open-VMConsoleWindow -VM off01 -UrlOnly", fake)
    assert result.code == 1 and "InvalidPowerState" in result.err


def test_screenshot_path_and_download(
    capsys: pytest.CaptureFixture[str], fake: FakeConnector, tmp_path: Path
) -> None:
    result = run(capsys, "Get-VMScreenshot -VM web01", fake)
    assert (result.code, result.out.strip()) == (0, "[datastore1] web01/web01-1.png"), result.err
    target = tmp_path / "shot.png"
    result = run(capsys, f"Get-VMScreenshot web01 -Destination '{target}'", fake)
    assert result.out.strip() == "[datastore1] web01/web01-2.png"
    data = target.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", data[16:24]) == (640, 400)
    result = run(capsys, f"Get-VMScreenshot web01 -Destination '{tmp_path}'", fake)
    assert (tmp_path / "web01-3.png").exists()

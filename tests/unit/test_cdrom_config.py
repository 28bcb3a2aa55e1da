"""CD/DVD drives in the .vmx, and hostd's checks of ISO paths and drive changes."""

from __future__ import annotations

from pathlib import Path

import pytest

from hostd.cdrom import CdDriveChange, NewCdDrive, api_iso_path, iso_host_path, plan_cd_drives
from pyesx import faults
from pyesx.cdconfig import add_cd_drive, cd_drives, set_media
from pyesx.layout import HostLayout
from pyesx.vmxfile import VmxConfig

pytestmark = pytest.mark.timeout(10)

ESXI_VMX = """\
.encoding = "UTF-8"
displayName = "web01"
ide1:0.present = "TRUE"
ide1:0.deviceType = "cdrom-image"
ide1:0.fileName = "/vmfs/volumes/datastore1/iso/x.iso"
ide1:0.startConnected = "TRUE"
sata0:0.present = "TRUE"
sata0:0.deviceType = "atapi-cdrom"
sata0:0.fileName = ""
ide0:0.present = "FALSE"
ide0:0.deviceType = "cdrom-image"
scsi0:0.present = "TRUE"
scsi0:0.deviceType = "scsi-hardDisk"
"""


@pytest.fixture
def layout(tmp_path: Path) -> HostLayout:
    layout = HostLayout(tmp_path)
    iso = layout.datastore("datastore1") / "iso"
    iso.mkdir(parents=True)
    (iso / "x.iso").write_bytes(bytes(2048))
    (iso / "y.ISO").write_bytes(bytes(2048))
    (iso / "readme.txt").write_text("text")
    (iso / "dir.iso").mkdir()
    outside = tmp_path / "secret.iso"
    outside.write_bytes(b"")
    (iso / "link.iso").symlink_to(outside)
    return layout


def test_reads_esxi_keys() -> None:
    drives = cd_drives(VmxConfig.parse(ESXI_VMX))
    assert [d.key for d in drives] == ["ide1:0", "sata0:0"]
    image, empty = drives
    assert (image.iso_path, image.start_connected, image.no_media) == (
        "/vmfs/volumes/datastore1/iso/x.iso",
        True,
        False,
    )
    assert image.media_path(Path("/elsewhere")) == Path("/vmfs/volumes/datastore1/iso/x.iso")
    assert empty.no_media and empty.media_path(Path("/vm")) is None


def test_add_fills_ide_slots_then_refuses() -> None:
    config = VmxConfig()
    keys = [add_cd_drive(config) for _ in range(4)]
    assert keys == ["ide1:0", "ide1:1", "ide0:0", "ide0:1"]
    assert config["ide1:0.deviceType"] == "atapi-cdrom" and config["ide1:0.startConnected"] == "FALSE"
    with pytest.raises(faults.InvalidArgument):
        add_cd_drive(config)
    set_media(config, "ide1:1", "/v/x.iso")
    assert config["ide1:1.deviceType"] == "cdrom-image"
    assert [d.key for d in cd_drives(config) if not d.no_media] == ["ide1:1"]


def test_iso_paths_are_checked(layout: HostLayout) -> None:
    host = iso_host_path(layout, "[datastore1] iso/x.iso")
    assert host == str(layout.datastore("datastore1") / "iso" / "x.iso")
    assert iso_host_path(layout, "[datastore1] iso/y.ISO").endswith("y.ISO")
    with pytest.raises(faults.FileNotFound):
        iso_host_path(layout, "[datastore1] iso/missing.iso")
    with pytest.raises(faults.NotFound):
        iso_host_path(layout, "[nosuch] iso/x.iso")
    for bad in (
        "[datastore1] ../../secret.iso",
        "[datastore1] /etc/x.iso",
        "[datastore1] iso/readme.txt",
        "[datastore1] iso/dir.iso",
        "[datastore1] iso/link.iso",  # a symlink out of the datastore
        "iso/x.iso",
    ):
        with pytest.raises(faults.InvalidArgument):
            iso_host_path(layout, bad)


def test_plan_add_and_change(layout: HostLayout, tmp_path: Path) -> None:
    config = VmxConfig()
    plan_cd_drives(
        layout, config, "web01", [NewCdDrive("[datastore1] iso/x.iso", True), NewCdDrive()], [], False, "off"
    )
    first, second = cd_drives(config)
    assert api_iso_path(layout, tmp_path / "web01", first) == "[datastore1] iso/x.iso"
    assert first.start_connected and second.no_media
    change = CdDriveChange("ide1:1", iso_path="[datastore1] iso/y.ISO", start_connected=True)
    plan_cd_drives(layout, config, "web01", [], [change], False, "off")
    assert cd_drives(config)[1].iso_path.endswith("y.ISO") and cd_drives(config)[1].start_connected
    plan_cd_drives(layout, config, "web01", [], [CdDriveChange("ide1:0", no_media=True)], False, "off")
    assert cd_drives(config)[0].no_media


@pytest.mark.parametrize(
    ("change", "fault"),
    [
        (CdDriveChange("ide0:0", no_media=True), faults.InvalidArgument),
        (CdDriveChange("ide1:0", iso_path="[datastore1] iso/x.iso", no_media=True), faults.InvalidArgument),
        (CdDriveChange("ide1:0", iso_path="[datastore1] iso/gone.iso"), faults.FileNotFound),
        (CdDriveChange("ide1:0", connected=True), faults.InvalidPowerState),
    ],
)
def test_plan_refuses(layout: HostLayout, change: CdDriveChange, fault: type[Exception]) -> None:
    config = VmxConfig()
    add_cd_drive(config)
    with pytest.raises(fault):
        plan_cd_drives(layout, config, "web01", [], [change], False, "poweredOff")

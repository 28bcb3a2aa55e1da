"""The examples' own logic, without a host: the table, the progress bar, the copy's new identity,
and the connection options' environment defaults."""

from __future__ import annotations

import io

import pytest

from clients.examples.clone_vm import as_copied
from clients.examples.common import parser
from clients.examples.list_vms import table
from clients.examples.power_on_many import ProgressBar
from pyesx.vmxfile import VmxConfig


def test_table_aligns_columns_and_numbers() -> None:
    rows: list[tuple[str, ...]] = [("web01", "poweredOn", "2", "256", "Resources", "0.01", "1")]
    assert table(rows).splitlines() == [
        "Name   PowerState  CPUs  MemoryMB  Pool       UsedGB  Snapshots",
        "-----  ----------  ----  --------  ---------  ------  ---------",
        "web01  poweredOn      2       256  Resources    0.01          1",
    ]


def test_progress_bar_writes_one_line_per_step_off_a_terminal() -> None:
    out = io.StringIO()
    bar = ProgressBar(2, out, width=4)
    bar.step("web01")
    bar.step("web02")
    assert out.getvalue().splitlines() == ["[##..] 1/2 web01", "[####] 2/2 web02"]


def test_a_copy_gets_a_new_name_uuids_and_generated_macs() -> None:
    source = VmxConfig.parse(
        'displayName = "web01"\n'
        'uuid.bios = "56 4d 00 00 00 00 00 00-00 00 00 00 00 00 00 01"\n'
        'vc.uuid = "52 00 00 00 00 00 00 00-00 00 00 00 00 00 00 02"\n'
        'uuid.location = "56 4d 00 00 00 00 00 00-00 00 00 00 00 00 00 01"\n'
        'ethernet0.generatedAddress = "00:0c:29:00:00:01"\n'
        'ethernet1.address = "00:50:56:00:00:02"\n'
        'scsi0:0.fileName = "web01.vmdk"\n'
    )
    copy = VmxConfig.parse(source.render())
    changed = as_copied(copy, "web01-copy")
    assert copy["displayName"] == "web01-copy"
    assert copy["uuid.bios"] != source["uuid.bios"] and len(copy["uuid.bios"]) == len(source["uuid.bios"])
    assert copy["vc.uuid"] != source["vc.uuid"]
    assert "uuid.location" not in copy
    assert copy["ethernet0.generatedAddress"] != source["ethernet0.generatedAddress"]
    assert copy["ethernet0.generatedAddress"].startswith("00:0c:29:")
    assert copy["ethernet1.address"] == "00:50:56:00:00:02"  # a static MAC is the user's: kept
    assert copy["scsi0:0.fileName"] == "web01.vmdk"
    assert "ethernet0.generatedAddress" in changed


def test_connection_options_default_to_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYESX_SERVER", "10.0.0.1:8443")
    monkeypatch.setenv("PYESX_PASSWORD", "pw")
    monkeypatch.delenv("PYESX_USER", raising=False)
    args = parser("An example.").parse_args([])
    assert (args.server, args.user, args.password) == ("10.0.0.1:8443", "root", "pw")
    assert parser("x").parse_args(["--server", "h:1"]).server == "h:1"

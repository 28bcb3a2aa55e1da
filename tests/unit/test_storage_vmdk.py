"""The .vmdk descriptor: ESXi's text round-trips, new ones render as ESXi's, errors name file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from pyesx.faults import InvalidArgument, NotFound
from vmkernel.storage.vmdk import (
    MAX_CAPACITY_BYTES,
    Descriptor,
    DescriptorError,
    base_descriptor,
    check_capacity,
    delta_descriptor,
    geometry,
    read_descriptor,
    write_descriptor,
)

pytestmark = pytest.mark.timeout(30)


ESXI_BASE = """# Disk DescriptorFile
version=1
encoding="UTF-8"
CID=fffffffe
parentCID=ffffffff
createType="vmfs"

# Extent description
RW 41943040 VMFS "web01-flat.vmdk"

# The Disk Data Base
#DDB

ddb.adapterType = "lsilogic"
ddb.deletable = "true"
ddb.geometry.cylinders = "2610"
ddb.geometry.heads = "255"
ddb.geometry.sectors = "63"
ddb.longContentID = "8d5c3f1e2b7a9c4d0e6f1a2bfffffffe"
ddb.thinProvisioned = "1"
ddb.toolsInstallType = "4"
ddb.toolsVersion = "12352"
ddb.uuid = "60 00 C2 9a 3b 8f 5f 13-a0 8d 24 3f 84 3b 29 9f"
ddb.virtualHWVersion = "21"
"""

# ESXi writes no blank line between a delta's parentFileNameHint and its extents.
ESXI_DELTA = """# Disk DescriptorFile
version=1
encoding="UTF-8"
CID=d8a1d4bd
parentCID=fffffffe
isNativeSnapshot="no"
createType="vmfsSparse"
parentFileNameHint="web01.vmdk"
# Extent description
RW 41943040 VMFSSPARSE "web01-000001-delta.vmdk"

# The Disk Data Base
#DDB

ddb.longContentID = "2f4e1c9a7b3d5e6f8a9b0c1dd8a1d4bd"
"""


def test_an_esxi_base_descriptor_round_trips_verbatim() -> None:
    descriptor = Descriptor.parse(ESXI_BASE, "web01.vmdk")
    assert descriptor.render() == ESXI_BASE
    assert (descriptor.cid, descriptor.parent_cid, descriptor.has_parent) == (0xFFFFFFFE, 0xFFFFFFFF, False)
    assert descriptor.create_type == "vmfs"
    assert descriptor.capacity_bytes == 20 * 2**30
    assert descriptor.is_thin
    (extent,) = descriptor.extents
    assert (extent.access, extent.sectors, extent.kind, extent.file_name) == (
        "RW",
        41943040,
        "VMFS",
        "web01-flat.vmdk",
    )
    assert descriptor.ddb["ddb.toolsVersion"] == "12352"  # unknown keys kept


def test_an_esxi_delta_descriptor_round_trips_verbatim() -> None:
    descriptor = Descriptor.parse(ESXI_DELTA, "web01-000001.vmdk")
    assert descriptor.render() == ESXI_DELTA
    assert descriptor.has_parent and descriptor.parent_cid == 0xFFFFFFFE
    assert descriptor.parent_file_name_hint == "web01.vmdk"
    assert descriptor.extra_header == {"isNativeSnapshot": '"no"'}


def test_changes_land_in_place_and_new_keys_after_their_kind() -> None:
    descriptor = Descriptor.parse(ESXI_BASE)
    descriptor.cid = 0x1234ABCD
    descriptor.extents[0].sectors = 2 * 41943040
    descriptor.ddb["ddb.geometry.cylinders"] = "5221"
    del descriptor.ddb["ddb.thinProvisioned"]
    descriptor.ddb["ddb.comment"] = "grown"
    descriptor.extra_header["isNativeSnapshot"] = '"no"'
    text = descriptor.render()
    expected = (
        ESXI_BASE.replace("CID=fffffffe", "CID=1234abcd")
        .replace('createType="vmfs"\n', 'createType="vmfs"\nisNativeSnapshot="no"\n')
        .replace("RW 41943040", "RW 83886080")
        .replace('"2610"', '"5221"')
        .replace('ddb.thinProvisioned = "1"\n', "")
        .replace('ddb.virtualHWVersion = "21"\n', 'ddb.virtualHWVersion = "21"\nddb.comment = "grown"\n')
    )
    assert text == expected
    assert Descriptor.parse(text) == descriptor


def test_a_descriptor_without_encoding_round_trips() -> None:
    text = ESXI_BASE.replace('encoding="UTF-8"\n', "")
    descriptor = Descriptor.parse(text)
    assert descriptor.encoding is None and descriptor.render() == text


def test_a_new_base_descriptor_is_written_as_esxi_writes_it() -> None:
    descriptor = base_descriptor("web01-flat.vmdk", 20 * 2**30, "lsilogic", 21, thin=True)
    uuid = descriptor.ddb["ddb.uuid"]
    assert uuid.startswith("60 00 C2 9") and len(uuid) == 47 and uuid[23] == "-"
    assert descriptor.render() == ESXI_BASE.replace("fffffffe", f"{descriptor.cid:08x}", 1).replace(
        'ddb.deletable = "true"\n', ""
    ).replace('ddb.longContentID = "8d5c3f1e2b7a9c4d0e6f1a2bfffffffe"\n', "").replace(
        'ddb.toolsInstallType = "4"\nddb.toolsVersion = "12352"\n', ""
    ).replace("60 00 C2 9a 3b 8f 5f 13-a0 8d 24 3f 84 3b 29 9f", uuid)
    assert Descriptor.parse(descriptor.render()) == descriptor


def test_thick_disks_have_no_thin_key_and_cids_are_random() -> None:
    first = base_descriptor("a-flat.vmdk", 1 << 20, "lsilogic", 21, thin=False)
    second = base_descriptor("a-flat.vmdk", 1 << 20, "lsilogic", 21, thin=False)
    assert "ddb.thinProvisioned" not in first.ddb
    assert first.cid != second.cid and first.ddb["ddb.uuid"] != second.ddb["ddb.uuid"]


def test_a_new_delta_descriptor_is_written_as_esxi_writes_it() -> None:
    parent = Descriptor.parse(ESXI_BASE)
    delta = delta_descriptor(parent, "web01.vmdk", "web01-000001-delta.vmdk")
    expected = ESXI_DELTA.replace("CID=d8a1d4bd", f"CID={delta.cid:08x}").replace(
        'ddb.longContentID = "2f4e1c9a7b3d5e6f8a9b0c1dd8a1d4bd"\n', ""
    )
    assert delta.render() == expected


def test_geometry_follows_esxi() -> None:
    assert geometry(20 * 2**30, "lsilogic") == (2610, 255, 63)
    assert geometry(20 * 2**30, "ide") == (16383, 16, 63)


@pytest.mark.parametrize(
    ("text", "line_no", "fragment"),
    [
        (ESXI_BASE.replace("# Disk DescriptorFile", "# Something else"), 1, "not a disk descriptor"),
        (ESXI_BASE.replace("CID=fffffffe", "CID=xyz"), 4, "8 hex digits"),
        (ESXI_BASE.replace("version=1", "version one"), 2, "cannot parse"),
        (ESXI_BASE.replace('createType="vmfs"', "createType=vmfs"), 6, "quoted"),
        (
            ESXI_BASE.replace('RW 41943040 VMFS "web01-flat.vmdk"', 'RW 41943040 "web01-flat.vmdk"'),
            9,
            "cannot parse",
        ),
        (ESXI_BASE.replace('VMFS "web01-flat.vmdk"', "VMFS"), 9, "needs a file name"),
        (ESXI_BASE.replace("VMFS ", "BOGUS "), 9, "unknown extent type"),
        (ESXI_BASE.replace("RW 41943040", "RW 0"), 9, "at least one sector"),
        (ESXI_BASE.replace('"lsilogic"', "lsilogic"), 14, "must be quoted"),
        (ESXI_BASE.replace('29 9f"', "29 9f"), 23, "must be quoted"),
        (ESXI_BASE.replace("ddb.deletable", "ddb.adapterType"), 15, "appears twice"),
        (ESXI_BASE.replace("RW 41943040", "RW 999999999999"), 6, "62 TiB"),
        (ESXI_BASE.replace("#DDB", "#DDB\x00\x00"), 12, "binary data"),
    ],
)
def test_a_corrupt_line_is_named(text: str, line_no: int, fragment: str) -> None:
    with pytest.raises(DescriptorError) as raised:
        Descriptor.parse(text, "web01.vmdk")
    assert isinstance(raised.value, InvalidArgument)
    assert raised.value.line_no == line_no
    assert f"web01.vmdk: line {line_no}:" in str(raised.value) and fragment in str(raised.value)


@pytest.mark.parametrize(
    ("cut_after", "fragment"),
    [("# Extent description\n", "extent description"), ("CID=fffffffe\n", "parentCID")],
)
def test_a_truncated_descriptor_is_named(cut_after: str, fragment: str) -> None:
    text = ESXI_BASE[: ESXI_BASE.index(cut_after) + len(cut_after)]
    with pytest.raises(DescriptorError) as raised:
        Descriptor.parse(text, "web01.vmdk")
    assert raised.value.line_no == text.count("\n") + 1
    assert "truncated" in str(raised.value) and fragment in str(raised.value)


def test_a_descriptor_cut_in_the_middle_of_a_line_is_named() -> None:
    text = ESXI_BASE[: ESXI_BASE.index('VMFS "web01-flat.vmdk"') + 8]
    with pytest.raises(DescriptorError) as raised:
        Descriptor.parse(text, "web01.vmdk")
    assert raised.value.line_no == 9


@pytest.mark.parametrize(
    "name",
    ["../other/web01-flat.vmdk", "/etc/passwd", "sub/web01-flat.vmdk", "..", "a..b-flat.vmdk", "a\\b.vmdk"],
)
@pytest.mark.parametrize("where", ["extent", "parentFileNameHint"])
def test_names_that_leave_the_folder_are_refused(name: str, where: str) -> None:
    if where == "extent":
        text = ESXI_BASE.replace('"web01-flat.vmdk"', f'"{name}"')
    else:
        text = ESXI_DELTA.replace('parentFileNameHint="web01.vmdk"', f'parentFileNameHint="{name}"')
    with pytest.raises(DescriptorError, match=where):
        Descriptor.parse(text, "x.vmdk")


def test_a_nul_in_a_name_is_refused() -> None:
    with pytest.raises(InvalidArgument):
        Descriptor.parse(ESXI_BASE.replace("web01-flat", "web01\x00flat"), "x.vmdk")
    descriptor = Descriptor.parse(ESXI_BASE)
    descriptor.extents[0].file_name = "../escape-flat.vmdk"
    with pytest.raises(InvalidArgument):
        descriptor.render()


@pytest.mark.parametrize("capacity", [0, -512, 513, MAX_CAPACITY_BYTES + 512, True, 1.5])
def test_bad_capacities_are_refused(capacity: int) -> None:
    with pytest.raises(InvalidArgument):
        check_capacity(capacity)
    assert check_capacity(MAX_CAPACITY_BYTES) == MAX_CAPACITY_BYTES


def test_files_round_trip_and_file_errors_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "web01.vmdk"
    path.write_text(ESXI_BASE)
    descriptor = read_descriptor(path)
    write_descriptor(path, descriptor)
    assert path.read_text() == ESXI_BASE
    with pytest.raises(NotFound):
        read_descriptor(tmp_path / "missing.vmdk")
    path.write_bytes(ESXI_BASE.encode().replace(b"lsilogic", b"lsi\xfflogic"))
    with pytest.raises(DescriptorError, match=r"web01.vmdk: line 14: is not UTF-8"):
        read_descriptor(path)

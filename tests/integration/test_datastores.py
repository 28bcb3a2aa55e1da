"""Datastores and their files through the public API of a booted host (issue 5, storage)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from clients import Client
from pyesx import faults
from tests.harness import BootedHost

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]


def test_datastore1_is_there_with_the_filesystems_space(host: BootedHost, client: Client) -> None:
    [ds] = client.datastores()
    assert (ds.name, ds.accessible, ds.capacity_limited) == ("datastore1", True, False)
    st = os.statvfs(host.root / "vmfs/volumes/datastore1")
    assert ds.capacity_bytes == st.f_blocks * st.f_frsize
    assert abs(ds.free_bytes - st.f_bavail * st.f_frsize) < 64 << 20
    assert client.get_datastore("datastore1").name == "datastore1"
    with pytest.raises(faults.NotFound):
        client.get_datastore("nope")


def test_a_directory_mounted_as_a_datastore_survives_a_restart(tmp_path: Path) -> None:
    outside = tmp_path / "nfs-export"
    outside.mkdir()
    host = BootedHost(tmp_path / "host")
    try:
        with host.client() as client:
            ds = client.create_datastore("ds2", str(outside), capacity_bytes=8 << 20)
            assert (ds.capacity_bytes, ds.capacity_limited, ds.path) == (8 << 20, True, str(outside))
            client.make_directory("[ds2] isos")
            (tmp_path / "local.bin").write_bytes(os.urandom(3 << 20))
            client.upload(tmp_path / "local.bin", "[ds2] isos/one.iso")
            assert (outside / "isos/one.iso").read_bytes() == (tmp_path / "local.bin").read_bytes()
            free = client.get_datastore("ds2").free_bytes
            assert (8 << 20) - free >= 3 << 20  # the capped capacity counts what the files hold
        host.stop()
        host = BootedHost(tmp_path / "host")
        with host.client() as client:
            assert [d.name for d in client.datastores()] == ["datastore1", "ds2"]
            [iso] = client.browse("[ds2] isos")
            assert (iso.name, iso.type, iso.size_bytes) == ("one.iso", "IsoImageFile", 3 << 20)
            client.remove_datastore("ds2")
            assert [d.name for d in client.datastores()] == ["datastore1"]
            assert (outside / "isos/one.iso").exists()  # unmounted: the files stay
            with pytest.raises(faults.NotFound):
                client.browse("[ds2]")
    finally:
        host.stop()


def test_a_full_datastore_refuses_an_upload_and_keeps_nothing_of_it(tmp_path: Path, host: BootedHost) -> None:
    outside = tmp_path / "small"
    outside.mkdir()
    with host.client() as client:
        client.create_datastore("small", str(outside), capacity_bytes=2 << 20)
        big = tmp_path / "big.bin"
        big.write_bytes(b"x" * (3 << 20))
        with pytest.raises(faults.InsufficientResourcesFault) as raised:
            client.upload(big, "[small] big.bin")
        assert raised.value.requested == 3 << 20
        assert list(outside.iterdir()) == []  # no half-written file
        client.upload(big, "[datastore1] big.bin")
        with pytest.raises(faults.InsufficientResourcesFault):
            client.copy_file("[datastore1] big.bin", "[small] big.bin")
        assert list(outside.iterdir()) == []


def test_browse_copy_move_delete(host: BootedHost, client: Client, tmp_path: Path) -> None:
    vm_id = client.wait_for_task(client.create_vm("web01", disk_capacity_bytes=[1 << 30]).id).result_entity_id
    files = {f.name: f for f in client.browse("[datastore1] web01")}
    assert files["web01.vmx"].type == "VmConfigFile" and files["web01.vmdk"].type == "VmDiskFile"
    flat = files["web01-flat.vmdk"]
    assert flat.size_bytes == 1 << 30 and flat.allocated_bytes < 1 << 20  # thin
    assert [f.name for f in client.browse("[datastore1]", pattern="*.vmx", recursive=True)] == ["web01.vmx"]

    copied = client.copy_file("[datastore1] web01", "[datastore1] web01-copy")
    assert copied.type == "Folder"
    copy_flat = host.root / "vmfs/volumes/datastore1/web01-copy/web01-flat.vmdk"
    assert copy_flat.stat().st_size == 1 << 30 and copy_flat.stat().st_blocks * 512 < 1 << 20  # still thin
    with pytest.raises(faults.FileAlreadyExists):
        client.copy_file("[datastore1] web01", "[datastore1] web01-copy")
    client.move_file("[datastore1] web01-copy", "[datastore1] archive")
    assert {f.name for f in client.browse("[datastore1]")} >= {"web01", "archive"}
    client.delete_file("[datastore1] archive")
    assert "archive" not in {f.name for f in client.browse("[datastore1]")}

    client.wait_for_task(client.power_on(vm_id).id)
    for locked in (
        lambda: client.delete_file("[datastore1] web01"),
        lambda: client.move_file("[datastore1] web01/web01.vmx", "[datastore1] x.vmx"),
        lambda: client.delete_file("[datastore1] web01/web01-flat.vmdk"),
    ):
        with pytest.raises(faults.InvalidState):
            locked()
    assert client.get_vm(vm_id).power_state == "poweredOn"
    with pytest.raises(faults.InvalidState):
        client.remove_datastore("datastore1")


def test_download_resumes_from_where_it_stopped(host: BootedHost, client: Client, tmp_path: Path) -> None:
    payload = os.urandom((2 << 20) + 12345)
    (host.root / "vmfs/volumes/datastore1/blob.bin").write_bytes(payload)
    local = tmp_path / "blob.bin"
    local.write_bytes(payload[:777_777])  # an interrupted download
    assert client.download("[datastore1] blob.bin", local, resume=True) == len(payload) - 777_777
    assert local.read_bytes() == payload
    assert client.download("[datastore1] blob.bin", tmp_path / "again.bin") == len(payload)


@pytest.mark.parametrize(
    "path",
    [
        "[datastore1] ../etc/shadow.json",
        "[datastore1] a/../../x",
        "[datastore1] /etc/passwd",
        "datastore1/foo",
        "[datastore1] escape/shadow.json",
        "[nope] x",
    ],
)
def test_paths_that_leave_a_datastore_are_refused(host: BootedHost, client: Client, path: str) -> None:
    escape = host.root / "vmfs/volumes/datastore1/escape"
    if not escape.exists():
        escape.symlink_to(host.root / "etc")  # a symlink out of the datastore
    shadow = (host.root / "etc/shadow.json").read_bytes()
    for attempt in (
        lambda: client.browse(path),
        lambda: client.delete_file(path),
        lambda: client.copy_file(path, "[datastore1] stolen"),
        lambda: client.copy_file("[datastore1]", path),
        lambda: client.make_directory(path),
        lambda: client.download(path, host.root.parent / "stolen"),
    ):
        with pytest.raises((faults.InvalidArgument, faults.NotFound)):
            attempt()
    assert (host.root / "etc/shadow.json").read_bytes() == shadow
    assert not (host.root / "vmfs/volumes/datastore1/stolen").exists()
    assert not (host.root.parent / "stolen").exists()


@pytest.mark.parametrize(
    ("name", "path", "capacity"),
    [
        ("", "/tmp", 0),
        ("ds/2", "/tmp", 0),
        ("datastore1", "/tmp", 0),
        ("ds2", "relative/dir", 0),
        ("ds2", "/nonexistent/dir", 0),
        ("ds2", "/tmp", -5),
        ("ds2", "/tmp", 1 << 62),
    ],
)
def test_bad_datastores_are_refused(client: Client, name: str, path: str, capacity: int) -> None:
    with pytest.raises((faults.InvalidArgument, faults.NotFound, faults.DuplicateName)):
        client.create_datastore(name, path, capacity)
    assert [d.name for d in client.datastores()] == ["datastore1"]


def test_a_datastore_inside_the_host_root_or_another_datastore_is_refused(
    host: BootedHost, client: Client
) -> None:
    for inside in (host.root / "etc", host.root / "vmfs/volumes/datastore1"):
        with pytest.raises(faults.InvalidArgument):
            client.create_datastore("ds2", str(inside))
    assert [d.name for d in client.datastores()] == ["datastore1"]

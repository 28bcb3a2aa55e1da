"""The host's observable state, to prove that a rejected call changed nothing.

Two views: what the API says (VMs with their configuration and snapshots,
datastores, switches and port groups, host NICs, resource pools) with the
fields that move by themselves cleared (pids, usage, free space, versions), and
what is on disk (every file under the root but ``run/`` and ``log/``, with the
contents of the configuration files: .vmx, .vmdk descriptors, etc/).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import grpc
from google.protobuf.message import Message

from pyesx.api.v1 import (
    datastore_pb2,
    datastore_pb2_grpc,
    network_pb2,
    network_pb2_grpc,
    resourcepool_pb2,
    resourcepool_pb2_grpc,
    task_pb2,
    task_pb2_grpc,
    vm_pb2,
    vm_pb2_grpc,
)
from tests.fuzz.values import Known

#: files the host rewrites on its own or on any call, rejected or not
VOLATILE_FILES = ("tasks.jsonl", "events.jsonl")
#: files a running vmx writes when it likes (the VM's NVRAM, its logs)
VOLATILE_SUFFIXES = (".log", ".nvram")
VOLATILE_TEMP = re.compile(r"^\..*\.(nvram|log)\.\d+\.tmp$")  # their atomic writes' temporary files
HASHED_SUFFIXES = (".vmx", ".vmsd", ".vmxf", ".json", ".xml", ".conf", ".vmdk")
HASH_LIMIT = 64 * 1024  # a .vmdk this small is a descriptor; a bigger one is an extent the guest writes
VM_VOLATILE = ("vmx_pid", "vmm_pids", "used_bytes", "change_version")
POOL_VOLATILE = ("cpu_usage", "memory_usage")


@dataclass
class Snapshot:
    """A comparable picture of the host: one text line per object or file."""

    api: dict[str, str] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)

    def diff(self, other: Snapshot, limit: int = 8) -> list[str]:
        """What differs, as short lines (empty when nothing does)."""
        lines = []
        for kind, mine, theirs in (("api", self.api, other.api), ("file", self.files, other.files)):
            for key in sorted(mine.keys() | theirs.keys()):
                if mine.get(key) != theirs.get(key):
                    before, after = mine.get(key, "<absent>"), theirs.get(key, "<absent>")
                    lines.append(f"{kind} {key}: {before[:200]} -> {after[:200]}")
        return lines[:limit]


def _clear(message: Message, names: Sequence[str]) -> Message:
    for name in names:
        message.ClearField(name)
    return message


def _line(message: Message | str) -> str:
    return str(message).replace("\n", " ")


class StateReader:
    """Reads snapshots and the known-values pool from a host through one channel and session."""

    def __init__(
        self,
        channel: grpc.Channel,
        metadata: Sequence[tuple[str, str]],
        root: Path,
        guest_passwords: Sequence[str] = (),
    ) -> None:
        self.metadata = tuple(metadata)
        self.guest_passwords = list(guest_passwords)
        self.root = root
        self.vms = vm_pb2_grpc.VirtualMachineServiceStub(channel)
        self.datastores = datastore_pb2_grpc.DatastoreServiceStub(channel)
        self.network = network_pb2_grpc.NetworkServiceStub(channel)
        self.pools = resourcepool_pb2_grpc.ResourcePoolServiceStub(channel)
        self.tasks = task_pb2_grpc.TaskServiceStub(channel)

    def snapshot(self) -> Snapshot:
        snap = Snapshot()
        md, api = self.metadata, snap.api
        for vm in self.vms.ListVMs(vm_pb2.ListVMsRequest(), metadata=md, timeout=30).vms:
            vm_id = vm.id
            api[f"vm {vm_id}"] = _line(_clear(vm, VM_VOLATILE))
            api[f"vm {vm_id} snapshots"] = _line(self._snapshots(vm_id))
        for ds in self.datastores.ListDatastores(
            datastore_pb2.ListDatastoresRequest(), metadata=md, timeout=30
        ).datastores:
            # free space moves whenever a running guest writes its thin disk
            api[f"datastore {ds.name}"] = _line(_clear(ds, ("free_bytes",)))
        switches = self.network.ListVirtualSwitches(
            network_pb2.ListVirtualSwitchesRequest(), metadata=md, timeout=30
        )
        for sw in switches.virtual_switches:
            api[f"vswitch {sw.name}"] = _line(sw)
        adapters = self.network.ListHostNetworkAdapters(
            network_pb2.ListHostNetworkAdaptersRequest(), metadata=md, timeout=30
        )
        for nic in adapters.adapters:
            api[f"nic {nic.name}"] = _line(nic)
        for pool in self.pools.ListResourcePools(
            resourcepool_pb2.ListResourcePoolsRequest(), metadata=md, timeout=30
        ).pools:
            api[f"pool {pool.id}"] = _line(_clear(pool, POOL_VOLATILE))
        snap.files = self.files()
        return snap

    def _snapshots(self, vm_id: str) -> vm_pb2.ListSnapshotsResponse | str:
        """A VM's snapshot tree, or the fault that refuses it (a case may have overwritten its .vmsd)."""
        try:
            request = vm_pb2.VMRequest(id=vm_id)
            tree: vm_pb2.ListSnapshotsResponse = self.vms.ListSnapshots(
                request, metadata=self.metadata, timeout=30
            )
        except grpc.RpcError as error:
            return f"refused: {error.code()}"
        return tree

    def files(self) -> dict[str, str]:
        """Every file and folder under the root but run/ and log/, config files with a hash of their bytes."""
        found = {}
        for top, dirs, names in os.walk(self.root):
            rel_top = os.path.relpath(top, self.root)
            if rel_top in ("run", "log"):
                dirs[:] = []
                continue
            for name in dirs:
                found[os.path.join(rel_top, name) + "/"] = "dir"
            for name in names:
                if name in VOLATILE_FILES or name.endswith(VOLATILE_SUFFIXES) or VOLATILE_TEMP.match(name):
                    continue
                found[os.path.join(rel_top, name)] = self._describe(Path(top, name), rel_top)
        return found

    @staticmethod
    def _describe(path: Path, rel_top: str) -> str:
        try:
            size = path.lstat().st_size
            if (rel_top.startswith("etc") or path.suffix in HASHED_SUFFIXES) and size <= HASH_LIMIT:
                return hashlib.sha256(path.read_bytes()).hexdigest()[:16]
        except OSError as error:  # a file that vanished between walk and stat is itself a change
            return f"unreadable: {error.strerror}"
        return "file"

    def known(self) -> Known:
        """Valid-looking values: every id, name and datastore path the host shows, by kind."""
        md = self.metadata
        known = Known()
        known.add("user", "root")
        known.add("password", *self.guest_passwords)
        known.add("service", "ntpd", "TSM-SSH", "TSM")  # ESXi's service keys, and the log keys
        known.add("service_policy", "on", "off", "automatic")
        known.add("log", "hostd", "vmkernel")
        known.add("user", "fuzzuser", "dcui")
        known.add("role", "Admin", "Administrator", "ReadOnly", "NoAccess", "FuzzRole")
        known.add("privilege", "System.View", "System.Read", "VirtualMachine.Interact.PowerOn")
        known.add("privilege", "VirtualMachine.Config.Settings", "Host.Config.Settings", "Datastore.Browse")
        known.add("account_password", "Fuzz-Passw0rd!2026", "Another-S3cret-pw")
        known.add("guest_path", "/tmp/fuzz.txt", "/etc/hostname", "/root", "/tmp", "/nonexistent/x")
        known.add("script", "echo fuzz", "ls -l /", "cat /etc/hostname", "uname -a", "exit 3")
        for vm in self.vms.ListVMs(vm_pb2.ListVMsRequest(), metadata=md, timeout=30).vms:
            known.add("vm", vm.id)
            known.add("name", vm.name)
            known.add("path", vm.vmx_path, *(d.file_name for d in vm.disks))
            known.add("path", *(c.iso_path for c in vm.cd_drives))
            known.add("device", *(d.key for d in vm.disks), *(n.key for n in vm.network_adapters))
            known.add("device", *(c.key for c in vm.cd_drives))
            snaps = self._snapshots(vm.id)
            stack = list(snaps.root_snapshots) if isinstance(snaps, vm_pb2.ListSnapshotsResponse) else []
            while stack:
                snap = stack.pop()
                known.add("snapshot", snap.id)
                known.add("name", snap.name)
                stack.extend(snap.children)
        for ds in self.datastores.ListDatastores(
            datastore_pb2.ListDatastoresRequest(), metadata=md, timeout=30
        ).datastores:
            known.add("datastore", ds.name)
            known.add("path", f"[{ds.name}]")
            browse = datastore_pb2.BrowseDatastoreRequest(path=f"[{ds.name}]", recursive=True)
            with contextlib.suppress(grpc.RpcError):  # a datastore whose folder a case removed
                files = self.datastores.BrowseDatastore(browse, metadata=md, timeout=30).files
                known.add("path", *(f.path for f in files[:200]))
        switches = self.network.ListVirtualSwitches(
            network_pb2.ListVirtualSwitchesRequest(), metadata=md, timeout=30
        )
        for sw in switches.virtual_switches:
            known.add("vswitch", sw.name)
            known.add("portgroup", *(pg.name for pg in sw.port_groups))
        adapters = self.network.ListHostNetworkAdapters(
            network_pb2.ListHostNetworkAdaptersRequest(), metadata=md, timeout=30
        )
        known.add("pnic", *(nic.name for nic in adapters.adapters))
        for pool in self.pools.ListResourcePools(
            resourcepool_pb2.ListResourcePoolsRequest(), metadata=md, timeout=30
        ).pools:
            known.add("pool", pool.id)
            known.add("name", pool.name)
        tasks = self.tasks.ListTasks(task_pb2.ListTasksRequest(), metadata=md, timeout=30).tasks
        known.add("task", *(t.id for t in tasks[-50:]))
        return known

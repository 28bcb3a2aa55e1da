"""The connection to a host: explicit (Connect-VIServer) or opened on first use from known credentials."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, cast

from clients.certificates import HostCertificate
from clients.console import ConsoleTicket
from clients.datastores import Datastore, DatastoreFile
from clients.guestops import GuestProcess, ScriptResult
from clients.hostconfig import HostNetwork, HostService, NtpConfig, NtpStatus, Resolution
from clients.hostops import AutoPowerInfo, AutoStartConfig, AutoStartDefaults, HostSetting, LogLines, LogType
from clients.model import VM, Event, GuestInfo, Host, PerfCatalogue, PerfSample, ResourcePool, Snapshot, Task
from clients.network import HostNetworkAdapter, PortGroup, ShapingPolicy, VirtualSwitch
from clients.shell.credstore import CredentialStore, StoredCredential
from clients.shell.errors import ShellError
from clients.shell.powercli_config import load_user_action
from clients.shell.progress import TaskProgress
from clients.shell.views import Server
from pyesx.faults import HostCommunication, NotAuthenticated, VimFault

DEFAULT_PORT = 8443
NOT_CONNECTED = "You are not currently connected to any servers. Please connect first using a Connect cmdlet."


class Client(Protocol):
    """What the shell needs from a client (``clients.sdk.Client`` is one)."""

    server: str
    user: str

    def host(self) -> Host: ...
    def certificate(self) -> HostCertificate: ...
    def regenerate_certificate(self) -> HostCertificate: ...
    def host_settings(self, keys: list[str] | None = None) -> list[HostSetting]: ...
    def update_host_settings(self, values: Mapping[str, str]) -> list[HostSetting]: ...
    def enter_maintenance_mode(self) -> Task: ...
    def exit_maintenance_mode(self) -> Task: ...
    def autostart(self) -> AutoStartConfig: ...
    def reconfigure_autostart(
        self, defaults: AutoStartDefaults | None = None, power_info: list[AutoPowerInfo] | None = None
    ) -> AutoStartConfig: ...
    def reboot_host(self, force: bool = False) -> Task: ...
    def shutdown_host(self, force: bool = False) -> Task: ...
    def log_types(self) -> list[LogType]: ...
    def browse_log(self, key: str, start_line_num: int = 0, num_lines: int = 0) -> LogLines: ...
    def list_vms(self, names: list[str] | None = None) -> list[VM]: ...
    def get_vm(self, vm_id: str) -> VM: ...
    def create_vm(
        self,
        name: str,
        num_cpus: int = 1,
        memory_mb: int = 256,
        guest_id: str = "",
        notes: str = "",
        *,
        disk_capacity_bytes: list[int] | None = None,
        network_names: list[str] | None = None,
        no_network: bool = False,
        cd_drive: bool = False,
        datastore: str = "",
        resource_pool_id: str = "",
    ) -> Task: ...
    def register_vm(self, vmx_path: str, name: str = "", resource_pool_id: str = "") -> Task: ...
    def reconfigure_vm(
        self,
        vm_id: str,
        *,
        num_cpu: int | None = None,
        memory_mb: int | None = None,
        name: str | None = None,
        notes: str | None = None,
        set_extra_config: dict[str, str] | None = None,
        remove_extra_config: list[str] | None = None,
        cpu_allocation: dict[str, int | str] | None = None,
        memory_allocation: dict[str, int | str] | None = None,
        add_disks: list[dict[str, int | str]] | None = None,
        change_disks: list[dict[str, int | str]] | None = None,
        remove_disk_keys: list[str] | None = None,
        delete_removed_disk_files: bool = False,
        add_nics: list[dict[str, str | bool]] | None = None,
        change_nics: list[dict[str, str | bool]] | None = None,
        remove_network_keys: list[str] | None = None,
        add_cd_drives: list[dict[str, str | bool]] | None = None,
        change_cd_drives: list[dict[str, str | bool]] | None = None,
        remove_cd_drive_keys: list[str] | None = None,
    ) -> Task: ...
    def advanced_settings(self, vm_id: str) -> dict[str, str]: ...
    def list_resource_pools(self) -> list[ResourcePool]: ...
    def create_resource_pool(
        self,
        name: str,
        parent_id: str = "",
        *,
        cpu_allocation: dict[str, int | str | bool] | None = None,
        memory_allocation: dict[str, int | str | bool] | None = None,
    ) -> ResourcePool: ...
    def update_resource_pool(
        self,
        pool_id: str,
        *,
        name: str | None = None,
        cpu_allocation: dict[str, int | str | bool] | None = None,
        memory_allocation: dict[str, int | str | bool] | None = None,
    ) -> ResourcePool: ...
    def delete_resource_pool(self, pool_id: str) -> None: ...
    def move_into_resource_pool(self, pool_id: str, entity_ids: list[str]) -> ResourcePool: ...
    def power_on(self, vm_id: str) -> Task: ...
    def power_off(self, vm_id: str) -> Task: ...
    def kill(self, vm_id: str) -> Task: ...
    def suspend(self, vm_id: str) -> Task: ...
    def reset(self, vm_id: str) -> Task: ...
    def shutdown_guest(self, vm_id: str) -> None: ...
    def reboot_guest(self, vm_id: str) -> None: ...
    def guest_info(self, vm_id: str) -> GuestInfo: ...
    def standby_guest(self, vm_id: str) -> None: ...
    def run_script(
        self, vm_id: str, user: str, password: str, script: str, timeout: float = 0.0
    ) -> ScriptResult: ...
    def guest_processes(self, vm_id: str, user: str, password: str) -> list[GuestProcess]: ...
    def copy_to_guest(
        self, vm_id: str, user: str, password: str, data: bytes, guest_path: str, overwrite: bool = False
    ) -> int: ...
    def copy_from_guest(self, vm_id: str, user: str, password: str, guest_path: str) -> bytes: ...
    def answer_vm(self, vm_id: str, question_id: str, choice: str) -> None: ...
    def destroy_vm(self, vm_id: str) -> Task: ...
    def unregister_vm(self, vm_id: str) -> Task: ...
    def create_snapshot(self, vm_id: str, name: str, description: str = "", memory: bool = False) -> Task: ...
    def snapshots(self, vm_id: str) -> list[Snapshot]: ...
    def revert_to_snapshot(self, snapshot_id: str, suppress_power_on: bool = False) -> Task: ...
    def remove_snapshot(self, snapshot_id: str, remove_children: bool = False) -> Task: ...
    def remove_all_snapshots(self, vm_id: str) -> Task: ...
    def get_task(self, task_id: str) -> Task: ...
    def recent_tasks(self, entity_id: str = "") -> list[Task]: ...
    def cancel_task(self, task_id: str) -> Task: ...
    def wait_for_task(self, task_id: str, timeout: float | None = None) -> Task: ...
    def events(
        self,
        vm_id: str = "",
        types: list[str] | None = None,
        max_count: int = 0,
        begin: dt.datetime | None = None,
        end: dt.datetime | None = None,
    ) -> list[Event]: ...
    def perf_counters(self) -> PerfCatalogue: ...
    def query_perf(
        self,
        entity_id: str,
        counters: list[str] | None = None,
        max_samples: int = 0,
        begin: dt.datetime | None = None,
        end: dt.datetime | None = None,
        interval_secs: int = 0,
        instance: str | None = None,
    ) -> list[PerfSample]: ...
    def logout(self) -> None: ...
    def close(self) -> None: ...
    # datastores (clients.datastores.DatastoreCalls)
    def datastores(self) -> list[Datastore]: ...
    def create_datastore(
        self, name: str, path: str, capacity_bytes: int = 0, capacity_iops: int = 0
    ) -> Datastore: ...
    def update_datastore(
        self, name: str, capacity_bytes: int | None = None, capacity_iops: int | None = None
    ) -> Datastore: ...
    def remove_datastore(self, name: str) -> None: ...
    def browse(self, path: str, recursive: bool = False, pattern: str = "") -> list[DatastoreFile]: ...
    def make_directory(self, path: str, create_parents: bool = False) -> DatastoreFile: ...
    def delete_file(self, path: str) -> None: ...
    def move_file(self, source: str, destination: str, force: bool = False) -> DatastoreFile: ...
    def copy_file(self, source: str, destination: str, force: bool = False) -> DatastoreFile: ...
    def upload(self, local: str | os.PathLike[str], path: str, overwrite: bool = False) -> DatastoreFile: ...
    def download(self, path: str, local: str | os.PathLike[str], resume: bool = False) -> int: ...
    # console (clients.console.ConsoleCalls)
    def acquire_ticket(self, vm_id: str) -> ConsoleTicket: ...
    def create_screenshot(self, vm_id: str) -> Task: ...
    # network (clients.network.NetworkCalls)
    def virtual_switches(self) -> list[VirtualSwitch]: ...
    def port_groups(self) -> list[PortGroup]: ...
    def create_virtual_switch(
        self,
        name: str,
        num_ports: int | None = None,
        mtu: int | None = None,
        uplinks: list[str] | None = None,
        security: dict[str, bool] | None = None,
        shaping: ShapingPolicy | None = None,
    ) -> VirtualSwitch: ...
    def update_virtual_switch(
        self,
        name: str,
        num_ports: int | None = None,
        mtu: int | None = None,
        uplinks: list[str] | None = None,
        security: dict[str, bool] | None = None,
        shaping: ShapingPolicy | None = None,
    ) -> VirtualSwitch: ...
    def remove_virtual_switch(self, name: str) -> None: ...
    def create_port_group(self, virtual_switch: str, name: str, vlan_id: int = 0) -> PortGroup: ...
    def update_port_group(
        self,
        name: str,
        new_name: str | None = None,
        vlan_id: int | None = None,
        security: dict[str, bool] | None = None,
        inherit_security: list[str] | None = None,
        shaping: ShapingPolicy | None = None,
        inherit_shaping: bool = False,
    ) -> PortGroup: ...
    def remove_port_group(self, name: str) -> None: ...
    def host_network_adapters(self) -> list[HostNetworkAdapter]: ...
    def set_physical_nic_link(self, name: str, udp_endpoint: str, udp_peer: str) -> HostNetworkAdapter: ...
    # host configuration (clients.hostconfig.HostConfigCalls)
    def host_services(self) -> list[HostService]: ...
    def start_host_service(self, key: str) -> HostService: ...
    def stop_host_service(self, key: str) -> HostService: ...
    def restart_host_service(self, key: str) -> HostService: ...
    def set_host_service_policy(self, key: str, policy: str) -> HostService: ...
    def ntp_config(self) -> NtpConfig: ...
    def add_ntp_servers(self, servers: Sequence[str]) -> NtpConfig: ...
    def remove_ntp_servers(self, servers: Sequence[str]) -> NtpConfig: ...
    def ntp_status(self) -> NtpStatus: ...
    def host_network(self) -> HostNetwork: ...
    def update_host_network(
        self,
        host_name: str | None = None,
        domain_name: str | None = None,
        dns_servers: Sequence[str] | None = None,
        search_domains: Sequence[str] | None = None,
    ) -> HostNetwork: ...
    def resolve_name(self, name: str) -> Resolution: ...


#: ``connect(server, user, password, **certificate)`` -> a logged-in client; ``certificate`` (only
#: when not the default) is ``invalid_certificate_action`` ("fail", "warn", …) and ``accept``
ConnectFn = Callable[..., Client]
#: ``accept(server, expected_thumbprint, presented_thumbprint)``: whether the user trusts it
AcceptFn = Callable[[str, "str | None", str], bool]


@dataclass(frozen=True)
class Credentials:
    """What --server/--user/--password or PYESX_* supplied; any may be missing."""

    server: str | None = None
    user: str | None = None
    password: str | None = None


def split_server(server: str, port: int | None = None) -> tuple[str, int]:
    """``host:port`` (or ``host`` and ``port``) as a host name and a port."""
    host, sep, tail = server.rpartition(":")
    if sep and tail.isdigit() and "]" not in tail:
        name, parsed = host.strip("[]"), int(tail)
    else:
        name, parsed = server, DEFAULT_PORT
    return name, parsed if port is None else port


class ConnectionLost(ShellError):
    """The host stopped answering (or forgot our session); the next command reconnects."""


#: client calls that return a task without starting one
_TASK_QUERIES = frozenset({"get_task", "cancel_task", "wait_for_task"})


class _Guarded:
    """A client whose calls report a lost host to the session (which drops the connection)."""

    def __init__(self, session: Session, client: Client) -> None:
        self._session = session
        self._client = client

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._client, name)
        if not callable(value) or name in ("logout", "close"):
            return value

        progress = self._session.progress

        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                result = value(*args, **kwargs)
            except (HostCommunication, NotAuthenticated) as fault:
                raise self._session.lost(self._client, fault) from fault
            if isinstance(result, Task) and name not in _TASK_QUERIES:
                progress.started(result)
            return result

        if name == "wait_for_task":

            def wait(task_id: str, *args: Any, **kwargs: Any) -> Any:
                progress.waiting(task_id)
                try:
                    return call(task_id, *args, **kwargs)
                finally:
                    progress.finished(task_id)

            return wait

        return call


class Session:
    """Holds at most one connection; opens it lazily when credentials are known.

    A call that finds the host gone (HostCommunication) or our session
    forgotten (NotAuthenticated after a host restart) drops the connection
    with a clear error; the next command connects again with the same
    credentials. A missing password is looked up in the credential store.
    The tasks commands start and wait for are counted in ``progress``."""

    def __init__(
        self,
        connect: ConnectFn,
        defaults: Credentials,
        store: CredentialStore | None = None,
        progress: TaskProgress | None = None,
    ) -> None:
        self._connect = connect
        self.progress = progress or TaskProgress(sys.stderr, enabled=False)
        self.defaults = defaults
        self.store = store or CredentialStore()
        self._client: Client | None = None
        self._guarded: Client | None = None
        self.server: Server | None = None
        self._auto = True  # an explicit Disconnect-VIServer turns lazy connecting off
        self._last: tuple[str, int, str, str] | None = None  # what to reconnect with after a loss
        self._credentials: tuple[str, int, str, str] | None = None  # what the current connection used
        #: Set-PowerCLIConfiguration -InvalidCertificateAction (Unset: pin on first use)
        self.invalid_certificate_action = load_user_action()

    @property
    def connected(self) -> bool:
        return self._client is not None

    def client(self) -> Client:
        """The connected client, connecting now (again, after a loss) or with the defaults if needed."""
        if self._guarded is None:
            if self._last is not None:
                name, port, last_user, last_password = self._last
                self.connect(name, port, last_user, last_password)
            else:
                server, user = self.defaults.server, self.defaults.user or ""
                if not (self._auto and server):
                    raise ShellError(NOT_CONNECTED)
                password: str | None = self.defaults.password
                if password is None:
                    stored = self.store_lookup(server, user)
                    if stored is None:
                        raise ShellError(NOT_CONNECTED)
                    user, password = stored.user, stored.password
                if not user:
                    raise ShellError(NOT_CONNECTED)
                self.connect(server, None, user, password)
        assert self._guarded is not None
        return self._guarded

    def store_lookup(self, server: str, user: str = "") -> StoredCredential | None:
        """The stored credential for ``server`` (and ``user``); None when none or the store is unreadable."""
        try:
            return self.store.lookup(server, user)
        except OSError:
            return None

    def _certificate_options(self, accept: AcceptFn | None, force: bool) -> dict[str, Any]:
        """What the connect function is told about the host's certificate (nothing when the default)."""
        if force:  # Connect-VIServer -Force: the user accepts the certificate the host presents now
            return {"invalid_certificate_action": "prompt", "accept": lambda *_: True}
        action = self.invalid_certificate_action
        if action == "Unset":
            return {}
        return {"invalid_certificate_action": action.lower(), "accept": accept}

    def connect(
        self,
        server: str,
        port: int | None,
        user: str,
        password: str,
        accept: AcceptFn | None = None,
        force: bool = False,
    ) -> Server:
        """Log in to ``server`` (replacing any current connection); ``accept`` answers
        InvalidCertificateAction Prompt's question, ``force`` trusts whatever certificate is presented."""
        name, real_port = split_server(server, port)
        if self._client is not None:
            self.disconnect()
        options = self._certificate_options(accept, force)
        client = self._connect(f"{name}:{real_port}", user, password, **options)
        self._client = client
        self._guarded = cast(Client, _Guarded(self, client))
        self._auto = True
        self._last = None
        self.server = Server(name, real_port, getattr(client, "user", "") or user, True)
        self._credentials = (name, real_port, user, password)
        return self.server

    def lost(self, client: Client, fault: VimFault) -> ConnectionLost:
        """Forget ``client`` after ``fault``; the error to report. The next ``client()`` reconnects."""
        server = self.server
        if client is self._client and server is not None:
            self._last = self._credentials
            self._client, self._guarded = None, None
            self.server = dataclasses.replace(server, connected=False)  # $DefaultVIServer.IsConnected
            with contextlib.suppress(Exception):
                client.close()
        where = f"{server.name}:{server.port}" if server is not None else "the server"
        return ConnectionLost(
            f"The connection to {where} was lost ({fault}). The next command will reconnect."
        )

    def disconnect(self) -> Server:
        """Log out and close; raises when not connected."""
        client, server = self._client, self.server
        if client is None or server is None:
            if self._last is not None:  # lost, then disconnected: nothing to log out of
                name, port, user, _ = self._last
                self._last, self.server, self._auto = None, None, False
                return Server(name, port, user, False)
            raise ShellError(NOT_CONNECTED)
        self._client, self._guarded, self.server, self._auto = None, None, None, False
        try:
            client.logout()
        finally:
            client.close()
        return Server(server.name, server.port, server.user, False)

    def close(self) -> None:
        """At exit: log out quietly and close the connection if one is open."""
        client, self._client, self._guarded, self.server = self._client, None, None, None
        if client is not None:
            with contextlib.suppress(VimFault):
                client.logout()
            client.close()

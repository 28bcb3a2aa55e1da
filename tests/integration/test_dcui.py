"""``pyesx dcui`` driven in a real (pseudo-)terminal against a booted host."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from clients import Client, connect
from clients.tls import Trust, secure_channel
from pyesx.faults import VimFault
from tests.harness import BootedHost, wait_until
from tests.terminal import PtyProgram

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

PYESX = str(Path(sys.executable).with_name("pyesx"))
F2, F11, F12, DOWN = "\x1bOQ", "\x1b[23~", "\x1b[24~", "\x1b[B"


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BootedHost]:
    booted = BootedHost(tmp_path_factory.mktemp("dcui") / "host")
    try:
        yield booted
    finally:
        booted.stop()


@contextlib.contextmanager
def running_dcui(host: BootedHost) -> Iterator[PtyProgram]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYESX_")} | {"TERM": "xterm"}
    program = PtyProgram([PYESX, "dcui", "--server", host.address], env)
    try:
        yield program
    finally:
        assert program.close() == 0


@pytest.fixture
def dcui(host: BootedHost) -> Iterator[PtyProgram]:
    with running_dcui(host) as program:
        yield program


def log_in(dcui: PtyProgram, password: str) -> None:
    dcui.send(F2)
    dcui.wait_for("Authentication Required", "Configured Login Name")
    dcui.send(password + "\r")
    dcui.wait_for("System Customization", "Configure Password")


def test_front_screen_names_the_host_and_its_address(dcui: PtyProgram, host: BootedHost) -> None:
    with host.client() as client:
        name = client.host().name
    dcui.wait_for(f"Host name: {name}", f"pyesx shell --server {host.address}", "<F2> Customize System")


def test_a_wrong_password_is_refused(dcui: PtyProgram) -> None:
    dcui.wait_for("<F2> Customize System")
    dcui.send(F2)
    dcui.wait_for("Authentication Required")
    dcui.send("not-the-password\r")
    dcui.wait_for("NotAuthenticated")
    dcui.send("\x1b")
    dcui.wait_for("<F12> Shut Down/Restart")


def test_restart_management_agents_keeps_vms_running(tmp_path: Path) -> None:
    """On a host of its own: the hostd it starts belongs to this test."""
    host = BootedHost(tmp_path / "host")
    try:
        with running_dcui(host) as dcui:
            _restart_management_agents(dcui, host)
    finally:
        host.stop()


def _restart_management_agents(dcui: PtyProgram, host: BootedHost) -> None:
    with host.client() as client:
        made = client.wait_for_task(client.create_vm("dcui-vm", 1, 64, "", "").id).result_vm
        assert made is not None
        vm = client.get_vm(made.id)
        client.wait_for_task(client.power_on(vm.id).id)
        vmx_pid = client.get_vm(vm.id).vmx_pid
    old_hostd = host.hostd_pid()
    dcui.wait_for("<F2> Customize System")
    log_in(dcui, host.password)
    dcui.send(DOWN * 3 + "\r")
    dcui.wait_for("<F11> Restart", "Running virtual machines")
    dcui.send(F11)
    dcui.wait_for("The management agents were restarted.", timeout=60)
    wait_until(lambda: (pid := host.hostd_pid()) != old_hostd and pid, what="a new hostd")
    with host.client() as client:
        again = client.get_vm(vm.id)
        assert again.power_state == "poweredOn"
        assert again.vmx_pid == vmx_pid  # the VM was not disturbed
        events = [e.message for e in client.events() if e.type == "HostdRestartedEvent"]
        assert any("restarted by root" in message for message in events), events
        client.wait_for_task(client.kill(vm.id).id)
        client.wait_for_task(client.destroy_vm(vm.id).id)
    dcui.send("\r")  # the message closes; the DCUI is still logged in (it logged in again)
    dcui.wait_for("Configure Management Network")
    dcui.send("\x1b")
    dcui.wait_for("<F2> Customize System")


def test_about_needs_no_session(host: BootedHost) -> None:
    with secure_channel(host.address, Trust(thumbprint=host.thumbprint)) as channel:
        about = Client(host.address, channel).about()
    assert about.product_name == "pyesx"
    assert about.api_version == "v1"
    assert about.host_name


def test_dns_configuration_and_host_name(dcui: PtyProgram, host: BootedHost) -> None:
    with host.client() as client:
        before = client.host_network()
    dcui.wait_for("<F2> Customize System")
    log_in(dcui, host.password)
    dcui.send(DOWN * 2)
    dcui.wait_for(f"Hostname: {before.host_name}", "DNS Servers: (none)", "IPv4 Addresses:")
    dcui.send("\r")
    dcui.wait_for("Configure Management Network", "Custom DNS Suffixes")
    dcui.send(DOWN + "\r")  # DNS Configuration
    dcui.wait_for("Primary DNS Server", "Alternate DNS Server")
    dcui.send("127.0.0.1:5353\t192.0.2.53\r")
    dcui.wait_for("The management network was changed.")
    dcui.send("\r" + DOWN + "\r")  # Custom DNS Suffixes
    dcui.wait_for("Separated by spaces or commas.")
    dcui.send("lab.test, corp.test\r")
    dcui.wait_for("The management network was changed.")
    dcui.send("\r" + "\x1b[A" * 2 + "\r")  # Hostname
    dcui.wait_for("The host's name.")
    dcui.send("\x7f" * 80 + "bad_name!\r")
    dcui.wait_for("InvalidArgument")  # the host's validation, shown as it came; nothing changed
    dcui.send("\r")
    with host.client() as client:
        after = client.host_network()
        assert after.dns_servers == ("127.0.0.1:5353", "192.0.2.53")
        assert after.search_domains == ("lab.test", "corp.test")
        assert after.host_name == before.host_name
        client.update_host_network(dns_servers=[], search_domains=[])
    dcui.send("\x1b")
    dcui.wait_for("System Customization")
    dcui.send("\x1b")
    dcui.wait_for("<F2> Customize System")


def test_view_system_logs(dcui: PtyProgram, host: BootedHost) -> None:
    dcui.wait_for("<F2> Customize System")
    log_in(dcui, host.password)
    dcui.send(DOWN * 4 + "\r")
    dcui.wait_for("View System Logs", "1) hostd", "2) vmkernel")
    dcui.send("2")
    shown = dcui.wait_for("vmkernel log (", "<q> Close")
    assert '{"logger_name": ' in shown  # the VMkernel's own JSON lines, not just the title
    dcui.send("q")
    dcui.wait_for("1) hostd")
    dcui.send("\x1b\x1b")
    dcui.wait_for("<F2> Customize System")


def test_f12_restarts_the_host(tmp_path: Path) -> None:
    host = BootedHost(tmp_path / "host")
    try:
        with running_dcui(host) as dcui:
            dcui.wait_for("<F2> Customize System")
            dcui.send(F12)
            dcui.wait_for("Authentication Required")
            dcui.send(host.password + "\r")
            dcui.wait_for("<F2> Shut Down   <F11> Restart")
            dcui.send(F11)
            dcui.wait_for("The host is restarting.")
            host.wait_rebooted()
            dcui.send("\r")
            dcui.wait_for("<F2> Customize System")
        with host.client() as client:
            assert client.host().connection_state == "connected"
    finally:
        host.stop()


def test_reset_system_configuration(tmp_path: Path) -> None:
    host = BootedHost(tmp_path / "host")
    try:
        with host.client() as client:
            made = client.wait_for_task(client.create_vm("reset-vm", 1, 64, "", "").id).result_vm
            assert made is not None
            vmx_path = client.get_vm(made.id).vmx_path
            client.update_host_network(host_name="before-reset", dns_servers=["192.0.2.53"])
            client.create_virtual_switch("vSwitchReset")
            client.wait_for_task(client.power_on(made.id).id)
            with pytest.raises(VimFault, match="Power off every VM"):
                client.reset_system_configuration()  # refused: reset-vm runs; nothing changes
            client.wait_for_task(client.power_off(made.id).id)
        with running_dcui(host) as dcui:
            dcui.wait_for("<F2> Customize System")
            log_in(dcui, host.password)
            dcui.send(DOWN * 5 + "\r")
            dcui.wait_for("<F11> Reset", "Root's password is kept")
            dcui.send(F11)
            dcui.wait_for("host reboots.")
            host.wait_rebooted()
        with host.client() as client:  # root's password still works
            assert [vm.name for vm in client.list_vms()] == []
            assert "vSwitchReset" not in [s.name for s in client.virtual_switches()]
            network = client.host_network()
            assert network.host_name != "before-reset"
            assert network.dns_servers == ()
        assert (host.root / "vmfs" / "volumes" / "datastore1" / "reset-vm").is_dir()  # the files stay
        assert vmx_path.endswith("reset-vm.vmx")
        aside = list(host.root.glob("etc-before-reset-*"))
        assert len(aside) == 1 and (aside[0].stat().st_mode & 0o777) == 0o700
    finally:
        host.stop()


def test_configure_password_and_lockdown(tmp_path: Path) -> None:
    host = BootedHost(tmp_path / "host")
    try:
        with running_dcui(host) as dcui:
            dcui.wait_for("<F2> Customize System")
            log_in(dcui, host.password)
            dcui.send("\r")  # Configure Password
            dcui.wait_for("Enter a new password for root.")
            dcui.send("short\tshort\r")
            dcui.wait_for("InvalidArgument")  # the host's password policy, shown as it came
            dcui.send("\r\r")
            dcui.wait_for("Enter a new password for root.")
            dcui.send("N3w-Passw0rd!\tN3w-Passw0rd!\r")
            dcui.wait_for("The password was changed.")
            with connect(host.address, "root", "N3w-Passw0rd!") as client:
                assert client.host().connection_state == "connected"
            dcui.send("\r" + DOWN)
            dcui.wait_for("Lockdown Mode: Disabled")
            dcui.send("\r" + DOWN + "\r")  # Normal
            dcui.wait_for("Lockdown mode: normal.")
            with pytest.raises(VimFault):  # root is no exception user: the API refuses it
                connect(host.address, "root", "N3w-Passw0rd!").close()
            dcui.send("\r\r" + "\x1b[A" + "\r")  # the console still works: back to Disabled
            dcui.wait_for("Lockdown mode: disabled.")
            dcui.send("\r\x1b")
            dcui.wait_for("<F2> Customize System")
        with connect(host.address, "root", "N3w-Passw0rd!") as client:
            assert client.lockdown().mode == "disabled"
    finally:
        host.stop()

"""The DCUI's screens driven by keys against a fake host (the terminal is tested in integration)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from clients.dcui.app import App
from clients.dcui.keys import decode
from clients.dcui.model import HostFacts, NetworkConfig
from pyesx import faults


class FakeHost:
    def __init__(self) -> None:
        self.calls: list[tuple[object, ...]] = []
        self.password = "secret"
        self.logged_in = False
        self.mode = "disabled"
        self.net = NetworkConfig("esx01", "lab.test", ("10.0.0.53",), ("lab.test",), ("192.168.1.10",))
        self.up = True

    def facts(self) -> HostFacts:
        if not self.up:
            raise faults.HostCommunication("no answer from 127.0.0.1:8443 within 5s")
        return HostFacts(self.net.host_name, "1.0.0", "42", "127.0.0.1:8443", 2, 2200, 24064)

    def login(self, user: str, password: str) -> None:
        if (user, password) != ("root", self.password):
            raise faults.NotAuthenticated(
                "invalid_login", "Cannot complete login due to an incorrect user name or password."
            )
        self.logged_in = True

    def logout(self) -> None:
        self.logged_in = False
        self.calls.append(("logout",))

    def change_password(self, user: str, password: str) -> None:
        if len(password) < 7:
            raise faults.InvalidArgument("password", "too short: at least 7 characters")
        self.calls.append(("change_password", user, password))

    def lockdown_mode(self) -> str:
        return self.mode

    def set_lockdown_mode(self, mode: str) -> None:
        self.mode = mode
        self.calls.append(("set_lockdown_mode", mode))

    def network(self) -> NetworkConfig:
        self.calls.append(("network",))
        return self.net

    def set_network(self, **change: object) -> NetworkConfig:
        self.calls.append(("set_network", change))
        fields = {k: tuple(v) if isinstance(v, list) else v for k, v in change.items() if v is not None}
        self.net = replace(self.net, **fields)  # type: ignore[arg-type]
        return self.net

    def log_keys(self) -> list[str]:
        return ["hostd", "vmkernel"]

    def log_lines(self, key: str, count: int) -> list[str]:
        return [f"{key} line {n}" for n in range(1, 101)][-count:]

    def restart_management_agents(self) -> None:
        self.calls.append(("restart_management_agents",))

    def reset_configuration(self) -> None:
        self.calls.append(("reset_configuration",))

    def shutdown(self, *, restart: bool) -> None:
        self.calls.append(("shutdown", restart))


@pytest.fixture
def host() -> FakeHost:
    return FakeHost()


def screen(app: App) -> str:
    return "\n".join(app.draw(80, 25).text())


def press(app: App, *keys: str) -> str:
    for key in keys:
        if len(key) > 1 and key not in KEY_NAMES:
            for char in key:
                app.key(char)
        else:
            app.key(key)
    return screen(app)


KEY_NAMES = {"up", "down", "enter", "esc", "tab", "backspace", "f2", "f11", "f12", "pgup", "pgdn", "ctrl-c"}


def logged_in(host: FakeHost) -> App:
    app = App(host, "127.0.0.1:8443")
    press(app, "f2", "secret", "enter")
    return app


def test_front_screen_shows_the_host_and_where_to_manage_it(host: FakeHost) -> None:
    text = screen(App(host, "127.0.0.1:8443"))
    assert "pyesx 1.0.0 (VMkernel Release Build 42)" in text
    assert "Host name: esx01" in text
    assert "pyesx shell --server 127.0.0.1:8443" in text
    assert "<F2> Customize System/View Logs" in text
    assert "<F12> Shut Down/Restart" in text


def test_an_unreachable_host_says_so(host: FakeHost) -> None:
    host.up = False
    text = screen(App(host, "127.0.0.1:8443"))
    assert "does not answer" in text
    assert "HostCommunication" in text


def test_f2_asks_for_a_password_and_refuses_a_wrong_one(host: FakeHost) -> None:
    app = App(host, "127.0.0.1:8443")
    text = press(app, "f2")
    assert "Authentication Required" in text
    assert "Configured Login Name:" in text
    text = press(app, "wrong", "enter")
    assert "incorrect user name or password" in text
    assert "*****" not in text  # the password field was cleared
    text = press(app, "secret", "enter")
    assert "System Customization" in text
    assert "Configure Management Network" in text
    assert app.user == "root"


def test_esc_logs_out_to_the_front_screen(host: FakeHost) -> None:
    app = logged_in(host)
    text = press(app, "esc")
    assert "<F2> Customize System/View Logs" in text
    assert ("logout",) in host.calls
    assert app.user == ""


def test_configure_password(host: FakeHost) -> None:
    app = logged_in(host)
    text = press(app, "enter", "abcdefgh", "down", "abcdefgX", "enter")
    assert "The passwords do not match." in text
    text = press(app, "backspace", "h", "enter")
    assert "The password was changed." in text
    assert ("change_password", "root", "abcdefgh") in host.calls
    text = press(app, "enter", "enter", "ab", "down", "ab", "enter")
    assert "too short" in text  # the host's fault, shown as it came


def test_lockdown_mode_shows_and_changes(host: FakeHost) -> None:
    app = logged_in(host)
    text = press(app, "down")
    assert "Lockdown Mode: Disabled" in text
    text = press(app, "enter", "down", "down", "enter")
    assert "Lockdown mode: strict." in text
    assert ("set_lockdown_mode", "strict") in host.calls


def test_management_network_dns_and_host_name(host: FakeHost) -> None:
    app = logged_in(host)
    text = press(app, "down", "down")
    assert "Hostname: esx01" in text
    assert "DNS Servers: 10.0.0.53" in text
    text = press(app, "enter", "down", "enter", "tab", "10.0.0.54", "enter")
    assert "The management network was changed." in text
    assert host.net.dns_servers == ("10.0.0.53", "10.0.0.54")
    press(app, "enter", "up", "enter", *["backspace"] * 5, "esx02", "enter", "enter")
    assert host.net.host_name == "esx02"


def test_redraws_do_not_call_the_host_but_a_change_is_shown(host: FakeHost) -> None:
    clock = [0.0]
    app = App(host, "127.0.0.1:8443", clock=lambda: clock[0])
    press(app, "f2", "secret", "enter", "down", "down")
    for _ in range(5):
        screen(app)  # the terminal redraws after every key and every 2 s
    press(app, "up", "down")
    assert host.calls.count(("network",)) == 1
    text = press(app, "enter", "down", "enter", "tab", "10.0.0.54", "enter", "enter", "esc")
    assert "DNS Servers: 10.0.0.53, 10.0.0.54" in text  # read again after the change
    reads = host.calls.count(("network",))
    clock[0] += 5.0
    screen(app)
    assert host.calls.count(("network",)) == reads + 1  # and again once what it showed is old


def test_view_logs_and_scroll(host: FakeHost) -> None:
    app = logged_in(host)
    text = press(app, *["down"] * 4, "enter", "1")
    assert "hostd log (100 lines)" in text
    assert "hostd line 100" in text
    text = press(app, "pgup")
    assert "hostd line 100" not in text
    assert "hostd line 80" in text
    text = press(app, "q")
    assert "View System Logs" in text


def test_restart_management_agents_asks_first(host: FakeHost) -> None:
    app = logged_in(host)
    text = press(app, *["down"] * 3, "enter")
    assert "<F11> Restart" in text
    press(app, "esc")
    assert ("restart_management_agents",) not in host.calls
    text = press(app, "enter", "f11")
    assert "The management agents were restarted." in text
    assert ("restart_management_agents",) in host.calls


def test_reset_system_configuration(host: FakeHost) -> None:
    app = logged_in(host)
    text = press(app, *["down"] * 5, "enter", "f11")
    assert "The configuration is being reset to its defaults" in text
    assert ("reset_configuration",) in host.calls


def test_f12_restarts_the_host(host: FakeHost) -> None:
    app = App(host, "127.0.0.1:8443")
    text = press(app, "f12", "secret", "enter")
    assert "<F2> Shut Down   <F11> Restart" in text
    text = press(app, "f11")
    assert "The host is restarting." in text
    assert ("shutdown", True) in host.calls


def test_ctrl_c_leaves(host: FakeHost) -> None:
    app = App(host, "127.0.0.1:8443")
    app.key("ctrl-c")
    assert app.done


def test_keys_are_decoded() -> None:
    assert decode("\x1bOQ\x1b[24~\x1b[23~\x1b[A\x1b[B\r\t\x7fa\x1b") == [
        "f2", "f12", "f11", "up", "down", "enter", "tab", "backspace", "a", "esc"
    ]  # fmt: skip
    assert decode("\x1b[99;5Xz") == ["z"]  # an unknown sequence is dropped whole

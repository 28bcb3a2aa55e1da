"""The DCUI's screens and how keys move between them; drawing is onto a ``Canvas``."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import TypeVar

from clients.dcui.canvas import Canvas, wrap
from clients.dcui.model import DcuiHost, HostFacts
from clients.dcui.widgets import Choice, ChoiceList, Dialog, Form, TextField
from pyesx.faults import VimFault

READ_MAX_AGE = 5.0  # seconds what the screens show from the host is kept before it is read again
T = TypeVar("T")
LOG_LINES = 500  # how much of a log the viewer reads


class Screen:
    """One screen of the DCUI; an ``overlay`` is drawn over the screen under it."""

    overlay = False

    def draw(self, canvas: Canvas, app: App) -> None:
        raise NotImplementedError

    def key(self, key: str, app: App) -> None:
        raise NotImplementedError


class App:
    """The DCUI: a stack of screens over the front screen, and the host they act on."""

    def __init__(self, host: DcuiHost, server: str, clock: Callable[[], float] = time.monotonic) -> None:
        self.host = host
        self.server = server
        self.clock = clock
        self.user = ""
        self.stack: list[Screen] = [FrontScreen()]
        self.done = False
        #: what the screens read from the host: key -> (when, value, fault); redraws come with every
        #: key and every 2 s, and must not call the host each time
        self._reads: dict[str, tuple[float, object, VimFault | None]] = {}

    # -- what the screens use -------------------------------------------------------------------

    def read(self, key: str, fetch: Callable[[], T]) -> T:
        """``fetch()``'s answer (or the fault it raised), kept READ_MAX_AGE seconds or until a change."""
        kept = self._reads.get(key)
        if kept is None or self.clock() - kept[0] >= READ_MAX_AGE:
            try:
                kept = (self.clock(), fetch(), None)
            except VimFault as fault:
                kept = (self.clock(), None, fault)
            self._reads[key] = kept
        if kept[2] is not None:
            raise kept[2]
        return kept[1]  # type: ignore[return-value]  # stored by this key's fetch

    def facts(self) -> HostFacts | None:
        """The host's facts (None when it does not answer: ``facts_error`` says why)."""
        try:
            return self.read("facts", self.host.facts)
        except VimFault:
            return None

    @property
    def facts_error(self) -> str:
        kept = self._reads.get("facts")
        return str(kept[2]) if kept and kept[2] else ""

    def push(self, screen: Screen) -> None:
        self.stack.append(screen)

    def pop(self) -> None:
        if len(self.stack) > 1:
            self.stack.pop()

    def replace(self, screen: Screen) -> None:
        self.stack[-1] = screen

    def act(self, title: str, action: Callable[[], object], done: str) -> bool:
        """Run ``action``; show ``done``, or the fault it raised, in a message. True when it worked.
        What the screens read is read again afterwards."""
        try:
            action()
        except VimFault as fault:
            self.push(Message(title, str(fault), error=True))
            return False
        finally:
            self._reads.clear()
        self.push(Message(title, done))
        return True

    def log_out(self) -> None:
        """Back to the front screen, with the session ended."""
        with contextlib.suppress(VimFault):  # a host that went away has no session left to end
            self.host.logout()
        self.user = ""
        self.stack = [FrontScreen()]
        self._reads.clear()

    # -- what the terminal uses -----------------------------------------------------------------

    def draw(self, width: int, height: int) -> Canvas:
        canvas = Canvas(width, height)
        base = max(i for i, screen in enumerate(self.stack) if not screen.overlay)
        for screen in self.stack[base:]:
            screen.draw(canvas, self)
        return canvas

    def key(self, key: str) -> None:
        if key == "ctrl-c":
            self.done = True
            return
        self.stack[-1].key(key, self)


def _bar(canvas: Canvas, left: str, right: str = "") -> None:
    row = canvas.height - 1
    canvas.fill(row, 0, 1, canvas.width, "bar")
    canvas.put(row, 1, left)
    canvas.put(row, canvas.width - len(right) - 1, right)


class FrontScreen(Screen):
    """ESXi's grey and yellow screen: what the host is and where to manage it from."""

    def draw(self, canvas: Canvas, app: App) -> None:
        facts = app.facts()
        band = max(canvas.height * 3 // 5, 10)
        canvas.fill(0, 0, band, canvas.width, "banner")
        canvas.fill(band, 0, canvas.height - band, canvas.width, "accent")
        if facts is not None:
            canvas.put(2, 2, f"pyesx {facts.version} (VMkernel Release Build {facts.build})")
            canvas.put(4, 2, f"Host name: {facts.name}")
            if facts.num_cpu:
                canvas.put(5, 2, f"{facts.num_cpu} x CPU @ {facts.cpu_mhz / 1000:.2f} GHz")
                canvas.put(6, 2, f"{facts.memory_mb / 1024:.1f} GiB Memory")
            canvas.put(band + 1, 2, "To manage this host, go to:")
            canvas.put(band + 2, 2, f"pyesx shell --server {facts.address}")
            canvas.put(band + 3, 2, f"grpc://{facts.name}:{facts.address.rsplit(':', 1)[-1]}/ (STATIC)")
        else:
            canvas.put(2, 2, "pyesx")
            canvas.put(4, 2, f"The host at {app.server} does not answer:")
            for row, line in enumerate(wrap(app.facts_error, canvas.width - 6)[:6]):
                canvas.put(5 + row, 4, line)
        _bar(canvas, "<F2> Customize System/View Logs", "<F12> Shut Down/Restart")

    def key(self, key: str, app: App) -> None:
        if key == "f2":
            app.push(Login(then=lambda: app.replace(SystemCustomization())))
        elif key == "f12":
            app.push(Login(then=lambda: app.replace(ShutDown())))


class Login(Screen):
    """Authentication Required: a login name and password before anything changes."""

    overlay = True

    def __init__(self, then: Callable[[], None]) -> None:
        self.then = then
        self.form = Form([TextField("Configured Login Name", "root"), TextField("Password", secret=True)], 1)
        self.error = ""

    def draw(self, canvas: Canvas, app: App) -> None:
        facts = app.facts()
        name = facts.name if facts else app.server
        text = f"Enter an authorized login name and password for {name}."
        Dialog(
            "Authentication Required", text, "<Enter> OK   <Esc> Cancel", self.form, lines=[self.error]
        ).draw(canvas)

    def key(self, key: str, app: App) -> None:
        if key == "esc":
            app.pop()
        elif key == "enter":
            user, password = self.form.values()
            try:
                app.host.login(user, password)
            except VimFault as fault:
                self.error = str(fault)
                self.form.fields[1].value = ""
                return
            app.user = user
            self.then()
        else:
            self.form.key(key)


class Message(Screen):
    """A result or a fault; Enter or Esc closes it."""

    overlay = True

    def __init__(self, title: str, text: str, error: bool = False) -> None:
        self.title, self.text, self.error = title, text, error

    def draw(self, canvas: Canvas, app: App) -> None:
        Dialog(self.title, self.text, "<Enter> OK", error=self.error).draw(canvas)

    def key(self, key: str, app: App) -> None:
        if key in ("enter", "esc"):
            app.pop()


class Confirm(Screen):
    """Asks before something drastic: ``confirm_key`` (F11) does it, Esc does not."""

    overlay = True

    def __init__(
        self, title: str, text: str, confirm_key: str, label: str, action: Callable[[App], None]
    ) -> None:
        self.title, self.text, self.confirm_key, self.label, self.action = (
            title,
            text,
            confirm_key,
            label,
            action,
        )

    def draw(self, canvas: Canvas, app: App) -> None:
        keys = f"<{self.confirm_key.upper()}> {self.label}   <Esc> Cancel"
        Dialog(self.title, self.text, keys).draw(canvas)

    def key(self, key: str, app: App) -> None:
        if key == "esc":
            app.pop()
        elif key == self.confirm_key:
            app.pop()
            self.action(app)


class FormDialog(Screen):
    """Fields to fill in; Enter submits them to ``submit``, which returns an error text or ''."""

    overlay = True

    def __init__(self, title: str, text: str, form: Form, submit: Callable[[App, list[str]], str]) -> None:
        self.title, self.text, self.form, self.submit = title, text, form, submit
        self.error = ""

    def draw(self, canvas: Canvas, app: App) -> None:
        Dialog(self.title, self.text, "<Enter> OK   <Esc> Cancel", self.form, lines=[self.error]).draw(canvas)

    def key(self, key: str, app: App) -> None:
        if key == "esc":
            app.pop()
        elif key == "enter":
            self.error = self.submit(app, self.form.values())
        else:
            self.form.key(key)


class MenuScreen(Screen):
    """A titled list on the left, the highlighted item's details on the right."""

    title = ""
    leave = "<Esc> Exit"

    def __init__(self) -> None:
        self.menu = ChoiceList(self.choices())

    def choices(self) -> list[Choice]:
        raise NotImplementedError

    def detail(self, app: App) -> str:
        return self.menu.current.detail

    def draw(self, canvas: Canvas, app: App) -> None:
        half = canvas.width // 2
        canvas.fill(0, 0, 1, canvas.width, "banner")
        canvas.put(0, 1, self.title)
        canvas.put(0, half + 1, self.menu.current.label)
        self.menu.draw(canvas, 2, 1, half - 2)
        for row, line in enumerate(wrap(self.detail(app), half - 3)[: canvas.height - 4]):
            canvas.put(2 + row, half + 1, line)
        _bar(canvas, f"<Up/Down> Select   <Enter> Change   {self.leave}")

    def key(self, key: str, app: App) -> None:
        if self.menu.key(key):
            return
        if key == "esc":
            self.leave_screen(app)
        elif key == "enter":
            self.choose(self.menu.index, app)

    def leave_screen(self, app: App) -> None:
        app.pop()

    def choose(self, index: int, app: App) -> None:
        raise NotImplementedError


class SystemCustomization(MenuScreen):
    """The menu F2 leads to."""

    title = "System Customization"
    leave = "<Esc> Log Out"

    def choices(self) -> list[Choice]:
        return [
            Choice("Configure Password", "Set the password of the account you logged in with."),
            Choice("Configure Lockdown Mode", ""),
            Choice("Configure Management Network", ""),
            Choice("Restart Management Agents", RESTART_AGENTS),
            Choice("View System Logs", "View the host's logs: hostd, vmkernel."),
            Choice("Reset System Configuration", RESET_TEXT),
        ]

    def detail(self, app: App) -> str:
        index = self.menu.index
        try:
            if index == 1:
                mode = app.read("lockdown", app.host.lockdown_mode)
                return f"Lockdown Mode: {mode.capitalize()}\n\n{LOCKDOWN_TEXT}"
            if index == 2:
                net = app.read("network", app.host.network)
                return (
                    f"Hostname: {net.host_name}\nDomain: {net.domain_name or '(none)'}\n"
                    f"DNS Servers: {', '.join(net.dns_servers) or '(none)'}\n"
                    f"Custom DNS Suffixes: {' '.join(net.search_domains) or '(none)'}\n"
                    f"IPv4 Addresses: {', '.join(net.addresses) or '(none)'}"
                )
        except VimFault as fault:
            return f"Cannot read it: {fault}"
        return super().detail(app)

    def leave_screen(self, app: App) -> None:
        app.log_out()

    def choose(self, index: int, app: App) -> None:
        if index == 0:
            app.push(_password_dialog(app))
        elif index == 1:
            app.push(LockdownScreen(app))
        elif index == 2:
            app.push(ManagementNetwork())
        elif index == 3:
            app.push(Confirm("Restart Management Agents", RESTART_AGENTS, "f11", "Restart", _restart_agents))
        elif index == 4:
            app.push(SystemLogs(app))
        elif index == 5:
            app.push(Confirm("Reset System Configuration", RESET_TEXT, "f11", "Reset", _reset))


RESTART_AGENTS = (
    "Restarting the management agents (hostd) ends every client's session. Running virtual machines "
    "are not disturbed."
)
RESET_TEXT = (
    "Resets the host's configuration to the install defaults and reboots it: host name, DNS, NTP, "
    "accounts other than root, roles and permissions, lockdown mode, advanced settings, switches "
    "and pools. Virtual machines (all powered off first) are unregistered; their files stay on the "
    "datastores. Root's password is kept."
)
LOCKDOWN_TEXT = (
    "In lockdown mode only the users on the exception list may log in through the management API "
    "(normal mode keeps this console open to them; strict mode closes it too)."
)


def _password_dialog(app: App) -> FormDialog:
    form = Form([TextField("New Password", secret=True), TextField("Confirm Password", secret=True)])

    def submit(app: App, values: list[str]) -> str:
        new, again = values
        if new != again:
            return "The passwords do not match."
        app.pop()
        app.act(
            "Configure Password", lambda: app.host.change_password(app.user, new), "The password was changed."
        )
        return ""

    return FormDialog("Configure Password", f"Enter a new password for {app.user}.", form, submit)


def _restart_agents(app: App) -> None:
    app.act(
        "Restart Management Agents",
        app.host.restart_management_agents,
        "The management agents were restarted.",
    )


def _reset(app: App) -> None:
    app.act(
        "Reset System Configuration",
        app.host.reset_configuration,
        "The configuration is being reset to its defaults: the host reboots.",
    )


class LockdownScreen(MenuScreen):
    """Pick the lockdown mode."""

    title = "Configure Lockdown Mode"
    modes = ("disabled", "normal", "strict")

    def __init__(self, app: App) -> None:
        super().__init__()
        with contextlib.suppress(VimFault, ValueError):
            self.menu.index = self.modes.index(app.host.lockdown_mode())

    def choices(self) -> list[Choice]:
        return [Choice(mode.capitalize(), LOCKDOWN_TEXT) for mode in self.modes]

    def choose(self, index: int, app: App) -> None:
        mode = self.modes[index]
        app.pop()
        app.act(
            "Configure Lockdown Mode", lambda: app.host.set_lockdown_mode(mode), f"Lockdown mode: {mode}."
        )


class ManagementNetwork(MenuScreen):
    """The host's names: host name, DNS servers, search domains."""

    title = "Configure Management Network"

    def choices(self) -> list[Choice]:
        return [
            Choice("Hostname", "The host's name and domain."),
            Choice("DNS Configuration", "The DNS servers the host resolves names with."),
            Choice("Custom DNS Suffixes", "Domains tried after a short name."),
        ]

    def detail(self, app: App) -> str:
        try:
            net = app.read("network", app.host.network)
        except VimFault as fault:
            return f"Cannot read it: {fault}"
        index = self.menu.index
        if index == 0:
            return f"Hostname: {net.host_name}\nDomain: {net.domain_name or '(none)'}"
        if index == 1:
            return "DNS Servers:\n" + ("\n".join(net.dns_servers) or "(none)")
        return "Custom DNS Suffixes:\n" + (" ".join(net.search_domains) or "(none)")

    def choose(self, index: int, app: App) -> None:
        try:
            net = app.host.network()
        except VimFault as fault:
            app.push(Message(self.title, str(fault), error=True))
            return
        if index == 0:
            form = Form([TextField("Hostname", net.host_name), TextField("Domain", net.domain_name)])
            app.push(FormDialog("Hostname", "The host's name.", form, _set_names))
        elif index == 1:
            servers = [*net.dns_servers, "", ""]
            form = Form(
                [TextField("Primary DNS Server", servers[0]), TextField("Alternate DNS Server", servers[1])]
            )
            app.push(FormDialog("DNS Configuration", "Addresses (HOST or HOST:PORT).", form, _set_dns))
        else:
            form = Form([TextField("Suffixes", " ".join(net.search_domains))])
            app.push(FormDialog("Custom DNS Suffixes", "Separated by spaces or commas.", form, _set_suffixes))


def _apply(app: App, title: str, **change: object) -> str:
    app.pop()
    app.act(title, lambda: app.host.set_network(**change), "The management network was changed.")  # type: ignore[arg-type]
    return ""


def _set_names(app: App, values: list[str]) -> str:
    host_name, domain = (v.strip() for v in values)
    return _apply(app, "Hostname", host_name=host_name, domain_name=domain)


def _set_dns(app: App, values: list[str]) -> str:
    return _apply(app, "DNS Configuration", dns_servers=[v.strip() for v in values if v.strip()])


def _set_suffixes(app: App, values: list[str]) -> str:
    return _apply(app, "Custom DNS Suffixes", search_domains=values[0].replace(",", " ").split())


class SystemLogs(MenuScreen):
    """Which log to view."""

    title = "View System Logs"

    def __init__(self, app: App) -> None:
        try:
            self.keys = app.host.log_keys()
        except VimFault:
            self.keys = ["hostd", "vmkernel"]
        super().__init__()

    def choices(self) -> list[Choice]:
        return [Choice(f"{n}) {key}", f"View the {key} log.") for n, key in enumerate(self.keys, 1)]

    def key(self, key: str, app: App) -> None:
        if key.isdigit() and 1 <= int(key) <= len(self.keys):
            self.choose(int(key) - 1, app)
        else:
            super().key(key, app)

    def choose(self, index: int, app: App) -> None:
        try:
            lines = app.host.log_lines(self.keys[index], LOG_LINES)
        except VimFault as fault:
            app.push(Message(self.title, str(fault), error=True))
            return
        app.push(LogViewer(self.keys[index], lines))


class LogViewer(Screen):
    """A log's last lines, newest at the bottom; Up/Down/PgUp/PgDn scroll, q or Esc closes."""

    def __init__(self, key: str, lines: list[str]) -> None:
        self.log_key, self.lines = key, lines
        self.offset = 0  # lines scrolled up from the bottom

    def draw(self, canvas: Canvas, app: App) -> None:
        rows = canvas.height - 2
        canvas.fill(0, 0, 1, canvas.width, "banner")
        canvas.put(0, 1, f"{self.log_key} log ({len(self.lines)} lines)")
        end = max(len(self.lines) - self.offset, 0)
        for row, line in enumerate(self.lines[max(end - rows, 0) : end]):
            canvas.put(1 + row, 0, line[: canvas.width])
        _bar(canvas, "<Up/Down/PgUp/PgDn> Scroll   <q> Close")

    def key(self, key: str, app: App) -> None:
        step = {"up": 1, "down": -1, "pgup": 20, "pgdn": -20}.get(key)
        if step is not None:
            self.offset = min(max(self.offset + step, 0), max(len(self.lines) - 1, 0))
        elif key in ("q", "esc"):
            app.pop()


class ShutDown(Screen):
    """F12: shut the host down or restart it."""

    def draw(self, canvas: Canvas, app: App) -> None:
        FrontScreen().draw(canvas, app)
        Dialog(
            "Shut Down/Restart",
            "Shutting the host down or restarting it stops the virtual machines its policies stop.",
            "<F2> Shut Down   <F11> Restart   <Esc> Cancel",
        ).draw(canvas)

    def key(self, key: str, app: App) -> None:
        if key == "esc":
            app.log_out()
        elif key in ("f2", "f11"):
            restart = key == "f11"
            worked = app.act(
                "Shut Down/Restart",
                lambda: app.host.shutdown(restart=restart),
                "The host is restarting." if restart else "The host is shutting down.",
            )
            if worked:
                app.user = ""
                app.stack = [FrontScreen(), app.stack[-1]]

"""The SDK's remote console: tickets, an attached console, screenshots. Mixed into ``clients.sdk.Client``.

ticket = host.acquire_ticket(vm.id)           # single use, 30 s to redeem
with host.console(vm.id) as console:          # acquires a ticket and attaches
    console.send("echo hi\\r")
    console.read_until(b"hi")
    print(console.screen_text())
png = host.wait_for_task(host.create_screenshot(vm.id).id).result   # "[datastore1] web01/web01-1.png"
"""

from __future__ import annotations

import datetime as dt
import queue
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import grpc

from clients.tls import Trust, secure_channel
from pyesx import faults
from pyesx.api.v1 import console_pb2, console_pb2_grpc, task_pb2
from pyesx.rpc.faultwire import fault_from_rpc_error
from pyesx.rpc.metadata import REQUEST_ID_KEY, new_request_id

URL_SCHEME = "pyesx+console"
ATTACH_TIMEOUT = 30.0
DETACH_TIMEOUT = 5.0  # the host ends a stream we are done sending on; after this, we cancel it
KEYS_MESSAGE_BYTES = 64 * 1024


@dataclass(frozen=True)
class ConsoleTicket:
    """A console ticket (vSphere's VirtualMachineTicket)."""

    ticket: str
    host: str
    port: int
    url: str  # pyesx+console://HOST:PORT/vm-1?ticket=...
    expires_at: dt.datetime
    vm_id: str


@dataclass(frozen=True)
class ConsoleScreen:
    rows: list[str]
    cursor_row: int
    cursor_col: int
    viewers: int


def parse_url(url: str) -> tuple[str, str, str]:
    """(HOST:PORT, vm id, ticket) of a console ticket URL; InvalidArgument for anything else."""
    parts = urllib.parse.urlsplit(url)
    ticket = urllib.parse.parse_qs(parts.query).get("ticket", [""])[0]
    vm_id = parts.path.strip("/")
    if parts.scheme != URL_SCHEME or not parts.netloc or not vm_id or not ticket:
        raise faults.InvalidArgument("url", f"'{url}' is not a {URL_SCHEME}://HOST:PORT/VM?ticket=… URL")
    return parts.netloc, vm_id, ticket


class Console:
    """An attached console: ``send`` keys, iterate over output chunks (bytes), ``read_until`` text.

    The first chunk is a full repaint of the screen. Output is read by a thread into a queue, so a
    caller that reads nothing for a while only makes the host drop its backlog and repaint."""

    def __init__(
        self,
        stub: console_pb2_grpc.ConsoleServiceStub,
        vm_id: str,
        ticket: str,
        screen: Callable[[], ConsoleScreen] | None = None,
        timeout: float = ATTACH_TIMEOUT,
    ) -> None:
        self.vm_id = vm_id
        self._screen = screen
        self._events: queue.Queue[console_pb2.ConsoleInput | None] = queue.Queue()
        self._output: queue.Queue[bytes | BaseException | None] = queue.Queue()
        self._pending = b""
        self.closed = False
        first = console_pb2.ConsoleInput(ticket=ticket, vm_id=vm_id)

        def requests() -> Iterator[console_pb2.ConsoleInput]:
            yield first
            while (event := self._events.get()) is not None:
                yield event

        self._call = stub.Attach(requests(), metadata=[(REQUEST_ID_KEY, new_request_id())])
        self._reader = threading.Thread(target=self._read, name=f"console-{vm_id}", daemon=True)
        self._reader.start()
        try:
            self._pending = self._next(timeout)  # the repaint: the ticket was good
        except BaseException:
            self.close()
            raise

    def _read(self) -> None:
        try:
            for output in self._call:
                self._output.put(output.data)
            self._output.put(None)
        except grpc.RpcError as error:
            if error.code() == grpc.StatusCode.CANCELLED:
                self._output.put(None)
            else:
                self._output.put(fault_from_rpc_error(error))

    def _next(self, timeout: float | None) -> bytes:
        """The next chunk; EOFError once the console stream ended; TimeoutError after timeout."""
        try:
            item = self._output.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError(f"no console output within {timeout}s") from None
        if item is None:
            self._output.put(None)
            raise EOFError("the console stream ended")
        if isinstance(item, BaseException):
            self._output.put(None)
            raise item
        return item

    def send(self, keys: str | bytes) -> None:
        """Keys to the guest, as a terminal sends them ("\\r" Enter, "\\x7f" backspace, "\\x03" Ctrl-C)."""
        if self.closed:
            raise faults.InvalidState("closed", "the console is closed")
        data = keys.encode() if isinstance(keys, str) else keys
        for start in range(0, len(data), KEYS_MESSAGE_BYTES):  # a paste of any size, in small messages
            self._events.put(console_pb2.ConsoleInput(keys=data[start : start + KEYS_MESSAGE_BYTES]))

    def mouse(self, row: int, col: int, button: int = 0, pressed: bool = True) -> None:
        """A mouse event on a cell (0-based; button 0 left, 1 middle, 2 right, 64/65 wheel); the guest
        gets it as an xterm mouse report if it asked for them."""
        if self.closed:
            raise faults.InvalidState("closed", "the console is closed")
        event = console_pb2.MouseEvent(row=row, col=col, button=button, pressed=pressed)
        self._events.put(console_pb2.ConsoleInput(mouse=event))

    def click(self, row: int, col: int, button: int = 0) -> None:
        """Press and release a mouse button on a cell."""
        self.mouse(row, col, button, True)
        self.mouse(row, col, button, False)

    def __iter__(self) -> Iterator[bytes]:
        if self._pending:
            pending, self._pending = self._pending, b""
            yield pending
        while True:
            try:
                yield self._next(None)
            except EOFError:
                return

    def read(self, timeout: float | None = None) -> bytes:
        """The next chunk of output (waiting up to timeout)."""
        if self._pending:
            pending, self._pending = self._pending, b""
            return pending
        return self._next(timeout)

    def read_until(self, expected: bytes | str, timeout: float = 30.0) -> bytes:
        """Output up to and including ``expected``; TimeoutError when it does not come in time."""
        wanted = expected.encode() if isinstance(expected, str) else expected
        deadline = time.monotonic() + timeout
        seen = b""
        while wanted not in seen:
            seen += self.read(max(0.0, deadline - time.monotonic()))
        end = seen.index(wanted) + len(wanted)
        self._pending = seen[end:]
        return seen[:end]

    def screen_text(self) -> list[str]:
        """The rows the VM's screen shows now (needs the SDK client the console came from)."""
        if self._screen is None:
            raise faults.InvalidState("no_session", "a console attached from a URL has no session")
        return self._screen().rows

    def close(self) -> None:
        """Detach (the host forgets this viewer at once): say we are done sending, and the host ends
        the stream; cancel it only if it does not end within ``DETACH_TIMEOUT`` (a cancelled call
        costs the host native memory, grpc/grpc#43360)."""
        if not self.closed:
            self.closed = True
            self._events.put(None)
            self._reader.join(timeout=DETACH_TIMEOUT)
            if self._reader.is_alive():
                self._call.cancel()
                self._reader.join(timeout=10)

    def __enter__(self) -> Console:
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()


def attach_url(
    url: str, timeout: float = ATTACH_TIMEOUT, trust: Trust | None = None
) -> tuple[Console, grpc.Channel]:
    """Attach to a console from its ticket URL alone (no login: the ticket authenticates); the host's
    certificate is trusted as ``clients.tls`` says (pinned on first use by default)."""
    server, vm_id, ticket = parse_url(url)
    channel = secure_channel(server, trust, timeout)
    try:
        console = Console(console_pb2_grpc.ConsoleServiceStub(channel), vm_id, ticket, timeout=timeout)
    except BaseException:
        channel.close()
        raise
    return console, channel


class ConsoleCalls:
    """The console calls of ``clients.sdk.Client``."""

    _console: console_pb2_grpc.ConsoleServiceStub
    _call: Callable[..., Any]

    def acquire_ticket(self, vm_id: str) -> ConsoleTicket:
        """A webmks console ticket for a powered-on VM (InvalidPowerState otherwise)."""
        m = self._call(self._console.AcquireTicket, console_pb2.AcquireTicketRequest(vm_id=vm_id))
        return ConsoleTicket(m.ticket, m.host, m.port, m.url, m.expires_at.ToDatetime(tzinfo=dt.UTC), m.vm_id)

    def console(self, vm_id: str, ticket: str = "", timeout: float = ATTACH_TIMEOUT) -> Console:
        """Attach to the VM's console (with a new ticket unless one is given)."""
        ticket = ticket or self.acquire_ticket(vm_id).ticket
        return Console(self._console, vm_id, ticket, lambda: self.screen(vm_id), timeout)

    def screen(self, vm_id: str) -> ConsoleScreen:
        """What the VM's screen shows now, and how many viewers watch it."""
        m = self._call(self._console.GetScreen, console_pb2.GetScreenRequest(vm_id=vm_id))
        return ConsoleScreen(list(m.rows), m.cursor_row, m.cursor_col, m.viewers)

    def create_screenshot_task(self, vm_id: str) -> task_pb2.Task:
        task: task_pb2.Task = self._call(
            self._console.CreateScreenshot, console_pb2.CreateScreenshotRequest(vm_id=vm_id)
        )
        return task

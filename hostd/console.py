"""The remote console in hostd: console tickets, the proxied console stream, screenshots.

A ticket (vSphere's ``AcquireTicket("webmks")``) is single use, redeemable for ``TICKET_SECONDS``,
bound to one VM and to the session that asked for it: an expired, reused, other-VM ticket or one
whose session has logged out is NotAuthenticated. ``Attach`` redeems it from the stream's first
message and then proxies the stream to the VM's vmx; when either side goes, both calls end.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import TypeAlias

import grpc

from hostd.convert import task_to_proto, timestamp
from hostd.power import PowerOps
from hostd.sessions import SessionManager, current_session
from hostd.tasks import Task
from hostd.vms import POWERED_ON, VmManager, VmRecord
from pyesx import faults
from pyesx.api.v1 import console_pb2, console_pb2_grpc, task_pb2
from pyesx.logs import get_logger
from pyesx.rpc.channel import call
from pyesx.rpc.faultwire import fault_from_rpc_error
from pyesx.vmx.v1 import vmx_pb2, vmx_pb2_grpc

Ctx: TypeAlias = grpc.aio.ServicerContext
TICKET_SECONDS = 30.0
TICKET_TYPES = ("webmks",)
URL_SCHEME = "pyesx+console"
_log = get_logger("console")


@dataclass(frozen=True)
class Ticket:
    ticket: str
    vm_id: str
    session_key: str
    deadline: float  # on the book's clock
    expires_at: float  # wall time, for clients


class TicketBook:
    """Outstanding console tickets. ``clock`` (monotonic seconds) is injectable for tests."""

    def __init__(
        self,
        is_live: Callable[[str], bool],
        clock: Callable[[], float] = time.monotonic,
        lifetime: float = TICKET_SECONDS,
    ) -> None:
        self.is_live, self.clock, self.lifetime = is_live, clock, lifetime
        self._tickets: dict[str, Ticket] = {}

    def __len__(self) -> int:
        return len(self._tickets)

    def issue(self, vm_id: str, session_key: str) -> Ticket:
        now = self.clock()
        for key in [k for k, t in self._tickets.items() if t.deadline <= now]:
            del self._tickets[key]
        ticket = Ticket(
            secrets.token_urlsafe(24), vm_id, session_key, now + self.lifetime, time.time() + self.lifetime
        )
        self._tickets[ticket.ticket] = ticket
        return ticket

    def redeem(self, ticket: str, vm_id: str) -> Ticket:
        """Use a ticket up (whatever the outcome): the ticket if it is good for vm_id now."""
        found = self._tickets.pop(ticket, None)
        if found is None:
            raise faults.NotAuthenticated("invalid_ticket", "The console ticket is unknown or used already.")
        if found.deadline <= self.clock():
            raise faults.NotAuthenticated("ticket_expired", "The console ticket has expired.")
        if found.vm_id != vm_id:
            raise faults.NotAuthenticated("wrong_vm", f"The console ticket is not for {vm_id}.")
        if not self.is_live(found.session_key):
            raise faults.NotAuthenticated("session_gone", "The session that acquired the ticket has ended.")
        return found


def _forward(message: console_pb2.ConsoleInput) -> vmx_pb2.ConsoleKeys | None:
    """A client's input as the vmx takes it (None: nothing to send)."""
    if message.HasField("mouse"):
        return vmx_pb2.ConsoleKeys(keys=message.keys, mouse=message.mouse)
    return vmx_pb2.ConsoleKeys(keys=message.keys) if message.keys else None


def screenshot_name(vm: VmRecord) -> str:
    """The next free ``<vm>-<n>.png`` in the VM's folder."""
    pattern = re.compile(rf"{re.escape(vm.name)}-(\d+)\.png")
    taken = [int(m.group(1)) for p in vm.folder.iterdir() if (m := pattern.fullmatch(p.name))]
    return f"{vm.name}-{max(taken, default=0) + 1}.png"


class ConsoleServicer(console_pb2_grpc.ConsoleServiceServicer):
    """ConsoleService: tickets, the console stream, screenshots, the screen's text."""

    def __init__(
        self, vms: VmManager, power: PowerOps, sessions: SessionManager, book: TicketBook | None = None
    ) -> None:
        self.vms, self.power = vms, power
        self.book = book or TicketBook(sessions.is_live)
        self.address = ""  # hostd's public HOST:PORT, set once the server listens

    def _running(self, vm_id: str) -> tuple[VmRecord, vmx_pb2_grpc.VmxStub]:
        vm = self.vms.get(vm_id)
        self.vms.require(vm, POWERED_ON, requested=POWERED_ON)
        return vm, self.power.vmx.stub(vm)

    async def AcquireTicket(
        self, request: console_pb2.AcquireTicketRequest, context: Ctx
    ) -> console_pb2.VirtualMachineTicket:
        ticket_type = request.ticket_type or "webmks"
        if ticket_type not in TICKET_TYPES:
            raise faults.InvalidArgument("ticketType", f"'{ticket_type}' is not one of {TICKET_TYPES}")
        vm, _ = self._running(request.vm_id)
        session = current_session.get()
        assert session is not None  # the gate refused the call otherwise
        ticket = self.book.issue(vm.id, session.key)
        host, _, port = self.address.rpartition(":")
        return console_pb2.VirtualMachineTicket(
            ticket=ticket.ticket,
            host=host,
            port=int(port or 0),
            url=f"{URL_SCHEME}://{self.address}/{vm.id}?ticket={ticket.ticket}",
            expires_at=timestamp(ticket.expires_at),
            vm_id=vm.id,
            ticket_type=ticket_type,
        )

    async def Attach(
        self, request_iterator: AsyncIterator[console_pb2.ConsoleInput], context: Ctx
    ) -> AsyncIterator[console_pb2.ConsoleOutput]:
        try:  # a caller that never names its ticket is not kept waiting for longer than one lives
            first = await asyncio.wait_for(anext(aiter(request_iterator)), self.book.lifetime)
        except (StopAsyncIteration, TimeoutError):
            raise faults.NotAuthenticated("no_ticket", "The console stream named no ticket.") from None
        self.book.redeem(first.ticket, first.vm_id)
        vm, stub = self._running(first.vm_id)

        async def keys() -> AsyncIterator[vmx_pb2.ConsoleKeys]:
            if forwarded := _forward(first):
                yield forwarded
            async for message in request_iterator:
                if forwarded := _forward(message):
                    yield forwarded

        stream = stub.AttachConsole(keys())
        _log.info("console.attached", vm_id=vm.id)
        try:
            async for output in stream:
                yield console_pb2.ConsoleOutput(data=output.data, repaint=output.repaint)
        except grpc.RpcError as error:
            if error.code() not in (grpc.StatusCode.CANCELLED, grpc.StatusCode.UNAVAILABLE):
                raise fault_from_rpc_error(error) from None
        finally:
            stream.cancel()
            _log.info("console.detached", vm_id=vm.id)

    async def CreateScreenshot(
        self, request: console_pb2.CreateScreenshotRequest, context: Ctx
    ) -> task_pb2.Task:
        vm, _ = self._running(request.vm_id)

        async def work(task: Task) -> None:
            _, stub = self._running(vm.id)
            path = vm.folder / screenshot_name(vm)
            await call(stub.Screenshot, vmx_pb2.ScreenshotRequest(path=str(path)))
            task.result = self.vms.datastore_path(path)

        return task_to_proto(self.vms.submit("VirtualMachine.createScreenshot", vm, work))

    async def GetScreen(
        self, request: console_pb2.GetScreenRequest, context: Ctx
    ) -> console_pb2.ConsoleScreen:
        _, stub = self._running(request.vm_id)
        shown = await call(stub.ConsoleText, vmx_pb2.ConsoleTextRequest())
        return console_pb2.ConsoleScreen(
            rows=shown.rows,
            cursor_row=shown.cursor_row,
            cursor_col=shown.cursor_col,
            viewers=shown.viewers,
            columns=shown.columns,
        )


__all__ = ["ConsoleServicer", "Ticket", "TicketBook", "screenshot_name"]

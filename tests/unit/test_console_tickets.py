"""Console tickets: single use, 30 s, one VM, a live session; and the ticket URL."""

from __future__ import annotations

import pytest

from clients.console import parse_url
from hostd.console import TICKET_SECONDS, TicketBook
from pyesx import faults


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _book(live: set[str] | None = None) -> tuple[TicketBook, Clock]:
    clock = Clock()
    sessions = {"s1"} if live is None else live
    return TicketBook(lambda key: key in sessions, clock), clock


def test_a_ticket_is_good_once_for_its_vm() -> None:
    book, _ = _book()
    ticket = book.issue("vm-1", "s1")
    assert book.redeem(ticket.ticket, "vm-1").session_key == "s1"
    with pytest.raises(faults.NotAuthenticated):
        book.redeem(ticket.ticket, "vm-1")


def test_a_ticket_expires_after_30_seconds() -> None:
    book, clock = _book()
    early, late = book.issue("vm-1", "s1"), book.issue("vm-1", "s1")
    clock.now += TICKET_SECONDS - 0.001
    book.redeem(early.ticket, "vm-1")
    clock.now += 0.001
    with pytest.raises(faults.NotAuthenticated, match="expired"):
        book.redeem(late.ticket, "vm-1")


def test_another_vms_ticket_is_refused_and_used_up() -> None:
    book, _ = _book()
    ticket = book.issue("vm-1", "s1")
    with pytest.raises(faults.NotAuthenticated):
        book.redeem(ticket.ticket, "vm-2")
    with pytest.raises(faults.NotAuthenticated):
        book.redeem(ticket.ticket, "vm-1")


def test_a_logged_out_sessions_ticket_is_refused() -> None:
    live = {"s1"}
    book, _ = _book(live)
    ticket = book.issue("vm-1", "s1")
    live.clear()
    with pytest.raises(faults.NotAuthenticated, match="session"):
        book.redeem(ticket.ticket, "vm-1")


def test_unknown_tickets_are_refused_and_expired_ones_purged() -> None:
    book, clock = _book()
    with pytest.raises(faults.NotAuthenticated):
        book.redeem("forged", "vm-1")
    for _ in range(5):
        book.issue("vm-1", "s1")
    clock.now += TICKET_SECONDS
    book.issue("vm-1", "s1")
    assert len(book) == 1


def test_ticket_urls() -> None:
    assert parse_url("pyesx+console://127.0.0.1:8443/vm-3?ticket=abc") == ("127.0.0.1:8443", "vm-3", "abc")
    for bad in ("http://h:1/vm-1?ticket=a", "pyesx+console://h:1/vm-1", "pyesx+console://h:1/?ticket=a"):
        with pytest.raises(faults.InvalidArgument):
            parse_url(bad)

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command

from kefu.core.clock import Job, PassResult, load_jobs, run_pass
from kefu.tests.factories import TicketFactory
from kefu.tickets.choices import EventKind, TicketStatus
from kefu.tickets.models import Ticket, TicketEvent
from kefu.tickets.services import ticket_auto_close, ticket_change_status

pytestmark = pytest.mark.django_db

RESOLVED_AT = datetime(2026, 11, 2, 3, 0, tzinfo=UTC)


@pytest.fixture
def resolved(agent_alice, settings):
    """A ticket alice resolved at RESOLVED_AT; it is due to auto-close 7 days later."""
    settings.KEFU_AUTO_CLOSE_DAYS = 7

    def make(title: str = "宽带无法上网") -> Ticket:
        with time_machine.travel(RESOLVED_AT - timedelta(hours=1), tick=False):
            ticket = TicketFactory(actor=agent_alice, title=title, assignee=agent_alice)
        with time_machine.travel(RESOLVED_AT, tick=False):
            ticket_change_status(actor=agent_alice, number=ticket.number, status=TicketStatus.RESOLVED)
        ticket.refresh_from_db()
        assert ticket.auto_close_due_at == RESOLVED_AT + timedelta(days=7)
        return ticket

    return make


def auto_close_job() -> Job:
    return next(j for j in load_jobs() if j.name == "ticket_auto_close")


def close_pass(**kwargs) -> PassResult:
    """A pass of the auto-close job alone, so other apps' jobs do not change the counts."""
    return run_pass(job_list=[auto_close_job()], **kwargs)


def auto_closed_events(ticket: Ticket) -> int:
    return TicketEvent.objects.filter(ticket=ticket, kind=EventKind.AUTO_CLOSED).count()


def test_auto_close_job_is_registered():
    job = auto_close_job()
    assert job.model is Ticket
    assert job.due_field == "auto_close_due_at"


def test_a_full_pass_runs_the_auto_close_job(resolved):
    ticket = resolved()
    result = run_pass(now=RESOLVED_AT + timedelta(days=7, seconds=1))
    assert result.by_job.get("ticket_auto_close") == 1
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.CLOSED


def test_resolved_ticket_past_due_closes_exactly_once(resolved):
    ticket = resolved()
    at = RESOLVED_AT + timedelta(days=7, minutes=1)
    first = close_pass(now=at)
    second = close_pass(now=at + timedelta(seconds=2))  # a second clock process, right after
    assert (first.handled, second.handled, second.seen) == (1, 0, 0)
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.CLOSED
    assert ticket.closed_at == at
    assert ticket.auto_close_due_at is None
    assert auto_closed_events(ticket) == 1


def test_a_clock_that_read_the_row_before_another_claimed_it_does_nothing(resolved):
    ticket = resolved()
    at = RESOLVED_AT + timedelta(days=8)
    job = auto_close_job()
    stale_rows = job.due_rows(at)  # process A reads the due rows ...
    assert stale_rows == [(ticket.pk, ticket.auto_close_due_at)]
    assert ticket_auto_close(ticket_id=ticket.pk, due_at=ticket.auto_close_due_at, now=at)  # ... B claims first
    (pk, due_at), = stale_rows
    assert job.handle(pk, due_at, at) is False  # A's claim finds nothing to update
    assert close_pass(now=at).seen == 0
    assert auto_closed_events(ticket) == 1


def test_not_closed_before_due(resolved):
    ticket = resolved()
    result = close_pass(now=RESOLVED_AT + timedelta(days=6, hours=23, minutes=59))
    assert result.seen == 0
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.RESOLVED


def test_reopened_ticket_is_not_closed(resolved, agent_alice):
    ticket = resolved()
    job = auto_close_job()
    at = RESOLVED_AT + timedelta(days=7, hours=1)
    stale_rows = job.due_rows(at)  # read before the reopen lands
    with time_machine.travel(RESOLVED_AT + timedelta(days=2), tick=False):
        ticket_change_status(actor=agent_alice, number=ticket.number, status=TicketStatus.IN_PROGRESS)
    (pk, due_at), = stale_rows
    assert job.handle(pk, due_at, at) is False
    assert close_pass(now=at).seen == 0
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.IN_PROGRESS
    assert auto_closed_events(ticket) == 0


def test_an_exception_in_one_row_does_not_stop_the_pass(resolved, caplog):
    bad, good = resolved("坏的一行"), resolved("好的一行")
    real = auto_close_job()

    def handle(pk: int, due_at: datetime, now: datetime) -> bool:
        if pk == bad.pk:
            raise RuntimeError("boom")
        return real.handle(pk, due_at, now)

    flaky = Job(name="flaky_auto_close", model=Ticket, due_field="auto_close_due_at", handle=handle,
                retry_after=timedelta(minutes=5))
    at = RESOLVED_AT + timedelta(days=7, minutes=1)
    result = run_pass(job_list=[flaky], now=at)
    assert (result.handled, result.failed) == (1, 1)
    assert "flaky_auto_close failed on row" in caplog.text
    good.refresh_from_db()
    bad.refresh_from_db()
    assert good.status == TicketStatus.CLOSED
    # The failing row was pushed forward: the next pass does not spin on it ...
    assert bad.status == TicketStatus.RESOLVED
    assert bad.auto_close_due_at == at + timedelta(minutes=5)
    assert run_pass(job_list=[flaky], now=at + timedelta(seconds=2)).seen == 0
    # ... and once it works again, the real job closes it at its new time.
    assert close_pass(now=at + timedelta(minutes=6)).handled == 1
    bad.refresh_from_db()
    assert bad.status == TicketStatus.CLOSED


def test_stop_is_honoured_between_rows(resolved):
    resolved()
    resolved()
    stop = threading.Event()
    calls: list[int] = []
    real = auto_close_job()

    def handle(pk: int, due_at: datetime, now: datetime) -> bool:
        calls.append(pk)
        stop.set()  # SIGTERM arrives while the first row is being handled
        return real.handle(pk, due_at, now)

    job = Job(name="stopping", model=Ticket, due_field="auto_close_due_at", handle=handle)
    result = run_pass(job_list=[job], now=RESOLVED_AT + timedelta(days=8), stop=stop)
    assert len(calls) == 1
    assert result.handled == 1
    assert Ticket.objects.filter(status=TicketStatus.RESOLVED).count() == 1


def test_clock_command_once(resolved):
    ticket = resolved()
    out = StringIO()
    with time_machine.travel(RESOLVED_AT + timedelta(days=7, seconds=1), tick=False):
        call_command("clock", "--once", stdout=out)
        call_command("clock", "--once", stdout=out)
    assert "1 handled" in out.getvalue()
    assert "0 handled" in out.getvalue()
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.CLOSED

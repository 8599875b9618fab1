"""Closing a complaint needs the customer's callback confirmation (回访确认), or a team lead's
override with a reason: the in-transaction reaction, the override service, the ticket card, the API."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kefu.complaints import closure
from kefu.complaints.models import ClosureOverride
from kefu.complaints.tests.test_pages_api import call
from kefu.conftest import login
from kefu.core.clock import load_jobs, run_pass
from kefu.core.errors import DomainError
from kefu.surveys.models import CallbackPlan
from kefu.surveys.services import callback_plan_schedule, callback_record_result
from kefu.tests.factories import TicketFactory
from kefu.tickets.choices import EventKind, TicketKind, TicketStatus
from kefu.tickets.models import Ticket, TicketEvent
from kefu.tickets.services import ticket_auto_close, ticket_change_status, ticket_merge

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan(db) -> CallbackPlan:
    # Triggered explicitly (no matchers): the complaint team's confirmation call.
    return CallbackPlan.objects.create(name="投诉回访", code="complaint", offsets_days=[0])


def _resolved_complaint(actor, customer) -> Ticket:
    ticket = TicketFactory(actor=actor, kind=TicketKind.COMPLAINT, title="宽带又断了", customer=customer)
    return ticket_change_status(actor=actor, number=ticket.number, status=TicketStatus.RESOLVED)


def _callback(actor, ticket: Ticket, plan: CallbackPlan, outcome: str, repaired: bool | None = None):
    (cb,) = callback_plan_schedule(actor=actor, plan_code=plan.code, ticket_number=ticket.number)
    return callback_record_result(actor=actor, callback_id=cb.pk, outcome=outcome, repaired=repaired)


def test_a_complaint_does_not_close_before_the_callback_confirms_it(
    agent_alice, manager_mike, customer_wang, plan
):
    ticket = _resolved_complaint(agent_alice, customer_wang)
    with pytest.raises(DomainError) as refused:
        ticket_change_status(actor=agent_alice, number=ticket.number, status=TicketStatus.CLOSED)
    assert (refused.value.code, refused.value.status) == ("complaint_closure_unconfirmed", 409)
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.RESOLVED  # rolled back, no close event
    assert not TicketEvent.objects.filter(ticket=ticket, data__to=TicketStatus.CLOSED).exists()

    # Not reached (the callback stays open) and reached-but-not-repaired do not confirm.
    (cb,) = callback_plan_schedule(actor=manager_mike, plan_code=plan.code, ticket_number=ticket.number)
    callback_record_result(actor=manager_mike, callback_id=cb.pk, outcome="not_reached")
    assert closure.confirmed_callback(ticket.pk) is None
    with pytest.raises(DomainError):
        ticket_change_status(actor=agent_alice, number=ticket.number, status=TicketStatus.CLOSED)

    callback_record_result(actor=manager_mike, callback_id=cb.pk, outcome="reached")
    assert closure.confirmed_callback(ticket.pk) == cb
    closed = ticket_change_status(actor=agent_alice, number=ticket.number, status=TicketStatus.CLOSED)
    assert closed.status == TicketStatus.CLOSED


def test_an_unrepaired_callback_does_not_confirm(agent_alice, manager_mike, customer_wang, plan):
    ticket = _resolved_complaint(agent_alice, customer_wang)
    cb = _callback(manager_mike, ticket, plan, "reached", repaired=False)
    assert cb.status == "done" and closure.confirmed_callback(ticket.pk) is None
    with pytest.raises(DomainError):
        ticket_change_status(actor=agent_alice, number=ticket.number, status=TicketStatus.CLOSED)


def test_other_tickets_close_freely_and_without_an_extra_statement(agent_alice):
    ticket = TicketFactory(actor=agent_alice, kind=TicketKind.INQUIRY, title="咨询资费")
    ticket_change_status(actor=agent_alice, number=ticket.number, status=TicketStatus.RESOLVED)
    with CaptureQueriesContext(connection) as q:
        ticket_change_status(actor=agent_alice, number=ticket.number, status=TicketStatus.CLOSED)
    assert not any("complaints_" in s["sql"] or "surveys_callback" in s["sql"] for s in q.captured_queries)


def test_the_auto_close_clock_leaves_an_unconfirmed_complaint_resolved(agent_alice, customer_wang):
    ticket = _resolved_complaint(agent_alice, customer_wang)
    due = Ticket.objects.values_list("auto_close_due_at", flat=True).get(pk=ticket.pk)
    assert due is not None
    # The clock's handler raises; the clock logs it and postpones the row (kefu.core.clock.run_pass).
    with pytest.raises(DomainError):
        ticket_auto_close(ticket_id=ticket.pk, due_at=due, now=due)
    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.RESOLVED


def test_the_clock_treats_the_refusal_as_expected_and_closes_after_the_confirmation(
    agent_alice, manager_mike, customer_wang, plan, caplog
):
    """The auto-close clock meets an unconfirmed complaint: a warning without a stack trace, counted
    as refused (not failed), the row pushed the job's `refused_after`; once the callback confirms,
    the next due pass closes it."""
    ticket = _resolved_complaint(agent_alice, customer_wang)
    due = Ticket.objects.values_list("auto_close_due_at", flat=True).get(pk=ticket.pk)
    job = next(j for j in load_jobs() if j.name == "ticket_auto_close")
    with caplog.at_level(logging.INFO, logger="kefu.clock"):
        result = run_pass(job_list=[job], now=due)
    assert (result.refused, result.failed, result.handled) == (1, 0, 0)
    refusals = [r for r in caplog.records if "refused" in r.getMessage()]
    assert len(refusals) == 1
    assert refusals[0].levelno == logging.WARNING and refusals[0].exc_info is None
    assert "complaint_closure_unconfirmed" in refusals[0].getMessage()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.RESOLVED
    assert ticket.auto_close_due_at == due + job.refused_after
    assert job.refused_after > job.retry_after

    # Not due again before refused_after: a pass 5 minutes later sees nothing.
    assert run_pass(job_list=[job], now=due + timedelta(minutes=5)).seen == 0

    _callback(manager_mike, ticket, plan, "reached", repaired=True)
    result = run_pass(job_list=[job], now=ticket.auto_close_due_at)
    assert (result.handled, result.refused) == (1, 0)
    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.CLOSED


def test_a_duplicate_complaint_closes_by_merge(agent_alice, lead_linda, customer_wang):
    first = TicketFactory(
        actor=agent_alice, kind=TicketKind.COMPLAINT, title="宽带断网", customer=customer_wang
    )
    dup = TicketFactory(
        actor=agent_alice, kind=TicketKind.COMPLAINT, title="宽带断网", customer=customer_wang
    )
    ticket_merge(actor=lead_linda, source_number=dup.number, target_number=first.number)
    assert Ticket.objects.get(pk=dup.pk).status == TicketStatus.CLOSED


def test_a_lead_overrides_with_a_reason(agent_alice, lead_linda, customer_wang):
    ticket = _resolved_complaint(agent_alice, customer_wang)
    with pytest.raises(DomainError) as not_lead:
        closure.complaint_close_override(actor=agent_alice, number=ticket.number, reason="客户失联")
    assert not_lead.value.status == 403
    with pytest.raises(DomainError) as empty:
        closure.complaint_close_override(actor=lead_linda, number=ticket.number, reason="  ")
    assert empty.value.code == "complaint_override_reason_required" and "reason" in empty.value.fields

    closed = closure.complaint_close_override(
        actor=lead_linda, number=ticket.number, reason="客户三次未接，短信已确认"
    )
    assert closed.status == TicketStatus.CLOSED
    row = ClosureOverride.objects.get(ticket=ticket)
    assert (row.actor, row.reason) == (lead_linda, "客户三次未接，短信已确认")
    event = TicketEvent.objects.filter(ticket=ticket, kind=EventKind.STATUS_CHANGED, data__to="closed").get()
    assert event.actor == lead_linda and "客户三次未接" in event.data["comment"]
    with pytest.raises(DomainError) as again:
        closure.complaint_close_override(actor=lead_linda, number=ticket.number, reason="再次")
    assert again.value.code == "complaint_already_closed"


def test_the_override_refuses_a_ticket_that_is_not_a_complaint(agent_alice, lead_linda):
    ticket = TicketFactory(actor=agent_alice, kind=TicketKind.INQUIRY, title="咨询")
    with pytest.raises(DomainError) as refused:
        closure.complaint_close_override(actor=lead_linda, number=ticket.number, reason="x")
    assert refused.value.code == "not_a_complaint"


def test_the_api_answers_409_and_the_override_operation_closes(
    client, agent_alice, lead_linda, customer_wang
):
    ticket = _resolved_complaint(agent_alice, customer_wang)
    r = call(client, "post", f"/api/v1/tickets/{ticket.number}/status", agent_alice, {"status": "closed"})
    assert r.status_code == 409 and r.json()["code"] == "complaint_closure_unconfirmed"
    url = f"/api/v1/complaints/tickets/{ticket.number}/close-override"
    r = call(client, "post", url, agent_alice, {"reason": "x"})
    assert r.status_code == 403
    r = call(client, "post", url, lead_linda, {"reason": ""})
    assert r.status_code == 400 and r.json()["code"] == "complaint_override_reason_required"
    r = call(client, "post", url, lead_linda, {"reason": "客户已在微信确认"})
    assert r.status_code == 200, r.content
    assert r.json() == {
        "number": ticket.number,
        "status": "closed",
        "confirmed_by_callback": False,
        "override_reason": "客户已在微信确认",
    }


def test_the_ticket_card_shows_the_state_and_the_override_form(
    client, agent_alice, lead_linda, customer_wang
):
    ticket = _resolved_complaint(agent_alice, customer_wang)
    page = login(client, agent_alice).get(f"/tickets/{ticket.number}/").content.decode()
    assert 'data-closure="awaiting"' in page and 'id="closure-override-form"' not in page
    page = login(client, lead_linda).get(f"/tickets/{ticket.number}/").content.decode()
    assert 'id="closure-override-form"' in page
    r = client.post(f"/complaints/tickets/{ticket.number}/close-override/", {"reason": "客户要求直接结单"})
    assert r.status_code == 302 and r["Location"] == f"/tickets/{ticket.number}/"
    page = client.get(f"/tickets/{ticket.number}/").content.decode()
    assert 'data-closure="overridden"' in page and "客户要求直接结单" in page
    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.CLOSED
    # Not a complaint: no card at all.
    other = TicketFactory(actor=agent_alice, kind=TicketKind.INQUIRY, title="咨询")
    assert "ticket-complaint-closure" not in client.get(f"/tickets/{other.number}/").content.decode()

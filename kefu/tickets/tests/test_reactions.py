"""The reaction registry itself: phases, explicit order, rollback, failure storage and retry."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from kefu.core.clock import run_pass
from kefu.tests.factories import TicketFactory
from kefu.tickets import reactions
from kefu.tickets.choices import TicketStatus
from kefu.tickets.models import ReactionFailure, Ticket, TicketEvent
from kefu.tickets.reactions import (
    Phase,
    ReactionFailed,
    TicketCreated,
    TicketFact,
    TicketMessageAdded,
    TicketStatusChanged,
    fact_from_json,
    fact_to_json,
    subscribe,
)
from kefu.tickets.services import TicketInput, ticket_add_message, ticket_change_status, ticket_create

pytestmark = pytest.mark.django_db(transaction=True)


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, int]] = []
        self.fail: set[str] = set()

    def handler(self, name: str):  # type: ignore[no-untyped-def]
        def run(fact: TicketFact) -> None:
            # What the handler saw: inside a transaction or not, at call time.
            in_tx = transaction.get_connection().in_atomic_block
            self.calls.append((name, type(fact).__name__, int(in_tx)))
            if name in self.fail:
                raise RuntimeError(f"{name} is down")

        return run


@pytest.fixture
def rec() -> Iterator[Recorder]:
    recorder = Recorder()
    names = []

    def sub(facts, name: str, phase: Phase, order: int, **kw) -> None:  # type: ignore[no-untyped-def]
        subscribe(facts, recorder.handler(name), phase=phase, name=name, order=order, **kw)
        names.append(name)

    recorder.sub = sub  # type: ignore[attr-defined]
    yield recorder
    for name in names:
        reactions.unsubscribe(name)


def _new(actor) -> Ticket:  # type: ignore[no-untyped-def]
    return ticket_create(actor=actor, data=TicketInput(title="宽带无法上网"))


def test_the_running_order_is_explicit_and_printed() -> None:
    out = StringIO()
    call_command("reactions", stdout=out)
    lines = [line.split()[:3] for line in out.getvalue().splitlines()[1:]]
    print(out.getvalue())  # the table docs/architecture.md shows
    assert lines == [
        ["in_transaction", "50", "complaints.closure_check"],
        ["in_transaction", "100", "sla.recompute"],
        ["in_transaction", "200", "surveys.complaint_to_archive"],
        ["in_transaction", "210", "surveys.schedule_survey"],
        ["in_transaction", "300", "dispatch.on_create"],
        ["in_transaction", "310", "dispatch.on_transfer"],
        ["after_commit", "300", "dispatch.drain_team"],
        ["after_commit", "320", "triage.on_create"],
        ["after_commit", "321", "triage.record_change"],
        ["after_commit", "400", "quality.capture_closed"],
        ["after_commit", "440", "realtime.queued"],
        ["after_commit", "450", "realtime.updated"],
        ["after_commit", "460", "channels.send_reply"],
        ["after_commit", "465", "channels.wechat_reply"],
        ["after_commit", "470", "channels.send_sms_reply"],
        ["after_commit", "500", "complaints.count"],
        ["after_commit", "510", "complaints.joint_task"],
        ["after_commit", "600", "appointments.follow_merge"],
        ["after_commit", "620", "points.award"],
        ["after_commit", "630", "operations.fault_downtime"],
        ["after_commit", "640", "care.survey_points"],
    ]


def test_an_order_taken_in_a_phase_is_refused(rec) -> None:
    with pytest.raises(ValueError, match="sla.recompute"):
        rec.sub(TicketCreated, "test.clash", Phase.IN_TRANSACTION, 100)


def test_phases_run_in_order_inside_and_after_the_transaction(rec, agent_alice) -> None:
    rec.sub(TicketCreated, "test.late", Phase.AFTER_COMMIT, 9001)
    rec.sub(TicketCreated, "test.second", Phase.IN_TRANSACTION, 9002)
    rec.sub(TicketCreated, "test.first", Phase.IN_TRANSACTION, 9001)
    rec.sub(TicketCreated, "test.task", Phase.TASK, 9001)
    _new(agent_alice)
    assert rec.calls == [
        ("test.first", "TicketCreated", 1),
        ("test.second", "TicketCreated", 1),
        ("test.late", "TicketCreated", 0),  # after commit: no transaction any more
        ("test.task", "TicketCreated", 0),  # the (immediate) task backend ran it after commit
    ]


def test_a_failing_in_transaction_reaction_rolls_the_change_back(rec, agent_alice) -> None:
    rec.sub(TicketCreated, "test.breaks", Phase.IN_TRANSACTION, 9001)
    rec.sub(TicketCreated, "test.never", Phase.AFTER_COMMIT, 9001)
    rec.fail.add("test.breaks")
    with pytest.raises(ReactionFailed) as caught:
        _new(agent_alice)
    assert caught.value.code == "reaction_failed" and caught.value.status == 503
    assert "test.breaks" in str(caught.value.message)
    assert Ticket.objects.count() == 0 and TicketEvent.objects.count() == 0
    assert [c[0] for c in rec.calls] == ["test.breaks"]  # after-commit work of a rolled-back change never runs


def test_a_failing_after_commit_reaction_keeps_the_change_and_is_retried(rec, agent_alice) -> None:
    rec.sub(TicketCreated, "test.flaky", Phase.AFTER_COMMIT, 9001)
    rec.sub(TicketCreated, "test.fine", Phase.AFTER_COMMIT, 9002)
    rec.fail.add("test.flaky")
    ticket = _new(agent_alice)
    assert Ticket.objects.filter(pk=ticket.pk).exists()
    assert [c[0] for c in rec.calls] == ["test.flaky", "test.fine"]  # one failure does not stop the next
    failure = ReactionFailure.objects.get()
    assert (failure.reaction, failure.ticket_number, failure.attempts) == ("test.flaky", ticket.number, 1)
    assert "test.flaky is down" in failure.error and failure.next_attempt_at is not None

    out = StringIO()
    call_command("reactions", "--failed", stdout=out)
    assert ticket.number in out.getvalue() and "test.flaky" in out.getvalue()

    # Not due yet: the clock leaves it alone.
    run_pass(now=timezone.now())
    assert ReactionFailure.objects.get().attempts == 1
    # Due, still failing: attempts go up, the next attempt moves further out.
    run_pass(now=failure.next_attempt_at + timedelta(seconds=1))
    again = ReactionFailure.objects.get()
    assert again.attempts == 2 and again.next_attempt_at > failure.next_attempt_at and again.resolved_at is None
    # Due, working again: resolved, with the ticket's fact rebuilt from what was stored.
    rec.fail.clear()
    rec.calls.clear()
    run_pass(now=again.next_attempt_at + timedelta(seconds=1))
    done = ReactionFailure.objects.get()
    assert done.resolved_at is not None and done.next_attempt_at is None
    assert rec.calls == [("test.flaky", "TicketCreated", 1)]


def test_a_failing_task_reaction_is_stored_too(rec, agent_alice) -> None:
    rec.sub(TicketCreated, "test.task_breaks", Phase.TASK, 9001)
    rec.fail.add("test.task_breaks")
    ticket = _new(agent_alice)
    assert ReactionFailure.objects.get().ticket_number == ticket.number
    rec.fail.clear()
    out = StringIO()
    call_command("reactions", "--retry", stdout=out)
    assert "1 succeeded" in out.getvalue()
    assert ReactionFailure.objects.get().resolved_at is not None


def test_once_per_ticket_runs_once_for_a_reply_that_also_moves_the_status(rec, agent_alice) -> None:
    rec.sub((TicketMessageAdded, TicketStatusChanged), "test.once", Phase.IN_TRANSACTION, 9001, once_per_ticket=True)
    rec.sub((TicketMessageAdded, TicketStatusChanged), "test.each", Phase.IN_TRANSACTION, 9002)
    ticket = TicketFactory(actor=agent_alice, assignee=agent_alice)
    rec.calls.clear()
    ticket_add_message(actor=agent_alice, number=ticket.number, kind="reply", body="您好", status=TicketStatus.PENDING_CUSTOMER)
    once = [c for c in rec.calls if c[0] == "test.once"]
    each = [c[1] for c in rec.calls if c[0] == "test.each"]
    assert len(once) == 1 and once[0][1] == "TicketStatusChanged"  # the batch's last fact
    assert each == ["TicketMessageAdded", "TicketStatusChanged", "TicketStatusChanged"]  # reply → in progress → pending


def test_facts_carry_from_and_to_and_survive_storage(agent_alice) -> None:
    seen: list[TicketFact] = []
    subscribe(TicketStatusChanged, seen.append, phase=Phase.IN_TRANSACTION, name="test.status", order=9001)
    try:
        ticket = TicketFactory(actor=agent_alice, assignee=agent_alice)
        ticket_change_status(actor=agent_alice, number=ticket.number, status=TicketStatus.IN_PROGRESS)
    finally:
        reactions.unsubscribe("test.status")
    fact = seen[-1]
    assert isinstance(fact, TicketStatusChanged)
    assert (fact.from_status, fact.to_status, fact.actor_id) == (TicketStatus.ASSIGNED, TicketStatus.IN_PROGRESS, agent_alice.pk)
    assert fact.ticket.number == ticket.number and fact.ticket.assignee_id == agent_alice.pk
    assert fact.instance is not None and fact.instance.pk == ticket.pk
    back = fact_from_json(fact_to_json(fact))
    assert back == fact and back.instance is None  # equal but for the live row, which is not stored

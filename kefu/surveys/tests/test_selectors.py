from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from kefu.surveys.choices import CallbackOutcome, CallbackSource, CallbackStatus, SurveyStatus
from kefu.surveys.models import Callback, Survey, SurveyTemplate
from kefu.surveys.selectors import callback_queue, metrics_total, survey_metrics
from kefu.tests.factories import TicketFactory


def _survey(ticket, agent, *, csat=None, nps=None, answered=True, low=False, sent_at=None):
    now = timezone.now()
    return Survey.objects.create(
        ticket=ticket, customer=ticket.customer, template=SurveyTemplate.objects.get(is_default=True),
        agent=agent, team=agent.team, category=ticket.category, created_at=now, sent_at=sent_at or now,
        status=SurveyStatus.ANSWERED if answered else SurveyStatus.SENT, csat=csat, nps=nps, is_low=low,
    )


def _callback(ticket, assignee, *, late=False, repaired=None, outcome=CallbackOutcome.REACHED, status=CallbackStatus.DONE):
    now = timezone.now()
    due = now - timedelta(hours=1) if late else now + timedelta(hours=1)
    return Callback.objects.create(
        source=CallbackSource.LOW_SCORE, customer=ticket.customer, ticket=ticket, assignee=assignee, team=assignee.team,
        due_at=due, first_due_at=due, created_at=now - timedelta(hours=2), completed_at=now, status=status,
        outcome=outcome, repaired=repaired,
    )


def test_metrics_by_agent_csat_nps_response_on_time_repaired(
    agent_alice, teammate_bob, outsider_charlie, manager_mike, customer_wang, django_assert_num_queries
):
    t = TicketFactory(actor=agent_alice, customer=customer_wang)
    # alice: 4 sent, 3 answered; CSAT 5,4,2 -> 2/3 = 66.7%; NPS 10,9,3 -> (2-1)/3 = 33.3
    _survey(t, agent_alice, csat=5, nps=10)
    _survey(t, agent_alice, csat=4, nps=9)
    _survey(t, agent_alice, csat=2, nps=3, low=True)
    _survey(t, agent_alice, answered=False)
    # bob: 1 answered, CSAT 3, NPS 7 -> 0%, NPS 0
    _survey(t, teammate_bob, csat=3, nps=7)
    # outside the period: not counted
    _survey(t, teammate_bob, csat=1, nps=0, sent_at=timezone.now() - timedelta(days=90))
    # callbacks: alice did 2 (one on time and repaired, one late not repaired), 1 unreached failure
    _callback(t, agent_alice, repaired=True)
    _callback(t, agent_alice, late=True, repaired=False)
    _callback(t, agent_alice, outcome=CallbackOutcome.NOT_REACHED, status=CallbackStatus.FAILED)
    start, end = timezone.now() - timedelta(days=30), timezone.now() + timedelta(minutes=1)
    with django_assert_num_queries(3):
        rows = survey_metrics(user=manager_mike, group="agent", start=start, end=end)
    by = {r.label: r for r in rows}
    a, b = by["艾丽丝"], by["鲍勃"]
    assert (a.sent, a.answered, a.response_rate) == (4, 3, 75.0)
    assert (a.csat, a.nps, a.low) == (66.7, 33.3, 1)
    assert (a.callbacks_closed, a.on_time_rate, a.repaired_rate) == (3, 66.7, 50.0)
    assert (b.csat, b.nps, b.response_rate) == (0.0, 0.0, 100.0)
    total = metrics_total(rows)
    assert (total.sent, total.answered, total.csat) == (5, 4, 50.0)
    # Scopes: an agent sees only their own row; an outsider nothing of this team.
    assert [r.label for r in survey_metrics(user=teammate_bob, group="agent", start=start, end=end)] == ["鲍勃"]
    assert survey_metrics(user=outsider_charlie, group="team", start=start, end=end) == []


def test_metrics_by_team_category_and_period(agent_alice, lead_linda, customer_wang, category_billing):
    t = TicketFactory(actor=agent_alice, customer=customer_wang, category=category_billing)
    _survey(t, agent_alice, csat=5, nps=10)
    start, end = timezone.now() - timedelta(days=1), timezone.now() + timedelta(minutes=1)
    assert [(r.label, r.csat) for r in survey_metrics(user=lead_linda, group="team", start=start, end=end)] == [("一线客服", 100.0)]
    assert [r.label for r in survey_metrics(user=lead_linda, group="category", start=start, end=end)] == ["账单"]
    month = timezone.localdate().strftime("%Y-%m")
    assert [r.label for r in survey_metrics(user=lead_linda, group="month", start=start, end=end)] == [month]
    assert len(survey_metrics(user=lead_linda, group="day", start=start, end=end)) == 1


def test_callback_queue_sorted_by_due_and_query_count(agent_alice, customer_wang, django_assert_num_queries):
    t = TicketFactory(actor=agent_alice, customer=customer_wang)
    now = timezone.now()
    for hours in (5, 1, 3):
        Callback.objects.create(
            source=CallbackSource.PLAN, customer=customer_wang, ticket=t, assignee=agent_alice,
            due_at=now + timedelta(hours=hours), first_due_at=now + timedelta(hours=hours), created_at=now,
        )
    with django_assert_num_queries(2):
        items = callback_queue(user=agent_alice)
        [list(c.customer.phones.all()) for c in items]
    assert [c.due_at for c in items] == sorted(c.due_at for c in items)

"""Counting, detection, warnings and their duties through the real services."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from kefu.complaints import services
from kefu.complaints.choices import CompensationState, WarningStatus
from kefu.complaints.models import (
    Compensation,
    Complaint,
    ComplaintCount,
    ComplaintWarning,
    IncidentTicket,
    WarningEvent,
)
from kefu.complaints.tests.conftest import complaints, history
from kefu.core.errors import DomainError
from kefu.tests.factories import TicketFactory
from kefu.tickets.choices import TicketKind, TicketStatus
from kefu.tickets.models import TicketEvent, TicketMessage


def test_a_complaint_is_counted_once_in_every_series_after_commit(
    agent_alice, broadband, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = TicketFactory(actor=agent_alice, kind=TicketKind.COMPLAINT, category=broadband)
        TicketFactory(actor=agent_alice, kind=TicketKind.INQUIRY, category=broadband)
    assert Complaint.objects.get().ticket == ticket
    series = set(ComplaintCount.objects.values_list("dimension", "key", "count"))
    parent_id = str(broadband.parent_id)
    assert series == {
        ("all", "", 1),
        ("channel", "phone", 1),
        ("team", str(agent_alice.team_id), 1),
        ("category", parent_id, 1),
        ("category", str(broadband.pk), 1),
    }
    # A retry of the reaction (or a rebuild) does not count it again.
    assert services.complaint_record(ticket_id=ticket.pk) is None
    assert ComplaintCount.objects.get(dimension="all").count == 1


def test_repeat_and_escalated_flags(
    agent_alice, broadband, customer_wang, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        TicketFactory(
            actor=agent_alice, kind=TicketKind.COMPLAINT, category=broadband, customer=customer_wang
        )
        TicketFactory(
            actor=agent_alice,
            kind=TicketKind.COMPLAINT,
            category=broadband,
            customer=customer_wang,
            title="再不解决就打12315",
        )
    first, second = Complaint.objects.order_by("pk")
    assert not first.is_repeat and not first.is_escalated
    assert second.is_repeat and second.is_escalated


def _spike(agent, category, capture, n=30):
    with capture(execute=True):
        return complaints(agent, category, n)


def test_a_spike_raises_a_red_warning_linking_its_tickets(
    defaults, agent_alice, broadband, django_capture_on_commit_callbacks
):
    history(broadband)
    tickets = _spike(agent_alice, broadband, django_capture_on_commit_callbacks)
    result = services.detector_evaluate(now=timezone.now())
    assert result.series >= 4 and result.days_learnt >= 60 * 4
    by_series = {(w.dimension, w.key): w for w in ComplaintWarning.objects.select_related("level")}
    w = by_series[("category", str(broadband.pk))]
    assert w.level.code == "red" and w.window == "hour" and w.status == WarningStatus.OPEN
    assert set(w.tickets.values_list("number", flat=True)) == {t.number for t in tickets}
    assert w.duty_due_at == w.raised_at + timedelta(minutes=w.level.ack_minutes)
    # Evaluating again does not raise a second warning on the same series.
    services.detector_evaluate(now=timezone.now())
    assert ComplaintWarning.objects.filter(dimension="category", key=str(broadband.pk)).count() == 1
    # A new complaint on the series while the warning is open is linked to it.
    with django_capture_on_commit_callbacks(execute=True):
        late = TicketFactory(actor=agent_alice, kind=TicketKind.COMPLAINT, category=broadband)
    assert w.tickets.filter(pk=late.pk).exists()


def test_an_ordinary_day_raises_nothing(defaults, agent_alice, broadband, django_capture_on_commit_callbacks):
    history(broadband)
    _spike(agent_alice, broadband, django_capture_on_commit_callbacks, n=1)
    services.detector_evaluate(now=timezone.now())
    assert not ComplaintWarning.objects.exists()


def test_the_clock_run_claims_once_and_schedules_the_next(defaults):
    from kefu.complaints.models import DetectorRun

    run = DetectorRun.objects.get()
    due = run.due_at
    assert services.detector_run(run_id=run.pk, due_at=due) is True
    assert services.detector_run(run_id=run.pk, due_at=due) is False  # another clock took it
    run.refresh_from_db()
    assert run.due_at > due and run.last_run_at is not None


@pytest.fixture
def red_warning(defaults, agent_alice, broadband, django_capture_on_commit_callbacks):
    history(broadband)
    _spike(agent_alice, broadband, django_capture_on_commit_callbacks)
    services.detector_evaluate(now=timezone.now())
    return ComplaintWarning.objects.get(dimension="category", key=str(broadband.pk))


def test_duties_move_the_deadline_and_close_needs_a_note(red_warning, lead_linda, agent_alice, manager_mike):
    with pytest.raises(DomainError) as exc:
        services.warning_acknowledge(actor=agent_alice, warning_id=red_warning.pk)
    assert exc.value.status == 403
    w = services.warning_acknowledge(actor=lead_linda, warning_id=red_warning.pk)
    assert w.status == WarningStatus.ACKNOWLEDGED
    assert w.duty_due_at == w.raised_at + timedelta(minutes=w.level.owner_minutes)
    with pytest.raises(DomainError) as exc:
        services.warning_acknowledge(actor=lead_linda, warning_id=red_warning.pk)
    assert exc.value.code == "warning_duty_done"
    w = services.warning_assign(actor=lead_linda, warning_id=w.pk, owner=manager_mike)
    assert w.duty_due_at == w.raised_at + timedelta(minutes=w.level.note_minutes)
    with pytest.raises(DomainError) as exc:
        services.warning_close(actor=lead_linda, warning_id=w.pk)
    assert exc.value.code == "warning_note_required"
    w = services.warning_note(actor=lead_linda, warning_id=w.pk, note="光缆被挖断，抢修中，预计18点恢复")
    assert w.duty_due_at is None
    w = services.warning_close(actor=lead_linda, warning_id=w.pk)
    assert w.status == WarningStatus.CLOSED
    with pytest.raises(DomainError) as exc:
        services.warning_note(actor=lead_linda, warning_id=w.pk, note="x")
    assert exc.value.status == 409


def test_an_unmet_duty_escalates_through_the_clock(
    red_warning, mailoutbox, manager_mike, django_capture_on_commit_callbacks
):
    manager_mike.email = "mike@example.com"
    manager_mike.save()
    due = red_warning.duty_due_at
    assert (
        services.warning_escalate(warning_id=red_warning.pk, due_at=due - timedelta(seconds=1)) is False
    )  # stale
    later = due + timedelta(minutes=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.warning_escalate(warning_id=red_warning.pk, due_at=due, now=later) is True
    red_warning.refresh_from_db()
    assert red_warning.escalations == 1 and red_warning.duty_due_at > later
    assert WarningEvent.objects.filter(warning=red_warning, kind="escalated").exists()
    assert any("mike@example.com" in m.to for m in mailoutbox) or red_warning.level.escalate_roles == [
        "admin"
    ]


def test_incident_from_warning_notify_and_bulk_resolve(red_warning, manager_mike, customer_wang):
    incident = services.incident_open(actor=manager_mike, title="宽带大面积故障", warning_id=red_warning.pk)
    linked = set(IncidentTicket.objects.filter(incident=incident).values_list("ticket_id", flat=True))
    assert linked == set(red_warning.tickets.values_list("pk", flat=True)) and len(linked) == 30
    assert incident.plan_due_at == incident.opened_at + timedelta(hours=48)
    number = red_warning.tickets.first().number
    with pytest.raises(DomainError) as exc:
        services.incident_link(actor=manager_mike, incident_id=incident.pk, numbers=[number])
    assert exc.value.code == "incident_already_linked" and exc.value.status == 409
    n = services.incident_notify(actor=manager_mike, incident_id=incident.pk, body="故障已定位，正在抢修")
    assert n == 30
    assert TicketMessage.objects.filter(body="故障已定位，正在抢修", kind="reply").count() == 30
    assert services.incident_resolve(actor=manager_mike, incident_id=incident.pk, comment="已恢复") == 30
    assert not red_warning.tickets.exclude(status=TicketStatus.RESOLVED).exists()
    assert TicketEvent.objects.filter(kind="status_changed", data__to="resolved").count() == 30
    with pytest.raises(DomainError) as exc:
        services.incident_resolve(actor=manager_mike, incident_id=incident.pk, comment="again")
    assert exc.value.code == "incident_resolved"


def test_plan_clock_marks_overdue(defaults, manager_mike):
    incident = services.incident_open(actor=manager_mike, title="断网")
    due = incident.plan_due_at
    assert services.incident_plan_overdue(incident_id=incident.pk, due_at=due, now=due) is True
    assert services.incident_plan_overdue(incident_id=incident.pk, due_at=due, now=due) is False
    incident.refresh_from_db()
    assert incident.plan_overdue and incident.events.filter(kind="plan_overdue").exists()


def test_compensation_limits_and_states(defaults, manager_mike, lead_linda, agent_alice, broadband):
    incident = services.incident_open(actor=manager_mike, title="断网")
    ticket = TicketFactory(actor=agent_alice, kind=TicketKind.COMPLAINT, category=broadband)
    big = services.compensation_propose(
        actor=lead_linda, incident_id=incident.pk, kind="credit", amount="500", ticket_number=ticket.number
    )
    with pytest.raises(DomainError) as exc:
        services.compensation_decide(actor=lead_linda, compensation_id=big.pk, approve=True)
    assert exc.value.code == "compensation_over_limit" and exc.value.status == 403
    assert (
        services.compensation_decide(actor=manager_mike, compensation_id=big.pk, approve=True).state
        == CompensationState.APPROVED
    )
    assert (
        services.compensation_pay(actor=manager_mike, compensation_id=big.pk).state == CompensationState.PAID
    )
    with pytest.raises(DomainError) as exc:
        services.compensation_pay(actor=manager_mike, compensation_id=big.pk)
    assert exc.value.code == "compensation_bad_state"
    with pytest.raises(DomainError) as exc:
        services.compensation_propose(actor=lead_linda, incident_id=incident.pk, kind="credit", amount="-3")
    assert exc.value.code == "compensation_bad_amount"
    small = services.compensation_propose(actor=lead_linda, incident_id=incident.pk, kind="gift", amount="50")
    assert (
        services.compensation_decide(actor=lead_linda, compensation_id=small.pk, approve=False).state
        == CompensationState.REFUSED
    )


@pytest.mark.django_db(transaction=True)
def test_concurrent_payments_pay_once(manager_mike):
    # Both threads read "approved"; the row lock (SQLite: the IMMEDIATE write lock) lets one pay.
    services.complaints_install_defaults()
    incident = services.incident_open(actor=manager_mike, title="断网")
    row = services.compensation_propose(
        actor=manager_mike, incident_id=incident.pk, kind="refund", amount="30"
    )
    services.compensation_decide(actor=manager_mike, compensation_id=row.pk, approve=True)
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def pay() -> None:
        barrier.wait()
        try:
            services.compensation_pay(actor=manager_mike, compensation_id=row.pk)
            outcomes.append("paid")
        except DomainError as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=pay) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["compensation_bad_state", "paid"]
    assert Compensation.objects.get(pk=row.pk).state == "paid"


def test_posts_import_matches_collapses_and_reports_bad_rows(defaults, lead_linda):
    rows = [
        {
            "source": "weibo",
            "author": "用户A",
            "url": "https://weibo.com/1",
            "text": "宽带又斷網了，我要去12315投訴！",
            "time": "2026-12-05 10:00",
        },
        {
            "source": "weibo",
            "author": "用户B",
            "url": "https://weibo.com/2",
            "text": "宽带又断网了，我要去12315投诉！",
            "time": "2026-12-05 10:05",
        },
        {"source": "weibo", "url": "https://weibo.com/1", "text": "转发", "time": "2026-12-05 10:06"},
        {"source": "weibo", "url": "not a url", "text": "x", "time": "2026-12-05 10:06"},
        {
            "source": "wechat",
            "url": "https://mp.weixin.qq.com/3",
            "text": "今天天气不错",
            "time": "yesterday",
        },
        {
            "source": "wechat",
            "url": "https://mp.weixin.qq.com/4",
            "text": "客服态度很好",
            "time": "2026-12-05T11:00:00+08:00",
            "metrics": {"likes": 3},
        },
    ]
    result = services.posts_import(actor=lead_linda, rows=rows)
    assert len(result.created) == 2 and result.duplicates == 2
    assert [e["row"] for e in result.errors] == [4, 5]
    first = result.created[0]
    assert set(first.matched) >= {"12315", "投诉", "断网"} and first.score >= 3
    assert result.created[1].score == 0 and result.created[1].metrics["likes"] == 3


def test_root_cause_needs_a_resolved_complaint_and_feeds_the_pareto(
    defaults, lead_linda, agent_alice, broadband, django_capture_on_commit_callbacks
):
    from kefu.complaints.selectors import root_cause_stats
    from kefu.tickets.services import ticket_change_status

    with django_capture_on_commit_callbacks(execute=True):
        tickets = complaints(agent_alice, broadband, 3)
    with pytest.raises(DomainError):
        services.complaint_cause_set(actor=lead_linda, number=tickets[0].number, cause_code="system")
    for t in tickets:
        ticket_change_status(actor=lead_linda, number=t.number, status=TicketStatus.RESOLVED)
    services.complaint_cause_set(actor=lead_linda, number=tickets[0].number, cause_code="system")
    services.complaint_cause_set(actor=lead_linda, number=tickets[1].number, cause_code="system")
    services.complaint_cause_set(actor=lead_linda, number=tickets[2].number, cause_code="process_gap")
    with pytest.raises(DomainError) as exc:
        services.complaint_cause_set(actor=lead_linda, number=tickets[2].number, cause_code="nonsense")
    assert exc.value.code == "cause_inactive"
    now = timezone.now()
    stats = root_cause_stats(user=lead_linda, start=now - timedelta(days=1), end=now + timedelta(days=1))
    assert [(p["cause"].code, p["n"]) for p in stats.pareto] == [("system", 2), ("process", 1)]
    assert stats.rows[0]["category"] == "宽带" and stats.rows[0]["total"] == 3
    assert round(stats.pareto[-1]["cumulative"]) == 100

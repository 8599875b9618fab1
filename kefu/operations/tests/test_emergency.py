from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from kefu.core.clock import run_forever
from kefu.core.errors import DomainError
from kefu.operations import selectors, services
from kefu.operations.choices import IncidentEventKind, IncidentStatus
from kefu.operations.demo import load_operations_demo
from kefu.operations.models import EmergencyPlan, Incident, IncidentNotice
from kefu.operations.services import ActionInput, LevelInput

pytestmark = pytest.mark.django_db


def test_only_managers_write_plans_and_bad_input_names_the_field(agent_alice, manager_mike) -> None:
    with pytest.raises(DomainError) as caught:
        services.plan_create(actor=agent_alice, name="x", kind="other")
    assert caught.value.status == 403
    for bad, field in [
        ({"name": " ", "kind": "other"}, "name"),
        ({"name": "x", "kind": "nope"}, "kind"),
        ({"name": "x", "kind": "other", "levels": [LevelInput(level=4)]}, "levels"),
        ({"name": "x", "kind": "other", "levels": [LevelInput(level=1), LevelInput(level=1)]}, "levels"),
        ({"name": "x", "kind": "other", "levels": [LevelInput(level=1, roles=[(999999, "acts")])]}, "roles"),
    ]:
        with pytest.raises(DomainError) as caught:
            services.plan_create(actor=manager_mike, **bad)  # type: ignore[arg-type]
        assert caught.value.status == 422 and field in (caught.value.fields or {})
    assert not EmergencyPlan.objects.exists()


def test_activation_notifies_the_whole_chain_at_once(plan, lead_linda, agent_alice, manager_mike, django_capture_on_commit_callbacks) -> None:
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        incident = services.incident_activate(actor=lead_linda, plan_id=plan.pk, level=1, title="工单系统宕机", now=now)
    notices = list(incident.notices.order_by("id"))
    assert all(n.channels == "in_app,email" for n in notices)
    assert {n.user_id for n in notices} == {lead_linda.pk, agent_alice.pk}
    # The whole chain within 30 s of activation: all in the activating transaction.
    assert all((n.sent_at - incident.activated_at).total_seconds() <= 30 for n in notices)
    assert all(n.escalate_due_at == now + timedelta(minutes=5) for n in notices)
    assert len(mail.outbox) == 1 and set(mail.outbox[0].to) == {lead_linda.email, agent_alice.email}
    assert [s.text for s in incident.steps.all()] == ["确认影响范围", "启用故障话术"]
    assert selectors.my_open_notices(viewer=agent_alice)[0].incident_id == incident.pk


def test_agents_cannot_activate(plan, agent_alice) -> None:
    with pytest.raises(DomainError) as caught:
        services.incident_activate(actor=agent_alice, plan_id=plan.pk, level=1)
    assert caught.value.status == 403


def test_unacknowledged_notice_escalates_by_the_clock_and_ack_stops_it(plan, lead_linda, agent_alice, manager_mike) -> None:
    from kefu.core.clock import run_pass

    now = timezone.now()
    incident = services.incident_activate(actor=lead_linda, plan_id=plan.pk, level=1, now=now)
    services.incident_acknowledge(actor=lead_linda, incident_id=incident.pk, now=now + timedelta(seconds=12))
    services.incident_acknowledge(actor=lead_linda, incident_id=incident.pk, now=now + timedelta(seconds=50))  # no-op
    run_pass(now=now + timedelta(minutes=4))
    assert not IncidentNotice.objects.filter(user=manager_mike).exists()
    run_pass(now=now + timedelta(minutes=5, seconds=1))
    escalated = IncidentNotice.objects.get(incident=incident, user=agent_alice)
    assert escalated.escalated_at is not None and escalated.escalate_due_at is None
    assert IncidentNotice.objects.filter(incident=incident, user=manager_mike).exists()  # the next level's chain
    kinds = list(incident.events.values_list("kind", flat=True))
    assert kinds == ["activated", "notified", "acknowledged", "escalated", "notified"]
    ack = incident.events.get(kind=IncidentEventKind.ACKNOWLEDGED)
    assert (ack.actor_id, ack.created_at) == (lead_linda.pk, now + timedelta(seconds=12))
    # Run again: nothing more to do (claimed once).
    assert run_pass(now=now + timedelta(minutes=6)).by_job.get("operations_notice_escalate") is None


def test_outsiders_of_the_chain_cannot_tick_steps(plan, lead_linda, teammate_bob, agent_alice) -> None:
    incident = services.incident_activate(actor=lead_linda, plan_id=plan.pk, level=1)
    step = incident.steps.first()
    assert step is not None
    with pytest.raises(DomainError) as caught:
        services.incident_step_done(actor=teammate_bob, incident_id=incident.pk, step_id=step.pk)
    assert caught.value.status == 403
    with pytest.raises(DomainError) as caught:
        services.incident_acknowledge(actor=teammate_bob, incident_id=incident.pk)
    assert caught.value.code == "incident_not_notified"
    services.incident_step_done(actor=agent_alice, incident_id=incident.pk, step_id=step.pk)
    step.refresh_from_db()
    assert step.done_by == agent_alice


def test_raising_the_level_adds_steps_and_notifies_the_new_chain(plan, lead_linda, manager_mike) -> None:
    incident = services.incident_activate(actor=lead_linda, plan_id=plan.pk, level=1)
    services.incident_change_level(actor=lead_linda, incident_id=incident.pk, level=2)
    incident.refresh_from_db()
    assert incident.level == 2
    assert incident.steps.filter(level=2, text="通知厂商").exists()
    assert incident.notices.filter(user=manager_mike, level=2).exists()
    with pytest.raises(DomainError) as caught:
        services.incident_change_level(actor=lead_linda, incident_id=incident.pk, level=5)
    assert caught.value.status == 422


def test_close_then_review_once_with_owned_actions(plan, lead_linda, manager_mike, agent_alice) -> None:
    incident = services.incident_activate(actor=lead_linda, plan_id=plan.pk, level=1, is_drill=True)
    with pytest.raises(DomainError) as caught:
        services.review_write(actor=manager_mike, incident_id=incident.pk, key_points="x")
    assert caught.value.code == "incident_still_active"
    services.incident_message(actor=agent_alice, incident_id=incident.pk, text="已切换纸质受理")
    services.incident_close(actor=manager_mike, incident_id=incident.pk)
    with pytest.raises(DomainError):
        services.incident_message(actor=agent_alice, incident_id=incident.pk, text="晚了")
    assert not IncidentNotice.objects.filter(incident=incident, escalate_due_at__isnull=False).exists()
    due = timezone.localdate() + timedelta(days=7)
    review = services.review_write(
        actor=manager_mike, incident_id=incident.pk, key_points="1 分钟内全员确认", causes="演练",
        actions=[ActionInput(text="补充纸质受理单", owner_id=agent_alice.pk, due_on=due)],
    )  # fmt: skip
    assert review.actions.get().owner == agent_alice
    with pytest.raises(DomainError) as caught:
        services.review_write(actor=manager_mike, incident_id=incident.pk, key_points="again")
    assert caught.value.code == "incident_review_exists"
    services.review_action_done(actor=agent_alice, action_id=review.actions.get().pk)
    rows = selectors.monthly_summary(viewer=manager_mike, month=timezone.localdate().replace(day=1))
    assert [(r.plan, r.real, r.drills, r.reviewed) for r in rows] == [("系统故障应急预案", 0, 1, 1)]


def test_a_rule_starts_the_plan_once(plan) -> None:
    first = services.incident_activate_by_rule(plan_id=plan.pk, level=1, reason="排队超过 50 人")
    assert first is not None and first.trigger == "rule" and first.activated_by is None
    assert services.incident_activate_by_rule(plan_id=plan.pk, level=1, reason="again") is None
    assert Incident.objects.filter(status=IncidentStatus.ACTIVE).count() == 1


@pytest.mark.django_db(transaction=True)
def test_chain_notified_within_30_seconds_with_the_clock_running(plan, lead_linda, agent_alice, manager_mike) -> None:
    """The clock runs in its own thread while a lead activates the plan; every notice is sent in the
    activation's commit (well inside 30 s) and the mail goes out after it. Nobody acknowledges
    here, so the clock later escalates (driven with an explicit time in the test above)."""
    stop = threading.Event()
    clock = threading.Thread(target=run_forever, kwargs={"stop": stop, "idle_seconds": 0.1})
    clock.start()
    try:
        incident = services.incident_activate(actor=lead_linda, plan_id=plan.pk, level=1, title="网络中断")
    finally:
        stop.set()
        clock.join(timeout=10)
    sent = list(IncidentNotice.objects.filter(incident=incident).values_list("sent_at", flat=True))
    assert len(sent) == 2
    assert max((s - incident.activated_at).total_seconds() for s in sent) <= 30
    assert len(mail.outbox) == 1


def test_demo_plans_and_drill(manager_mike, lead_linda, agent_alice, teammate_bob) -> None:
    summary = load_operations_demo(manager=manager_mike)
    assert (summary.plans, summary.incidents, summary.requisitions) == (2, 2, 4)
    from kefu.operations.models import Stock

    assert Stock.objects.get(material__name="应急口罩").quantity == 45  # issued by two people
    assert Stock.objects.get(material__name="备用耳麦").quantity == 22
    drill = Incident.objects.get(is_drill=True)
    assert drill.status == IncidentStatus.CLOSED and hasattr(drill, "review")
    assert not drill.notices.filter(acknowledged_at__isnull=True).exists()
    assert not drill.steps.filter(done_at__isnull=True).exists()

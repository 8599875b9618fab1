from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from kefu.accounts.models import User
from kefu.core.errors import DomainError
from kefu.quality import review, sampling, selectors, services
from kefu.quality.choices import AppealState, CalibrationState, DrawReason, InspectionLevel, InspectionState
from kefu.quality.models import Calibration, CoachingTask, Inspection, InspectionItem, PlanEntry, QualityEvent
from kefu.quality.results import qa_agent_results
from kefu.quality.stats import cohen_kappa
from kefu.quality.tests.conftest import closed_ticket, scores
from kefu.tickets.choices import TicketKind

SH = ZoneInfo("Asia/Shanghai")


def _window():
    now = timezone.now()
    return now - timedelta(days=1), now + timedelta(days=1)


def test_closing_a_ticket_captures_and_prescreens_it_after_commit(agent_alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = closed_ticket(agent_alice, reply="滚，保证退款")
    item = InspectionItem.objects.get(source_id=ticket.pk)
    assert {f["rule"] for f in item.findings} >= {"abuse", "promise"}
    assert item.agent_id == agent_alice.pk and item.turns[-1]["text"] == "滚，保证退款"


def _plan(actor, card, **kw):
    v, _, _ = card
    return sampling.plan_save(actor=actor, name="热线月度", scorecard_id=v.scorecard_id, **kw)


def test_plan_draw_is_deterministic_never_twice_and_spread_by_load(
    card, manager_mike, agent_alice, teammate_bob, qa_quinn, qa_quentin
):
    for _ in range(10):
        closed_ticket(agent_alice)
    for _ in range(5):
        closed_ticket(teammate_bob)
    complaint = closed_ticket(teammate_bob, kind=TicketKind.COMPLAINT)
    plan = _plan(manager_mike, card, random_share="0.2", rules=[DrawReason.COMPLAINT], blind_share="0", seed="s1")
    start, end = _window()
    got = sampling.plan_draw(plan_id=plan.pk, actor=manager_mike, start=start, end=end)
    picked = sorted(e.item.source_id for e in got.entries)
    assert got.per_agent == {agent_alice.pk: 2, teammate_bob.pk: 2}
    assert complaint.pk in picked
    assert PlanEntry.objects.get(item__source_id=complaint.pk).reason == DrawReason.COMPLAINT
    # the same seed over the same contacts draws the same ones
    again = sampling.plan_draw(plan_id=_plan(manager_mike, card, random_share="0.2", rules=[DrawReason.COMPLAINT],
                                             blind_share="0", seed="s1").pk, actor=manager_mike, start=start, end=end)
    assert sorted(e.item.source_id for e in again.entries) == picked
    # drawing the plan again adds nothing: a contact enters a plan once
    assert sampling.plan_draw(plan_id=plan.pk, actor=manager_mike, start=start, end=end).entries == []
    # spread over the two inspectors by load
    loads = sorted(Inspection.objects.filter(entry__plan=plan).values_list("inspector_id", flat=True))
    assert loads.count(qa_quinn.pk) == loads.count(qa_quentin.pk) == 2


def test_plan_input_and_access(card, agent_alice, qa_quinn, manager_mike):
    with pytest.raises(DomainError) as e:
        _plan(manager_mike, card, random_share="1.5")
    assert e.value.code == "plan_invalid"
    with pytest.raises(DomainError) as e:
        _plan(manager_mike, card, rules=["nonsense"])
    assert e.value.code == "plan_invalid"
    with pytest.raises(DomainError) as e:
        _plan(agent_alice, card)
    assert e.value.status == 403
    with pytest.raises(DomainError):
        _plan(qa_quinn, card)  # a plain inspector does not plan


def test_clock_draws_a_due_plan_once(card, manager_mike, agent_alice, qa_quinn):
    closed_ticket(agent_alice)
    plan = _plan(manager_mike, card, blind_share="0", period="daily")
    due = plan.next_draw_at
    assert due is not None
    # the day that just ended is drawn; a second clock's claim fails
    later = due + timedelta(seconds=1)
    assert sampling.plan_draw_due(plan_id=plan.pk, due_at=due, now=later) is True
    assert sampling.plan_draw_due(plan_id=plan.pk, due_at=due, now=later) is False
    plan.refresh_from_db()
    assert plan.next_draw_at > due


def test_inspector_cannot_inspect_self_agent_sees_own(
    card, qa_quinn, agent_alice, teammate_bob, lead_linda, manager_mike
):
    from kefu.tests.factories import TicketFactory

    own = TicketFactory(actor=manager_mike, assignee=manager_mike, description="自己")
    item = services.item_capture_ticket(ticket_id=own.pk)
    with pytest.raises(DomainError) as e:
        services.inspection_start(actor=manager_mike, item_id=item.pk)
    assert e.value.code == "inspection_own_contact"
    t = closed_ticket(agent_alice)
    it = services.item_capture_ticket(ticket_id=t.pk)
    insp = services.inspection_submit(actor=qa_quinn, item_id=it.pk, scores=scores(card, 90))
    assert [i.pk for i in selectors.inspections_visible(user=agent_alice)] == [insp.pk]
    assert list(selectors.inspections_visible(user=teammate_bob)) == []
    assert [i.pk for i in selectors.inspections_visible(user=lead_linda)] == [insp.pk]
    with pytest.raises(DomainError) as e:
        services.inspection_start(actor=agent_alice, item_id=it.pk)
    assert e.value.status == 403
    with pytest.raises(DomainError) as e:
        services.inspection_save(actor=qa_quinn, inspection_id=insp.pk, scores=scores(card, 90))
    assert e.value.code == "inspection_already_submitted"


def test_double_blind_calibration_settles_and_results_follow(
    card, manager_mike, agent_alice, qa_quinn, qa_quentin, qa_lead_lucy
):
    closed_ticket(agent_alice)
    plan = _plan(manager_mike, card, blind_share="1", recheck_share="0", blind_threshold=10,
                 inspector_ids=[qa_quinn.pk, qa_quentin.pk])
    start, end = _window()
    entry = sampling.plan_draw(plan_id=plan.pk, actor=manager_mike, start=start, end=end).entries[0]
    first = Inspection.objects.get(item=entry.item, level=InspectionLevel.FIRST)
    second = Inspection.objects.get(item=entry.item, level=InspectionLevel.BLIND)
    assert {first.inspector_id, second.inspector_id} == {qa_quinn.pk, qa_quentin.pk}
    a, b = first.inspector, second.inspector
    services.inspection_save(actor=a, inspection_id=first.pk, scores=scores(card, 95), submit=True)
    # blind: the second inspector does not see the first one's scores while theirs is open
    assert first.pk not in {i.pk for i in selectors.inspections_visible(user=b)}
    services.inspection_save(actor=b, inspection_id=second.pk, scores=scores(card, 60), submit=True)
    assert first.pk in {i.pk for i in selectors.inspections_visible(user=b)}
    cal = Calibration.objects.get(item=entry.item)
    assert cal.difference == Decimal("35.0") and cal.state == CalibrationState.OPEN
    with pytest.raises(DomainError):
        review.calibration_settle(actor=qa_quinn, calibration_id=cal.pk, scores=scores(card, 85))
    review.calibration_settle(actor=qa_lead_lucy, calibration_id=cal.pk, scores=scores(card, 85), note="以85为准")
    got = qa_agent_results(start=start, end=end)[agent_alice.pk]
    assert got.inspected == 1 and got.passed == 1 and got.average == 85.0
    with pytest.raises(DomainError) as e:
        review.calibration_settle(actor=qa_lead_lucy, calibration_id=cal.pk, scores=scores(card, 85))
    assert e.value.code == "calibration_settled"
    kappa = selectors.kappa_table(user=qa_lead_lucy, start=start, end=end)
    assert {r.item for r in kappa} == {"礼貌用语", "泄露客户信息"}


def test_appeal_lead_then_qa_lead_upheld_changes_the_pass_rate(
    card, agent_alice, teammate_bob, lead_linda, qa_quinn, qa_lead_lucy
):
    t = closed_ticket(agent_alice)
    item = services.item_capture_ticket(ticket_id=t.pk)
    insp = services.inspection_submit(actor=qa_quinn, item_id=item.pk, scores=scores(card, 60))
    assert insp.passed is False
    task = CoachingTask.objects.get(item=item)
    assert task.lead_id == lead_linda.pk and task.due_at > timezone.now()
    start, end = _window()
    assert qa_agent_results(start=start, end=end)[agent_alice.pk].passed == 0
    with pytest.raises(DomainError):
        review.appeal_create(actor=teammate_bob, inspection_id=insp.pk, reason="不是我")
    appeal = review.appeal_create(actor=agent_alice, inspection_id=insp.pk, reason="客户先挂断了，我已致歉")
    with pytest.raises(DomainError) as e:
        review.appeal_create(actor=agent_alice, inspection_id=insp.pk, reason="再来")
    assert e.value.code == "appeal_exists"
    with pytest.raises(DomainError) as e:
        review.appeal_qa_decide(actor=qa_lead_lucy, appeal_id=appeal.pk, uphold=True, scores=scores(card, 90))
    assert e.value.code == "appeal_wrong_step"
    with pytest.raises(DomainError):
        review.appeal_lead_decide(actor=teammate_bob, appeal_id=appeal.pk, forward=True)
    review.appeal_lead_decide(actor=lead_linda, appeal_id=appeal.pk, forward=True, note="属实")
    with pytest.raises(DomainError) as e:
        review.appeal_qa_decide(actor=qa_lead_lucy, appeal_id=appeal.pk, uphold=True, scores={"999": 1})
    assert e.value.code == "scorecard_unknown_item"
    appeal = review.appeal_qa_decide(actor=qa_lead_lucy, appeal_id=appeal.pk, uphold=True, scores=scores(card, 90))
    assert appeal.state == AppealState.UPHELD and appeal.result.passed is True
    got = qa_agent_results(start=start, end=end)[agent_alice.pk]
    assert got.passed == 1 and got.average == 90.0
    task.refresh_from_db()
    assert task.state == "done"
    kinds = list(QualityEvent.objects.filter(item=item).values_list("kind", flat=True))
    assert kinds[-3:] == ["appeal_created", "appeal_forwarded", "submitted"] or "appeal_upheld" in kinds
    assert {"appeal_created", "appeal_forwarded", "appeal_upheld", "coaching_opened"} <= set(kinds)


def test_appeal_after_the_deadline_is_refused(card, agent_alice, qa_quinn):
    t = closed_ticket(agent_alice)
    item = services.item_capture_ticket(ticket_id=t.pk)
    insp = services.inspection_submit(actor=qa_quinn, item_id=item.pk, scores=scores(card, 60))
    late = review.appeal_deadline(insp) + timedelta(seconds=1)
    with pytest.raises(DomainError) as e:
        review.appeal_create(actor=agent_alice, inspection_id=insp.pk, reason="晚了", now=late)
    assert e.value.code == "appeal_after_deadline"


def test_business_days_skip_weekends_and_holidays():
    from kefu.core.calendar import BusinessCalendar

    cal = BusinessCalendar.workweek("09:00-18:00", tz="Asia/Shanghai", holidays=[datetime(2026, 10, 1).date()])
    friday = datetime(2026, 9, 25, 15, tzinfo=SH)
    assert review.business_days_after(friday, 3, cal) == datetime(2026, 10, 1, tzinfo=SH)  # Mon, Tue, Wed (the 30th)
    wed = datetime(2026, 9, 30, 10, tzinfo=SH)
    assert review.business_days_after(wed, 1, cal) == datetime(2026, 10, 3, tzinfo=SH)  # 1 Oct off: Fri 2nd


def test_spot_check_and_recheck(card, manager_mike, agent_alice, qa_quinn, qa_lead_lucy):
    closed_ticket(agent_alice)
    plan = _plan(manager_mike, card, blind_share="0", recheck_share="1", inspector_ids=[qa_quinn.pk])
    start, end = _window()
    entry = sampling.plan_draw(plan_id=plan.pk, actor=manager_mike, start=start, end=end).entries[0]
    first = Inspection.objects.get(item=entry.item, level=InspectionLevel.FIRST)
    services.inspection_save(actor=qa_quinn, inspection_id=first.pk, scores=scores(card, 90), submit=True)
    recheck = Inspection.objects.get(item=entry.item, level=InspectionLevel.RECHECK)
    assert recheck.inspector_id == qa_lead_lucy.pk and recheck.state == InspectionState.DRAFT
    spot = review.spot_check(actor=manager_mike, item_id=entry.item_id)
    assert spot.level == InspectionLevel.SPOT and spot.inspector_id == manager_mike.pk
    with pytest.raises(DomainError):
        review.spot_check(actor=qa_quinn, item_id=entry.item_id)
    assert [i.pk for i in selectors.my_queue(user=qa_lead_lucy)] == [recheck.pk]


@pytest.mark.parametrize(
    ("pairs", "kappa"),
    [
        ([], None),
        ([(1, 1), (0, 0), (1, 1), (0, 0)], 1.0),
        ([(1, 0), (0, 1)], -1.0),
        ([(1, 1), (1, 1)], 1.0),
        ([(1, 1), (1, 0), (0, 0), (0, 0)], 0.5),
    ],
)
def test_cohen_kappa(pairs, kappa):
    assert cohen_kappa(pairs) == kappa


def test_queue_and_results_reads_do_not_grow_with_rows(card, manager_mike, agent_alice, qa_quinn, qa_lead_lucy):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def counts() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as q1:
            selectors.my_queue(user=User.objects.get(pk=qa_quinn.pk))
        with CaptureQueriesContext(connection) as q2:
            start, end = _window()
            selectors.results_page(user=User.objects.get(pk=qa_lead_lucy.pk), start=start, end=end)
        return len(q1), len(q2)

    plan = _plan(manager_mike, card, blind_share="0", random_share="1", inspector_ids=[qa_quinn.pk])
    closed_ticket(agent_alice)
    start, end = _window()
    sampling.plan_draw(plan_id=plan.pk, actor=manager_mike, start=start, end=end)
    for insp in Inspection.objects.filter(state=InspectionState.DRAFT)[:1]:
        services.inspection_save(actor=qa_quinn, inspection_id=insp.pk, scores=scores(card, 90), submit=True)
    few = counts()
    for _ in range(4):
        closed_ticket(agent_alice)
    sampling.plan_draw(plan_id=plan.pk, actor=manager_mike, start=start, end=end)
    for insp in Inspection.objects.filter(state=InspectionState.DRAFT)[:2]:
        services.inspection_save(actor=qa_quinn, inspection_id=insp.pk, scores=scores(card, 70), submit=True)
    assert counts() == few

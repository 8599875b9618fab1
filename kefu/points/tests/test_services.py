"""The ledger, hand awards and approval, reversals, the ticket and survey rules, redemptions,
suggestions and the 服务之星 formula, on the real database."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from kefu.core.errors import DomainError
from kefu.points import selectors, services
from kefu.points.choices import EntryKind, RequestStatus, SuggestionStatus
from kefu.points.config import points_settings
from kefu.points.models import AwardRequest, PointsEntry, PointsSettings
from kefu.points.tests.conftest import give, tomorrow_9
from kefu.surveys.choices import SurveyStatus
from kefu.surveys.models import Survey, SurveyTemplate
from kefu.tests.factories import TicketFactory
from kefu.tickets.choices import TicketKind, TicketStatus
from kefu.tickets.services import ticket_change_status, ticket_update
from kefu.workforce.choices import LeaveStatus

pytestmark = pytest.mark.django_db


def code_of(exc_info: pytest.ExceptionInfo[DomainError]) -> str:
    return exc_info.value.code


# --- hand awards -----------------------------------------------------------------------------------


def test_a_small_award_by_the_lead_is_posted_at_once(lead_linda, agent_alice) -> None:
    e = services.points_award(actor=lead_linda, agent_id=agent_alice.pk, points=8, reason="主动帮助新同事")
    assert isinstance(e, PointsEntry) and e.kind == EntryKind.MANUAL and e.approved_by == lead_linda
    assert selectors.balance_of(agent_alice.pk) == 8


def test_an_award_above_the_threshold_waits_for_someone_else(lead_linda, manager_mike, agent_alice) -> None:
    req = services.points_award(actor=lead_linda, agent_id=agent_alice.pk, points=30, reason="季度攻坚")
    assert isinstance(req, AwardRequest) and req.status == RequestStatus.PENDING
    assert selectors.balance_of(agent_alice.pk) == 0
    assert selectors.awards_pending_for(lead_linda) == []  # not their own request
    with pytest.raises(DomainError) as exc:
        services.award_decide(actor=lead_linda, award_id=req.pk, approve=True)
    assert code_of(exc) == "points_own_request"
    assert [a.pk for a in selectors.awards_pending_for(manager_mike)] == [req.pk]
    services.award_decide(actor=manager_mike, award_id=req.pk, approve=True)
    assert selectors.balance_of(agent_alice.pk) == 30
    with pytest.raises(DomainError) as exc:
        services.award_decide(actor=manager_mike, award_id=req.pk, approve=False)
    assert code_of(exc) == "points_not_pending"


def test_a_rejected_award_posts_nothing(lead_linda, manager_mike, agent_alice) -> None:
    req = services.points_award(actor=manager_mike, agent_id=agent_alice.pk, points=50, reason="x")
    assert isinstance(req, AwardRequest)
    services.award_decide(actor=lead_linda, award_id=req.pk, approve=False, note="理由不足")
    assert selectors.balance_of(agent_alice.pk) == 0


@pytest.mark.parametrize("who", ["agent_alice", "teammate_bob", "outsider_charlie", "qa_quinn"])
def test_only_the_agents_lead_or_a_manager_award(request, who, agent_alice, lead_linda) -> None:
    actor = request.getfixturevalue(who)
    with pytest.raises(DomainError) as exc:
        services.points_award(actor=actor, agent_id=agent_alice.pk, points=3, reason="x")
    assert exc.value.status in (403, 404)


def test_a_lead_cannot_award_themselves_or_another_team(lead_linda, outsider_charlie) -> None:
    with pytest.raises(DomainError) as exc:
        services.points_award(actor=lead_linda, agent_id=lead_linda.pk, points=3, reason="x")
    assert code_of(exc) == "points_own_request"
    with pytest.raises(DomainError) as exc:
        services.points_award(actor=lead_linda, agent_id=outsider_charlie.pk, points=3, reason="x")
    assert code_of(exc) == "points_agent_not_found"


def test_an_award_links_only_a_ticket_the_lead_may_see(lead_linda, agent_alice, outsider_charlie, aftersales_team, front_team) -> None:
    theirs = TicketFactory(actor=outsider_charlie, team=aftersales_team)
    with pytest.raises(DomainError) as exc:
        services.points_award(actor=lead_linda, agent_id=agent_alice.pk, points=3, reason="x", ticket_id=theirs.pk)
    assert exc.value.status == 422 and "ticket" in exc.value.fields
    assert not PointsEntry.objects.exists()
    ours = TicketFactory(actor=agent_alice, team=front_team)
    e = services.points_award(actor=lead_linda, agent_id=agent_alice.pk, points=3, reason="x", ticket_id=ours.pk)
    assert isinstance(e, PointsEntry) and e.ticket == ours


@pytest.mark.parametrize(("points", "reason", "field"), [(0, "x", "points"), (1001, "x", "points"), (3, "  ", "reason")])
def test_bad_award_input(lead_linda, agent_alice, points, reason, field) -> None:
    with pytest.raises(DomainError) as exc:
        services.points_award(actor=lead_linda, agent_id=agent_alice.pk, points=points, reason=reason)
    assert exc.value.status == 422 and field in exc.value.fields


# --- reversals ---------------------------------------------------------------------------------------


def test_a_reversal_is_a_new_row_and_happens_once(lead_linda, agent_alice) -> None:
    e = services.points_award(actor=lead_linda, agent_id=agent_alice.pk, points=5, reason="表扬")
    assert isinstance(e, PointsEntry)
    r = services.points_reverse(actor=lead_linda, entry_id=e.pk, reason="重复录入")
    assert r.points == -5 and r.reversal_of == e and r.kind == EntryKind.REVERSAL
    e.refresh_from_db()
    assert e.points == 5  # the original stands
    assert PointsEntry.objects.count() == 2 and selectors.balance_of(agent_alice.pk) == 0
    with pytest.raises(DomainError) as exc:
        services.points_reverse(actor=lead_linda, entry_id=e.pk, reason="again")
    assert code_of(exc) == "points_already_reversed"
    with pytest.raises(DomainError) as exc:
        services.points_reverse(actor=lead_linda, entry_id=r.pk, reason="undo the undo")
    assert code_of(exc) == "points_not_reversible"
    with pytest.raises(DomainError) as exc:
        services.points_reverse(actor=agent_alice, entry_id=e.pk, reason="x")
    assert code_of(exc) == "points_entry_not_found"


# --- rules: tickets and surveys -------------------------------------------------------------------------


def test_a_latent_need_tag_pays_the_agent_once(agent_alice, django_capture_on_commit_callbacks) -> None:
    ticket = TicketFactory(actor=agent_alice, assignee=agent_alice)
    with django_capture_on_commit_callbacks(execute=True):
        ticket_update(actor=agent_alice, number=ticket.number, changes={}, tags=["挖掘潜在需求"])
    with django_capture_on_commit_callbacks(execute=True):
        ticket_update(actor=agent_alice, number=ticket.number, changes={}, tags=["挖掘潜在需求", "宽带"])
        ticket_change_status(actor=agent_alice, number=ticket.number, status=TicketStatus.RESOLVED)
    rows = list(PointsEntry.objects.filter(agent=agent_alice))
    assert [(r.kind, r.points, r.ticket_id) for r in rows] == [(EntryKind.LATENT_NEED, 3, ticket.pk)]


def test_a_praise_ticket_pays_when_resolved(agent_alice, teammate_bob, lead_linda, django_capture_on_commit_callbacks) -> None:
    ticket = TicketFactory(actor=lead_linda, kind=TicketKind.PRAISE, assignee=teammate_bob)
    assert selectors.balance_of(teammate_bob.pk) == 0
    with django_capture_on_commit_callbacks(execute=True):
        ticket_change_status(actor=teammate_bob, number=ticket.number, status=TicketStatus.RESOLVED)
    with django_capture_on_commit_callbacks(execute=True):
        ticket_change_status(actor=teammate_bob, number=ticket.number, status=TicketStatus.CLOSED)
    assert selectors.balance_of(teammate_bob.pk) == 5
    assert selectors.balance_of(agent_alice.pk) == 0
    # The rule runs again (a retry): nothing more.
    assert services.points_award_from_ticket(ticket_id=ticket.pk) == []


def test_a_praise_tag_added_after_resolution_pays(agent_alice, django_capture_on_commit_callbacks) -> None:
    ticket = TicketFactory(actor=agent_alice, assignee=agent_alice)
    with django_capture_on_commit_callbacks(execute=True):
        ticket_change_status(actor=agent_alice, number=ticket.number, status=TicketStatus.RESOLVED)
    assert selectors.balance_of(agent_alice.pk) == 0
    with django_capture_on_commit_callbacks(execute=True):
        ticket_update(actor=agent_alice, number=ticket.number, changes={}, tags=["表扬"])
    assert selectors.balance_of(agent_alice.pk) == 5


def test_rule_points_are_configurable(manager_mike, agent_alice, django_capture_on_commit_callbacks) -> None:
    services.settings_update(actor=manager_mike, latent_need_points=4, latent_need_tag="潜在需求")
    ticket = TicketFactory(actor=agent_alice, assignee=agent_alice)
    with django_capture_on_commit_callbacks(execute=True):
        ticket_update(actor=agent_alice, number=ticket.number, changes={}, tags=["潜在需求"])
    assert selectors.balance_of(agent_alice.pk) == 4
    with pytest.raises(DomainError):
        services.settings_update(actor=agent_alice, praise_points=50)


def _survey(ticket, agent, comment: str, csat: int = 5) -> Survey:  # type: ignore[no-untyped-def]
    template = SurveyTemplate.objects.order_by("pk").first() or SurveyTemplate.objects.create(name="测试")
    now = timezone.now()
    return Survey.objects.create(
        ticket=ticket, template=template, agent=agent, team=agent.team, status=SurveyStatus.ANSWERED,
        created_at=now, sent_at=now, answered_at=now, csat=csat, comment=comment,
    )


def test_a_lead_marks_a_survey_comment_as_praise_once(lead_linda, agent_alice, outsider_charlie) -> None:
    ticket = TicketFactory(actor=agent_alice, assignee=agent_alice)
    survey = _survey(ticket, agent_alice, "艾丽丝耐心细致，非常感谢！")
    assert [s.pk for s in selectors.praise_candidates(lead_linda)] == [survey.pk]
    e = services.praise_mark_survey(actor=lead_linda, survey_id=survey.pk)
    assert (e.kind, e.points, e.survey_id, e.ticket_id) == (EntryKind.PRAISE, 5, survey.pk, ticket.pk)
    assert selectors.praise_candidates(lead_linda) == []
    with pytest.raises(DomainError) as exc:
        services.praise_mark_survey(actor=lead_linda, survey_id=survey.pk)
    assert code_of(exc) == "points_already_awarded"
    with pytest.raises(DomainError) as exc:
        services.praise_mark_survey(actor=agent_alice, survey_id=survey.pk)
    assert code_of(exc) == "points_source_not_found"
    silent = _survey(TicketFactory(actor=agent_alice, assignee=agent_alice), agent_alice, "")
    with pytest.raises(DomainError) as exc:
        services.praise_mark_survey(actor=lead_linda, survey_id=silent.pk)
    assert exc.value.status == 422


# --- redemptions -------------------------------------------------------------------------------------------


def test_redeeming_more_than_the_balance_is_refused(agent_alice, lead_linda, training) -> None:
    give(agent_alice, 20, lead_linda)
    with pytest.raises(DomainError) as exc:
        services.redemption_request(actor=agent_alice, item_id=training.pk)
    assert code_of(exc) == "points_insufficient_balance" and exc.value.status == 400


def test_pending_redemptions_hold_their_cost(agent_alice, lead_linda, gift) -> None:
    give(agent_alice, 25, lead_linda)
    services.redemption_request(actor=agent_alice, item_id=gift.pk)
    services.redemption_request(actor=agent_alice, item_id=gift.pk)
    assert selectors.available_of(agent_alice.pk) == 5
    with pytest.raises(DomainError) as exc:
        services.redemption_request(actor=agent_alice, item_id=gift.pk)
    assert code_of(exc) == "points_insufficient_balance"


def test_the_lead_approves_a_redemption(agent_alice, lead_linda, gift) -> None:
    give(agent_alice, 15, lead_linda)
    r = services.redemption_request(actor=agent_alice, item_id=gift.pk, note="蓝色")
    assert [x.pk for x in selectors.redemptions_pending_for(lead_linda)] == [r.pk]
    with pytest.raises(DomainError) as exc:
        services.redemption_decide(actor=agent_alice, redemption_id=r.pk, approve=True)
    assert code_of(exc) == "points_redemption_not_found"
    services.redemption_decide(actor=lead_linda, redemption_id=r.pk, approve=True)
    r.refresh_from_db()
    assert r.status == RequestStatus.APPROVED and selectors.balance_of(agent_alice.pk) == 5
    entry = PointsEntry.objects.get(redemption=r)
    assert entry.points == -10 and entry.kind == EntryKind.REDEMPTION
    with pytest.raises(DomainError) as exc:
        services.redemption_decide(actor=lead_linda, redemption_id=r.pk, approve=True)
    assert code_of(exc) == "points_not_pending"


def test_a_rejected_or_withdrawn_redemption_frees_its_points(agent_alice, lead_linda, gift) -> None:
    give(agent_alice, 10, lead_linda)
    r = services.redemption_request(actor=agent_alice, item_id=gift.pk)
    services.redemption_decide(actor=lead_linda, redemption_id=r.pk, approve=False, note="本月已领")
    assert selectors.available_of(agent_alice.pk) == 10
    r2 = services.redemption_request(actor=agent_alice, item_id=gift.pk)
    services.redemption_cancel(actor=agent_alice, redemption_id=r2.pk)
    assert selectors.available_of(agent_alice.pk) == 10 and selectors.balance_of(agent_alice.pk) == 10


def test_approval_rechecks_the_balance_after_a_reversal(agent_alice, lead_linda, gift) -> None:
    e = services.points_award(actor=lead_linda, agent_id=agent_alice.pk, points=10, reason="x")
    r = services.redemption_request(actor=agent_alice, item_id=gift.pk)
    services.points_reverse(actor=lead_linda, entry_id=e.pk, reason="录错了")
    with pytest.raises(DomainError) as exc:
        services.redemption_decide(actor=lead_linda, redemption_id=r.pk, approve=True)
    assert code_of(exc) == "points_insufficient_balance"
    r.refresh_from_db()
    assert r.status == RequestStatus.PENDING


def test_time_off_becomes_an_approved_leave_request(agent_alice, lead_linda, half_day_off) -> None:
    give(agent_alice, 20, lead_linda)
    start = tomorrow_9()
    with pytest.raises(DomainError) as exc:
        services.redemption_request(actor=agent_alice, item_id=half_day_off.pk)
    assert exc.value.fields.keys() == {"leave_start"}
    r = services.redemption_request(actor=agent_alice, item_id=half_day_off.pk, leave_start=start)
    services.redemption_decide(actor=lead_linda, redemption_id=r.pk, approve=True)
    r.refresh_from_db()
    assert r.leave is not None
    assert (r.leave.agent, r.leave.status, r.leave.start, r.leave.end) == (
        agent_alice, LeaveStatus.APPROVED, start, start + timedelta(hours=4)
    )
    assert r.leave.decided_by == lead_linda and selectors.balance_of(agent_alice.pk) == 0


def test_a_full_day_off_needs_the_manager(agent_alice, lead_linda, manager_mike) -> None:
    day = services.item_save(actor=manager_mike, name="调休一天", kind="time_off", cost=10, leave_hours=8)
    give(agent_alice, 10, lead_linda)
    r = services.redemption_request(actor=agent_alice, item_id=day.pk, leave_start=tomorrow_9())
    with pytest.raises(DomainError) as exc:
        services.redemption_decide(actor=lead_linda, redemption_id=r.pk, approve=True)
    assert exc.value.code == "workforce_leave_needs_manager" or exc.value.status == 403
    r.refresh_from_db()
    assert r.status == RequestStatus.PENDING and selectors.balance_of(agent_alice.pk) == 10
    services.redemption_decide(actor=manager_mike, redemption_id=r.pk, approve=True)
    assert selectors.balance_of(agent_alice.pk) == 0


def test_unknown_or_withdrawn_items_cannot_be_redeemed(agent_alice, manager_mike, gift) -> None:
    with pytest.raises(DomainError) as exc:
        services.redemption_request(actor=agent_alice, item_id=999999)
    assert code_of(exc) == "points_item_not_found" and exc.value.status == 404
    services.item_save(actor=manager_mike, item_id=gift.pk, name=gift.name, kind="gift", cost=10, is_active=False)
    with pytest.raises(DomainError):
        services.redemption_request(actor=agent_alice, item_id=gift.pk)


def test_only_managers_keep_the_catalogue(lead_linda) -> None:
    with pytest.raises(DomainError) as exc:
        services.item_save(actor=lead_linda, name="x", kind="gift", cost=1)
    assert exc.value.status == 403


# --- suggestions ---------------------------------------------------------------------------------------------


def test_an_adopted_suggestion_pays_its_author_ten(agent_alice, lead_linda) -> None:
    s = services.suggestion_submit(actor=agent_alice, title="话术库加搜索", body="按拼音首字母搜索话术，减少找话术时间")
    services.suggestion_review(actor=lead_linda, suggestion_id=s.pk)
    services.suggestion_adopt(actor=lead_linda, suggestion_id=s.pk, note="下月上线")
    s.refresh_from_db()
    assert s.status == SuggestionStatus.ADOPTED
    assert list(PointsEntry.objects.values_list("agent_id", "points", "kind", "suggestion_id")) == [
        (agent_alice.pk, 10, EntryKind.SUGGESTION, s.pk)
    ]
    with pytest.raises(DomainError) as exc:
        services.suggestion_adopt(actor=lead_linda, suggestion_id=s.pk)
    assert code_of(exc) == "points_suggestion_closed"


def test_rejecting_a_suggestion_needs_a_reason(agent_alice, lead_linda) -> None:
    s = services.suggestion_submit(actor=agent_alice, title="t", body="b")
    with pytest.raises(DomainError) as exc:
        services.suggestion_reject(actor=lead_linda, suggestion_id=s.pk, reason=" ")
    assert exc.value.status == 422
    services.suggestion_reject(actor=lead_linda, suggestion_id=s.pk, reason="系统暂不支持")
    s.refresh_from_db()
    assert (s.status, s.decision_note) == (SuggestionStatus.REJECTED, "系统暂不支持")
    assert not PointsEntry.objects.exists()


def test_nobody_decides_their_own_suggestion(lead_linda, teammate_bob, outsider_charlie) -> None:
    s = services.suggestion_submit(actor=lead_linda, title="t", body="b")
    with pytest.raises(DomainError) as exc:
        services.suggestion_adopt(actor=lead_linda, suggestion_id=s.pk)
    assert code_of(exc) == "points_own_request"
    with pytest.raises(DomainError):
        services.suggestion_adopt(actor=teammate_bob, suggestion_id=s.pk)
    with pytest.raises(DomainError):
        services.suggestion_submit(actor=outsider_charlie, title="", body="b")


# --- visibility ----------------------------------------------------------------------------------------------


def test_agents_see_themselves_leads_their_team_managers_all(
    agent_alice, teammate_bob, outsider_charlie, lead_linda, manager_mike
) -> None:
    give(agent_alice, 3, lead_linda)
    give(teammate_bob, 4, lead_linda)
    give(outsider_charlie, 5, manager_mike)
    agents = lambda viewer: sorted(e.agent.username for e in selectors.ledger_visible_to(viewer))  # noqa: E731
    assert agents(agent_alice) == ["alice"]
    assert agents(lead_linda) == ["alice", "bob"]
    assert agents(manager_mike) == ["alice", "bob", "charlie"]
    assert {b.agent_id for b in selectors.balances_visible_to(agent_alice)} == {agent_alice.pk}


def test_the_ledger_selector_has_a_fixed_query_count(agent_alice, lead_linda, django_assert_num_queries) -> None:
    give(agent_alice, 30, lead_linda)
    with django_assert_num_queries(1):
        rows = list(selectors.ledger_visible_to(lead_linda))
        assert [r.agent.name for r in rows] and [r.created_by for r in rows]


# --- 服务之星 ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("points", "top", "csat", "qa", "expected"),
    [
        (10, 10, 100.0, 100.0, "100.00"),
        (5, 10, 80.0, 90.0, "71.00"),  # (40*50 + 30*80 + 30*90) / 100
        (0, 0, None, None, "0.00"),
        (10, 10, None, 50.0, "55.00"),  # a missing CSAT counts 0
        (-5, 10, 0.0, 0.0, "0.00"),  # net negative points count 0
    ],
)
def test_the_star_formula(points, top, csat, qa, expected) -> None:
    weights = PointsSettings(star_weight_points=40, star_weight_csat=30, star_weight_qa=30)
    assert selectors.star_score(points=points, top_points=top, csat=csat, qa=qa, weights=weights) == Decimal(expected)


def test_the_ranking_and_the_announcement(agent_alice, teammate_bob, lead_linda, manager_mike) -> None:
    give(agent_alice, 20, lead_linda)
    give(teammate_bob, 10, lead_linda)
    month = timezone.localdate().replace(day=1)
    ranking = selectors.star_ranking(viewer=manager_mike, month=month)
    assert [(r.rank, r.name, r.points) for r in ranking[:2]] == [(1, "艾丽丝", 20), (2, "鲍勃", 10)]
    assert [r.name for r in selectors.star_ranking(viewer=agent_alice, month=month)] == ["艾丽丝"]
    star = services.star_announce(actor=manager_mike, month=month, citation="客户表扬最多")
    assert selectors.star_of_month(month) == star and star.agent == agent_alice
    assert star.ranking[0]["name"] == "艾丽丝" and star.weights == {"points": 40, "csat": 30, "qa": 30}
    again = services.star_announce(actor=manager_mike, month=month, agent_id=teammate_bob.pk)
    assert selectors.star_of_month(month) == again
    with pytest.raises(DomainError):
        services.star_announce(actor=lead_linda, month=month)
    with pytest.raises(DomainError) as exc:
        services.star_announce(actor=manager_mike, month=date(2001, 1, 1), agent_id=999999)
    assert exc.value.status == 422


def test_redemptions_do_not_lower_the_months_earned_points(agent_alice, lead_linda, gift) -> None:
    give(agent_alice, 20, lead_linda)
    r = services.redemption_request(actor=agent_alice, item_id=gift.pk)
    services.redemption_decide(actor=lead_linda, redemption_id=r.pk, approve=True)
    start, end = selectors.month_bounds(timezone.localdate())
    assert selectors.earned_in(start=start, end=end, agent_ids=[agent_alice.pk]) == {agent_alice.pk: 20}
    assert points_settings().pk == 1
    assert isinstance(start, datetime)

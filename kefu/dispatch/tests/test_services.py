from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from kefu.accounts.choices import AssignmentMode, Presence, Role, TeamKind
from kefu.accounts.models import Skill, Team
from kefu.accounts.services import user_set_presence
from kefu.core.errors import DomainError, Forbidden
from kefu.dispatch import config
from kefu.dispatch.choices import Outcome, Severity, SuggestionState, Trigger
from kefu.dispatch.models import CategoryRule, DispatchDecision, RoutingRule, TicketDispatch, TriageRule
from kefu.dispatch.routing import DEFAULT_KEYWORDS
from kefu.dispatch.services import (
    category_suggestion_accept,
    category_suggestion_dismiss,
    dispatch_back_office_check,
    dispatch_on_create,
    dispatch_on_presence_change,
    dispatch_on_transfer,
    dispatch_team_queue,
    rule_save,
    rules_install_defaults,
    team_set_assignment_mode,
)
from kefu.sla.models import Notification
from kefu.tests.factories import CategoryFactory, CustomerFactory, UserFactory
from kefu.tickets.choices import EventKind, MessageKind, TicketKind, TicketStatus
from kefu.tickets.models import TicketLink
from kefu.tickets.services import ticket_add_message, ticket_change_status, ticket_transfer

pytestmark = pytest.mark.django_db


def test_new_ticket_goes_to_the_least_loaded_online_agent(mk, agent_alice, teammate_bob, lead_linda):
    first, d1 = mk(lead_linda)
    second, d2 = mk(lead_linda)
    assert {first.assignee, second.assignee} == {agent_alice, teammate_bob}
    assert first.status == TicketStatus.ASSIGNED and first.owner == lead_linda  # first-contact owner stays
    assert d2.outcome == Outcome.ASSIGNED and d2.mode == AssignmentMode.LOAD_BALANCED and d2.trigger == Trigger.CREATE
    verdicts = {c["user_id"]: c["verdict"] for c in d2.candidates}
    assert verdicts[first.assignee.pk] == "higher_load" and verdicts[second.assignee.pk] == "chosen"
    assert lead_linda.pk not in verdicts  # team leads are not dispatched to
    assert first.events.filter(kind=EventKind.ASSIGNED, actor__username="dispatch-bot").exists()


def test_explanation_names_offline_full_and_unskilled(mk, front_team, agent_alice, teammate_bob, lead_linda):
    english = Skill.objects.create(name="English")
    carol = UserFactory(username="carol", team=front_team, presence=Presence.ONLINE, capacity=0)
    dave = UserFactory(username="dave", team=front_team, presence=Presence.OFFLINE)
    teammate_bob.skills.add(english)
    agent_alice.skills.add(english)
    rule = RoutingRule(name="英文", keywords=["english"], team=front_team)
    rule_save(actor=None, obj=rule)
    rule.required_skills.add(english)
    config.rules_changed()
    ticket, d = mk(lead_linda, title="Need help in English")
    verdicts = {c["user_id"]: c["verdict"] for c in d.candidates}
    other = teammate_bob if ticket.assignee == agent_alice else agent_alice
    assert verdicts == {ticket.assignee.pk: "chosen", other.pk: "less_idle", carol.pk: "missing_skill", dave.pk: "offline"}
    assert d.rule_name == "英文"
    carol.skills.add(english)
    _t, d = mk(lead_linda, title="english again")
    assert {c["user_id"]: c["verdict"] for c in d.candidates}[carol.pk] == "at_capacity"


def test_queue_waits_then_drains_when_an_agent_comes_online(mk, front_team, agent_alice, lead_linda):
    user_set_presence(actor=agent_alice, user=agent_alice, presence=Presence.OFFLINE)
    dispatch_on_presence_change(user=agent_alice)
    ticket, d = mk(lead_linda)
    assert ticket.assignee is None and ticket.team == front_team and ticket.status == TicketStatus.NEW
    assert d.outcome == Outcome.QUEUED and d.notes
    user_set_presence(actor=agent_alice, user=agent_alice, presence=Presence.ONLINE)
    decisions = dispatch_on_presence_change(user=agent_alice)
    ticket.refresh_from_db()
    assert ticket.assignee == agent_alice and [x.trigger for x in decisions] == [Trigger.PRESENCE]


def test_closing_a_ticket_frees_capacity_for_the_queue(mk, front_team, agent_alice, lead_linda):
    agent_alice.capacity = 1
    agent_alice.save(update_fields=["capacity"])
    first, _ = mk(lead_linda)
    second, _ = mk(lead_linda)
    assert first.assignee == agent_alice and second.assignee is None
    ticket_change_status(actor=agent_alice, number=first.number, status=TicketStatus.RESOLVED)
    [decision] = dispatch_team_queue(front_team)
    second.refresh_from_db()
    assert second.assignee == agent_alice and decision.ticket_id == second.pk
    assert dispatch_team_queue(front_team) == []


def test_queue_drains_highest_priority_first(mk, front_team, agent_alice, lead_linda):
    user_set_presence(actor=agent_alice, user=agent_alice, presence=Presence.OFFLINE)
    low, _ = mk(lead_linda, title="低", priority="low")
    urgent, _ = mk(lead_linda, title="急", priority="urgent")
    agent_alice.capacity = 1
    agent_alice.save(update_fields=["capacity"])
    user_set_presence(actor=agent_alice, user=agent_alice, presence=Presence.ONLINE)
    dispatch_on_presence_change(user=agent_alice)
    urgent.refresh_from_db()
    low.refresh_from_db()
    assert urgent.assignee == agent_alice and low.assignee is None


def test_manual_team_keeps_the_queue(mk, front_team, agent_alice, lead_linda, manager_mike):
    team_set_assignment_mode(actor=manager_mike, team=front_team, mode=AssignmentMode.MANUAL)
    ticket, d = mk(lead_linda)
    assert ticket.assignee is None and d.outcome == Outcome.QUEUED
    assert d.candidates[0]["verdict"] == "manual"
    assert dispatch_team_queue(Team.objects.get(pk=front_team.pk)) == []
    with pytest.raises(Forbidden):
        team_set_assignment_mode(actor=agent_alice, team=front_team, mode=AssignmentMode.ROUND_ROBIN)
    with pytest.raises(DomainError) as exc:
        team_set_assignment_mode(actor=manager_mike, team=front_team, mode="lottery")
    assert exc.value.code == "invalid_assignment_mode"


def test_leaving_manual_mode_drains_the_queue(django_capture_on_commit_callbacks, mk, front_team, agent_alice, lead_linda, manager_mike):
    team_set_assignment_mode(actor=manager_mike, team=front_team, mode=AssignmentMode.MANUAL)
    ticket, _ = mk(lead_linda)
    with django_capture_on_commit_callbacks(execute=True):
        team_set_assignment_mode(actor=manager_mike, team=front_team, mode=AssignmentMode.ROUND_ROBIN)
    ticket.refresh_from_db()
    assert ticket.assignee == agent_alice


def test_round_robin_takes_turns(mk, front_team, agent_alice, teammate_bob, lead_linda, manager_mike):
    team_set_assignment_mode(actor=manager_mike, team=front_team, mode=AssignmentMode.ROUND_ROBIN)
    got = [mk(lead_linda)[0].assignee for _ in range(4)]
    assert got == [agent_alice, teammate_bob, agent_alice, teammate_bob]


def test_agent_claimed_at_intake_is_kept(mk, agent_alice, teammate_bob):
    ticket, d = mk(agent_alice, assignee=agent_alice)
    assert ticket.assignee == agent_alice and d.outcome == Outcome.KEPT


def test_triage_keywords_raise_priority_and_are_recorded(mk, agent_alice, lead_linda):
    rules_install_defaults()
    ticket, _ = mk(lead_linda, title="再不处理我就打12315", description="还要找记者曝光")
    assert ticket.priority == "high"
    row = ticket.dispatch
    assert row.priority_before == "normal"
    [fired] = row.fired
    assert fired["rule"] and "keywords:12315,记者,曝光" in fired["why"]
    event = ticket.events.get(kind=EventKind.PRIORITY_CHANGED)
    assert event.data["to"] == "high" and fired["rule"] in event.data["reason"]
    assert set(DEFAULT_KEYWORDS) == set(TriageRule.objects.get().keywords)


def test_vip_and_tier_and_repeat_rules(mk, agent_alice, lead_linda, tier_normal):
    from kefu.tests.factories import TierFactory

    diamond = TierFactory(name="钻石", rank=9)
    vip_rule = TriageRule.objects.create(name="VIP", match_vip=True, set_priority="high")
    tier_rule = TriageRule.objects.create(name="钻石", set_priority="high")
    tier_rule.match_tiers.add(diamond)
    TriageRule.objects.create(name="重复来电", repeat_within_days=3, repeat_min_count=1, set_priority="urgent")
    config.rules_changed()
    vip = CustomerFactory(name="贵宾", is_vip=True)
    t, _ = mk(lead_linda, customer=vip)
    assert t.priority == "high" and [f["rule"] for f in t.dispatch.fired] == ["VIP"]
    rich = CustomerFactory(name="钻石客户", tier=diamond)
    t, _ = mk(lead_linda, customer=rich)
    assert [f["rule"] for f in t.dispatch.fired] == ["钻石"]
    t, _ = mk(lead_linda, customer=rich)
    assert t.priority == "urgent" and "重复来电" in [f["rule"] for f in t.dispatch.fired]
    assert vip_rule.pk


def test_major_complaint_notifies_supervisors_and_expert(django_capture_on_commit_callbacks, mailoutbox, mk,
                                                        agent_alice, lead_linda, manager_mike, outsider_charlie):
    outsider_charlie.email = "expert@example.com"
    outsider_charlie.save(update_fields=["email"])
    rule = TriageRule.objects.create(name="媒体", keywords=["媒体"], set_severity=Severity.URGENT)
    rule.notify_users.add(outsider_charlie)
    config.rules_changed()
    with django_capture_on_commit_callbacks(execute=True):
        ticket, _ = mk(lead_linda, title="我要联系媒体", kind=TicketKind.COMPLAINT)
    assert ticket.dispatch.severity == Severity.URGENT
    notified = set(Notification.objects.filter(ticket=ticket).values_list("user__username", flat=True))
    assert notified == {"linda", "mike", "charlie"}
    assert mailoutbox and "expert@example.com" in mailoutbox[0].to
    plain, _ = mk(lead_linda, title="一般投诉", kind=TicketKind.COMPLAINT)
    assert plain.dispatch.severity == Severity.GENERAL
    assert not Notification.objects.filter(ticket=plain).exists()


def test_repeat_complaint_is_flagged_and_linked(mk, agent_alice, lead_linda, customer_wang, category_billing):
    old, _ = mk(lead_linda, title="扣费不对", kind=TicketKind.COMPLAINT, customer=customer_wang, category=category_billing)
    other, _ = mk(lead_linda, title="别的", kind=TicketKind.INQUIRY, customer=customer_wang, category=category_billing)
    new, _ = mk(lead_linda, title="又扣费了", kind=TicketKind.COMPLAINT, customer=customer_wang, category=category_billing)
    row = new.dispatch
    assert row.is_repeat_complaint and row.repeat_of == [old.number] and row.flagged_at
    assert TicketLink.objects.filter(from_ticket=new, to_ticket=old).exists()
    assert not TicketLink.objects.filter(to_ticket=other).exists()
    assert not old.dispatch.is_repeat_complaint


def test_category_suggestion_accept_and_dismiss(mk, agent_alice, teammate_bob, lead_linda, outsider_charlie):
    refund = CategoryFactory(name="退款")
    CategoryRule.objects.create(category=refund, keywords=["退款", "到账"])
    config.rules_changed()
    ticket, _ = mk(lead_linda, title="退款一直不到账")
    row = ticket.dispatch
    assert row.suggested_category == refund and row.suggestion_state == SuggestionState.PENDING
    with pytest.raises(DomainError):
        category_suggestion_accept(actor=outsider_charlie, number=ticket.number)
    ticket = category_suggestion_accept(actor=agent_alice, number=ticket.number)
    assert ticket.category == refund
    assert TicketDispatch.objects.get(ticket=ticket).suggestion_state == SuggestionState.ACCEPTED
    with pytest.raises(DomainError) as exc:
        category_suggestion_accept(actor=agent_alice, number=ticket.number)
    assert exc.value.code == "no_category_suggestion"
    other, _ = mk(lead_linda, title="退款")
    category_suggestion_dismiss(actor=teammate_bob, number=other.number)
    assert TicketDispatch.objects.get(ticket=other).suggestion_state == SuggestionState.DISMISSED


def test_category_suggestion_from_the_customers_last_category(mk, agent_alice, lead_linda, customer_wang, category_billing):
    mk(lead_linda, customer=customer_wang, category=category_billing)
    t, _ = mk(lead_linda, title="还是那个问题", customer=customer_wang)
    assert t.dispatch.suggested_category == category_billing and t.dispatch.suggestion_reasons == ["recent"]


def test_routing_rule_sends_to_team_with_skills(mk, aftersales_team, outsider_charlie, agent_alice, lead_linda, category_billing):
    car = Skill.objects.create(name="汽车")
    sub = CategoryFactory(name="退费", parent=category_billing)
    rule = RoutingRule.objects.create(name="账单到售后", team=aftersales_team, match_kinds=["inquiry"])
    rule.match_categories.add(category_billing)
    rule.required_skills.add(car)
    config.rules_changed()
    user_set_presence(actor=outsider_charlie, user=outsider_charlie, presence=Presence.ONLINE)
    outsider_charlie.refresh_from_db()
    t, d = mk(lead_linda, category=sub)
    assert t.team == aftersales_team and t.assignee is None
    assert d.candidates[0]["verdict"] == "missing_skill" and t.dispatch.required_skill_ids == [car.pk]
    outsider_charlie.skills.add(car)
    dispatch_team_queue(aftersales_team)
    t.refresh_from_db()
    assert t.assignee == outsider_charlie
    t2, d2 = mk(lead_linda)  # no category: default team
    assert t2.team.is_default and "default" in " ".join(d2.notes).lower() or d2.notes


def test_vip_goes_to_account_manager_when_online_else_vip_team(mk, front_team, agent_alice, lead_linda):
    vip_team = Team.objects.create(name="VIP")
    manager = UserFactory(username="am", team=vip_team, presence=Presence.ONLINE)
    vip_agent = UserFactory(username="vipagent", team=vip_team, presence=Presence.ONLINE)
    RoutingRule.objects.create(name="VIP", match_vip=True, team=vip_team, skip_sticky=True)
    config.rules_changed()
    customer = CustomerFactory(name="大客户", is_vip=True, account_manager=manager)
    t, d = mk(lead_linda, customer=customer)
    assert t.assignee == manager and d.mode == "account_manager"
    user_set_presence(actor=manager, user=manager, presence=Presence.BUSY)
    t, d = mk(lead_linda, customer=customer)
    assert t.assignee == vip_agent and t.team == vip_team and d.mode == AssignmentMode.LOAD_BALANCED
    assert any("manager" in n.lower() or "经理" in n for n in d.notes)


def test_sticky_to_last_agent(mk, agent_alice, teammate_bob, lead_linda, customer_wang):
    first, _ = mk(lead_linda, customer=customer_wang)
    for _ in range(3):  # load the sticky agent more than the other
        mk(lead_linda)
    again, d = mk(lead_linda, customer=customer_wang)
    assert again.assignee == first.assignee and d.mode == "sticky"
    user_set_presence(actor=first.assignee, user=first.assignee, presence=Presence.BUSY)
    third, d = mk(lead_linda, customer=customer_wang)
    assert third.assignee != first.assignee and d.mode == AssignmentMode.LOAD_BALANCED


def test_going_away_returns_untouched_tickets_only(mk, front_team, agent_alice, teammate_bob, lead_linda):
    user_set_presence(actor=teammate_bob, user=teammate_bob, presence=Presence.OFFLINE)
    untouched, _ = mk(lead_linda)
    started, _ = mk(lead_linda)
    noted, _ = mk(lead_linda)
    assert untouched.assignee == started.assignee == noted.assignee == agent_alice
    ticket_add_message(actor=agent_alice, number=started.number, kind=MessageKind.REPLY, body="您好")
    ticket_add_message(actor=agent_alice, number=noted.number, kind=MessageKind.NOTE, body="查一下")
    user_set_presence(actor=teammate_bob, user=teammate_bob, presence=Presence.ONLINE)
    user_set_presence(actor=agent_alice, user=agent_alice, presence=Presence.AWAY)
    decisions = dispatch_on_presence_change(user=agent_alice)
    untouched.refresh_from_db()
    started.refresh_from_db()
    noted.refresh_from_db()
    assert untouched.assignee == teammate_bob  # returned and re-dispatched
    assert started.assignee == agent_alice and noted.assignee == agent_alice
    assert [d.outcome for d in decisions] == [Outcome.RETURNED, Outcome.ASSIGNED]


def test_bounced_ticket_is_flagged_and_leads_told(mk, front_team, aftersales_team, agent_alice, lead_linda, manager_mike):
    ticket, _ = mk(lead_linda)
    ticket_transfer(actor=manager_mike, number=ticket.number, to_team=aftersales_team, reason="售后处理")
    assert dispatch_on_transfer(ticket_id=ticket.pk).outcome == Outcome.QUEUED
    assert not TicketDispatch.objects.get(ticket=ticket).bounced
    ticket_transfer(actor=manager_mike, number=ticket.number, to_team=front_team, reason="不归我们管")
    dispatch_on_transfer(ticket_id=ticket.pk)
    row = TicketDispatch.objects.get(ticket=ticket)
    assert row.bounced and row.flagged_at
    assert Notification.objects.filter(ticket=ticket, user=lead_linda).exists()


def test_bounced_by_count(mk, front_team, aftersales_team, lead_linda, manager_mike, settings):
    settings.KEFU_DISPATCH_BOUNCE_LIMIT = 1
    third = Team.objects.create(name="物流")
    ticket, _ = mk(lead_linda)
    ticket_transfer(actor=manager_mike, number=ticket.number, to_team=aftersales_team, reason="a")
    dispatch_on_transfer(ticket_id=ticket.pk)
    ticket_transfer(actor=manager_mike, number=ticket.number, to_team=third, reason="b")
    dispatch_on_transfer(ticket_id=ticket.pk)
    assert TicketDispatch.objects.get(ticket=ticket).bounce_reason


def test_back_office_reply_limit(mk, lead_linda, manager_mike, settings):
    from kefu.sla.models import SlaPolicy

    SlaPolicy.objects.update(dispatch_minutes=None)  # no SLA dispatch target: the setting applies
    settings.KEFU_DISPATCH_BACK_OFFICE_REPLY_MINUTES = 60
    back = Team.objects.create(name="法务", kind=TeamKind.BACK_OFFICE)
    lawyer = UserFactory(username="lawyer", team=back)
    ticket, _ = mk(lead_linda)
    before = timezone.now()
    ticket_transfer(actor=manager_mike, number=ticket.number, to_team=back, reason="法律问题")
    dispatch_on_transfer(ticket_id=ticket.pk)
    row = TicketDispatch.objects.get(ticket=ticket)
    assert row.back_office_team == back
    assert timedelta(minutes=59) < row.back_office_due_at - before < timedelta(minutes=61)
    due = row.back_office_due_at
    assert dispatch_back_office_check(dispatch_id=row.pk, due_at=due, now=due) is True
    assert dispatch_back_office_check(dispatch_id=row.pk, due_at=due, now=due) is False  # claimed once
    row.refresh_from_db()
    assert row.back_office_overdue and row.flagged_at
    assert Notification.objects.filter(ticket=ticket, user=lead_linda).exists()  # the owner hears of it
    # Answered in time: no flag.
    ticket2, _ = mk(lead_linda)
    ticket_transfer(actor=manager_mike, number=ticket2.number, to_team=back, reason="法律问题")
    dispatch_on_transfer(ticket_id=ticket2.pk)
    ticket_add_message(actor=lawyer, number=ticket2.number, kind=MessageKind.NOTE, body="已看")
    row2 = TicketDispatch.objects.get(ticket=ticket2)
    dispatch_back_office_check(dispatch_id=row2.pk, due_at=row2.back_office_due_at, now=row2.back_office_due_at)
    row2.refresh_from_db()
    assert not row2.back_office_overdue


def test_back_office_limit_from_the_sla_dispatch_target(mk, lead_linda, manager_mike):
    from kefu.sla.config import sla_config_changed
    from kefu.sla.models import BusinessCalendar, SlaPolicy
    from kefu.sla.services import sla_recompute

    BusinessCalendar.objects.update(is_24x7=True)
    SlaPolicy.objects.update(dispatch_minutes=30)
    sla_config_changed()
    back = Team.objects.create(name="法务", kind=TeamKind.BACK_OFFICE)
    ticket, _ = mk(lead_linda)
    sla_recompute(ticket.pk)
    ticket_transfer(actor=manager_mike, number=ticket.number, to_team=back, reason="法律问题")
    before = timezone.now()
    dispatch_on_transfer(ticket_id=ticket.pk)
    row = TicketDispatch.objects.get(ticket=ticket)
    assert timedelta(minutes=29) < row.back_office_due_at - before < timedelta(minutes=31)


def test_dispatch_on_create_never_raises(mk, agent_alice, lead_linda):
    assert dispatch_on_create(ticket_id=999_999) is None
    ticket, _ = mk(lead_linda)
    assert dispatch_on_create(ticket_id=ticket.pk, ticket=ticket) is None  # dispatched once only
    assert DispatchDecision.objects.filter(ticket=ticket).count() == 1


def test_rule_save_needs_a_manager(agent_alice, front_team):
    with pytest.raises(Forbidden):
        rule_save(actor=agent_alice, obj=RoutingRule(name="x", team=front_team))
    assert not RoutingRule.objects.exists()


def test_rules_are_reloaded_after_an_edit(front_team, manager_mike):
    assert config.get_rules().routing == ()
    rule_save(actor=manager_mike, obj=RoutingRule(name="x", team=front_team))
    assert [r.name for r in config.get_rules().routing] == ["x"]
    assert DispatchDecision.objects.count() == 0
    assert Role.AGENT


def test_clock_fires_back_office_limit(mk, lead_linda, manager_mike, settings):
    from kefu.core.clock import load_jobs, run_pass

    settings.KEFU_DISPATCH_BACK_OFFICE_REPLY_MINUTES = 10
    from kefu.sla.models import SlaPolicy

    SlaPolicy.objects.update(dispatch_minutes=None)
    back = Team.objects.create(name="技术", kind=TeamKind.BACK_OFFICE)
    ticket, _ = mk(lead_linda)
    ticket_transfer(actor=manager_mike, number=ticket.number, to_team=back, reason="技术问题")
    dispatch_on_transfer(ticket_id=ticket.pk)
    job = next(j for j in load_jobs() if j.name == "dispatch_back_office")
    result = run_pass(job_list=[job], now=timezone.now() + timedelta(minutes=11))
    assert result.by_job == {"dispatch_back_office": 1}
    assert TicketDispatch.objects.get(ticket=ticket).back_office_overdue


def test_retriage_after_an_edit(mk, agent_alice, lead_linda):
    from kefu.dispatch.services import dispatch_retriage
    from kefu.tickets.services import ticket_update

    rules_install_defaults()
    ticket, _ = mk(lead_linda, title="咨询话费")
    assert ticket.priority == "normal" and ticket.dispatch.fired == []
    ticket_update(actor=agent_alice, number=ticket.number, changes={"description": "不解决就找记者"})
    row = dispatch_retriage(ticket_id=ticket.pk)
    ticket.refresh_from_db()
    assert ticket.priority == "high" and row.fired and row.priority_before == "normal"


def test_drain_on_commit_helper(django_capture_on_commit_callbacks, mk, front_team, agent_alice, lead_linda):
    from kefu.dispatch.services import dispatch_team_queue_on_commit

    agent_alice.capacity = 0
    agent_alice.save(update_fields=["capacity"])
    ticket, _ = mk(lead_linda)
    agent_alice.capacity = 1
    agent_alice.save(update_fields=["capacity"])
    with django_capture_on_commit_callbacks(execute=True):
        dispatch_team_queue_on_commit(front_team.pk)
        dispatch_team_queue_on_commit(None)
    ticket.refresh_from_db()
    assert ticket.assignee == agent_alice


def test_rebalance_moves_untouched_tickets_to_keep_loads_within_two(mk, front_team, agent_alice, teammate_bob, lead_linda):
    user_set_presence(actor=teammate_bob, user=teammate_bob, presence=Presence.OFFLINE)
    tickets = [mk(lead_linda)[0] for _ in range(5)]
    assert all(t.assignee == agent_alice for t in tickets)
    ticket_add_message(actor=agent_alice, number=tickets[0].number, kind=MessageKind.REPLY, body="处理中")
    user_set_presence(actor=teammate_bob, user=teammate_bob, presence=Presence.ONLINE)
    decisions = dispatch_on_presence_change(user=teammate_bob)
    loads = {u: tickets[0].__class__.objects.filter(assignee=u).count() for u in (agent_alice, teammate_bob)}
    assert loads == {agent_alice: 3, teammate_bob: 2}
    assert len(decisions) == 2 and all("Rebalanced" in d.notes[0] or "重新" in d.notes[0] or d.notes for d in decisions)
    tickets[0].refresh_from_db()
    assert tickets[0].assignee == agent_alice  # started work never moves
    # Round-robin and manual teams are not rebalanced.


def test_hooks_never_raise(front_team, agent_alice):
    assert dispatch_on_transfer(ticket_id=999_999) is None
    ghost = UserFactory(username="ghost", team=front_team, presence=Presence.OFFLINE)
    ghost.pk = 999_999  # not a row: nothing to return, nothing breaks
    assert dispatch_on_presence_change(user=ghost) == []


def test_transfer_hook_inside_the_transfer_transaction(mk, front_team, aftersales_team, outsider_charlie, lead_linda, manager_mike):
    from django.db import transaction

    user_set_presence(actor=outsider_charlie, user=outsider_charlie, presence=Presence.ONLINE)
    ticket, _ = mk(lead_linda)
    with transaction.atomic():
        ticket_transfer(actor=manager_mike, number=ticket.number, to_team=aftersales_team, reason="售后")
        decision = dispatch_on_transfer(ticket_id=ticket.pk)
    ticket.refresh_from_db()
    assert ticket.assignee == outsider_charlie and decision.trigger == Trigger.TRANSFER
    assert ticket.owner == lead_linda  # 首问负责人 stays

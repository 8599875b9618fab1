from __future__ import annotations

import random
from pathlib import Path

import pytest
from django.conf import settings

from kefu.core.errors import DomainError, Forbidden
from kefu.dispatch.models import TriageRule
from kefu.dispatch.services import rules_install_defaults
from kefu.tests.factories import TicketFactory
from kefu.tickets.choices import Priority, TicketKind
from kefu.tickets.models import Ticket
from kefu.tickets.services import ticket_update
from kefu.triage import store
from kefu.triage.choices import DecidedBy, Field, Mode, State
from kefu.triage.models import TriageFeedback, TriageModel, TriageSuggestion
from kefu.triage.selectors import training_examples
from kefu.triage.services import (
    policy_set,
    schedule_ensure,
    suggestion_accept,
    suggestion_dismiss,
    triage_train,
    triage_train_nightly,
)
from kefu.triage.tests.conftest import make_history, on_commit

pytestmark = pytest.mark.django_db


def _new(actor, title: str, description: str = "", **kw) -> Ticket:
    with on_commit():
        ticket = TicketFactory(actor=actor, title=title, description=description, **kw)
    return ticket


def _by_field(ticket: Ticket) -> dict[str, TriageSuggestion]:
    return {s.field: s for s in TriageSuggestion.objects.filter(ticket=ticket)}


def test_training_stores_a_versioned_file_under_the_data_dir_and_promotes_the_first(trained) -> None:
    assert trained.version == 1 and trained.is_active and trained.promoted
    assert trained.previous_score is None
    assert (Path(settings.DATA_DIR) / "triage" / "model-v1.joblib").is_file()
    assert trained.n_train + trained.n_test == 120
    assert set(trained.scores["fields"]) == {"category", "priority", "complaint", "team"}
    assert trained.scores["fields"]["category"]["accuracy"] > 0.8


def test_a_new_ticket_gets_suggestions_with_confidence_and_reasons(trained, agent_alice, categories) -> None:
    ticket = _new(agent_alice, "光猫红灯闪烁无法上网", "服务太差要投诉曝光，宽带掉线")
    rows = _by_field(ticket)
    cat = rows[Field.CATEGORY]
    assert cat.value == str(categories["宽带"].pk) and cat.label == "宽带" and cat.state == State.PENDING
    assert 0.5 < cat.confidence <= 1 and cat.model_version == 1
    assert any("光猫" in r or "宽带" in r or "上网" in r for r in cat.reasons)
    assert rows[Field.COMPLAINT].value == "yes" and rows[Field.COMPLAINT].state == State.PENDING
    assert rows[Field.TEAM].label == "售后"
    ticket.refresh_from_db()
    assert ticket.category_id is None and ticket.kind == TicketKind.INQUIRY  # suggest only: nothing changed


def test_accept_sets_the_value_through_the_ticket_services_and_records_feedback(trained, agent_alice, categories) -> None:
    ticket = _new(agent_alice, "话费扣款不对", "账单金额有误")
    s = _by_field(ticket)[Field.CATEGORY]
    with on_commit():
        suggestion_accept(actor=agent_alice, suggestion_id=s.pk)
    ticket.refresh_from_db()
    assert ticket.category == categories["账单"]
    s.refresh_from_db()
    assert s.state == State.ACCEPTED and s.decided_by == DecidedBy.AGENT and s.resolved_by == agent_alice
    fb = TriageFeedback.objects.get(suggestion=s)
    assert fb.accepted and fb.final == fb.suggested == str(categories["账单"].pk) and fb.actor == agent_alice
    assert ticket.events.filter(kind="fields_changed", actor=agent_alice).exists()
    with pytest.raises(DomainError) as caught:
        suggestion_accept(actor=agent_alice, suggestion_id=s.pk)
    assert caught.value.code == "triage_not_pending"


def test_dismiss_and_an_agents_correction_are_recorded(trained, agent_alice, categories) -> None:
    ticket = _new(agent_alice, "话费扣款不对", "账单金额有误，我要投诉")
    rows = _by_field(ticket)
    suggestion_dismiss(actor=agent_alice, suggestion_id=rows[Field.COMPLAINT].pk)
    assert TriageFeedback.objects.get(suggestion=rows[Field.COMPLAINT]).final == ""
    with on_commit():  # the agent picks another category by hand
        ticket_update(actor=agent_alice, number=ticket.number, changes={"category": categories["账号"]})
    s = TriageSuggestion.objects.get(pk=rows[Field.CATEGORY].pk)
    assert s.state == State.CORRECTED
    fb = TriageFeedback.objects.get(suggestion=s)
    assert not fb.accepted and fb.final == str(categories["账号"].pk)


def test_feedback_feeds_the_next_training_even_before_the_ticket_closes(trained, agent_alice, categories) -> None:
    ticket = _new(agent_alice, "话费扣款不对", "账单金额有误")
    with on_commit():
        ticket_update(actor=agent_alice, number=ticket.number, changes={"category": categories["账号"]})
    examples = training_examples()
    assert len(examples) == 121
    fed = examples[-1]
    assert fed.title == "话费扣款不对" and fed.labels == {"category": str(categories["账号"].pk)} and fed.weight == 3.0


def test_an_outsider_cannot_accept_a_suggestion_on_a_ticket_they_cannot_see(trained, agent_alice, outsider_charlie, qa_quinn) -> None:
    ticket = _new(agent_alice, "话费扣款不对")
    s = _by_field(ticket)[Field.CATEGORY]
    with pytest.raises(DomainError) as caught:
        suggestion_accept(actor=outsider_charlie, suggestion_id=s.pk)
    assert caught.value.status == 404
    with pytest.raises(Forbidden):
        suggestion_accept(actor=qa_quinn, suggestion_id=s.pk)


def test_auto_apply_above_the_threshold_changes_the_ticket_as_the_robot(trained, agent_alice, manager_mike, categories) -> None:
    policy_set(actor=manager_mike, field=Field.CATEGORY, mode=Mode.AUTO, threshold=0.5)
    policy_set(actor=manager_mike, field=Field.COMPLAINT, mode=Mode.AUTO, threshold=0.5)
    ticket = _new(agent_alice, "快递一直没有送到", "包裹显示签收但没收到，我要投诉")
    ticket.refresh_from_db()
    assert ticket.category == categories["物流"] and ticket.kind == TicketKind.COMPLAINT
    rows = _by_field(ticket)
    assert rows[Field.CATEGORY].state == State.APPLIED and rows[Field.CATEGORY].decided_by == DecidedBy.MODEL
    assert ticket.events.filter(kind="fields_changed", actor__username="triage-bot").count() == 2
    assert not TriageFeedback.objects.exists()  # the robot's own change is not feedback


def test_auto_apply_never_overrules_a_category_chosen_at_intake(trained, agent_alice, manager_mike, categories) -> None:
    policy_set(actor=manager_mike, field=Field.CATEGORY, mode=Mode.AUTO, threshold=0.5)
    ticket = _new(agent_alice, "快递一直没有送到", category=categories["账号"])
    ticket.refresh_from_db()
    assert ticket.category == categories["账号"]
    assert _by_field(ticket)[Field.CATEGORY].state == State.PENDING


def test_ignore_stores_nothing_for_the_field(trained, agent_alice, manager_mike) -> None:
    policy_set(actor=manager_mike, field=Field.TEAM, mode=Mode.IGNORE, threshold=0.9)
    ticket = _new(agent_alice, "快递一直没有送到")
    assert Field.TEAM not in _by_field(ticket)


def test_a_keyword_rule_wins_and_the_record_says_so(trained, agent_alice, manager_mike, settings) -> None:
    settings.KEFU_AUTO_DISPATCH = True
    rules_install_defaults()  # 12315, 媒体 … raise to high
    policy_set(actor=manager_mike, field=Field.PRIORITY, mode=Mode.AUTO, threshold=0.5)
    ticket = _new(agent_alice, "紧急 宽带无法上网", "再不处理就打12315，非常紧急马上处理")
    ticket.refresh_from_db()
    assert ticket.priority == Priority.HIGH
    s = _by_field(ticket)[Field.PRIORITY]
    assert s.state == State.RULE and s.decided_by == DecidedBy.RULE
    assert s.rule_note == TriageRule.objects.get().name


def test_a_worse_model_is_not_promoted(trained, manager_mike) -> None:
    # Scramble the history's categories and teams: a model learnt from them must score worse.
    rng = random.Random(3)
    tickets = list(Ticket.objects.order_by("id"))
    cats = [t.category_id for t in tickets]
    teams = [t.team_id for t in tickets]
    rng.shuffle(cats)
    rng.shuffle(teams)
    for t, c, team in zip(tickets, cats, teams, strict=True):
        Ticket.objects.filter(pk=t.pk).update(category_id=c, team_id=team, kind=TicketKind.INQUIRY, priority=Priority.NORMAL)
    second = triage_train(actor=manager_mike)
    assert second.version == 2 and not second.promoted and not second.is_active
    assert second.previous_version == 1 and second.score < second.previous_score
    assert TriageModel.objects.get(is_active=True).version == 1
    assert store.active()[0].version == 1


def test_an_equal_or_better_model_replaces_the_old_one(trained, manager_mike) -> None:
    second = triage_train(actor=manager_mike)
    assert second.promoted and second.is_active and second.score >= second.previous_score
    assert TriageModel.objects.get(is_active=True).version == 2


def test_too_little_history_and_a_non_manager_are_refused(manager_mike, agent_alice, categories, teams) -> None:
    make_history(manager_mike, categories, teams, n=8)
    with pytest.raises(DomainError) as caught:
        triage_train(actor=manager_mike)
    assert caught.value.code == "triage_not_enough_history"
    with pytest.raises(Forbidden):
        triage_train(actor=agent_alice)
    with pytest.raises(DomainError) as caught:
        policy_set(actor=manager_mike, field=Field.TEAM, mode=Mode.AUTO, threshold=0.2)
    assert caught.value.code == "triage_invalid_threshold"


def test_no_model_no_suggestions(agent_alice, db) -> None:
    ticket = _new(agent_alice, "快递一直没有送到")
    assert not TriageSuggestion.objects.filter(ticket=ticket).exists()


def test_the_nightly_job_claims_its_row_once_and_trains(history) -> None:
    row = schedule_ensure()
    due = row.train_due_at
    assert triage_train_nightly(schedule_id=row.pk, due_at=due, now=due) is True
    assert triage_train_nightly(schedule_id=row.pk, due_at=due, now=due) is False  # another clock won
    row.refresh_from_db()
    assert row.train_due_at > due and row.last_result.startswith("v1 promoted")
    assert TriageModel.objects.filter(is_active=True, note="nightly").exists()

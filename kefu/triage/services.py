"""Writes of AI triage: predictions for new tickets (suggest or auto-apply), accepting and
dismissing, agents' corrections, the policy, and training with promotion.

Every change to a ticket goes through kefu.tickets.services (as the triage robot when applied
automatically, as the agent when accepted), so the timeline, SLA and dispatch see it like any
other change. Keyword rules win: when a dispatch triage rule set the priority, a CategoryRule
matched the text or a routing rule chose the team, the prediction is only recorded (state "rule").
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.accounts.choices import Role
from kefu.accounts.models import Team, User
from kefu.core.errors import DomainError, NotFound
from kefu.dispatch.models import TicketDispatch
from kefu.tickets.access import access_ticket, require_write
from kefu.tickets.choices import PRIORITY_RANK, Priority, TicketKind
from kefu.tickets.models import Category, Ticket
from kefu.tickets.services import ticket_change_priority, ticket_transfer, ticket_update
from kefu.triage import engine, store
from kefu.triage.access import require_manage
from kefu.triage.choices import COMPLAINT_YES, DecidedBy, Field, Mode, State
from kefu.triage.models import TriageFeedback, TriageModel, TriagePolicy, TriageSchedule, TriageSuggestion
from kefu.triage.selectors import example_for_ticket, labels_of, policy_map, training_examples, value_label

logger = logging.getLogger("kefu.triage")

ROBOT_USERNAME = "triage-bot"
MIN_EXAMPLES = 20
NIGHTLY_HOUR = 3  # local time (Asia/Shanghai) of the nightly training
OPEN_STATES = (State.PENDING, State.APPLIED, State.SAME, State.RULE)


def triage_robot() -> User:
    """The actor of automatic changes (a manager account nobody can log in with)."""
    user = User.objects.filter(username=ROBOT_USERNAME).first()
    if user is not None:
        return user
    try:
        with transaction.atomic():
            user = User.objects.create(username=ROBOT_USERNAME, display_name=_("AI triage"), role=Role.MANAGER)
            user.set_unusable_password()
            user.save(update_fields=["password"])
    except IntegrityError:
        user = User.objects.get(username=ROBOT_USERNAME)
    return user


# --- predicting for a new ticket -------------------------------------------------------------------


def _rule_decisions(ticket_id: int) -> dict[str, str]:
    """Which fields a keyword rule of dispatch decided, with the rule's name."""
    row = TicketDispatch.objects.filter(ticket_id=ticket_id).select_related("routing_rule").first()
    if row is None:
        return {}
    out: dict[str, str] = {}
    raised = [str(f.get("rule", "")) for f in row.fired if f.get("priority")]
    if raised:
        out[Field.PRIORITY] = "、".join(raised)
    if row.suggested_category_id and any(str(r).startswith("keywords:") for r in row.suggestion_reasons):
        out[Field.CATEGORY] = str(_("category keywords"))
    if row.routing_rule_id and row.routing_rule is not None:
        out[Field.TEAM] = row.routing_rule.name
    return out


def _may_auto(field: str, ticket: Ticket, value: str) -> bool:
    """Automatic changes never overrule what a person chose at intake: a category only on a ticket
    without one, a priority only upwards, a complaint only from an inquiry, a team only for a
    ticket nobody holds yet."""
    if field == Field.CATEGORY:
        return ticket.category_id is None
    if field == Field.PRIORITY:
        return value in Priority.values and PRIORITY_RANK[Priority(value)] > PRIORITY_RANK[Priority(ticket.priority)]
    if field == Field.COMPLAINT:
        return value == COMPLAINT_YES and ticket.kind == TicketKind.INQUIRY
    if field == Field.TEAM:
        return ticket.assignee_id is None and ticket.is_open
    return False


def _apply(field: str, value: str, *, ticket: Ticket, actor: User, reason: str) -> None:
    """Set one predicted value on the ticket through the ticket services (which check access)."""
    if field == Field.CATEGORY:
        category = Category.objects.filter(pk=int(value), is_active=True).first()
        if category is None:
            raise DomainError(code="triage_value_gone", message=_("This category is no longer in use."))
        ticket_update(actor=actor, number=ticket.number, changes={"category": category})
    elif field == Field.PRIORITY:
        ticket_change_priority(actor=actor, number=ticket.number, priority=value, reason=reason)
    elif field == Field.COMPLAINT:
        ticket_update(actor=actor, number=ticket.number, changes={"kind": TicketKind.COMPLAINT if value == COMPLAINT_YES else TicketKind.INQUIRY})
    elif field == Field.TEAM:
        team = Team.objects.filter(pk=int(value), is_active=True).first()
        if team is None:
            raise DomainError(code="triage_value_gone", message=_("This team is no longer active."))
        if team.pk != ticket.team_id:
            ticket_transfer(actor=actor, number=ticket.number, to_team=team, reason=reason)


def triage_on_create(*, ticket_id: int, now: datetime | None = None) -> list[TriageSuggestion]:
    """Predict the new ticket's category, priority, complaint flag and team with the active model
    and, per field's policy: ignore; suggest (pending until an agent accepts or dismisses); or apply
    automatically when the confidence reaches the threshold and the change is allowed (see
    `_may_auto`). Runs after the create committed (reaction `triage.on_create`): nothing here adds
    to the create path's statements. No active model: nothing happens."""
    loaded = store.active()
    if loaded is None:
        return []
    model_row, bundle = loaded
    now = now or timezone.now()
    ticket = Ticket.objects.select_related("customer").filter(pk=ticket_id).first()
    if ticket is None or TriageSuggestion.objects.filter(ticket_id=ticket_id).exists():
        return []
    predictions = bundle.predict_one(example_for_ticket(ticket))
    policies = policy_map()
    rules = _rule_decisions(ticket_id)
    current = labels_of(ticket)
    out = []
    for field in Field.values:
        p = predictions.get(field)
        policy = policies[field]
        if p is None or policy.mode == Mode.IGNORE:
            continue
        if field == Field.COMPLAINT and p.value != COMPLAINT_YES and current[field] != COMPLAINT_YES:
            continue  # "not a complaint" on an ordinary ticket: nothing to say
        label = value_label(field, p.value)
        if label is None:
            continue
        state, decided, note = State.PENDING, "", ""
        if field in rules:
            state, decided, note = State.RULE, DecidedBy.RULE, rules[field]
        elif current[field] == p.value:
            state = State.SAME
        elif policy.mode == Mode.AUTO and p.confidence >= policy.threshold and _may_auto(field, ticket, p.value):
            state, decided = State.APPLIED, DecidedBy.MODEL
        suggestion = TriageSuggestion.objects.create(
            ticket=ticket, field=field, value=p.value, label=label[:200], confidence=p.confidence,
            reasons=p.reasons, model_version=model_row.version, state=state, decided_by=decided,
            rule_note=note[:200], created_at=now,
        )
        if state == State.APPLIED:
            reason = _("AI triage v%(v)s, confidence %(p)s%%: %(words)s") % {
                "v": model_row.version, "p": suggestion.percent, "words": "、".join(p.reasons[:3]),
            }
            try:
                with transaction.atomic():
                    _apply(field, p.value, ticket=ticket, actor=triage_robot(), reason=reason[:500])
                ticket.refresh_from_db()
            except DomainError as exc:
                logger.info("triage: %s %s not applied: %s", ticket.number, field, exc.message)
                suggestion.state, suggestion.decided_by = State.PENDING, ""
                suggestion.save(update_fields=["state", "decided_by"])
        out.append(suggestion)
    return out


# --- the agent's side ------------------------------------------------------------------------------


def _suggestion_for(actor: User, suggestion_id: int) -> TriageSuggestion:
    s = TriageSuggestion.objects.select_for_update().filter(pk=suggestion_id).first()
    if s is None:
        raise NotFound(code="triage_suggestion_not_found", message=_("Suggestion not found."))
    access_ticket(user=actor, ticket_id=s.ticket_id)  # an invisible ticket: 404
    return s


def suggestion_accept(*, actor: User, suggestion_id: int) -> TriageSuggestion:
    """Set the suggested value on the ticket as `actor` (through the ticket services) and record the
    acceptance for the next training. Only a pending suggestion can be accepted."""
    require_write(actor)
    with transaction.atomic():
        s = _suggestion_for(actor, suggestion_id)
        if s.state != State.PENDING:
            raise DomainError(code="triage_not_pending", message=_("This suggestion was already handled."))
        ticket = Ticket.objects.get(pk=s.ticket_id)
        _apply(s.field, s.value, ticket=ticket, actor=actor, reason=_("Accepted the AI triage suggestion."))
        now = timezone.now()
        s.state, s.decided_by, s.resolved_at, s.resolved_by = State.ACCEPTED, DecidedBy.AGENT, now, actor
        s.save(update_fields=["state", "decided_by", "resolved_at", "resolved_by"])
        TriageFeedback.objects.create(
            suggestion=s, ticket_id=s.ticket_id, field=s.field, suggested=s.value, final=s.value, accepted=True,
            actor=actor, created_at=now,
        )
    return s


def suggestion_dismiss(*, actor: User, suggestion_id: int) -> TriageSuggestion:
    """The agent says the suggestion is wrong without choosing another value (recorded; a later
    change of the field by an agent records the right value)."""
    require_write(actor)
    with transaction.atomic():
        s = _suggestion_for(actor, suggestion_id)
        if s.state != State.PENDING:
            raise DomainError(code="triage_not_pending", message=_("This suggestion was already handled."))
        now = timezone.now()
        s.state, s.decided_by, s.resolved_at, s.resolved_by = State.DISMISSED, DecidedBy.AGENT, now, actor
        s.save(update_fields=["state", "decided_by", "resolved_at", "resolved_by"])
        TriageFeedback.objects.create(
            suggestion=s, ticket_id=s.ticket_id, field=s.field, suggested=s.value, final="", accepted=False,
            actor=actor, created_at=now,
        )
    return s


def triage_record_change(*, ticket_id: int, fields: list[str], actor_id: int | None, at: datetime) -> int:
    """A person changed predicted fields of a ticket: a suggestion still open (pending, applied,
    agreeing, overruled by a rule) whose value differs from the new one becomes a correction, one
    that matches becomes an acceptance; both are recorded for training. Changes by the triage robot
    are its own and ignored. Returns how many suggestions were resolved."""
    if actor_id is None or not fields:
        return 0
    robot = User.objects.filter(username=ROBOT_USERNAME).values_list("id", flat=True).first()
    if actor_id == robot:
        return 0
    with transaction.atomic():
        rows = list(TriageSuggestion.objects.select_for_update().filter(ticket_id=ticket_id, field__in=fields, state__in=OPEN_STATES))
        if not rows:
            return 0
        ticket = Ticket.objects.filter(pk=ticket_id).first()
        if ticket is None:
            return 0
        current = labels_of(ticket)
        for s in rows:
            final = current[s.field]
            accepted = final == s.value
            if accepted and s.state != State.PENDING:
                continue  # still as predicted: nothing learnt
            s.state = State.ACCEPTED if accepted else State.CORRECTED
            s.decided_by, s.resolved_at, s.resolved_by_id = DecidedBy.AGENT, at, actor_id
            s.save(update_fields=["state", "decided_by", "resolved_at", "resolved_by"])
            TriageFeedback.objects.create(
                suggestion=s, ticket_id=ticket_id, field=s.field, suggested=s.value, final=final, accepted=accepted,
                actor_id=actor_id, created_at=at,
            )
    return len(rows)


# --- policy ----------------------------------------------------------------------------------------


def policy_set(*, actor: User, field: str, mode: str, threshold: float) -> TriagePolicy:
    """Change one field's policy (managers)."""
    require_manage(actor)
    if field not in Field.values:
        raise DomainError(code="triage_invalid_field", message=_("Unknown field."), fields={"field": [_("Unknown field.")]})
    if mode not in Mode.values:
        raise DomainError(code="triage_invalid_mode", message=_("Unknown mode."), fields={"mode": [_("Unknown mode.")]})
    if not 0.5 <= threshold <= 1.0:
        raise DomainError(
            code="triage_invalid_threshold", message=_("The threshold must be between 0.5 and 1."),
            fields={"threshold": [_("Between 0.5 and 1.")]},
        )
    with transaction.atomic():
        policy, _created = TriagePolicy.objects.select_for_update().get_or_create(field=field)
        policy.mode, policy.threshold, policy.updated_at = mode, threshold, timezone.now()
        policy.save(update_fields=["mode", "threshold", "updated_at"])
    return policy


# --- training --------------------------------------------------------------------------------------


def triage_train(*, actor: User | None = None, min_examples: int = MIN_EXAMPLES, note: str = "") -> TriageModel:
    """Train a new model on the center's history (older 80 % train, newest 20 % held out), score it
    and the active model on the same held-out tickets, and promote it only when its score (mean
    macro-F1 over the fields) is not worse. Every model is kept with both scores. `actor` None: the
    clock or the command. Runs on one core (LinearSVC and LogisticRegression are single-threaded)."""
    if actor is not None:
        require_manage(actor)
    examples = training_examples()
    if len(examples) < min_examples:
        raise DomainError(
            code="triage_not_enough_history",
            message=_("Not enough handled tickets to learn from: %(n)s, at least %(min)s are needed.")
            % {"n": len(examples), "min": min_examples},
        )
    train_set, test_set = engine.split_by_time(examples)
    started = time.perf_counter()
    semantic = bool(getattr(settings, "KEFU_SEMANTIC", False)) and engine.semantic_available()
    bundle = engine.train(train_set, semantic=semantic)
    seconds = time.perf_counter() - started
    scores = engine.evaluate(bundle, test_set)
    scores["semantic"] = semantic
    previous = store.active()
    previous_scores: dict[str, Any] = engine.evaluate(previous[1], test_set) if previous else {}
    promote = previous is None or scores["score"] >= previous_scores["score"]
    version = (TriageModel.objects.order_by("-version").values_list("version", flat=True).first() or 0) + 1
    name = store.save(bundle, version)
    with transaction.atomic():
        if promote:
            TriageModel.objects.filter(is_active=True).update(is_active=False)
        row = TriageModel.objects.create(
            version=version, file_name=name, trained_at=timezone.now(), n_train=len(train_set), n_test=len(test_set),
            score=scores["score"], previous_score=previous_scores.get("score") if previous else None,
            previous_version=previous[0].version if previous else None, scores=scores, previous_scores=previous_scores,
            promoted=promote, is_active=promote, seconds=round(seconds, 2), note=note[:200],
        )
    if promote:
        store.forget()
    logger.info("triage: model v%s score %.3f (previous %s), %s", version, scores["score"],
                previous_scores.get("score"), "promoted" if promote else "kept the old one")
    return row


def next_nightly(now: datetime) -> datetime:
    local = timezone.localtime(now, ZoneInfo("Asia/Shanghai"))
    at = local.replace(hour=NIGHTLY_HOUR, minute=0, second=0, microsecond=0)
    if at <= local:
        at += timedelta(days=1)
    return at.astimezone(ZoneInfo("UTC"))


def schedule_ensure(*, now: datetime | None = None) -> TriageSchedule:
    """The one schedule row, due at the next 03:00 Asia/Shanghai when new."""
    row = TriageSchedule.objects.order_by("id").first()
    if row is None:
        row = TriageSchedule.objects.create(train_due_at=next_nightly(now or timezone.now()))
    return row


def triage_train_nightly(*, schedule_id: int, due_at: datetime, now: datetime | None = None) -> bool:
    """The clock's nightly training: claim the row (conditional UPDATE to the next night), train,
    record the outcome. Not enough history is an outcome, not a failure."""
    now = now or timezone.now()
    if TriageSchedule.objects.filter(pk=schedule_id, train_due_at=due_at).update(train_due_at=next_nightly(now)) != 1:
        return False
    try:
        row = triage_train(note="nightly")
        result = f"v{row.version} {'promoted' if row.promoted else 'not promoted'} ({row.score:.3f})"
    except DomainError as exc:
        result = str(exc.message)
    TriageSchedule.objects.filter(pk=schedule_id).update(last_run_at=now, last_result=result[:200])
    return True

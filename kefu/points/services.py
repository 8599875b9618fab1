"""Writes: rule awards, hand awards (and their approval), reversals, the catalogue, redemptions,
suggestions, praise marks on survey comments, the monthly 服务之星.

Every balance change of one agent happens under the lock of their PointsAccount row
(`select_for_update`), so two redemptions at once see each other's reservation: nobody overdraws.
Rule awards are idempotent through PointsEntry.source (unique)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.accounts.models import User
from kefu.core.errors import Conflict, DomainError, Forbidden, NotFound
from kefu.points import selectors
from kefu.points.access import (
    access_agent,
    is_decider,
    may_decide_for,
    may_manage_catalogue,
    require_decider_for,
    require_staff,
)
from kefu.points.choices import (
    OPEN_SUGGESTION_STATUSES,
    EntryKind,
    ItemKind,
    RequestStatus,
    SuggestionStatus,
)
from kefu.points.config import points_settings
from kefu.points.errors import PointsErrorCode
from kefu.points.models import (
    AwardRequest,
    CatalogueItem,
    PointsAccount,
    PointsEntry,
    PointsSettings,
    Redemption,
    ServiceStar,
    Suggestion,
)
from kefu.surveys.models import Survey
from kefu.tickets.access import tickets_visible_to
from kefu.tickets.choices import TicketKind, TicketStatus
from kefu.tickets.models import Ticket
from kefu.workforce.services import leave_decide, leave_request_create

MAX_AWARD = 1000
DONE_STATUSES = (TicketStatus.RESOLVED, TicketStatus.CLOSED)


def _invalid(field: str, message: Any) -> DomainError:
    return DomainError(code=PointsErrorCode.INVALID_INPUT, message=message, fields={field: [str(message)]}, status=422)


def _lock_account(agent_id: int) -> PointsAccount:
    """Write the agent's account row if missing, then lock it (callers are inside atomic)."""
    PointsAccount.objects.bulk_create([PointsAccount(agent_id=agent_id)], ignore_conflicts=True)
    return PointsAccount.objects.select_for_update().get(agent_id=agent_id)


def _entry(**fields: Any) -> PointsEntry:
    fields.setdefault("created_at", timezone.now())
    return PointsEntry.objects.create(**fields)


def _rule_entry(**fields: Any) -> PointsEntry | None:
    """A rule award; None when its source has already paid (a retry, a race, a second mark)."""
    if PointsEntry.objects.filter(source=fields["source"]).exists():
        return None
    try:
        with transaction.atomic():
            return _entry(**fields)
    except IntegrityError:
        return None


# --- rule awards ------------------------------------------------------------------------------------


def _ticket_agent_id(ticket: Ticket) -> int | None:
    return ticket.assignee_id or ticket.owner_id


def points_award_from_ticket(*, ticket_id: int) -> list[PointsEntry]:
    """The ticket rules, evaluated from the ticket as it stands (the reaction calls it after a ticket
    change commits; safe to run again). A ticket tagged with the latent-need tag pays its agent (the
    assignee, else the first-contact owner) +3; a praise ticket (kind 表扬, or tagged with the praise
    tag) pays +5 once it is resolved or closed, so the lead has routed it to the praised agent."""
    ticket = Ticket.objects.filter(pk=ticket_id).prefetch_related("tags").first()
    if ticket is None:
        return []
    agent_id = _ticket_agent_id(ticket)
    if agent_id is None:
        return []
    cfg = points_settings()
    tags = {t.name for t in ticket.tags.all()}
    made: list[PointsEntry] = []
    if cfg.latent_need_tag and cfg.latent_need_tag in tags and cfg.latent_need_points:
        e = _rule_entry(
            agent_id=agent_id, points=cfg.latent_need_points, kind=EntryKind.LATENT_NEED, ticket=ticket,
            source=f"ticket:{ticket.pk}:latent_need",
            reason=_("Latent need uncovered on ticket %(number)s") % {"number": ticket.number},
        )
        made += [e] if e else []
    praised = ticket.kind == TicketKind.PRAISE or (cfg.praise_tag and cfg.praise_tag in tags)
    if praised and ticket.status in DONE_STATUSES and cfg.praise_points:
        e = _rule_entry(
            agent_id=agent_id, points=cfg.praise_points, kind=EntryKind.PRAISE, ticket=ticket,
            source=f"ticket:{ticket.pk}:praise",
            reason=_("Customer's written praise, ticket %(number)s") % {"number": ticket.number},
        )
        made += [e] if e else []
    return made


def praise_mark_survey(*, actor: User, survey_id: int) -> PointsEntry:
    """A lead marks a survey comment as praise (表扬): its agent gets +5, once per survey."""
    survey = Survey.objects.select_related("agent", "ticket").filter(pk=survey_id).first()
    if survey is None or survey.agent is None or not is_decider(actor):
        raise NotFound(code=PointsErrorCode.SOURCE_NOT_FOUND, message=_("No such survey answer."))
    if not may_decide_for(actor, survey.agent):
        raise NotFound(code=PointsErrorCode.SOURCE_NOT_FOUND, message=_("No such survey answer."))
    if not survey.comment.strip():
        raise _invalid("survey", _("Only a survey with a written comment can be marked as praise."))
    cfg = points_settings()
    with transaction.atomic():
        e = _rule_entry(
            agent_id=survey.agent_id, points=cfg.praise_points or 1, kind=EntryKind.PRAISE, ticket=survey.ticket,
            survey=survey, source=f"survey:{survey.pk}:praise", created_by=actor,
            reason=_("Customer's written praise in the survey of ticket %(number)s") % {"number": survey.ticket.number},
        )
    if e is None:
        raise Conflict(code=PointsErrorCode.ALREADY_AWARDED, message=_("This praise has already been awarded."))
    return e


# --- hand awards and reversals --------------------------------------------------------------------------


def points_award(
    *, actor: User, agent_id: int, points: int, reason: str, ticket_id: int | None = None
) -> PointsEntry | AwardRequest:
    """An award by hand by the agent's team lead or a manager, with a reason and optionally the
    ticket it is for. Up to the threshold it is posted at once; above it, it waits for approval by
    another lead or manager (an AwardRequest)."""
    agent = access_agent(user=actor, agent_id=agent_id)
    require_decider_for(actor, agent)
    if not 1 <= points <= MAX_AWARD:
        raise _invalid("points", _("Award between 1 and %(max)s points.") % {"max": MAX_AWARD})
    reason = reason.strip()
    if not reason:
        raise _invalid("reason", _("Give a reason."))
    ticket = None
    if ticket_id is not None:
        # Only a ticket the awarding lead may see: another team's ticket is "no such ticket", so the
        # award neither links it nor tells that it exists.
        ticket = tickets_visible_to(actor).filter(pk=ticket_id).first()
        if ticket is None:
            raise _invalid("ticket", _("No such ticket."))
    cfg = points_settings()
    with transaction.atomic():
        if points > cfg.approval_threshold:
            return AwardRequest.objects.create(
                agent=agent, points=points, reason=reason[:200], ticket=ticket, requested_by=actor
            )
        return _entry(
            agent=agent, points=points, kind=EntryKind.MANUAL, reason=reason[:200], ticket=ticket, created_by=actor,
            approved_by=actor,
        )


def award_decide(*, actor: User, award_id: int, approve: bool, note: str = "") -> AwardRequest:
    """Approve (posts the ledger row) or reject a pending hand award; not the one who asked for it."""
    with transaction.atomic():
        award = AwardRequest.objects.select_for_update(of=("self",)).select_related("agent").filter(pk=award_id).first()
        if award is None or not may_decide_for(actor, award.agent):
            raise NotFound(code=PointsErrorCode.AWARD_NOT_FOUND, message=_("No such award request."))
        if award.requested_by_id == actor.pk:
            raise Forbidden(code=PointsErrorCode.OWN_REQUEST, message=_("Someone else approves the award you asked for."))
        if award.status != RequestStatus.PENDING:
            raise Conflict(code=PointsErrorCode.NOT_PENDING, message=_("This request was already decided."))
        award.status = RequestStatus.APPROVED if approve else RequestStatus.REJECTED
        award.decided_by = actor
        award.decided_at = timezone.now()
        award.decision_note = note.strip()[:200]
        award.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        if approve:
            _entry(
                agent=award.agent, points=award.points, kind=EntryKind.MANUAL, reason=award.reason, ticket=award.ticket,
                source=f"award:{award.pk}", created_by=award.requested_by, approved_by=actor,
            )
    return award


def points_reverse(*, actor: User, entry_id: int, reason: str) -> PointsEntry:
    """Take back an award: a new row of the opposite sign (the original is never edited). Only once
    per row; redemptions are not reversed this way. May take the balance below zero."""
    reason = reason.strip()
    if not reason:
        raise _invalid("reason", _("Give a reason."))
    with transaction.atomic():
        entry = PointsEntry.objects.select_related("agent").filter(pk=entry_id).first()
        if entry is None or not may_decide_for(actor, entry.agent):
            raise NotFound(code=PointsErrorCode.ENTRY_NOT_FOUND, message=_("No such points entry."))
        if entry.kind in (EntryKind.REDEMPTION, EntryKind.REVERSAL):
            raise Conflict(code=PointsErrorCode.NOT_REVERSIBLE, message=_("Only awards can be reversed."))
        _lock_account(entry.agent_id)
        if PointsEntry.objects.filter(reversal_of=entry).exists():
            raise Conflict(code=PointsErrorCode.ALREADY_REVERSED, message=_("This entry has already been reversed."))
        try:
            with transaction.atomic():
                return _entry(
                    agent=entry.agent, points=-entry.points, kind=EntryKind.REVERSAL, reversal_of=entry,
                    reason=reason[:200], ticket_id=entry.ticket_id, suggestion_id=entry.suggestion_id,
                    source=f"reversal:{entry.pk}", created_by=actor, approved_by=actor,
                )
        except IntegrityError:
            raise Conflict(code=PointsErrorCode.ALREADY_REVERSED, message=_("This entry has already been reversed.")) from None


# --- catalogue and redemptions ----------------------------------------------------------------------------


def item_save(
    *, actor: User, name: str, kind: str, cost: int, description: str = "", leave_hours: int | None = None,
    is_active: bool = True, item_id: int | None = None,
) -> CatalogueItem:
    """Managers keep the catalogue. Time off names its hours (the leave it creates)."""
    if not may_manage_catalogue(actor):
        raise Forbidden(code=PointsErrorCode.FORBIDDEN, message=_("Only managers keep the catalogue."))
    name = name.strip()
    if not name:
        raise _invalid("name", _("Name the item."))
    if kind not in ItemKind.values:
        raise _invalid("kind", _("Choose a kind."))
    if not 1 <= cost <= 100000:
        raise _invalid("cost", _("The cost is 1 to 100000 points."))
    if kind == ItemKind.TIME_OFF and not (leave_hours and 1 <= leave_hours <= 24 * 5):
        raise _invalid("leave_hours", _("Time off needs its hours (1 to 120)."))
    with transaction.atomic():
        if item_id is None:
            item = CatalogueItem()
        else:
            found = CatalogueItem.objects.select_for_update().filter(pk=item_id).first()
            if found is None:
                raise NotFound(code=PointsErrorCode.ITEM_NOT_FOUND, message=_("No such catalogue item."))
            item = found
        item.name, item.kind, item.cost = name[:64], kind, cost
        item.description = description.strip()[:200]
        item.leave_hours = leave_hours if kind == ItemKind.TIME_OFF else None
        item.is_active = is_active
        item.save()
    return item


def settings_update(*, actor: User, **values: int | str) -> PointsSettings:
    """Managers set the rule points, the approval threshold, the tags and the 服务之星 weights."""
    if not may_manage_catalogue(actor):
        raise Forbidden(code=PointsErrorCode.FORBIDDEN, message=_("Only managers change the points rules."))
    cfg = points_settings()
    allowed = {f.name for f in PointsSettings._meta.fields if f.name != "id"}
    for name, value in values.items():
        if name not in allowed:
            raise _invalid(name, _("Unknown setting."))
        if isinstance(value, int) and not 0 <= value <= 1000:
            raise _invalid(name, _("Use a number from 0 to 1000."))
        setattr(cfg, name, value.strip()[:32] if isinstance(value, str) else value)
    if cfg.star_weight_points + cfg.star_weight_csat + cfg.star_weight_qa == 0:
        raise _invalid("star_weight_points", _("At least one weight must be above zero."))
    cfg.save()
    return cfg


def redemption_request(
    *, actor: User, item_id: int, leave_start: datetime | None = None, note: str = ""
) -> Redemption:
    """An agent redeems an item for themselves. The cost is reserved: refused when it is more than the
    balance minus the pending redemptions, decided under the agent's account lock (so two at once
    cannot both pass). Time off needs its start (the leave it will become)."""
    require_staff(actor)
    item = CatalogueItem.objects.filter(pk=item_id, is_active=True).first()
    if item is None:
        raise NotFound(code=PointsErrorCode.ITEM_NOT_FOUND, message=_("No such catalogue item."))
    if item.kind == ItemKind.TIME_OFF:
        if leave_start is None:
            raise _invalid("leave_start", _("Say when the time off starts."))
        if timezone.is_naive(leave_start):
            raise _invalid("leave_start", _("Times need a time zone."))
        if leave_start <= timezone.now():
            raise _invalid("leave_start", _("Time off must start in the future."))
    else:
        leave_start = None
    with transaction.atomic():
        _lock_account(actor.pk)
        available = selectors.available_of(actor.pk)
        if item.cost > available:
            raise DomainError(
                code=PointsErrorCode.INSUFFICIENT_BALANCE,
                message=_("Not enough points: %(item)s costs %(cost)s, you have %(available)s available.")
                % {"item": item.name, "cost": item.cost, "available": available},
                fields={"item": [_("Not enough points.")]},
            )
        return Redemption.objects.create(
            agent=actor, item=item, cost=item.cost, leave_start=leave_start, note=note.strip()[:200]
        )


def redemption_decide(*, actor: User, redemption_id: int, approve: bool, note: str = "") -> Redemption:
    """The agent's team lead or a manager approves (the negative ledger row; for time off an approved
    leave request through workforce's services, which apply their own rule: more than half a day is
    approved by the center manager) or rejects (the reservation is freed)."""
    with transaction.atomic():
        red = Redemption.objects.select_related("agent", "item").filter(pk=redemption_id).first()
        if red is None or not (is_decider(actor) and (may_decide_for(actor, red.agent) or actor.pk == red.agent_id)):
            raise NotFound(code=PointsErrorCode.REDEMPTION_NOT_FOUND, message=_("No such redemption."))
        require_decider_for(actor, red.agent)
        _lock_account(red.agent_id)
        red = Redemption.objects.select_for_update().select_related("agent", "item").get(pk=red.pk)
        if red.status != RequestStatus.PENDING:
            raise Conflict(code=PointsErrorCode.NOT_PENDING, message=_("This request was already decided."))
        red.status = RequestStatus.APPROVED if approve else RequestStatus.REJECTED
        red.decided_by = actor
        red.decided_at = timezone.now()
        red.decision_note = note.strip()[:200]
        if approve:
            balance = selectors.balance_of(red.agent_id)
            if red.cost > balance:  # an award was reversed since the request
                raise Conflict(
                    code=PointsErrorCode.INSUFFICIENT_BALANCE,
                    message=_("Not enough points: the balance is %(balance)s, the item costs %(cost)s.")
                    % {"balance": balance, "cost": red.cost},
                )
            if red.item.kind == ItemKind.TIME_OFF and red.leave_start is not None:
                hours = red.item.leave_hours or 4
                leave = leave_request_create(
                    actor=red.agent, start=red.leave_start, end=red.leave_start + timedelta(hours=hours),
                    reason=_("调休 redeemed with points: %(item)s") % {"item": red.item.name},
                )
                leave_decide(actor=actor, leave_id=leave.pk, approve=True, note=_("Redeemed with points"))
                red.leave = leave
            _entry(
                agent=red.agent, points=-red.cost, kind=EntryKind.REDEMPTION, redemption=red,
                source=f"redemption:{red.pk}", created_by=red.agent, approved_by=actor,
                reason=_("Redeemed: %(item)s") % {"item": red.item.name},
            )
        red.save(update_fields=["status", "decided_by", "decided_at", "decision_note", "leave"])
    return red


def redemption_cancel(*, actor: User, redemption_id: int) -> Redemption:
    """The agent withdraws their own pending redemption."""
    with transaction.atomic():
        red = Redemption.objects.select_for_update().filter(pk=redemption_id, agent=actor).first()
        if red is None:
            raise NotFound(code=PointsErrorCode.REDEMPTION_NOT_FOUND, message=_("No such redemption."))
        if red.status != RequestStatus.PENDING:
            raise Conflict(code=PointsErrorCode.NOT_PENDING, message=_("This request was already decided."))
        red.status = RequestStatus.CANCELLED
        red.save(update_fields=["status"])
    return red


# --- suggestions --------------------------------------------------------------------------------------------


def suggestion_submit(*, actor: User, title: str, body: str) -> Suggestion:
    require_staff(actor)
    title, body = title.strip(), body.strip()
    if not title:
        raise _invalid("title", _("Give the suggestion a title."))
    if not body:
        raise _invalid("body", _("Describe the suggestion."))
    return Suggestion.objects.create(author=actor, title=title[:100], body=body[:4000])


def _suggestion_for_decision(actor: User, suggestion_id: int) -> Suggestion:
    s = Suggestion.objects.select_for_update(of=("self",)).select_related("author").filter(pk=suggestion_id).first()
    if s is None or not (may_decide_for(actor, s.author) or (is_decider(actor) and actor.pk == s.author_id)):
        raise NotFound(code=PointsErrorCode.SUGGESTION_NOT_FOUND, message=_("No such suggestion."))
    require_decider_for(actor, s.author)
    if s.status not in OPEN_SUGGESTION_STATUSES:
        raise Conflict(code=PointsErrorCode.SUGGESTION_CLOSED, message=_("This suggestion was already decided."))
    return s


def suggestion_review(*, actor: User, suggestion_id: int, note: str = "") -> Suggestion:
    """Take the suggestion into review (审核中), so the author sees someone is on it."""
    with transaction.atomic():
        s = _suggestion_for_decision(actor, suggestion_id)
        s.status = SuggestionStatus.REVIEWING
        s.reviewer = actor
        if note.strip():
            s.decision_note = note.strip()[:500]
        s.save(update_fields=["status", "reviewer", "decision_note"])
    return s


def suggestion_adopt(*, actor: User, suggestion_id: int, note: str = "") -> Suggestion:
    """Adopt (采纳): the author gets the adopted-suggestion points (+10), once."""
    cfg = points_settings()
    with transaction.atomic():
        s = _suggestion_for_decision(actor, suggestion_id)
        s.status = SuggestionStatus.ADOPTED
        s.reviewer = actor
        s.decided_at = timezone.now()
        s.decision_note = note.strip()[:500]
        s.save(update_fields=["status", "reviewer", "decided_at", "decision_note"])
        if cfg.suggestion_points:
            _rule_entry(
                agent_id=s.author_id, points=cfg.suggestion_points, kind=EntryKind.SUGGESTION, suggestion=s,
                source=f"suggestion:{s.pk}", created_by=actor, approved_by=actor,
                reason=_("Improvement suggestion adopted: %(title)s") % {"title": s.title[:80]},
            )
    return s


def suggestion_reject(*, actor: User, suggestion_id: int, reason: str) -> Suggestion:
    reason = reason.strip()
    if not reason:
        raise _invalid("reason", _("Say why the suggestion is not adopted."))
    with transaction.atomic():
        s = _suggestion_for_decision(actor, suggestion_id)
        s.status = SuggestionStatus.REJECTED
        s.reviewer = actor
        s.decided_at = timezone.now()
        s.decision_note = reason[:500]
        s.save(update_fields=["status", "reviewer", "decided_at", "decision_note"])
    return s


# --- 服务之星 ---------------------------------------------------------------------------------------------


def star_announce(*, actor: User, month: date, agent_id: int | None = None, citation: str = "") -> ServiceStar:
    """A manager announces the month's 服务之星: the top of the ranking (or, with a reason in the
    citation, another ranked agent). The ranking and weights are frozen with it; announcing again
    replaces the month's star."""
    if not may_manage_catalogue(actor):
        raise Forbidden(code=PointsErrorCode.FORBIDDEN, message=_("Only managers announce the service star."))
    month = month.replace(day=1)
    ranking = selectors.star_ranking(viewer=actor, month=month)
    if not ranking:
        raise _invalid("month", _("Nobody has numbers in this month yet."))
    chosen = ranking[0] if agent_id is None else next((r for r in ranking if r.agent_id == agent_id), None)
    if chosen is None:
        raise _invalid("agent", _("Choose an agent from the ranking."))
    cfg = points_settings()
    with transaction.atomic():
        ServiceStar.objects.filter(month=month).delete()
        return ServiceStar.objects.create(
            month=month, agent_id=chosen.agent_id, score=chosen.score, ranking=[r.as_dict() for r in ranking[:20]],
            weights={"points": cfg.star_weight_points, "csat": cfg.star_weight_csat, "qa": cfg.star_weight_qa},
            citation=citation.strip()[:300], announced_by=actor, announced_at=timezone.now(),
        )

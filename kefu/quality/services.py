"""Writes of quality inspection, each checking access: scorecard editing (refused once a version is
published), capturing a ticket's conversation as an inspection item (with the AI pre-screen), the
monthly sample, and scoring / submitting an inspection."""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.accounts.models import User
from kefu.core.errors import Conflict, DomainError, Forbidden, NotFound
from kefu.quality.access import is_qa_lead, require_inspector
from kefu.quality.choices import ContactKind, InspectionLevel, InspectionState, ItemKind, Speaker
from kefu.quality.errors import QualityErrorCode
from kefu.quality.events import EventKind, event
from kefu.quality.models import (
    Inspection,
    InspectionItem,
    Scorecard,
    ScorecardItem,
    ScorecardSection,
    ScorecardVersion,
)
from kefu.quality.prescreen import prescreen
from kefu.quality.review import after_submit
from kefu.quality.scoring import checked_scores, compute_result
from kefu.tickets.choices import MessageKind, TicketStatus
from kefu.tickets.models import Ticket, TicketMessage

# --- scorecards ------------------------------------------------------------------------------------


def _editable(version: ScorecardVersion) -> None:
    if version.is_published:
        raise Conflict(
            code=QualityErrorCode.VERSION_PUBLISHED,
            message=_("This scorecard version is published and cannot be changed; make a new version."),
        )


def scorecard_create(*, actor: User, name: str, pass_mark: int = 80) -> ScorecardVersion:
    """A scorecard with its first (draft) version."""
    require_inspector(actor)
    if not name.strip() or not 0 <= pass_mark <= 100:
        raise DomainError(code=QualityErrorCode.INVALID_INPUT, message=_("Give a name and a pass mark from 0 to 100."))
    card = Scorecard.objects.create(name=name.strip(), pass_mark=pass_mark)
    return ScorecardVersion.objects.create(scorecard=card, number=1)


def scorecard_section_add(*, actor: User, version: ScorecardVersion, name: str) -> ScorecardSection:
    require_inspector(actor)
    _editable(version)
    return ScorecardSection.objects.create(version=version, name=name, position=version.sections.count())


def scorecard_item_add(
    *, actor: User, section: ScorecardSection, name: str, kind: str = ItemKind.SCORED, points: int = 0,
    description: str = "",
) -> ScorecardItem:
    require_inspector(actor)
    _editable(section.version)
    if kind not in ItemKind.values:
        raise DomainError(code=QualityErrorCode.INVALID_INPUT, message=_("Unknown item kind."))
    if kind == ItemKind.FATAL:
        points = 0
    elif points <= 0:
        raise DomainError(code=QualityErrorCode.INVALID_INPUT, message=_("A scored item needs points above 0."))
    return ScorecardItem.objects.create(
        section=section, name=name, kind=kind, points=points, description=description,
        position=section.items.count(),
    )


def scorecard_item_update(*, actor: User, item_id: int, **changes: Any) -> ScorecardItem:
    require_inspector(actor)
    item = ScorecardItem.objects.select_related("section__version").filter(pk=item_id).first()
    if item is None:
        raise NotFound(code=QualityErrorCode.UNKNOWN_ITEM, message=_("There is no such scorecard item."))
    _editable(item.section.version)
    for field in ("name", "description", "points"):
        if field in changes:
            setattr(item, field, changes[field])
    item.save()
    return item


def scorecard_version_publish(*, actor: User, version: ScorecardVersion) -> ScorecardVersion:
    require_inspector(actor)
    _editable(version)
    if not ScorecardItem.objects.filter(section__version=version).exists():
        raise DomainError(code=QualityErrorCode.INVALID_INPUT, message=_("A scorecard needs at least one item."))
    version.published_at = timezone.now()
    version.save(update_fields=["published_at"])
    return version


@transaction.atomic
def scorecard_version_new(*, actor: User, scorecard_id: int) -> ScorecardVersion:
    """A new draft version copied from the newest one (published versions stay frozen; inspections
    keep the version they were scored on). An existing draft is returned as it is."""
    require_inspector(actor)
    card = Scorecard.objects.select_for_update().filter(pk=scorecard_id).first()
    if card is None:
        raise NotFound(code=QualityErrorCode.NOT_FOUND, message=_("There is no such scorecard."))
    newest = card.versions.order_by("-number").first()
    if newest is not None and not newest.is_published:
        return newest
    version = ScorecardVersion.objects.create(scorecard=card, number=(newest.number + 1) if newest else 1)
    if newest is not None:
        for section in newest.sections.prefetch_related("items").order_by("position", "id"):
            copy = ScorecardSection.objects.create(version=version, name=section.name, position=section.position)
            ScorecardItem.objects.bulk_create([
                ScorecardItem(section=copy, name=i.name, description=i.description, kind=i.kind, points=i.points,
                              position=i.position)
                for i in section.items.all()
            ])
    return version


def scorecard_update(*, actor: User, scorecard_id: int, name: str, pass_mark: int, is_active: bool = True) -> Scorecard:
    require_inspector(actor)
    card = Scorecard.objects.filter(pk=scorecard_id).first()
    if card is None:
        raise NotFound(code=QualityErrorCode.NOT_FOUND, message=_("There is no such scorecard."))
    if not name.strip() or not 0 <= pass_mark <= 100:
        raise DomainError(code=QualityErrorCode.INVALID_INPUT, message=_("Give a name and a pass mark from 0 to 100."))
    card.name, card.pass_mark, card.is_active = name.strip(), pass_mark, is_active
    card.save(update_fields=["name", "pass_mark", "is_active"])
    return card


def scorecard_item_delete(*, actor: User, item_id: int) -> None:
    require_inspector(actor)
    item = ScorecardItem.objects.select_related("section__version").filter(pk=item_id).first()
    if item is None:
        raise NotFound(code=QualityErrorCode.UNKNOWN_ITEM, message=_("There is no such scorecard item."))
    _editable(item.section.version)
    item.delete()


def current_version(scorecard: Scorecard | None = None) -> ScorecardVersion | None:
    """The newest published version of the scorecard (default: the first active scorecard)."""
    qs = ScorecardVersion.objects.filter(published_at__isnull=False, scorecard__is_active=True)
    if scorecard is not None:
        qs = qs.filter(scorecard=scorecard)
    return qs.select_related("scorecard").order_by("scorecard_id", "-number").first()


# --- items -----------------------------------------------------------------------------------------


def ticket_turns(ticket: Ticket) -> list[dict[str, Any]]:
    """A ticket's conversation as turns: the description (the customer's), public replies and internal
    notes, oldest first, with the speaker kind and time."""
    turns: list[dict[str, Any]] = []
    if ticket.description.strip():
        turns.append({"speaker": Speaker.CUSTOMER.value, "at": ticket.created_at.isoformat(), "text": ticket.description})
    messages = TicketMessage.objects.filter(ticket=ticket).select_related("author").order_by("created_at", "id")
    for m in messages:
        if m.kind == MessageKind.NOTE:
            speaker = Speaker.NOTE
        elif m.from_customer:
            speaker = Speaker.CUSTOMER
        else:
            speaker = Speaker.AGENT
        turns.append({
            "speaker": speaker.value, "at": m.created_at.isoformat(), "text": m.body,
            "author": m.author.name if m.author else "",
        })
    return turns


def item_capture_ticket(*, ticket_id: int, now: datetime | None = None, refresh: bool = False) -> InspectionItem | None:
    """Copy a ticket's conversation into an inspection item and pre-screen it; the findings are kept
    on the item. Once per ticket: a second call returns the existing item, with `refresh` (a reopened
    ticket closed again) re-copied and re-screened while nobody has inspected it. None when the
    ticket is gone."""
    existing = InspectionItem.objects.filter(kind=ContactKind.TICKET, source_id=ticket_id).first()
    if existing is not None and (not refresh or existing.inspections.exists()):
        return existing
    ticket = Ticket.objects.filter(pk=ticket_id).first()
    if ticket is None:
        return None
    turns = ticket_turns(ticket)
    if existing is not None:
        existing.turns = turns
        existing.findings = [f.as_dict() for f in prescreen(turns)]
        existing.title = ticket.title
        existing.contact_at = ticket.closed_at or ticket.resolved_at
        existing.save(update_fields=["turns", "findings", "title", "contact_at"])
        return existing
    agent_id = ticket.assignee_id or ticket.owner_id
    team_id = ticket.team_id
    if agent_id and team_id is None:
        team_id = User.objects.filter(pk=agent_id).values_list("team_id", flat=True).first()
    try:
        with transaction.atomic():
            return InspectionItem.objects.create(
                kind=ContactKind.TICKET, source_id=ticket.pk, source_ref=ticket.number, title=ticket.title,
                turns=turns, findings=[f.as_dict() for f in prescreen(turns)], agent_id=agent_id, team_id=team_id,
                contact_at=ticket.closed_at or ticket.resolved_at, sampled_at=now or timezone.now(),
            )
    except IntegrityError:  # captured at the same moment by another worker
        return InspectionItem.objects.get(kind=ContactKind.TICKET, source_id=ticket_id)


def sample_rate() -> float:
    return float(getattr(settings, "KEFU_QA_SAMPLE_RATE", 0.2))


def sample_draw(*, ticket_id: int, rate: float | None = None, seed: int | str | None = None) -> bool:
    """One contact's draw at the rate: with a seed the same contact always draws the same way."""
    rate = sample_rate() if rate is None else rate
    rng = random.Random(f"{seed}:{ticket_id}") if seed is not None else random.SystemRandom()
    return rng.random() < rate


def month_bounds(year: int, month: int) -> tuple[datetime, datetime]:
    tz = ZoneInfo(settings.TIME_ZONE)
    start = datetime(year, month, 1, tzinfo=tz)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=tz)
    return start, end


@dataclass
class SampleResult:
    per_agent: dict[int, int]
    items: list[InspectionItem]


def quality_sample_month(
    *, actor: User | None, year: int, month: int, rate: float | None = None, seed: int | str | None = None,
    now: datetime | None = None,
) -> SampleResult:
    """Draw a random share (default KEFU_QA_SAMPLE_RATE) of each agent's tickets closed in the local
    month, at least one per agent who closed any. Deterministic given a seed; contacts already
    captured are not drawn again. `actor` None: the clock."""
    if actor is not None:
        require_inspector(actor)
    rate = sample_rate() if rate is None else rate
    if not 0 <= rate <= 1:
        raise DomainError(code=QualityErrorCode.INVALID_INPUT, message=_("The sample rate must be between 0 and 1."))
    start, end = month_bounds(year, month)
    rows = (
        Ticket.objects.filter(status=TicketStatus.CLOSED, closed_at__gte=start, closed_at__lt=end, assignee__isnull=False)
        .order_by("id").values_list("id", "assignee_id")
    )
    by_agent: dict[int, list[int]] = defaultdict(list)
    for ticket_id, agent_id in rows:
        by_agent[agent_id].append(ticket_id)
    taken = set(
        InspectionItem.objects.filter(kind=ContactKind.TICKET, source_id__in=[t for ids in by_agent.values() for t in ids])
        .values_list("source_id", flat=True)
    )
    rng = random.Random(seed) if seed is not None else random.SystemRandom()
    result = SampleResult(per_agent={}, items=[])
    for agent_id in sorted(by_agent):
        ids = by_agent[agent_id]
        want = max(1, round(len(ids) * rate)) if rate > 0 else 0
        have = len([t for t in ids if t in taken])
        free = [t for t in ids if t not in taken]
        picked = rng.sample(free, min(len(free), max(0, want - have)))
        for ticket_id in sorted(picked):
            item = item_capture_ticket(ticket_id=ticket_id, now=now)
            if item is not None:
                result.items.append(item)
        result.per_agent[agent_id] = have + len(picked)
    return result


# --- inspections ---------------------------------------------------------------------------------


def _item_for(actor: User, item_id: int) -> InspectionItem:
    require_inspector(actor)
    item = InspectionItem.objects.filter(pk=item_id).first()
    if item is None:
        raise NotFound(code=QualityErrorCode.NOT_FOUND, message=_("There is no such inspection item."))
    if item.agent_id == actor.pk:
        raise DomainError(
            code=QualityErrorCode.OWN_CONTACT, message=_("You may not inspect your own contact."), status=403
        )
    return item


def inspection_start(
    *, actor: User, item_id: int, version: ScorecardVersion | None = None, level: str = InspectionLevel.FIRST,
) -> Inspection:
    """The actor's inspection of the item at `level`: the draft they were given or began, else a new
    draft. A plain inspector may begin only a contact nobody inspects yet (others are given to
    someone: a double-blind second look must be assigned); QA leads may inspect anything."""
    item = _item_for(actor, item_id)
    found = (
        Inspection.objects.filter(item=item, inspector=actor, level=level).select_related("version__scorecard").first()
    )
    if found is not None:
        return found
    if not is_qa_lead(actor) and item.inspections.exists():
        raise Forbidden(code=QualityErrorCode.NOT_ASSIGNED, message=_("This contact is given to another inspector."))
    version = version or current_version()
    if version is None or not version.is_published:
        raise DomainError(code=QualityErrorCode.NO_SCORECARD, message=_("There is no published scorecard yet."))
    insp = Inspection.objects.create(item=item, version=version, inspector=actor, level=level, created_at=timezone.now())
    event(item_id=item.pk, kind=EventKind.ASSIGNED, actor=actor, inspection=insp, level=level, inspector=actor.pk)
    return insp


def _own_draft(actor: User, inspection_id: int) -> Inspection:
    require_inspector(actor)
    insp = Inspection.objects.select_related("version__scorecard", "item").select_for_update().filter(pk=inspection_id).first()
    if insp is None or insp.inspector_id != actor.pk:
        raise NotFound(code=QualityErrorCode.NOT_FOUND, message=_("There is no such inspection."))
    if insp.state == InspectionState.SUBMITTED:
        raise Conflict(code=QualityErrorCode.ALREADY_SUBMITTED, message=_("This inspection is already submitted."))
    return insp


def _clean_comments(version: ScorecardVersion, comments: dict[str, Any] | None) -> dict[str, str]:
    keys = {str(pk) for pk in ScorecardItem.objects.filter(section__version=version).values_list("pk", flat=True)}
    out = {}
    for key, text in (comments or {}).items():
        if str(key) not in keys:
            raise DomainError(
                code=QualityErrorCode.UNKNOWN_ITEM, message=_("Item %(key)s is not on this scorecard.") % {"key": key},
            )
        if str(text or "").strip():
            out[str(key)] = str(text).strip()[:1000]
    return out


@transaction.atomic
def inspection_save(
    *, actor: User, inspection_id: int, scores: dict[str, Any], comment: str = "", submit: bool = False,
    item_comments: dict[str, Any] | None = None, coaching: str = "",
) -> Inspection:
    """Keep the scores (a draft), or with `submit` require every item, compute total and pass, and
    close the inspection for good. Submitting writes an event, may open a calibration (the second of
    a double-blind pair differs), a QA lead re-check (a share of first inspections) and a coaching
    task for the team lead (failed, or a fatal item failed)."""
    insp = _own_draft(actor, inspection_id)
    clean = checked_scores(insp.version, scores, complete=submit)
    insp.scores = clean
    insp.comment = comment
    insp.coaching = coaching
    insp.item_comments = _clean_comments(insp.version, item_comments)
    insp.total, insp.passed, insp.fatal_failed = compute_result(insp.version, clean)
    if submit:
        insp.state = InspectionState.SUBMITTED
        insp.submitted_at = timezone.now()
    insp.save()
    if submit:
        event(
            item_id=insp.item_id, kind=EventKind.SUBMITTED, actor=actor, inspection=insp, level=insp.level,
            total=str(insp.total), passed=insp.passed,
        )
        after_submit(insp)
    return insp


def inspection_submit(
    *, actor: User, item_id: int, scores: dict[str, Any], comment: str = "", level: str = InspectionLevel.FIRST,
) -> Inspection:
    """Start (if needed) and submit the actor's inspection of an item in one step."""
    insp = inspection_start(actor=actor, item_id=item_id, level=level)
    return inspection_save(actor=actor, inspection_id=insp.pk, scores=scores, comment=comment, submit=True)

"""The review steps after a first inspection: double-blind calibration (校准), the QA lead re-check
and the manager spot check (三级质检), appeals (申诉: team lead, then QA lead) and coaching tasks.

A calibration or an upheld appeal settles an item by writing a newer submitted inspection, so the
latest submitted inspection of an item is always the one that counts (kefu.quality.results)."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Permission
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.accounts.choices import Role
from kefu.accounts.models import User
from kefu.core import calendar as core_calendar
from kefu.core.errors import Conflict, DomainError, Forbidden, NotFound
from kefu.quality.access import is_qa_lead, leads_team, require_manager, require_qa_lead
from kefu.quality.choices import (
    AppealState,
    CalibrationState,
    CoachingState,
    InspectionLevel,
    InspectionState,
)
from kefu.quality.errors import QualityErrorCode
from kefu.quality.events import EventKind, event
from kefu.quality.models import Appeal, Calibration, CoachingTask, Inspection, InspectionItem
from kefu.quality.scoring import checked_scores, compute_result
from kefu.sla.config import get_config
from kefu.sla.models import BusinessCalendar

DEFAULT_THRESHOLD = 10


# --- business days ---------------------------------------------------------------------------------


def business_calendar() -> core_calendar.BusinessCalendar:
    """The default SLA calendar (holidays and 调休 included); Monday to Friday when there is none."""
    row = BusinessCalendar.objects.filter(is_default=True).values_list("pk", flat=True).first()
    cal = get_config().calendars.get(row) if row is not None else None
    if cal is None:
        cal = core_calendar.BusinessCalendar.workweek("09:00-18:00", tz=settings.TIME_ZONE)
    return cal


def business_days_after(at: datetime, days: int, cal: core_calendar.BusinessCalendar | None = None) -> datetime:
    """The end (local midnight) of the `days`-th business day after `at`'s local date."""
    cal = cal or business_calendar()
    day: date = timezone.localtime(at, cal.zone).date()
    counted = 0
    for _step in range(days * 7 + 30):
        if counted >= days:
            break
        day += timedelta(days=1)
        if cal.periods_on(day):
            counted += 1
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=cal.zone)


def appeal_days() -> int:
    return int(getattr(settings, "KEFU_QA_APPEAL_DAYS", 3))


def coaching_days() -> int:
    return int(getattr(settings, "KEFU_QA_COACHING_DAYS", 3))


# --- who does the next step --------------------------------------------------------------------------


def qa_leads() -> list[User]:
    """Users holding the QA lead permission (directly or through a group), else the managers."""
    perm = Permission.objects.filter(codename="lead_qa", content_type__app_label="quality").first()
    qs = User.objects.none()
    if perm is not None:
        qs = User.objects.filter(Q(user_permissions=perm) | Q(groups__permissions=perm), is_active=True).distinct()
    leads = list(qs.order_by("id"))
    return leads or list(User.objects.filter(is_active=True, role__in=[Role.MANAGER]).order_by("id"))


def least_loaded(users: list[User], *, exclude: set[int]) -> User | None:
    """The user with the fewest open (draft) inspections, ties by id."""
    pool = [u for u in users if u.pk not in exclude]
    if not pool:
        return None
    load = dict(
        Inspection.objects.filter(inspector__in=pool, state=InspectionState.DRAFT).order_by()
        .values("inspector").annotate(n=Count("id")).values_list("inspector", "n")
    )
    return min(pool, key=lambda u: (load.get(u.pk, 0), u.pk))


def assign(
    *, item: InspectionItem, inspector: User, level: str, version_id: int, entry_id: int | None = None,
    actor: User | None = None,
) -> Inspection:
    """A draft inspection given to `inspector` (idempotent per item, inspector and level)."""
    insp, created = Inspection.objects.get_or_create(
        item=item, inspector=inspector, level=level,
        defaults={"version_id": version_id, "entry_id": entry_id, "created_at": timezone.now()},
    )
    if created:
        event(item_id=item.pk, kind=EventKind.ASSIGNED, actor=actor, inspection=insp, level=level, inspector=inspector.pk)
    return insp


# --- after a submit ------------------------------------------------------------------------------------


def after_submit(insp: Inspection) -> None:
    """Inside the submit's transaction: calibration when a double-blind pair disagrees, a QA lead
    re-check of a share of first inspections, and coaching for a failed one."""
    if insp.level in (InspectionLevel.FIRST, InspectionLevel.BLIND):
        _maybe_calibrate(insp)
    if insp.level == InspectionLevel.FIRST:
        _maybe_recheck(insp)
    if insp.passed is False and insp.level != InspectionLevel.BLIND:
        coaching_open(insp)


def _plan_of(insp: Inspection) -> Any:
    entry = insp.entry or next(
        (i.entry for i in insp.item.inspections.select_related("entry__plan") if i.entry_id), None
    )
    return entry.plan if entry is not None else None


def _maybe_calibrate(insp: Inspection) -> None:
    pair = list(
        Inspection.objects.filter(
            item_id=insp.item_id, level__in=[InspectionLevel.FIRST, InspectionLevel.BLIND],
            state=InspectionState.SUBMITTED,
        ).order_by("submitted_at", "id")
    )
    if len(pair) < 2 or Calibration.objects.filter(item_id=insp.item_id).exists():
        return
    first, second = pair[0], pair[1]
    plan = _plan_of(insp)
    threshold = Decimal(plan.blind_threshold if plan is not None else DEFAULT_THRESHOLD)
    diff = abs((first.total or Decimal(0)) - (second.total or Decimal(0)))
    if diff > threshold or first.passed != second.passed:
        cal = Calibration.objects.create(
            item_id=insp.item_id, first=first, second=second, difference=diff, created_at=timezone.now()
        )
        event(item_id=insp.item_id, kind=EventKind.CALIBRATION_OPENED, inspection=insp, calibration=cal.pk,
              difference=str(diff))


def _maybe_recheck(insp: Inspection) -> None:
    plan = _plan_of(insp)
    share = float(plan.recheck_share) if plan is not None else 0.0
    if share <= 0 or random.Random(f"recheck:{insp.item_id}").random() >= share:
        return
    lead = least_loaded([u for u in qa_leads() if u.pk], exclude={insp.inspector_id, insp.item.agent_id or 0})
    if lead is not None:
        assign(item=insp.item, inspector=lead, level=InspectionLevel.RECHECK, version_id=insp.version_id)


def spot_check(*, actor: User, item_id: int) -> Inspection:
    """A center manager's spot check (the third level) of any inspected contact: a draft of their own."""
    require_manager(actor)
    item = InspectionItem.objects.filter(pk=item_id).first()
    counted = _counted(item_id)
    if item is None or counted is None:
        raise NotFound(code=QualityErrorCode.NOT_FOUND, message=_("There is no such inspected contact."))
    if item.agent_id == actor.pk:
        raise DomainError(code=QualityErrorCode.OWN_CONTACT, message=_("You may not inspect your own contact."), status=403)
    return assign(item=item, inspector=actor, level=InspectionLevel.SPOT, version_id=counted.version_id, actor=actor)


def _counted(item_id: int) -> Inspection | None:
    return (
        Inspection.objects.filter(item_id=item_id, state=InspectionState.SUBMITTED)
        .select_related("version__scorecard", "item").order_by("-submitted_at", "-id").first()
    )


def _settle(
    *, actor: User, item: InspectionItem, version_id: int, level: str, scores: dict[str, Any], comment: str,
) -> Inspection:
    """A submitted inspection by `actor` that supersedes the earlier ones of the item."""
    if item.agent_id == actor.pk:
        raise DomainError(code=QualityErrorCode.OWN_CONTACT, message=_("You may not inspect your own contact."), status=403)
    insp = Inspection.objects.filter(item=item, inspector=actor, level=level).select_related("version__scorecard").first()
    if insp is not None and insp.state == InspectionState.SUBMITTED:
        raise Conflict(code=QualityErrorCode.ALREADY_SUBMITTED, message=_("This inspection is already submitted."))
    if insp is None:
        insp = Inspection(item=item, inspector=actor, level=level, version_id=version_id, created_at=timezone.now())
    clean = checked_scores(insp.version, scores, complete=True)
    insp.scores = clean
    insp.comment = comment
    insp.total, insp.passed, insp.fatal_failed = compute_result(insp.version, clean)
    insp.state = InspectionState.SUBMITTED
    insp.submitted_at = timezone.now()
    insp.save()
    event(item_id=item.pk, kind=EventKind.SUBMITTED, actor=actor, inspection=insp, level=level,
          total=str(insp.total), passed=insp.passed)
    return insp


@transaction.atomic
def calibration_settle(*, actor: User, calibration_id: int, scores: dict[str, Any], note: str = "") -> Calibration:
    """A QA lead settles a double-blind disagreement with the scores that count from now on."""
    require_qa_lead(actor)
    cal = Calibration.objects.select_for_update().select_related("item", "second").filter(pk=calibration_id).first()
    if cal is None:
        raise NotFound(code=QualityErrorCode.NOT_FOUND, message=_("There is no such calibration."))
    if cal.state != CalibrationState.OPEN:
        raise Conflict(code=QualityErrorCode.CALIBRATION_SETTLED, message=_("This calibration is already settled."))
    result = _settle(
        actor=actor, item=cal.item, version_id=cal.second.version_id, level=InspectionLevel.CALIBRATION,
        scores=scores, comment=note,
    )
    cal.state, cal.result, cal.settled_by, cal.note, cal.settled_at = (
        CalibrationState.SETTLED, result, actor, note, timezone.now()
    )
    cal.save(update_fields=["state", "result", "settled_by", "note", "settled_at"])
    event(item_id=cal.item_id, kind=EventKind.CALIBRATION_SETTLED, actor=actor, inspection=result, calibration=cal.pk)
    if result.passed is False:
        coaching_open(result)
    return cal


# --- appeals -----------------------------------------------------------------------------------------


def appeal_deadline(insp: Inspection) -> datetime:
    return business_days_after(insp.submitted_at or insp.created_at, appeal_days())


@transaction.atomic
def appeal_create(*, actor: User, inspection_id: int, reason: str, now: datetime | None = None) -> Appeal:
    """The agent appeals the result that counts for their contact, within N business days of it
    (KEFU_QA_APPEAL_DAYS, the SLA calendar); one appeal per contact. Goes to the team lead."""
    now = now or timezone.now()
    insp = Inspection.objects.select_related("item").filter(pk=inspection_id).first()
    if insp is None or insp.item.agent_id != actor.pk or insp.state != InspectionState.SUBMITTED:
        raise NotFound(code=QualityErrorCode.NOT_FOUND, message=_("There is no such inspection."))
    if not reason.strip():
        raise DomainError(code=QualityErrorCode.INVALID_INPUT, message=_("Say why you appeal."),
                          fields={"reason": [_("Required.")]})
    counted = _counted(insp.item_id)
    if counted is None or counted.pk != insp.pk:
        raise Conflict(code=QualityErrorCode.APPEAL_NOT_COUNTED, message=_("Only the result that counts can be appealed."))
    if Appeal.objects.filter(inspection__item_id=insp.item_id).exists():
        raise Conflict(code=QualityErrorCode.APPEAL_EXISTS, message=_("This result has already been appealed."))
    if now >= appeal_deadline(insp):
        raise DomainError(
            code=QualityErrorCode.APPEAL_LATE,
            message=_("The appeal window of %(days)s business days has closed.") % {"days": appeal_days()},
        )
    appeal = Appeal.objects.create(inspection=insp, agent=actor, reason=reason.strip(), created_at=now)
    event(item_id=insp.item_id, kind=EventKind.APPEAL_CREATED, actor=actor, inspection=insp, appeal=appeal.pk)
    return appeal


def _locked_appeal(appeal_id: int) -> Appeal:
    appeal = Appeal.objects.select_for_update().select_related("inspection__item").filter(pk=appeal_id).first()
    if appeal is None:
        raise NotFound(code=QualityErrorCode.NOT_FOUND, message=_("There is no such appeal."))
    return appeal


@transaction.atomic
def appeal_lead_decide(*, actor: User, appeal_id: int, forward: bool, note: str = "") -> Appeal:
    """Step 1, the agent's team lead: forward to the QA lead (supports the appeal) or reject it."""
    appeal = _locked_appeal(appeal_id)
    if not leads_team(actor, appeal.inspection.item.team_id) or actor.pk == appeal.agent_id:
        raise NotFound(code=QualityErrorCode.NOT_FOUND, message=_("There is no such appeal."))
    if appeal.state != AppealState.LEAD:
        raise Conflict(code=QualityErrorCode.APPEAL_STATE, message=_("This appeal is not waiting for the team lead."))
    appeal.state = AppealState.QA if forward else AppealState.REJECTED
    appeal.lead, appeal.lead_note, appeal.lead_at = actor, note, timezone.now()
    appeal.save(update_fields=["state", "lead", "lead_note", "lead_at"])
    event(item_id=appeal.inspection.item_id, kind=EventKind.APPEAL_FORWARDED if forward else EventKind.APPEAL_REJECTED,
          actor=actor, inspection=appeal.inspection, appeal=appeal.pk, step="lead", note=note)
    return appeal


@transaction.atomic
def appeal_qa_decide(
    *, actor: User, appeal_id: int, uphold: bool, scores: dict[str, Any] | None = None, note: str = "",
) -> Appeal:
    """Step 2, the QA lead: uphold with corrected scores (a newer inspection that counts, so the pass
    rate and KPIs change) or reject."""
    require_qa_lead(actor)
    appeal = _locked_appeal(appeal_id)
    if appeal.state != AppealState.QA:
        raise Conflict(code=QualityErrorCode.APPEAL_STATE, message=_("This appeal is not waiting for the QA lead."))
    if actor.pk in (appeal.agent_id, appeal.inspection.inspector_id) and not actor.is_supervising:
        raise Forbidden(code=QualityErrorCode.FORBIDDEN, message=_("Another QA lead must decide on this appeal."))
    if uphold:
        if not scores:
            raise DomainError(code=QualityErrorCode.SCORE_MISSING, message=_("Give the corrected scores."))
        appeal.result = _settle(
            actor=actor, item=appeal.inspection.item, version_id=appeal.inspection.version_id,
            level=InspectionLevel.APPEAL, scores=scores, comment=note,
        )
    appeal.state = AppealState.UPHELD if uphold else AppealState.REJECTED
    appeal.qa_lead, appeal.qa_note, appeal.qa_at = actor, note, timezone.now()
    appeal.save(update_fields=["state", "qa_lead", "qa_note", "qa_at", "result"])
    event(item_id=appeal.inspection.item_id, kind=EventKind.APPEAL_UPHELD if uphold else EventKind.APPEAL_REJECTED,
          actor=actor, inspection=appeal.result or appeal.inspection, appeal=appeal.pk, step="qa", note=note)
    if uphold and appeal.result is not None and appeal.result.passed:
        CoachingTask.objects.filter(item_id=appeal.inspection.item_id, state=CoachingState.OPEN).update(
            state=CoachingState.DONE, note=_("Appeal upheld: the contact passes."), done_at=timezone.now()
        )
    return appeal


# --- coaching ----------------------------------------------------------------------------------------


def coaching_open(insp: Inspection) -> CoachingTask | None:
    """A coaching task for the agent's team lead, due in N business days (KEFU_QA_COACHING_DAYS); one
    per contact."""
    item = insp.item
    if item.agent_id is None or CoachingTask.objects.filter(item=item).exists():
        return None
    lead = (
        User.objects.filter(team_id=item.team_id, role=Role.TEAM_LEAD, is_active=True).order_by("id").first()
        if item.team_id is not None else None
    )
    now = timezone.now()
    task = CoachingTask.objects.create(
        item=item, inspection=insp, agent_id=item.agent_id, lead=lead, created_at=now,
        due_at=business_days_after(now, coaching_days()),
    )
    event(item_id=item.pk, kind=EventKind.COACHING_OPENED, inspection=insp, task=task.pk,
          lead=lead.pk if lead else None, fatal=insp.fatal_failed)
    return task


@transaction.atomic
def coaching_done(*, actor: User, task_id: int, note: str = "") -> CoachingTask:
    task = CoachingTask.objects.select_for_update().select_related("item").filter(pk=task_id).first()
    if task is None or not (task.lead_id == actor.pk or leads_team(actor, task.item.team_id) or is_qa_lead(actor)):
        raise NotFound(code=QualityErrorCode.NOT_FOUND, message=_("There is no such coaching task."))
    if task.state != CoachingState.OPEN:
        raise Conflict(code=QualityErrorCode.COACHING_DONE, message=_("This coaching task is already done."))
    task.state, task.note, task.done_at = CoachingState.DONE, note, timezone.now()
    task.save(update_fields=["state", "note", "done_at"])
    event(item_id=task.item_id, kind=EventKind.COACHING_DONE, actor=actor, task=task.pk)
    return task

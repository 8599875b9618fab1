"""Every write of complaint management: counting complaints, the detector's clock run, warnings
and their duties, incidents and compensation, public-opinion posts, root causes."""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

import opencc
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from pypinyin import lazy_pinyin

from kefu.accounts.models import Team, User
from kefu.complaints import config, detector
from kefu.complaints.access import approval_limit, require_configure, require_work
from kefu.complaints.choices import (
    JOINT_TASK_REASON_RANK,
    OPEN_WARNING_STATUSES,
    CompensationKind,
    CompensationState,
    Dimension,
    IncidentEventKind,
    IncidentStatus,
    JointTaskReason,
    JointTaskStatus,
    PostSource,
    WarningEventKind,
    WarningStatus,
    Window,
)
from kefu.complaints.errors import ComplaintErrorCode as E
from kefu.complaints.models import (
    Compensation,
    Complaint,
    ComplaintCount,
    ComplaintWarning,
    DetectorRun,
    Incident,
    IncidentEvent,
    IncidentTicket,
    JointTask,
    JointTaskRule,
    OpinionPost,
    OpinionRule,
    RootCause,
    SeriesState,
    WarningEvent,
    WarningLevel,
    WarningTicket,
)
from kefu.core.calendar import chinese_holidays
from kefu.core.errors import Conflict, DomainError, NotFound
from kefu.dispatch.choices import Severity
from kefu.dispatch.models import TicketDispatch, TriageRule
from kefu.dispatch.services import SYSTEM_USERNAME
from kefu.sla.models import Notification
from kefu.sla.notify import Channel, EmailChannel, OutboundMessage, RobotChannel, send_all
from kefu.tickets.access import access_ticket, tickets_visible_to
from kefu.tickets.choices import Channel as TicketChannel
from kefu.tickets.choices import MessageKind, TicketKind, TicketStatus
from kefu.tickets.models import Category, Ticket
from kefu.tickets.services import ticket_add_message, ticket_change_status

logger = logging.getLogger("kefu.complaints")

# --- setup -------------------------------------------------------------------------------------------


def complaints_install_defaults() -> None:
    """The four levels, the root-cause tree and the watched keywords, unless already there."""
    with transaction.atomic():
        if not WarningLevel.objects.exists():
            for code, name, rank, color, ratio, count, ack, own, note, roles, esc in config.DEFAULT_LEVELS:
                WarningLevel.objects.create(
                    code=code,
                    name=name,
                    rank=rank,
                    color=color,
                    min_ratio=ratio,
                    min_count=count,
                    ack_minutes=ack,
                    owner_minutes=own,
                    note_minutes=note,
                    notify_roles=roles,
                    escalate_roles=esc,
                )
        if not RootCause.objects.exists():
            made: dict[str, RootCause] = {}
            for i, (code, name, parent) in enumerate(config.DEFAULT_CAUSES):
                made[code] = RootCause.objects.create(
                    code=code, name=name, parent=made.get(parent or ""), sort_order=i
                )
        if not OpinionRule.objects.exists():
            for phrase, variants, weight in config.DEFAULT_OPINION_RULES:
                OpinionRule.objects.create(phrase=phrase, variants=variants, weight=weight)
        if not JointTaskRule.objects.exists():
            JointTaskRule.objects.bulk_create(
                [JointTaskRule(reason=r, hours=h) for r, h in config.DEFAULT_JOINT_TASK_HOURS]
            )
        DetectorRun.objects.get_or_create(pk=1, defaults={"due_at": timezone.now()})


# --- counting ----------------------------------------------------------------------------------------


def _hour(at: datetime) -> datetime:
    return at.astimezone(ZoneInfo("UTC")).replace(minute=0, second=0, microsecond=0)


def series_of(
    *, category_path: str | None, team_id: int | None, channel: str, region: str = ""
) -> list[tuple[str, str]]:
    """The series one complaint counts in: all, its channel, its team, the customer's region (省市),
    its category and every parent."""
    keys = [(Dimension.ALL.value, ""), (Dimension.CHANNEL.value, channel)]
    if team_id:
        keys.append((Dimension.TEAM.value, str(team_id)))
    if region:
        keys.append((Dimension.REGION.value, region))
    for part in (category_path or "").strip("/").split("/"):
        if part:
            keys.append((Dimension.CATEGORY.value, part))
    return keys


def _increment(keys: list[tuple[str, str]], hour: datetime) -> None:
    for dimension, key in keys:
        row = ComplaintCount.objects.filter(dimension=dimension, key=key, hour=hour)
        if row.update(count=F("count") + 1):
            continue
        try:
            with transaction.atomic():
                ComplaintCount.objects.create(dimension=dimension, key=key, hour=hour, count=1)
        except IntegrityError:
            row.update(count=F("count") + 1)


def complaint_record(*, ticket_id: int) -> Complaint | None:
    """Count a new complaint ticket once (the reaction after its creation commits, or a rebuild):
    the Complaint row, the hourly counters of its series, and a link to an open warning on them."""
    ticket = (
        Ticket.objects.select_related("category", "customer")
        .filter(pk=ticket_id, kind=TicketKind.COMPLAINT)
        .first()
    )
    if ticket is None:
        return None
    region = ticket.customer.region.strip() if ticket.customer else ""
    with transaction.atomic():
        try:
            with transaction.atomic():
                complaint = Complaint.objects.create(
                    ticket=ticket,
                    created_at=ticket.created_at,
                    category_id=ticket.category_id,
                    team_id=ticket.team_id,
                    channel=ticket.channel,
                    region=region,
                    is_escalated=_mentions_escalation(ticket.title + " " + ticket.description),
                    is_repeat=_is_repeat(ticket),
                )
        except IntegrityError:
            return None  # counted already
        keys = series_of(
            category_path=ticket.category.path if ticket.category else None,
            team_id=ticket.team_id,
            channel=ticket.channel,
            region=region,
        )
        _increment(keys, _hour(ticket.created_at))
        series_q = Q()
        for dimension, key in keys:
            series_q |= Q(dimension=dimension, key=key)
        open_ids = list(
            ComplaintWarning.objects.filter(series_q, status__in=OPEN_WARNING_STATUSES).values_list(
                "pk", flat=True
            )
        )
        WarningTicket.objects.bulk_create(
            [WarningTicket(warning_id=wid, ticket_id=ticket.pk) for wid in open_ids], ignore_conflicts=True
        )
    return complaint


ESCALATION_WORDS = ("12315", "消协", "媒体", "记者", "曝光", "工信部", "监管", "市场监督", "律师")
REPEAT_DAYS = 30


def _mentions_escalation(text: str) -> bool:
    return any(w in text for w in ESCALATION_WORDS)


def _is_repeat(ticket: Ticket) -> bool:
    """Same customer, same category, another complaint within REPEAT_DAYS."""
    if ticket.customer_id is None:
        return False
    since = ticket.created_at - timedelta(days=REPEAT_DAYS)
    return (
        Complaint.objects.filter(
            ticket__customer_id=ticket.customer_id,
            category_id=ticket.category_id,  # type: ignore[misc]
            created_at__gte=since,
        )
        .exclude(ticket_id=ticket.pk)
        .exists()
    )


# --- the detector's clock run ------------------------------------------------------------------------


def _local_tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def _calendar_days(years: set[int]) -> tuple[frozenset[date], frozenset[date]]:
    try:
        holidays, workdays = chinese_holidays(years)
    except ValueError:
        # A year the package does not know yet: its ordinary weekdays still count.
        known = [y for y in years if y <= date.today().year]
        try:
            holidays, workdays = (
                chinese_holidays(set(known) - {max(years)}) if len(years) > 1 else (set(), set())
            )
        except ValueError:
            holidays, workdays = set(), set()
    return frozenset(holidays), frozenset(workdays)


def _label(dimension: str, key: str, cats: dict[int, Category], teams: dict[int, str]) -> str:
    if dimension == Dimension.ALL:
        return str(_("All complaints"))
    if dimension == Dimension.CHANNEL:
        try:
            return str(_("Channel")) + " · " + str(TicketChannel(key).label)
        except ValueError:
            return str(_("Channel")) + " · " + key
    if dimension == Dimension.TEAM:
        return str(_("Team")) + " · " + teams.get(int(key), key)
    if dimension == Dimension.REGION:
        return str(_("Region")) + " · " + key
    cat = cats.get(int(key)) if key.isdigit() else None
    if cat is None:
        return str(_("Category")) + " · " + key
    names = [cats[int(p)].name for p in cat.path.strip("/").split("/") if p.isdigit() and int(p) in cats]
    return str(_("Category")) + " · " + " / ".join(names or [cat.name])


@dataclass
class RunResult:
    series: int = 0
    days_learnt: int = 0
    raised: list[ComplaintWarning] = field(default_factory=list)


def detector_evaluate(
    *, now: datetime, params: detector.Params = detector.DEFAULT_PARAMS, raise_warnings: bool = True
) -> RunResult:
    """Learn every series' finished days up to yesterday, then check yesterday (daily) and the last
    three hours (hourly); raise or upgrade warnings. Reads only the counters (never tickets)."""
    tz = _local_tz()
    local_now = now.astimezone(tz)
    today = local_now.date()
    yesterday = today - timedelta(days=1)
    result = RunResult()
    levels = [
        detector.LevelRule(lv.code, lv.rank, float(lv.min_ratio), lv.min_count)
        for lv in WarningLevel.objects.all()
    ]
    level_rows = {lv.code: lv for lv in WarningLevel.objects.all()}
    holidays, workdays = _calendar_days({today.year - 1, today.year})

    states = {(s.dimension, s.key): s for s in SeriesState.objects.all()}
    earliest = today - timedelta(days=config.HISTORY_DAYS)
    known = set(
        ComplaintCount.objects.filter(hour__gte=datetime.combine(earliest, time(), tz))
        .values_list("dimension", "key")
        .distinct()
    )
    new_keys = known - set(states)
    if new_keys:
        cats = {c.pk: c for c in Category.objects.all()}
        teams = dict(Team.objects.values_list("pk", "name"))
        SeriesState.objects.bulk_create(
            [SeriesState(dimension=d, key=k, label=_label(d, k, cats, teams)[:200]) for d, k in new_keys],
            ignore_conflicts=True,
        )
        states = {(s.dimension, s.key): s for s in SeriesState.objects.all()}
    result.series = len(states)

    # Daily: every finished day a series has not learnt yet.
    pending = [s for s in states.values() if s.last_day is None or s.last_day < yesterday]
    if pending:
        start_day = min((s.last_day + timedelta(days=1)) if s.last_day else earliest for s in pending)
        start_day = max(start_day, earliest)
        lo = datetime.combine(start_day, time(), tz)
        hi = datetime.combine(today, time(), tz)
        per: dict[tuple[str, str], dict[date, list[int]]] = defaultdict(dict)
        rows = ComplaintCount.objects.filter(hour__gte=lo, hour__lt=hi).values_list(
            "dimension", "key", "hour", "count"
        )
        for dimension, key, hour, count in rows.iterator():
            local = hour.astimezone(tz)
            hours = per[(dimension, key)].setdefault(local.date(), [0] * 24)
            hours[local.hour] += count
        first_day = {k: min(v) for k, v in per.items() if v}
        for skey, state in states.items():
            if state.last_day is not None and state.last_day >= yesterday:
                continue
            baseline = detector.Baseline.from_json(state.baseline)
            day = (state.last_day + timedelta(days=1)) if state.last_day else first_day.get(skey)
            if day is None:
                continue
            day = max(day, start_day)
            recent = list(state.recent)
            days = per.get(skey, {})
            while day <= yesterday:
                hours = days.get(day, [0] * 24)
                observed = sum(hours)
                verdict = detector.update_day(
                    baseline, observed, detector.day_type(day, holidays, workdays), params, hours
                )
                recent = [*recent, [day.isoformat(), observed, round(verdict.expected, 2)]][-30:]
                result.days_learnt += 1
                if raise_warnings and verdict.alarm and day == yesterday:
                    begin = datetime.combine(day, time(), tz)
                    w = _raise(
                        state,
                        Window.DAY,
                        observed,
                        verdict.expected,
                        begin,
                        begin + timedelta(days=1),
                        now,
                        levels,
                        level_rows,
                        recent,
                    )
                    if w is not None:
                        result.raised.append(w)
                day += timedelta(days=1)
            state.baseline = baseline.to_json()
            state.last_day = yesterday
            state.recent = recent
        SeriesState.objects.bulk_update(
            list(states.values()), ["baseline", "last_day", "recent"], batch_size=500
        )

    # Hourly: the last three hours, the current one in part.
    this_hour = _hour(now)
    buckets = [this_hour - timedelta(hours=2), this_hour - timedelta(hours=1), this_hour]
    fraction = max((now - this_hour).total_seconds() / 3600.0, 1 / 12)
    counts: dict[tuple[str, str], dict[datetime, int]] = defaultdict(dict)
    for dimension, key, hour, count in ComplaintCount.objects.filter(
        hour__gte=buckets[0], hour__lte=this_hour
    ).values_list("dimension", "key", "hour", "count"):
        counts[(dimension, key)][hour] = count
    dtype = detector.day_type(today, holidays, workdays)
    hods = [b.astimezone(tz).hour for b in buckets]
    for skey, by_hour in counts.items():
        hour_state = states.get(skey)
        if hour_state is None:
            continue
        baseline = detector.Baseline.from_json(hour_state.baseline)
        series = [by_hour.get(b, 0) for b in buckets]
        verdict = detector.check_hours(  # type: ignore[assignment]  # a day's and an hour's verdict alike
            baseline, dtype, series, hods, params, last_fraction=fraction
        )
        if raise_warnings and verdict.alarm:
            begin = buckets[0]  # the three hours looked at: every ticket of the surge is linked
            chart = [
                [
                    b.astimezone(tz).strftime("%H:00"),
                    c,
                    round(baseline.expected_day(dtype) * baseline.hour_share[h], 2),
                ]
                for b, c, h in zip(buckets, series, hods, strict=True)
            ]
            w = _raise(
                hour_state,
                Window.HOUR,
                verdict.observed,
                verdict.expected,
                begin,
                now,
                now,
                levels,
                level_rows,
                chart,
            )
            if w is not None:
                result.raised.append(w)
    return result


def detector_run(*, run_id: int, due_at: datetime, now: datetime | None = None) -> bool:
    """The clock's handler: claim the run row (conditional UPDATE), evaluate, set the next run."""
    now = now or timezone.now()
    nxt = now + timedelta(minutes=config.DETECT_EVERY_MINUTES)
    with transaction.atomic():
        if not DetectorRun.objects.filter(pk=run_id, due_at=due_at).update(due_at=nxt, last_run_at=now):
            return False
        result = detector_evaluate(now=now)
        DetectorRun.objects.filter(pk=run_id).update(last_series=result.series)
    return True


def detector_check_now(*, actor: User) -> list[ComplaintWarning]:
    """A team lead or manager evaluates every series now, without waiting for the clock's next run
    (after a burst of calls, say). The same evaluation as the clock's; returns what it raised."""
    require_work(actor)
    with transaction.atomic():
        return detector_evaluate(now=timezone.now()).raised


def _complaint_series_q(dimension: str, key: str) -> Q:
    """Complaint rows of one series."""
    if dimension == Dimension.CHANNEL:
        return Q(channel=key)
    if dimension == Dimension.TEAM:
        return Q(team_id=int(key))
    if dimension == Dimension.REGION:
        return Q(region=key)
    if dimension == Dimension.CATEGORY:
        return Q(category__path__contains=f"/{key}/")
    return Q()


def _raise(
    state: SeriesState,
    window: str,
    observed: int,
    expected: float,
    begin: datetime,
    end: datetime,
    now: datetime,
    levels: list[detector.LevelRule],
    level_rows: dict[str, WarningLevel],
    chart: list[Any],
) -> ComplaintWarning | None:
    ratio = observed / expected if expected > 0 else float(observed)
    rule = detector.grade(ratio, observed, levels)
    if rule is None:
        return None
    level = level_rows[rule.code]
    current = (
        ComplaintWarning.objects.select_for_update()
        .select_related("level")
        .filter(dimension=state.dimension, key=state.key, status__in=OPEN_WARNING_STATUSES)
        .first()
    )
    if current is not None:
        if current.level.rank >= level.rank:
            return None
        current.level = level
        current.observed, current.expected, current.ratio = observed, expected, ratio
        current.chart = chart
        current.save(update_fields=["level", "observed", "expected", "ratio", "chart"])
        WarningEvent.objects.create(
            warning=current, kind=WarningEventKind.UPGRADED, text=level.name, created_at=now
        )
        _notify(current, level.notify_roles, _("Warning raised to %(level)s") % {"level": level.name})
        return current
    warning = ComplaintWarning.objects.create(
        number=f"YJ{now.astimezone(_local_tz()):%Y%m%d%H%M%S%f}"[:24],
        level=level,
        dimension=state.dimension,
        key=state.key,
        label=state.label,
        window=window,
        observed=observed,
        expected=round(expected, 3),
        ratio=round(ratio, 3),
        period_start=begin,
        period_end=end,
        raised_at=now,
        chart=chart,
        duty_due_at=now + timedelta(minutes=level.ack_minutes),
    )
    warning.number = f"YJ{now.astimezone(_local_tz()):%Y%m%d}-{warning.pk:04d}"
    warning.save(update_fields=["number"])
    ids = Complaint.objects.filter(
        Q(created_at__gte=begin, created_at__lt=max(end, now) + timedelta(seconds=1)),
        _complaint_series_q(state.dimension, state.key),
    ).values_list("ticket_id", flat=True)
    WarningTicket.objects.bulk_create(
        [WarningTicket(warning=warning, ticket_id=t) for t in ids], ignore_conflicts=True
    )
    WarningEvent.objects.create(
        warning=warning,
        kind=WarningEventKind.RAISED,
        created_at=now,
        text=_("%(level)s: %(observed)s complaints against %(expected).1f expected")
        % {"level": level.name, "observed": observed, "expected": expected},
    )
    _notify(warning, level.notify_roles, _("New warning"))
    return warning


def _notify(warning: ComplaintWarning, roles: list[str], headline: str) -> None:
    """Mail the users in `roles` and post to the level's robot, after commit."""
    level = warning.level
    emails = list(
        User.objects.filter(is_active=True, role__in=roles).exclude(email="").values_list("email", flat=True)
    )
    emails += [e for e in level.notify_emails if isinstance(e, str)]
    message = OutboundMessage(
        title=f"[{level.name}] {headline} {warning.number}",
        body=_("%(series)s: %(observed)s complaints, %(ratio).1f× the baseline.")
        % {"series": warning.label, "observed": warning.observed, "ratio": warning.ratio},
        link=f"{settings.SITE_ROOT}/complaints/warnings/{warning.pk}/",
        emails=tuple(sorted(set(emails))),
    )
    channels: list[Channel] = [EmailChannel()]
    if level.robot_url and level.robot_kind:
        try:
            channels.append(RobotChannel(kind=level.robot_kind, url=level.robot_url))
        except ValueError:
            logger.warning("complaints: level %s has an unknown robot kind %r", level.code, level.robot_kind)
    transaction.on_commit(lambda: send_all(channels, message))


# --- warning duties ----------------------------------------------------------------------------------


def _warning_for_update(warning_id: int) -> ComplaintWarning:
    warning = (
        ComplaintWarning.objects.select_for_update(of=("self",))
        .select_related("level")
        .filter(pk=warning_id)
        .first()
    )
    if warning is None:
        raise NotFound(code=E.NOT_FOUND, message=_("Warning not found."))
    if warning.status == WarningStatus.CLOSED:
        raise Conflict(code=E.WARNING_CLOSED, message=_("This warning is closed."))
    return warning


def duty_deadlines(warning: ComplaintWarning) -> list[tuple[str, datetime, datetime | None]]:
    """(duty, deadline, done at) for the three duties of the warning's level."""
    lv = warning.level
    start = warning.raised_at
    return [
        ("acknowledge", start + timedelta(minutes=lv.ack_minutes), warning.acknowledged_at),
        ("assign_owner", start + timedelta(minutes=lv.owner_minutes), warning.owner_at),
        ("publish_note", start + timedelta(minutes=lv.note_minutes), warning.note_at),
    ]


def _next_due(warning: ComplaintWarning, now: datetime) -> datetime | None:
    if warning.status == WarningStatus.CLOSED:
        return None
    open_duties = [deadline for _duty, deadline, done in duty_deadlines(warning) if done is None]
    if not open_duties:
        return None
    due = min(open_duties)
    # After an escalation the same duty is checked again one acknowledge-period later.
    if due <= now:
        due = now + timedelta(minutes=max(warning.level.ack_minutes, 5))
    return due


def _save_warning(warning: ComplaintWarning, now: datetime, *fields: str) -> None:
    warning.duty_due_at = _next_due(warning, now)
    warning.save(update_fields=[*fields, "duty_due_at"])


def warning_acknowledge(*, actor: User, warning_id: int) -> ComplaintWarning:
    require_work(actor)
    now = timezone.now()
    with transaction.atomic():
        warning = _warning_for_update(warning_id)
        if warning.acknowledged_at is not None:
            raise Conflict(code=E.DUTY_DONE, message=_("This warning is already acknowledged."))
        warning.acknowledged_at, warning.acknowledged_by = now, actor
        if warning.status == WarningStatus.OPEN:
            warning.status = WarningStatus.ACKNOWLEDGED
        _save_warning(warning, now, "acknowledged_at", "acknowledged_by", "status")
        WarningEvent.objects.create(
            warning=warning, kind=WarningEventKind.ACKNOWLEDGED, actor=actor, created_at=now
        )
    return warning


def warning_assign(*, actor: User, warning_id: int, owner: User) -> ComplaintWarning:
    require_work(actor)
    if not owner.is_active:
        raise DomainError(
            code=E.FORBIDDEN,
            message=_("This user is not active."),
            fields={"owner": [_("This user is not active.")]},
        )
    now = timezone.now()
    with transaction.atomic():
        warning = _warning_for_update(warning_id)
        warning.owner, warning.owner_at = owner, now
        if warning.acknowledged_at is None:
            warning.acknowledged_at, warning.acknowledged_by = now, actor
        warning.status = WarningStatus.HANDLING
        _save_warning(warning, now, "owner", "owner_at", "acknowledged_at", "acknowledged_by", "status")
        WarningEvent.objects.create(
            warning=warning, kind=WarningEventKind.OWNER, actor=actor, text=owner.name, created_at=now
        )
    return warning


def warning_note(*, actor: User, warning_id: int, note: str) -> ComplaintWarning:
    require_work(actor)
    note = note.strip()
    if not note:
        raise DomainError(
            code=E.NOTE_REQUIRED, message=_("Write the handling note."), fields={"note": [_("Required.")]}
        )
    now = timezone.now()
    with transaction.atomic():
        warning = _warning_for_update(warning_id)
        warning.note, warning.note_at = note[:4000], now
        if warning.acknowledged_at is None:
            warning.acknowledged_at, warning.acknowledged_by = now, actor
        if warning.status == WarningStatus.OPEN:
            warning.status = WarningStatus.ACKNOWLEDGED
        _save_warning(warning, now, "note", "note_at", "acknowledged_at", "acknowledged_by", "status")
        WarningEvent.objects.create(
            warning=warning, kind=WarningEventKind.NOTE, actor=actor, text=note[:500], created_at=now
        )
    return warning


def warning_close(*, actor: User, warning_id: int, note: str = "") -> ComplaintWarning:
    require_work(actor)
    now = timezone.now()
    with transaction.atomic():
        warning = _warning_for_update(warning_id)
        if warning.note_at is None and not note.strip():
            raise DomainError(
                code=E.NOTE_REQUIRED,
                message=_("Publish a handling note before closing the warning."),
                fields={"note": [_("Required.")]},
            )
        if note.strip():
            warning.note, warning.note_at = note.strip()[:4000], warning.note_at or now
        warning.status, warning.closed_at = WarningStatus.CLOSED, now
        _save_warning(warning, now, "status", "closed_at", "note", "note_at")
        WarningEvent.objects.create(
            warning=warning, kind=WarningEventKind.CLOSED, actor=actor, text=note[:500], created_at=now
        )
    return warning


MAX_ESCALATIONS = 3


def warning_escalate(*, warning_id: int, due_at: datetime, now: datetime | None = None) -> bool:
    """The clock's handler when a duty's deadline passed: record it, tell the level's escalation
    roles, and check again later (at most MAX_ESCALATIONS times)."""
    now = now or timezone.now()
    with transaction.atomic():
        warning = (
            ComplaintWarning.objects.select_for_update(of=("self",))
            .select_related("level")
            .filter(pk=warning_id, duty_due_at=due_at)
            .first()
        )
        if warning is None:
            return False
        missed = [
            duty for duty, deadline, done in duty_deadlines(warning) if done is None and deadline <= now
        ]
        if not missed or warning.status == WarningStatus.CLOSED:
            warning.duty_due_at = _next_due(warning, now)
            warning.save(update_fields=["duty_due_at"])
            return True
        warning.escalations += 1
        labels = "、".join(str(config.DUTY_LABELS[d]) for d in missed)
        WarningEvent.objects.create(
            warning=warning,
            kind=WarningEventKind.ESCALATED,
            created_at=now,
            text=_("Not done in time: %(duties)s") % {"duties": labels},
        )
        _notify(warning, warning.level.escalate_roles, _("Duty overdue: %(duties)s") % {"duties": labels})
        warning.duty_due_at = _next_due(warning, now) if warning.escalations < MAX_ESCALATIONS else None
        warning.save(update_fields=["escalations", "duty_due_at"])
    return True


# --- incidents ---------------------------------------------------------------------------------------


def _incident_for_update(incident_id: int) -> Incident:
    incident = Incident.objects.select_for_update().filter(pk=incident_id).first()
    if incident is None:
        raise NotFound(code=E.NOT_FOUND, message=_("Incident not found."))
    return incident


def _require_open(incident: Incident) -> None:
    if incident.status == IncidentStatus.RESOLVED:
        raise Conflict(code=E.INCIDENT_RESOLVED, message=_("This incident is already resolved."))


def incident_open(
    *,
    actor: User,
    title: str,
    description: str = "",
    warning_id: int | None = None,
    owner: User | None = None,
    supervisor: User | None = None,
    expert: User | None = None,
) -> Incident:
    """Open a major / mass complaint incident, by hand or from a warning (its tickets are linked)."""
    require_work(actor)
    title = title.strip()
    if not title:
        raise DomainError(
            code=E.TITLE_REQUIRED, message=_("A title is required."), fields={"title": [_("Required.")]}
        )
    now = timezone.now()
    with transaction.atomic():
        warning = None
        if warning_id is not None:
            warning = ComplaintWarning.objects.filter(pk=warning_id).first()
            if warning is None:
                raise NotFound(code=E.NOT_FOUND, message=_("Warning not found."))
        incident = Incident.objects.create(
            number=f"SJ{now:%Y%m%d%H%M%S%f}"[:24],
            title=title[:200],
            description=description,
            owner=owner or actor,
            supervisor=supervisor,
            expert=expert,
            warning=warning,
            opened_at=now,
            plan_due_at=now + timedelta(hours=config.INCIDENT_PLAN_HOURS),
        )
        incident.number = f"SJ{now.astimezone(_local_tz()):%Y%m%d}-{incident.pk:04d}"
        incident.save(update_fields=["number"])
        IncidentEvent.objects.create(
            incident=incident, kind=IncidentEventKind.OPENED, actor=actor, text=title, created_at=now
        )
        if warning is not None:
            visible = tickets_visible_to(actor).filter(
                pk__in=WarningTicket.objects.filter(warning=warning).values("ticket_id")
            )
            ids = list(visible.values_list("pk", flat=True))
            IncidentTicket.objects.bulk_create(
                [IncidentTicket(incident=incident, ticket_id=t, linked_by=actor, linked_at=now) for t in ids]
            )
            WarningEvent.objects.create(
                warning=warning,
                kind=WarningEventKind.INCIDENT,
                actor=actor,
                text=incident.number,
                created_at=now,
            )
            if ids:
                IncidentEvent.objects.create(
                    incident=incident,
                    kind=IncidentEventKind.LINKED,
                    actor=actor,
                    created_at=now,
                    text=_("%(n)s tickets from warning %(w)s") % {"n": len(ids), "w": warning.number},
                )
    return incident


def incident_link(*, actor: User, incident_id: int, numbers: list[str]) -> list[Ticket]:
    """Link tickets (visible to the actor) to an open incident; a ticket already linked is refused."""
    require_work(actor)
    numbers = list(dict.fromkeys(n.strip() for n in numbers if n.strip()))
    if not numbers:
        raise DomainError(
            code=E.NO_TICKETS, message=_("Name at least one ticket."), fields={"numbers": [_("Required.")]}
        )
    now = timezone.now()
    with transaction.atomic():
        incident = _incident_for_update(incident_id)
        _require_open(incident)
        tickets = list(tickets_visible_to(actor).filter(number__in=numbers))
        missing = sorted(set(numbers) - {t.number for t in tickets})
        if missing:
            raise NotFound(
                code=E.NOT_FOUND, message=_("Ticket not found: %(numbers)s") % {"numbers": ", ".join(missing)}
            )
        linked = set(
            IncidentTicket.objects.filter(incident=incident, ticket__in=tickets).values_list(
                "ticket__number", flat=True
            )
        )
        if linked:
            raise Conflict(
                code=E.ALREADY_LINKED,
                message=_("Already linked to this incident: %(numbers)s")
                % {"numbers": ", ".join(sorted(linked))},
            )
        IncidentTicket.objects.bulk_create(
            [IncidentTicket(incident=incident, ticket=t, linked_by=actor, linked_at=now) for t in tickets]
        )
        IncidentEvent.objects.create(
            incident=incident,
            kind=IncidentEventKind.LINKED,
            actor=actor,
            created_at=now,
            text=", ".join(t.number for t in tickets)[:2000],
        )
    return tickets


def incident_unlink(*, actor: User, incident_id: int, number: str) -> None:
    require_work(actor)
    now = timezone.now()
    with transaction.atomic():
        incident = _incident_for_update(incident_id)
        _require_open(incident)
        deleted, _rows = IncidentTicket.objects.filter(incident=incident, ticket__number=number).delete()
        if not deleted:
            raise NotFound(code=E.NOT_LINKED, message=_("This ticket is not linked to the incident."))
        IncidentEvent.objects.create(
            incident=incident, kind=IncidentEventKind.UNLINKED, actor=actor, text=number, created_at=now
        )


def _linked_numbers(incident: Incident, *, open_only: bool) -> list[str]:
    qs = IncidentTicket.objects.filter(incident=incident)
    if open_only:
        qs = qs.exclude(ticket__status__in=[TicketStatus.RESOLVED, TicketStatus.CLOSED])
    return list(qs.order_by("ticket__number").values_list("ticket__number", flat=True))


def incident_notify(*, actor: User, incident_id: int, body: str) -> int:
    """A public status note to every linked open ticket at once: each ticket gets its own reply (the
    customer is told on the ticket's channel by the reply service). Returns how many."""
    require_work(actor)
    body = body.strip()
    if not body:
        raise DomainError(
            code=E.NOTE_REQUIRED, message=_("Write the status note."), fields={"body": [_("Required.")]}
        )
    now = timezone.now()
    with transaction.atomic():
        incident = _incident_for_update(incident_id)
        _require_open(incident)
        numbers = _linked_numbers(incident, open_only=True)
        for number in numbers:
            ticket_add_message(actor=actor, number=number, kind=MessageKind.REPLY, body=body)
        IncidentEvent.objects.create(
            incident=incident,
            kind=IncidentEventKind.NOTIFIED,
            actor=actor,
            created_at=now,
            text=_("%(n)s customers: %(body)s") % {"n": len(numbers), "body": body},
        )
    return len(numbers)


def incident_plan(*, actor: User, incident_id: int, plan: str) -> Incident:
    """Record the compensation plan (stops the 48-hour plan clock)."""
    require_work(actor)
    plan = plan.strip()
    if not plan:
        raise DomainError(
            code=E.NOTE_REQUIRED, message=_("Write the compensation plan."), fields={"plan": [_("Required.")]}
        )
    now = timezone.now()
    with transaction.atomic():
        incident = _incident_for_update(incident_id)
        _require_open(incident)
        incident.plan, incident.plan_at, incident.plan_due_at = plan, now, None
        incident.save(update_fields=["plan", "plan_at", "plan_due_at"])
        IncidentEvent.objects.create(
            incident=incident, kind=IncidentEventKind.PLAN, actor=actor, text=plan, created_at=now
        )
    return incident


def incident_plan_overdue(*, incident_id: int, due_at: datetime, now: datetime | None = None) -> bool:
    """The clock: the 48 hours passed without a plan."""
    now = now or timezone.now()
    with transaction.atomic():
        if not Incident.objects.filter(pk=incident_id, plan_due_at=due_at).update(
            plan_due_at=None, plan_overdue=True
        ):
            return False
        incident = Incident.objects.get(pk=incident_id)
        IncidentEvent.objects.create(
            incident=incident,
            kind=IncidentEventKind.PLAN_OVERDUE,
            created_at=now,
            text=_("No compensation plan within %(h)s hours.") % {"h": config.INCIDENT_PLAN_HOURS},
        )
        emails = tuple(
            User.objects.filter(is_active=True, role__in=["manager", "admin"])
            .exclude(email="")
            .values_list("email", flat=True)
        )
        message = OutboundMessage(
            title=_("Compensation plan overdue: %(n)s") % {"n": incident.number},
            body=incident.title,
            link=f"{settings.SITE_ROOT}/complaints/incidents/{incident.pk}/",
            emails=emails,
        )
        transaction.on_commit(lambda: send_all([EmailChannel()], message))
    return True


def incident_resolve(*, actor: User, incident_id: int, comment: str) -> int:
    """Resolve the incident and every linked open ticket; each ticket writes its own events."""
    require_work(actor)
    comment = comment.strip()
    if not comment:
        raise DomainError(
            code=E.NOTE_REQUIRED, message=_("Say how it was resolved."), fields={"comment": [_("Required.")]}
        )
    now = timezone.now()
    with transaction.atomic():
        incident = _incident_for_update(incident_id)
        _require_open(incident)
        numbers = _linked_numbers(incident, open_only=True)
        for number in numbers:
            ticket_change_status(actor=actor, number=number, status=TicketStatus.RESOLVED, comment=comment)
        incident.status, incident.resolved_at, incident.plan_due_at = IncidentStatus.RESOLVED, now, None
        incident.save(update_fields=["status", "resolved_at", "plan_due_at"])
        IncidentEvent.objects.create(
            incident=incident,
            kind=IncidentEventKind.RESOLVED,
            actor=actor,
            created_at=now,
            text=_("%(n)s tickets resolved: %(c)s") % {"n": len(numbers), "c": comment},
        )
    return len(numbers)


# --- compensation ------------------------------------------------------------------------------------


def _amount(value: object) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        amount = Decimal(-1)
    if not amount.is_finite() or amount <= 0 or amount > Decimal("99999999"):
        raise DomainError(
            code=E.BAD_AMOUNT,
            message=_("Enter an amount above zero."),
            fields={"amount": [_("Enter an amount above zero.")]},
        )
    return amount.quantize(Decimal("0.01"))


def compensation_propose(
    *, actor: User, incident_id: int, kind: str, amount: object, ticket_number: str = "", note: str = ""
) -> Compensation:
    require_work(actor)
    if kind not in CompensationKind.values:
        raise DomainError(
            code=E.BAD_AMOUNT,
            message=_("Unknown compensation kind."),
            fields={"kind": [_("Unknown compensation kind.")]},
        )
    value = _amount(amount)
    now = timezone.now()
    with transaction.atomic():
        incident = _incident_for_update(incident_id)
        _require_open(incident)
        ticket = None
        if ticket_number.strip():
            ticket = access_ticket(user=actor, number=ticket_number.strip())
        return Compensation.objects.create(
            incident=incident,
            ticket=ticket,
            customer_id=ticket.customer_id if ticket else None,
            kind=kind,
            amount=value,
            note=note[:300],
            proposed_by=actor,
            created_at=now,
        )


def _compensation_for_update(compensation_id: int, state: str) -> Compensation:
    row = Compensation.objects.select_for_update().filter(pk=compensation_id).first()
    if row is None:
        raise NotFound(code=E.NOT_FOUND, message=_("Compensation not found."))
    if row.state != state:
        raise Conflict(
            code=E.COMPENSATION_STATE,
            message=_("This compensation is %(state)s; it cannot be changed this way.")
            % {"state": CompensationState(row.state).label},
        )
    return row


def compensation_decide(*, actor: User, compensation_id: int, approve: bool) -> Compensation:
    """Approve (within the approver's limit) or refuse a proposed compensation."""
    require_work(actor)
    now = timezone.now()
    with transaction.atomic():
        row = _compensation_for_update(compensation_id, CompensationState.PROPOSED)
        limit = approval_limit(actor)
        if approve and limit is not None and row.amount > limit:
            raise DomainError(
                code=E.OVER_LIMIT,
                status=403,
                message=_("%(amount)s is over your approval limit of %(limit)s.")
                % {"amount": row.amount, "limit": limit},
            )
        row.state = CompensationState.APPROVED if approve else CompensationState.REFUSED
        row.decided_by, row.decided_at = actor, now
        row.save(update_fields=["state", "decided_by", "decided_at"])
    return row


def compensation_pay(*, actor: User, compensation_id: int) -> Compensation:
    """Mark an approved compensation paid; the row lock makes a second payment impossible."""
    require_work(actor)
    now = timezone.now()
    with transaction.atomic():
        row = _compensation_for_update(compensation_id, CompensationState.APPROVED)
        row.state, row.paid_at = CompensationState.PAID, now
        row.save(update_fields=["state", "paid_at"])
    return row


# --- public opinion ----------------------------------------------------------------------------------

_t2s = opencc.OpenCC("t2s")
_NOISE = re.compile(r"[\s\W_]+", re.UNICODE)


def fold(text: str) -> str:
    """Full-width to half-width, lower case, traditional to simplified."""
    return _t2s.convert(unicodedata.normalize("NFKC", text or "").lower())


def _text_key(text: str) -> str:
    return hashlib.sha1(_NOISE.sub("", fold(text)).encode("utf-8")).hexdigest()  # noqa: S324 - a dedup key, not security


def opinion_match(text: str, rules: list[OpinionRule]) -> tuple[list[str], int]:
    """(phrases matched, total weight): each rule's phrase and variants, folded, and its pinyin."""
    folded = fold(text)
    compact = _NOISE.sub("", folded)
    matched, score = [], 0
    for rule in rules:
        terms = [fold(t) for t in rule.terms()]
        terms.append("".join(lazy_pinyin(rule.phrase)))
        if any(t and (t in folded or _NOISE.sub("", t) in compact) for t in terms):
            matched.append(rule.phrase)
            score += rule.weight
    return matched, score


@dataclass
class ImportResult:
    created: list[OpinionPost] = field(default_factory=list)
    duplicates: int = 0
    errors: list[dict[str, object]] = field(default_factory=list)


def posts_import(*, actor: User, rows: list[dict[str, Any]]) -> ImportResult:
    """Import posts from a monitoring feed or an upload. Each bad row is reported (row number and a
    message) and the good rows are kept; the same URL or the same text folded collapses into the
    first post (its duplicate count goes up)."""
    require_work(actor)
    now = timezone.now()
    rules = list(OpinionRule.objects.filter(is_active=True))
    result = ImportResult()
    for i, raw in enumerate(rows, start=1):
        try:
            data = _post_row(raw)
        except DomainError as exc:
            result.errors.append({"row": i, "message": str(exc.message)})
            continue
        key = _text_key(data["text"])
        with transaction.atomic():
            twin = (
                OpinionPost.objects.select_for_update()
                .filter(Q(url=data["url"]) | Q(metrics__text_key=key))
                .first()
            )
            if twin is not None:
                OpinionPost.objects.filter(pk=twin.pk).update(duplicates=F("duplicates") + 1)
                result.duplicates += 1
                continue
            matched, score = opinion_match(data["text"], rules)
            metrics = {**data["metrics"], "text_key": key}
            result.created.append(
                OpinionPost.objects.create(
                    source=data["source"],
                    author=data["author"],
                    url=data["url"],
                    text=data["text"],
                    posted_at=data["posted_at"],
                    metrics=metrics,
                    matched=matched,
                    score=score,
                    imported_at=now,
                    imported_by=actor,
                )
            )
    return result


def _post_row(raw: dict[str, Any]) -> dict[str, Any]:
    def bad(message: str) -> DomainError:
        return DomainError(code=E.BAD_POST, message=message)

    if not isinstance(raw, dict):
        raise bad(_("Not a post."))
    text = str(raw.get("text") or "").strip()
    url = str(raw.get("url") or "").strip()
    if not text:
        raise bad(_("The text is empty."))
    if not re.match(r"^https?://\S+$", url) or len(url) > 500:
        raise bad(_("The URL is missing or not a web address."))
    source = str(raw.get("source") or "other").strip().lower()
    if source not in PostSource.values:
        raise bad(_("Unknown source %(source)s.") % {"source": source})
    when = raw.get("posted_at") or raw.get("time")
    posted: datetime | None
    if isinstance(when, datetime):
        posted = when
    else:
        from_text = str(when or "").strip().replace("/", "-")
        try:
            posted = datetime.fromisoformat(from_text) if from_text else None
        except ValueError:
            posted = None
    if posted is None:
        raise bad(_("The time is missing or not a date and time."))
    if timezone.is_naive(posted):
        posted = posted.replace(tzinfo=_local_tz())
    metrics = raw.get("metrics") or {}
    if not isinstance(metrics, dict):
        raise bad(_("Metrics must be an object."))
    clean = {
        str(k)[:32]: v for k, v in metrics.items() if isinstance(v, int | float) and not isinstance(v, bool)
    }
    return {
        "text": text[:5000],
        "url": url,
        "source": source,
        "posted_at": posted,
        "author": str(raw.get("author") or "")[:100],
        "metrics": clean,
    }


def opinion_rule_save(*, actor: User, phrase: str, variants: str = "", weight: int = 1) -> OpinionRule:
    require_configure(actor)
    phrase = phrase.strip()
    if not phrase:
        raise DomainError(
            code=E.BAD_POST, message=_("A phrase is required."), fields={"phrase": [_("Required.")]}
        )
    rule, _created = OpinionRule.objects.update_or_create(
        phrase=phrase[:64], defaults={"variants": variants, "weight": max(1, min(weight, 10))}
    )
    return rule


# --- root causes -------------------------------------------------------------------------------------


def complaint_cause_set(
    *, actor: User, number: str, cause_code: str, department: Team | None = None, note: str = ""
) -> Complaint:
    """Record the root cause and responsible department of a resolved or closed complaint."""
    require_work(actor)
    now = timezone.now()
    with transaction.atomic():
        ticket = access_ticket(user=actor, number=number)
        if ticket.kind != TicketKind.COMPLAINT:
            raise DomainError(code=E.NOT_A_COMPLAINT, message=_("Only complaints carry a root cause."))
        if ticket.status not in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
            raise DomainError(
                code=E.NOT_A_COMPLAINT, message=_("Record the root cause once the complaint is resolved.")
            )
        cause = RootCause.objects.filter(code=cause_code).first()
        if cause is None or not cause.is_active:
            raise DomainError(
                code=E.CAUSE_INACTIVE,
                message=_("Unknown root cause."),
                fields={"cause": [_("Unknown root cause.")]},
            )
        complaint = Complaint.objects.filter(ticket=ticket).first() or complaint_record(ticket_id=ticket.pk)
        if complaint is None:  # pragma: no cover - a complaint ticket always gets its row
            raise NotFound(code=E.NOT_FOUND, message=_("Complaint not found."))
        complaint.cause, complaint.cause_department, complaint.cause_note = cause, department, note[:500]
        complaint.cause_set_by, complaint.cause_set_at = actor, now
        complaint.save(
            update_fields=["cause", "cause_department", "cause_note", "cause_set_by", "cause_set_at"]
        )
    return complaint


# --- joint handling tasks (VIP and 重大 / 紧急 complaints) -------------------------------------------


def _joint_reason(grade: str, is_vip: bool) -> str | None:
    if grade == Severity.URGENT:
        return JointTaskReason.URGENT
    if grade == Severity.MAJOR:
        return JointTaskReason.MAJOR
    if is_vip:
        return JointTaskReason.VIP
    return None


def _joint_supervisor(ticket: Ticket) -> User | None:
    """The ticket team's lead, else a manager (the first by username: stable and predictable)."""
    people = User.objects.filter(is_active=True).exclude(username=SYSTEM_USERNAME)
    lead = None
    if ticket.team_id:
        lead = people.filter(role="team_lead", team_id=ticket.team_id).order_by("username").first()
    return lead or people.filter(role="manager").order_by("username").first()


def _joint_expert(
    dispatch: TicketDispatch | None, rule: JointTaskRule | None, supervisor: User | None
) -> User | None:
    """The experts of the dispatch rules that graded the complaint, else the reason's default expert."""
    rule_ids = [
        f.get("rule_id")
        for f in (dispatch.fired if dispatch else [])
        if f.get("severity") and f.get("rule_id")
    ]
    if rule_ids:
        through = TriageRule.notify_users.through
        expert_ids = list(
            through.objects.filter(triagerule_id__in=rule_ids)
            .order_by("pk")
            .values_list("user_id", flat=True)
        )
        for user in User.objects.filter(pk__in=expert_ids, is_active=True).order_by("username"):
            if supervisor is None or user.pk != supervisor.pk:
                return user
    if rule is not None and rule.expert_id and rule.expert is not None and rule.expert.is_active:
        return rule.expert
    return None


def _joint_notify(task: JointTask, ticket: Ticket, title: str, user_ids: list[int], now: datetime) -> None:
    """In-app notifications now, mail after commit."""
    ids = sorted({u for u in user_ids if u})
    if not ids:
        return
    body = f"{ticket.title}\n" + _("Time limit: %(at)s") % {
        "at": f"{task.deadline.astimezone(_local_tz()):%Y-%m-%d %H:%M}"
    }
    Notification.objects.bulk_create(
        [
            Notification(user_id=u, ticket_id=ticket.pk, title=title[:200], body=body, created_at=now)
            for u in ids
        ]
    )
    emails = tuple(User.objects.filter(pk__in=ids).exclude(email="").values_list("email", flat=True))
    message = OutboundMessage(
        title=title, body=body, link=f"{settings.SITE_ROOT}/tickets/{ticket.number}/", emails=emails
    )
    transaction.on_commit(lambda: send_all([EmailChannel()], message))


def joint_task_consider(*, ticket_id: int, now: datetime | None = None) -> JointTask | None:
    """The reaction after a complaint's creation or change commits: a VIP customer's complaint, or
    one dispatch graded 重大 or 紧急, gets one joint handling task for the supervisor and a named
    expert with the reason's time limit (both are told). A task already there is kept; a more
    pressing reason later (a VIP complaint graded 紧急) tightens its reason and time limit.
    Idempotent, so the clock's retry of a failed reaction opens nothing twice."""
    now = now or timezone.now()
    ticket = Ticket.objects.select_related("customer").filter(pk=ticket_id, kind=TicketKind.COMPLAINT).first()
    if ticket is None:
        return None
    dispatch = TicketDispatch.objects.filter(ticket_id=ticket.pk).first()
    grade = dispatch.severity if dispatch else ""
    is_vip = bool(ticket.customer and ticket.customer.is_vip)
    reason = _joint_reason(grade, is_vip)
    if reason is None:
        return None
    rule = JointTaskRule.objects.select_related("expert").filter(reason=reason).first()
    hours = rule.hours if rule else dict(config.DEFAULT_JOINT_TASK_HOURS)[reason]
    deadline = now + timedelta(hours=hours)
    with transaction.atomic():
        task = JointTask.objects.select_for_update().filter(ticket=ticket).first()
        if task is not None:
            more_pressing = (
                JOINT_TASK_REASON_RANK[JointTaskReason(reason)]
                > JOINT_TASK_REASON_RANK[JointTaskReason(task.reason)]
            )
            if task.status != JointTaskStatus.OPEN or not more_pressing:
                return task
            task.reason, task.grade, task.is_vip = reason, grade, is_vip
            task.deadline = min(task.deadline, deadline)
            task.due_at = None if task.overdue else task.deadline
            task.save(update_fields=["reason", "grade", "is_vip", "deadline", "due_at"])
            return task
        supervisor = _joint_supervisor(ticket)
        expert = _joint_expert(dispatch, rule, supervisor)
        try:
            with transaction.atomic():
                task = JointTask.objects.create(
                    ticket=ticket,
                    reason=reason,
                    grade=grade,
                    is_vip=is_vip,
                    supervisor=supervisor,
                    expert=expert,
                    opened_at=now,
                    deadline=deadline,
                    due_at=deadline,
                )
        except IntegrityError:
            return JointTask.objects.get(ticket=ticket)  # another run opened it
        title = _("Joint handling: %(number)s (%(reason)s)") % {
            "number": ticket.number,
            "reason": JointTaskReason(reason).label,
        }
        _joint_notify(
            task, ticket, title, [supervisor.pk if supervisor else 0, expert.pk if expert else 0], now
        )
    return task


def _joint_for_update(task_id: int) -> JointTask:
    task = (
        JointTask.objects.select_for_update(of=("self",)).select_related("ticket").filter(pk=task_id).first()
    )
    if task is None:
        raise NotFound(code=E.NOT_FOUND, message=_("Joint handling task not found."))
    if task.status == JointTaskStatus.DONE:
        raise Conflict(code=E.TASK_DONE, message=_("This joint handling task is already done."))
    return task


def may_handle_joint_task(user: User, task: JointTask) -> bool:
    """The supervisor, the expert, or a manager."""
    return bool(user.is_active and (user.pk in (task.supervisor_id, task.expert_id) or user.is_supervising))


def joint_task_name_expert(*, actor: User, task_id: int, expert: User) -> JointTask:
    """Name (or change) the expert of an open task: its supervisor or a manager. The expert is told."""
    now = timezone.now()
    if not expert.is_active:
        raise DomainError(
            code=E.FORBIDDEN,
            message=_("This user is not active."),
            fields={"expert": [_("This user is not active.")]},
        )
    with transaction.atomic():
        task = _joint_for_update(task_id)
        if not (actor.is_active and (actor.pk == task.supervisor_id or actor.is_supervising)):
            raise DomainError(
                code=E.NOT_A_PARTY,
                status=403,
                message=_("Only the task's supervisor or a manager names the expert."),
            )
        task.expert = expert
        task.save(update_fields=["expert"])
        title = _("Joint handling: %(number)s (%(reason)s)") % {
            "number": task.ticket.number,
            "reason": JointTaskReason(task.reason).label,
        }
        _joint_notify(task, task.ticket, title, [expert.pk], now)
    return task


def joint_task_complete(*, actor: User, task_id: int, result: str) -> JointTask:
    """Record the joint conclusion (the supervisor, the expert or a manager); it stops the clock.
    A conclusion after the time limit stays marked overdue."""
    result = result.strip()
    if not result:
        raise DomainError(
            code=E.NOTE_REQUIRED,
            message=_("Write the joint conclusion."),
            fields={"result": [_("Required.")]},
        )
    now = timezone.now()
    with transaction.atomic():
        task = _joint_for_update(task_id)
        if not may_handle_joint_task(actor, task):
            raise DomainError(
                code=E.NOT_A_PARTY,
                status=403,
                message=_("Only the task's supervisor, its expert or a manager may conclude it."),
            )
        task.status, task.result, task.done_by, task.done_at = JointTaskStatus.DONE, result[:4000], actor, now
        task.overdue = task.overdue or now > task.deadline
        task.due_at = None
        task.save(update_fields=["status", "result", "done_by", "done_at", "overdue", "due_at"])
    return task


def joint_task_overdue(*, task_id: int, due_at: datetime, now: datetime | None = None) -> bool:
    """The clock: the time limit passed without a conclusion. Marks it and tells the managers, the
    supervisor and the expert."""
    now = now or timezone.now()
    with transaction.atomic():
        if not JointTask.objects.filter(pk=task_id, due_at=due_at, status=JointTaskStatus.OPEN).update(
            due_at=None, overdue=True
        ):
            return False
        task = JointTask.objects.select_related("ticket").get(pk=task_id)
        managers = list(
            User.objects.filter(is_active=True, role__in=["manager", "admin"])
            .exclude(username=SYSTEM_USERNAME)
            .values_list("pk", flat=True)
        )
        title = _("Joint handling overdue: %(number)s") % {"number": task.ticket.number}
        _joint_notify(
            task, task.ticket, title, [*managers, task.supervisor_id or 0, task.expert_id or 0], now
        )
    return True

"""Every read of complaint management, visibility built in: warning lists and details (linked
tickets filtered by ticket visibility), the bulletin, incidents, compensation, posts, root causes."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.accounts.models import User
from kefu.complaints.access import may_read, may_work
from kefu.complaints.choices import (
    OPEN_WARNING_STATUSES,
    ActionStatus,
    CompensationState,
    Dimension,
    IncidentStatus,
    JointTaskStatus,
)
from kefu.complaints.errors import ComplaintErrorCode as E
from kefu.complaints.models import (
    ClosureOverride,
    Compensation,
    Complaint,
    ComplaintWarning,
    Incident,
    IncidentTicket,
    JointTask,
    OpinionPost,
    RootCause,
    UpstreamAction,
    WarningLevel,
    WarningTicket,
)
from kefu.core.errors import NotFound
from kefu.tickets.access import tickets_visible_to
from kefu.tickets.models import Category, Ticket


def _none_unless(user: User, ok: bool) -> None:
    if not ok:
        raise NotFound(code=E.NOT_FOUND, message="not found")


def warnings_visible_to(user: User) -> QuerySet[ComplaintWarning]:
    if not may_read(user):
        return ComplaintWarning.objects.none()
    return ComplaintWarning.objects.select_related("level", "owner", "acknowledged_by")


def _in_region(qs: QuerySet[ComplaintWarning], region: str) -> QuerySet[ComplaintWarning]:
    """Warnings about a region (省市): its own series, or any series that links a complaint from it."""
    if not region:
        return qs
    from_region = WarningTicket.objects.filter(warning_id=OuterRef("pk"), ticket__complaint__region=region)
    return qs.filter(Q(dimension=Dimension.REGION, key=region) | Exists(from_region))


def complaint_regions() -> list[str]:
    """The regions complaints were counted in (the filter's choices)."""
    return list(
        Complaint.objects.exclude(region="").values_list("region", flat=True).distinct().order_by("region")
    )


def warning_board(*, user: User, region: str = "") -> list[ComplaintWarning]:
    """Open warnings, highest level first, newest first, with their ticket counts; `region` keeps
    the warnings about that region (its series, or linking its complaints)."""
    qs = _in_region(warnings_visible_to(user).filter(status__in=OPEN_WARNING_STATUSES), region).annotate(
        n_tickets=Count("ticket_links")
    )
    return list(qs.order_by("-level__rank", "-raised_at")[:200])


def warning_history(
    *,
    user: User,
    level: str = "",
    start: datetime | None = None,
    end: datetime | None = None,
    region: str = "",
    limit: int = 200,
) -> list[ComplaintWarning]:
    qs = _in_region(warnings_visible_to(user), region).annotate(n_tickets=Count("ticket_links"))
    if level:
        qs = qs.filter(level__code=level)
    if start:
        qs = qs.filter(raised_at__gte=start)
    if end:
        qs = qs.filter(raised_at__lt=end)
    return list(qs.order_by("-raised_at", "-pk")[:limit])


def warning_detail(*, user: User, warning_id: int) -> ComplaintWarning:
    warning = warnings_visible_to(user).filter(pk=warning_id).first()
    if warning is None:
        raise NotFound(code=E.NOT_FOUND, message="warning not found")
    return warning


def warning_tickets(*, user: User, warning: ComplaintWarning, limit: int = 200) -> list[Ticket]:
    ids = warning.ticket_links.values("ticket_id")
    return list(
        tickets_visible_to(user)
        .filter(pk__in=ids)
        .select_related("customer", "category", "team")
        .order_by("-created_at")[:limit]
    )


@dataclass
class Bulletin:
    start: datetime
    end: datetime
    by_level: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[ComplaintWarning] = field(default_factory=list)
    total: int = 0
    overdue: int = 0
    complaints: int = 0
    complaints_before: int = 0
    incidents: list[Incident] = field(default_factory=list)
    top_series: list[dict[str, Any]] = field(default_factory=list)

    @property
    def change(self) -> float | None:
        if not self.complaints_before:
            return None
        return (self.complaints - self.complaints_before) / self.complaints_before * 100


def warning_bulletin(*, user: User, start: datetime, end: datetime) -> Bulletin:
    """The warning bulletin (预警通报) of a period: warnings by level, the series that warned most,
    duties escalated, complaints against the period before, incidents opened."""
    b = Bulletin(start=start, end=end)
    if not may_read(user):
        return b
    warnings = list(
        warnings_visible_to(user)
        .filter(raised_at__gte=start, raised_at__lt=end)
        .annotate(n_tickets=Count("ticket_links"))
        .order_by("-level__rank", "raised_at")
    )
    b.warnings = warnings  # type: ignore[assignment]  # annotated rows are ComplaintWarnings
    b.total = len(warnings)
    b.overdue = sum(1 for w in warnings if w.escalations)
    counts: dict[int, int] = defaultdict(int)
    for w in warnings:
        counts[w.level_id] += 1
    b.by_level = [{"level": lv, "n": counts.get(lv.pk, 0)} for lv in WarningLevel.objects.order_by("-rank")]
    series: dict[str, int] = defaultdict(int)
    for w in warnings:
        series[w.label] += 1
    b.top_series = [{"label": k, "n": v} for k, v in sorted(series.items(), key=lambda kv: -kv[1])[:5]]
    span = end - start
    b.complaints = Complaint.objects.filter(created_at__gte=start, created_at__lt=end).count()
    b.complaints_before = Complaint.objects.filter(created_at__gte=start - span, created_at__lt=start).count()
    b.incidents = list(Incident.objects.filter(opened_at__gte=start, opened_at__lt=end).order_by("opened_at"))
    return b


# --- incidents ---------------------------------------------------------------------------------------


def incidents_visible_to(user: User) -> QuerySet[Incident]:
    if not may_work(user) and not (user.is_authenticated and user.sees_all_tickets):
        return Incident.objects.none()
    return Incident.objects.select_related("owner", "supervisor", "expert", "warning")


def incident_list(*, user: User, status: str = "") -> list[Incident]:
    qs = incidents_visible_to(user).annotate(n_tickets=Count("ticket_links", distinct=True))
    if status in IncidentStatus.values:
        qs = qs.filter(status=status)
    return list(qs.order_by("-opened_at")[:200])


def incident_detail(*, user: User, incident_id: int) -> Incident:
    incident = incidents_visible_to(user).filter(pk=incident_id).first()
    if incident is None:
        raise NotFound(code=E.NOT_FOUND, message="incident not found")
    return incident


def incident_tickets(*, user: User, incident: Incident) -> list[Ticket]:
    ids = IncidentTicket.objects.filter(incident=incident).values("ticket_id")
    return list(
        tickets_visible_to(user).filter(pk__in=ids).select_related("customer", "category").order_by("number")
    )


def incident_suggestions(*, user: User, incident: Incident, limit: int = 20) -> list[Ticket]:
    """New complaints since the incident opened in the categories of its linked tickets, not linked yet."""
    linked = IncidentTicket.objects.filter(incident=incident)
    cats = set(linked.values_list("ticket__category_id", flat=True)) - {None}
    if not cats:
        return []
    return list(
        tickets_visible_to(user)
        .filter(
            kind="complaint", category_id__in=cats, created_at__gte=incident.opened_at - timedelta(hours=24)
        )
        .exclude(pk__in=linked.values("ticket_id"))
        .select_related("customer", "category")
        .order_by("-created_at")[:limit]
    )


def compensation_totals(*, incident: Incident) -> dict[str, Decimal]:
    rows = (
        Compensation.objects.filter(incident=incident)
        .values("state")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    totals = {s: Decimal("0") for s in CompensationState.values}
    for row in rows:
        totals[row["state"]] = row["total"] or Decimal("0")
    return totals


def compensation_list(*, user: User, incident: Incident | None = None, state: str = "") -> list[Compensation]:
    if not may_work(user) and not (user.is_authenticated and user.sees_all_tickets):
        return []
    qs = Compensation.objects.select_related("incident", "ticket", "customer", "proposed_by", "decided_by")
    if incident is not None:
        qs = qs.filter(incident=incident)
    if state in CompensationState.values:
        qs = qs.filter(state=state)
    return list(qs.order_by("-created_at", "-pk")[:500])


# --- public opinion ----------------------------------------------------------------------------------


def post_list(*, user: User, alerts_only: bool = False, limit: int = 200) -> list[OpinionPost]:
    if not may_read(user):
        return []
    qs = OpinionPost.objects.all()
    if alerts_only:
        qs = qs.filter(score__gte=1)
    return list(qs.order_by("-score", "-posted_at")[:limit])


# --- root causes -------------------------------------------------------------------------------------


@dataclass
class CauseStats:
    causes: list[RootCause]
    rows: list[dict[str, Any]]  # category → counts per cause
    pareto: list[dict[str, Any]]  # causes by count, with cumulative share
    total: int
    unattributed: int


def root_cause_stats(*, user: User, start: datetime, end: datetime) -> CauseStats:
    """Complaints created in [start, end) by top-level category and root cause (top-level cause),
    and the Pareto of causes."""
    causes = list(RootCause.objects.filter(parent__isnull=True).order_by("sort_order", "code"))
    if not may_read(user):
        return CauseStats(causes, [], [], 0, 0)
    all_causes = {c.pk: c for c in RootCause.objects.all()}
    top_of = {}
    for c in all_causes.values():
        top = c
        while top.parent_id is not None and top.parent_id in all_causes:
            top = all_causes[top.parent_id]
        top_of[c.pk] = top.pk
    cats = {c.pk: c for c in Category.objects.all()}

    def top_cat(cat_id: int | None) -> str:
        cat = cats.get(cat_id) if cat_id else None
        if cat is None:
            return "—"
        first = cat.path.strip("/").split("/")[0]
        root = cats.get(int(first)) if first.isdigit() else None
        return (root or cat).name

    grid: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    totals: dict[int, int] = defaultdict(int)
    unattributed = 0
    qs = Complaint.objects.filter(created_at__gte=start, created_at__lt=end).values_list(
        "category_id", "cause_id"
    )
    total = 0
    for cat_id, cause_id in qs.iterator():
        total += 1
        if cause_id is None:
            unattributed += 1
            continue
        top_id = top_of.get(cause_id, cause_id)
        grid[top_cat(cat_id)][top_id] += 1
        totals[top_id] += 1
    rows = [
        {
            "category": name,
            "counts": [grid[name].get(c.pk, 0) for c in causes],
            "total": sum(grid[name].values()),
        }
        for name in sorted(grid, key=lambda n: -sum(grid[n].values()))
    ]
    attributed = sum(totals.values())
    pareto, running = [], 0
    for c in sorted(causes, key=lambda c: -totals.get(c.pk, 0)):
        n = totals.get(c.pk, 0)
        if not n:
            continue
        running += n
        pareto.append(
            {"cause": c, "n": n, "share": n / attributed * 100, "cumulative": running / attributed * 100}
        )
    return CauseStats(causes, rows, pareto, total, unattributed)


def complaints_to_attribute(*, user: User, limit: int = 50) -> list[Ticket]:
    """Resolved or closed complaints without a root cause yet, newest first."""
    if not may_work(user):
        return []
    ids = Complaint.objects.filter(cause__isnull=True).values("ticket_id")
    return list(
        tickets_visible_to(user)
        .filter(pk__in=ids, status__in=["resolved", "closed"])
        .select_related("category", "customer")
        .order_by("-resolved_at", "-pk")[:limit]
    )


def flag_counts(*, user: User, start: datetime, end: datetime) -> dict[str, int]:
    """Repeat and escalated complaints in a period."""
    if not may_read(user):
        return {"repeat": 0, "escalated": 0, "total": 0}
    qs = Complaint.objects.filter(created_at__gte=start, created_at__lt=end)
    agg = qs.aggregate(
        total=Count("pk"),
        repeat=Count("pk", filter=Q(is_repeat=True)),
        escalated=Count("pk", filter=Q(is_escalated=True)),
    )
    return {k: int(v or 0) for k, v in agg.items()}


# --- joint handling tasks ----------------------------------------------------------------------------


def joint_tasks_visible_to(user: User) -> QuerySet[JointTask]:
    """Supervisors and QA see every task; others the ones they are a party to or whose ticket they see."""
    if not may_read(user):
        return JointTask.objects.none()
    qs = JointTask.objects.select_related("ticket", "supervisor", "expert", "done_by")
    if user.sees_all_tickets:
        return qs
    return qs.filter(
        Q(supervisor=user) | Q(expert=user) | Q(ticket__in=tickets_visible_to(user).values("pk"))
    )


def joint_task_list(*, user: User, status: str = JointTaskStatus.OPEN, limit: int = 200) -> list[JointTask]:
    """Open tasks by time limit (the most pressing first); done ones newest first."""
    qs = joint_tasks_visible_to(user)
    if status == JointTaskStatus.DONE:
        return list(qs.filter(status=JointTaskStatus.DONE).order_by("-done_at", "-pk")[:limit])
    return list(qs.filter(status=JointTaskStatus.OPEN).order_by("deadline", "pk")[:limit])


def joint_task_detail(*, user: User, task_id: int) -> JointTask:
    task = joint_tasks_visible_to(user).filter(pk=task_id).first()
    if task is None:
        raise NotFound(code=E.NOT_FOUND, message="not found")
    return task


def joint_task_of_ticket(*, user: User, ticket: Ticket) -> JointTask | None:
    """The ticket page's panel (the page already checked the ticket's visibility)."""
    if not may_read(user):
        return None
    return JointTask.objects.select_related("supervisor", "expert", "done_by").filter(ticket=ticket).first()


def closure_override_of(*, ticket: Ticket) -> ClosureOverride | None:
    """The lead's override of a complaint's closure rule (the caller has the ticket already)."""
    return ClosureOverride.objects.select_related("actor").filter(ticket_id=ticket.pk).first()


# --- the weekly complaint bulletin (投诉周报) ---------------------------------------------------------


@dataclass
class BulletinFigure:
    key: str
    label: str
    now: int
    before: int

    @property
    def change(self) -> float | None:
        """Change against the period before, in per cent (None when the period before had none)."""
        return None if not self.before else round((self.now - self.before) / self.before * 100, 1)


@dataclass
class ComplaintBulletin:
    start: datetime
    end: datetime
    figures: list[BulletinFigure] = field(default_factory=list)
    top_categories: list[tuple[str, int]] = field(default_factory=list)
    top_regions: list[tuple[str, int]] = field(default_factory=list)
    top_causes: list[tuple[str, int]] = field(default_factory=list)
    actions_due: int = 0

    def figure(self, key: str) -> BulletinFigure | None:
        return next((f for f in self.figures if f.key == key), None)


def _top(rows: Any, names: dict[Any, str] | None = None, n: int = 5) -> list[tuple[str, int]]:
    """(name, count) of grouped rows, without the empty key; `names` maps keys to names."""
    out = [
        (names.get(k, str(k)) if names is not None else str(k), int(c))
        for k, c in rows
        if k not in (None, "")
    ]
    return out[:n]


def complaint_bulletin(
    *, user: User, start: datetime, end: datetime, team_id: int | None = None
) -> ComplaintBulletin:
    """投诉周报 of any period (a week for the weekly one): complaints, repeat and escalated ones,
    warnings raised (all, 橙/红 = the two highest levels), incidents opened, each against the period
    of the same length before; the top categories, regions and root causes; upstream actions due.
    `team_id` keeps one team's complaints (a team's report pack). A fixed number of statements."""
    b = ComplaintBulletin(start=start, end=end)
    if not may_read(user):
        return b
    span = end - start
    complaints = Complaint.objects.all() if team_id is None else Complaint.objects.filter(team_id=team_id)
    both = complaints.filter(created_at__gte=start - span, created_at__lt=end)
    now_q, before_q = Q(created_at__gte=start), Q(created_at__lt=start)
    agg = both.aggregate(
        n=Count("pk", filter=now_q),
        n0=Count("pk", filter=before_q),
        r=Count("pk", filter=now_q & Q(is_repeat=True)),
        r0=Count("pk", filter=before_q & Q(is_repeat=True)),
        e=Count("pk", filter=now_q & Q(is_escalated=True)),
        e0=Count("pk", filter=before_q & Q(is_escalated=True)),
    )
    ranks = list(WarningLevel.objects.order_by("-rank").values_list("rank", flat=True)[:2])
    warnings = ComplaintWarning.objects.filter(raised_at__gte=start - span, raised_at__lt=end)
    if team_id is not None:
        warnings = warnings.filter(dimension=Dimension.TEAM, key=str(team_id))
    w_now, w_before = Q(raised_at__gte=start), Q(raised_at__lt=start)
    high = Q(level__rank__in=ranks)
    wagg = warnings.aggregate(
        w=Count("pk", filter=w_now),
        w0=Count("pk", filter=w_before),
        h=Count("pk", filter=w_now & high),
        h0=Count("pk", filter=w_before & high),
    )
    incidents = Incident.objects.filter(opened_at__gte=start - span, opened_at__lt=end).aggregate(
        i=Count("pk", filter=Q(opened_at__gte=start)), i0=Count("pk", filter=Q(opened_at__lt=start))
    )
    values = {**agg, **wagg, **incidents}
    for key, label, now_key in (
        ("complaints", _("Complaints"), "n"),
        ("repeat", _("Repeat complaints"), "r"),
        ("escalated", _("Escalated complaints"), "e"),
        ("warnings", _("Warnings raised"), "w"),
        ("high_warnings", _("Orange and red warnings"), "h"),
        ("incidents", _("Incidents opened"), "i"),
    ):
        b.figures.append(
            BulletinFigure(
                key=key,
                label=str(label),
                now=int(values[now_key] or 0),
                before=int(values[now_key + "0"] or 0),
            )
        )
    period = complaints.filter(created_at__gte=start, created_at__lt=end)
    by_cat = list(period.values_list("category_id").annotate(c=Count("pk")).order_by("-c", "category_id")[:5])
    names = dict(Category.objects.filter(pk__in=[k for k, _c in by_cat if k]).values_list("pk", "name"))
    b.top_categories = _top(by_cat, names)
    b.top_regions = _top(period.values_list("region").annotate(c=Count("pk")).order_by("-c", "region")[:6])
    b.top_causes = _top(
        period.values_list("cause__name").annotate(c=Count("pk")).order_by("-c", "cause__name")[:6]
    )
    b.actions_due = UpstreamAction.objects.filter(
        status=ActionStatus.OPEN, due_date__lt=timezone.localdate(end)
    ).count()
    return b


def weekly_bulletin(*, user: User, week_start: date, team_id: int | None = None) -> ComplaintBulletin:
    """The bulletin of the local week that starts on `week_start` (a Monday), against the week before."""
    start = datetime.combine(week_start, time(0), timezone.get_current_timezone())
    return complaint_bulletin(user=user, start=start, end=start + timedelta(days=7), team_id=team_id)

"""Reads of the satisfaction loop, visibility built in: callback queues, the archive, the numbers
(CSAT, NPS, response rate, callback on-time and repaired rates) as SQL aggregates, the daily summary."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import BooleanField, Count, ExpressionWrapper, F, Prefetch, Q
from django.db.models.functions import TruncDay, TruncMonth, TruncWeek
from django.utils import timezone

from kefu.accounts.models import Team, User
from kefu.customers.models import CustomerPhone
from kefu.surveys import rules
from kefu.surveys.access import callbacks_visible_to, metrics_scope_q, visible_callbacks_q
from kefu.surveys.choices import CallbackOutcome, CallbackStatus, CaseStatus, SurveyStatus
from kefu.surveys.models import Callback, CallbackAttempt, CareAction, DissatisfiedCase, Survey
from kefu.tickets.models import Category

GROUPS = ("agent", "team", "category", "month", "week", "day")


def _tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


# --- callbacks ---------------------------------------------------------------------------------------


def callback_queue(*, user: User, scope: str = "mine", limit: int = 200) -> list[Callback]:
    """Open callbacks sorted by due time: "mine" (assigned to me), "team" (my team's, for leads),
    "all" (every visible one). N+1-free: customer phones, ticket, survey and plan come along."""
    qs = callbacks_visible_to(user).filter(status=CallbackStatus.OPEN)
    if scope == "mine":
        qs = qs.filter(assignee_id=user.pk)
    elif scope == "team":
        qs = qs.filter(team_id=user.team_id) if user.team_id else qs.none()
    return list(
        qs.select_related("customer", "ticket", "survey", "plan", "assignee")
        .prefetch_related(Prefetch("customer__phones", queryset=CustomerPhone.objects.order_by("-is_primary", "id")))
        .order_by("due_at", "id")[:limit]
    )


def callback_counts(*, user: User, now: datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    qs = callbacks_visible_to(user).filter(status=CallbackStatus.OPEN)
    return qs.aggregate(
        mine=Count("pk", filter=Q(assignee_id=user.pk)),
        mine_overdue=Count("pk", filter=Q(assignee_id=user.pk, due_at__lt=now)),
        team=Count("pk", filter=Q(team_id=user.team_id)) if user.team_id else Count("pk", filter=Q(pk__in=[])),
    )


def callback_get(*, user: User, callback_id: int) -> Callback | None:
    return (
        callbacks_visible_to(user)
        .select_related("customer", "ticket", "survey", "plan", "assignee")
        .prefetch_related(
            Prefetch("customer__phones", queryset=CustomerPhone.objects.order_by("-is_primary", "id")),
            Prefetch("attempt_rows", queryset=CallbackAttempt.objects.select_related("actor")),
        )
        .filter(pk=callback_id)
        .first()
    )


# --- archive -----------------------------------------------------------------------------------------


def archive_list(*, user: User, status: str = CaseStatus.OPEN, limit: int = 200) -> list[DissatisfiedCase]:
    if not (user.is_authenticated and user.is_active):
        return []
    qs = DissatisfiedCase.objects.all()
    if status in CaseStatus.values:
        qs = qs.filter(status=status)
    return list(
        qs.select_related("customer", "ticket", "owner")
        .annotate(
            planned_care=Count("care_actions", filter=Q(care_actions__status="planned")),
            done_care=Count("care_actions", filter=Q(care_actions__status="done")),
        )
        .order_by("-opened_at", "-id")[:limit]
    )


def case_get(*, user: User, case_id: int) -> DissatisfiedCase | None:
    if not (user.is_authenticated and user.is_active):
        return None
    return (
        DissatisfiedCase.objects.select_related("customer", "ticket", "survey", "owner", "closed_by")
        .prefetch_related(
            "entries__ticket",
            Prefetch("care_actions", queryset=CareAction.objects.select_related("created_by", "done_by")),
        )
        .filter(pk=case_id)
        .first()
    )


def dissatisfied_customer_ids(customer_ids: Iterable[int | None]) -> set[int]:
    """Which of these customers are in the archive now (one query; for flags on ticket lists)."""
    ids = {i for i in customer_ids if i is not None}
    if not ids:
        return set()
    return set(
        DissatisfiedCase.objects.filter(customer_id__in=ids, status=CaseStatus.OPEN).values_list("customer_id", flat=True)
    )


def open_case_for_customer(customer_id: int | None) -> DissatisfiedCase | None:
    if customer_id is None:
        return None
    return DissatisfiedCase.objects.filter(customer_id=customer_id, status=CaseStatus.OPEN).first()


def surveys_of_ticket(*, ticket_id: int) -> list[Survey]:
    """Callers check the ticket's visibility first (access_ticket)."""
    return list(Survey.objects.filter(ticket_id=ticket_id).select_related("callback").order_by("-created_at", "-id"))


# --- the numbers -------------------------------------------------------------------------------------


@dataclass
class MetricRow:
    key: Any
    label: str
    sent: int = 0
    answered: int = 0
    csat_n: int = 0
    csat_good: int = 0
    nps_n: int = 0
    promoters: int = 0
    detractors: int = 0
    low: int = 0
    callbacks_closed: int = 0
    callbacks_on_time: int = 0
    callbacks_reached: int = 0
    repaired_n: int = 0
    repaired: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def csat(self) -> float | None:
        return rules.share(self.csat_good, self.csat_n)

    @property
    def nps(self) -> float | None:
        return rules.nps_score(self.promoters, self.detractors, self.nps_n)

    @property
    def response_rate(self) -> float | None:
        return rules.share(self.answered, self.sent)

    @property
    def on_time_rate(self) -> float | None:
        return rules.share(self.callbacks_on_time, self.callbacks_closed)

    @property
    def repaired_rate(self) -> float | None:
        return rules.share(self.repaired, self.repaired_n)

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key if not isinstance(self.key, (date, datetime)) else self.key.isoformat(),
            "label": self.label,
            "sent": self.sent,
            "answered": self.answered,
            "response_rate": self.response_rate,
            "csat_responses": self.csat_n,
            "csat": self.csat,
            "nps_responses": self.nps_n,
            "nps": self.nps,
            "low_scores": self.low,
            "callbacks_closed": self.callbacks_closed,
            "callback_on_time_rate": self.on_time_rate,
            "repaired_rate": self.repaired_rate,
        }


def _group_expr(group: str, date_field: str, agent_field: str) -> tuple[dict[str, Any], list[str]]:
    """(annotations, value fields) that name the group of each row."""
    tz = _tz()
    if group == "agent":
        return {"g": F(agent_field)}, ["g"]
    if group == "team":
        return {"g": F("team_id")}, ["g"]
    if group == "category":
        return {"g": F("category_id")}, ["g"]
    trunc = {"month": TruncMonth, "week": TruncWeek, "day": TruncDay}[group]
    return {"g": trunc(date_field, tzinfo=tz)}, ["g"]


def _labels(group: str, keys: set[Any]) -> dict[Any, str]:
    ids = [k for k in keys if k is not None]
    if group == "agent":
        return {u.pk: u.name for u in User.objects.filter(pk__in=ids)}
    if group == "team":
        return dict(Team.objects.filter(pk__in=ids).values_list("pk", "name"))
    if group == "category":
        return dict(Category.objects.filter(pk__in=ids).values_list("pk", "name"))
    out = {}
    for k in keys:
        if k is None:
            continue
        local = k.astimezone(_tz()) if isinstance(k, datetime) else k
        out[k] = local.strftime("%Y-%m" if group == "month" else "%Y-%m-%d")
    return out


def survey_metrics(*, user: User, group: str, start: datetime, end: datetime) -> list[MetricRow]:
    """CSAT (share of 4–5), NPS (promoters 9–10 minus detractors 0–6, per 100 answers), response rate
    (answered / sent), low scores; callback on-time rate (closed by the first due time) and repaired
    rate, grouped by agent, team, category or period (local month/week/day) over [start, end).
    Surveys count by when they were sent; callbacks by when they were closed. Two aggregate queries
    plus one for the labels; the viewer sees only their scope (all / team / own)."""
    if group not in GROUPS:
        raise ValueError(group)
    ann, names = _group_expr(group, "sent_at", "agent_id")
    surveys = (
        Survey.objects.filter(metrics_scope_q(user), sent_at__gte=start, sent_at__lt=end)
        .annotate(**ann)
        .values(*names)
        .annotate(
            sent=Count("pk"),
            answered=Count("pk", filter=Q(status=SurveyStatus.ANSWERED)),
            csat_n=Count("csat"),
            csat_good=Count("pk", filter=Q(csat__gte=4)),
            nps_n=Count("nps"),
            promoters=Count("pk", filter=Q(nps__gte=9)),
            detractors=Count("pk", filter=Q(nps__lte=6)),
            low=Count("pk", filter=Q(is_low=True)),
        )
        .order_by()
    )
    rows: dict[Any, MetricRow] = {}
    for r in surveys:
        row = rows.setdefault(r["g"], MetricRow(key=r["g"], label=""))
        for name in ("sent", "answered", "csat_n", "csat_good", "nps_n", "promoters", "detractors", "low"):
            setattr(row, name, r[name])
    ann, names = _group_expr(group, "completed_at", "assignee_id")
    callbacks = (
        Callback.objects.filter(
            metrics_scope_q(user, agent_field="assignee_id"),
            completed_at__gte=start,
            completed_at__lt=end,
            status__in=(CallbackStatus.DONE, CallbackStatus.FAILED),
        )
        .annotate(**ann)
        .values(*names)
        .annotate(
            closed=Count("pk"),
            on_time=Count("pk", filter=Q(completed_at__lte=F("first_due_at"))),
            reached=Count("pk", filter=Q(outcome=CallbackOutcome.REACHED)),
            repaired_n=Count("repaired"),
            repaired=Count("pk", filter=Q(repaired=True)),
        )
        .order_by()
    )
    for r in callbacks:
        row = rows.setdefault(r["g"], MetricRow(key=r["g"], label=""))
        row.callbacks_closed = r["closed"]
        row.callbacks_on_time = r["on_time"]
        row.callbacks_reached = r["reached"]
        row.repaired_n = r["repaired_n"]
        row.repaired = r["repaired"]
    labels = _labels(group, set(rows))
    for key, row in rows.items():
        row.label = labels.get(key, "—") if key is not None else "—"
    return sorted(rows.values(), key=lambda r: (r.key is None, str(r.key) if group in ("month", "week", "day") else r.label))


def metrics_total(rows: list[MetricRow]) -> MetricRow:
    total = MetricRow(key=None, label="")
    for r in rows:
        for name in (
            "sent", "answered", "csat_n", "csat_good", "nps_n", "promoters", "detractors", "low",
            "callbacks_closed", "callbacks_on_time", "callbacks_reached", "repaired_n", "repaired",
        ):
            setattr(total, name, getattr(total, name) + getattr(r, name))
    return total


def local_day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, datetime.min.time(), tzinfo=_tz())
    return start, start + timedelta(days=1)


def callback_day_summary(*, day: date, now: datetime | None = None, user: User | None = None) -> dict[str, Any]:
    """The manager's daily callback summary for a local day: done, due, overdue, reached rate,
    repaired rate, per team. Callbacks due that day or done that day; overdue as of `now`."""
    now = now or timezone.now()
    start, end = local_day_bounds(day)
    qs = Callback.objects.all() if user is None else Callback.objects.filter(visible_callbacks_q(user))
    agg = qs.aggregate(
        due=Count("pk", filter=Q(first_due_at__gte=start, first_due_at__lt=end)),
        done=Count("pk", filter=Q(completed_at__gte=start, completed_at__lt=end)),
        overdue=Count("pk", filter=Q(status=CallbackStatus.OPEN, due_at__lt=min(now, end))),
        reached=Count("pk", filter=Q(completed_at__gte=start, completed_at__lt=end, outcome=CallbackOutcome.REACHED)),
        repaired_n=Count("pk", filter=Q(completed_at__gte=start, completed_at__lt=end, repaired__isnull=False)),
        repaired=Count("pk", filter=Q(completed_at__gte=start, completed_at__lt=end, repaired=True)),
    )
    attempts = CallbackAttempt.objects.filter(created_at__gte=start, created_at__lt=end)
    if user is not None:
        attempts = attempts.filter(callback__in=qs)
    att = attempts.aggregate(n=Count("pk"), reached=Count("pk", filter=Q(outcome=CallbackOutcome.REACHED)))
    return {
        "day": day.isoformat(),
        "due": agg["due"],
        "done": agg["done"],
        "overdue": agg["overdue"],
        "calls": att["n"],
        "reached_rate": rules.share(att["reached"], att["n"]),
        "repaired_rate": rules.share(agg["repaired"], agg["repaired_n"]),
    }


def survey_rows(*, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Surveys sent in [start, end) as plain rows (ticket_id, agent_id, team_id, category_id, answered,
    csat, nps) for KPI drill-downs and rollups (kefu.performance); callers apply their visibility."""
    return [dict(r) for r in (
        Survey.objects.filter(sent_at__gte=start, sent_at__lt=end)
        .annotate(answered=ExpressionWrapper(Q(status=SurveyStatus.ANSWERED), output_field=BooleanField()))
        .values("ticket_id", "agent_id", "team_id", "category_id", "answered", "csat", "nps")
        .order_by()
    )]


def callback_rows(*, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Callbacks closed (done or failed) in [start, end) as plain rows (ticket_id, assignee_id, team_id,
    category_id, on_time, repaired) for kefu.performance; on time = closed by the first due time."""
    return [dict(r) for r in (
        Callback.objects.filter(
            completed_at__gte=start, completed_at__lt=end, status__in=(CallbackStatus.DONE, CallbackStatus.FAILED)
        )
        .annotate(on_time=ExpressionWrapper(Q(completed_at__lte=F("first_due_at")), output_field=BooleanField()))
        .values("ticket_id", "assignee_id", "team_id", "category_id", "on_time", "repaired")
        .order_by()
    )]

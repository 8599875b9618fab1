"""Reads of the KPIs with visibility built in: tables (from the rollups when the clock has stored the
period, live otherwise), trends, the dashboard's live numbers, scorecards, the tickets behind a point."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.accounts.choices import Presence, Role
from kefu.accounts.models import User
from kefu.core.errors import DomainError, NotFound
from kefu.performance import metrics as M
from kefu.performance import scorecard as S
from kefu.performance.access import is_lead, may_see_agent, scope_for
from kefu.performance.errors import PerformanceErrorCode as E
from kefu.performance.models import MetricRollup, ScorecardMonth, ScorecardPlan
from kefu.performance.periods import Period, PeriodError
from kefu.sla.selectors import sla_live_counts
from kefu.tickets.access import visible_tickets_q
from kefu.tickets.choices import OPEN_STATUSES, TicketStatus
from kefu.tickets.models import Ticket

TREND_METRICS = ("csat", "fcr", "sla_attainment", "complaint_rate")
ROLLUP_GROUPS = ("all", "agent", "team")


# --- input --------------------------------------------------------------------------------------------


def parse_metrics(text: str | list[str] | None) -> list[str]:
    names = text if isinstance(text, list) else [m.strip() for m in (text or "").split(",") if m.strip()]
    if not names:
        return list(M.METRICS)
    unknown = [m for m in names if m not in M.METRICS]
    if unknown:
        raise DomainError(code=E.UNKNOWN_METRIC, message=_("Unknown metric: %(m)s.") % {"m": ", ".join(unknown)})
    return names


def parse_period(*, period: str | None = None, start: str | None = None, end: str | None = None) -> Period:
    try:
        if start or end:
            if not (start and end):
                raise PeriodError("half range")
            a, b = date.fromisoformat(start), date.fromisoformat(end)
            if b < a:
                raise DomainError(code=E.RANGE_REVERSED, message=_("The start date is after the end date."))
            return Period.range(a, b)
        if not period:
            return Period.containing("month", timezone.now())
        return Period.parse(period)
    except (PeriodError, ValueError) as exc:
        raise DomainError(code=E.BAD_PERIOD, message=_("The period could not be read (e.g. 2026-10, 2026-W41, 2026-Q4).")) from exc


def parse_group(group: str | None) -> str:
    group = group or "all"
    if group not in M.GROUPS:
        raise DomainError(code=E.UNKNOWN_GROUP, message=_("Unknown grouping."))
    return group


# --- tables -------------------------------------------------------------------------------------------


def _from_rollup(period: Period, group: str, metrics: list[str], scope: M.Scope) -> M.Table | None:
    """The stored table, when the clock has refreshed this period and the scope can be read from it
    (everything; or a group of agents/teams the scope names)."""
    if period.kind == "range" or group not in ROLLUP_GROUPS or not scope.everything:
        return None
    rows = list(MetricRollup.objects.filter(period_kind=period.kind, period_key=period.key, group=group))
    if not rows:
        return None
    total = M.Row(key=M.TOTAL, label=str(_("Total")))
    out: list[M.Row] = []
    for r in rows:
        row = M.Row(key=r.key, label="", values={m: r.values.get(m) for m in metrics}, counts={m: r.counts.get(m, 0) for m in metrics})
        if r.key == M.TOTAL:
            total = M.Row(key=M.TOTAL, label=str(_("Total")), values=row.values, counts=row.counts)
        else:
            out.append(row)
    names = M.labels(group, [r.key for r in out])
    for row in out:
        row.label = names.get(row.key, "—")
    return M.Table(period=period, group=group, metrics=metrics, rows=sorted(out, key=lambda r: r.label), total=total)


def metric_table(*, user: User, metrics: list[str], period: Period, group: str) -> M.Table:
    """The metrics for what `user` may see: stored rollups when present, otherwise computed live."""
    scope = scope_for(user)
    return _from_rollup(period, group, metrics, scope) or M.compute(metrics=metrics, period=period, group=group, scope=scope)


def _series_row(user: User) -> tuple[str, str, M.Scope]:
    """Which rollup series a viewer's trend reads: all (supervisors), their team (leads), themselves."""
    if user.sees_all_tickets:
        return "all", M.ALL, M.EVERYTHING
    if is_lead(user):
        return "team", str(user.team_id), M.Scope(team_ids=frozenset({user.team_id or 0}))
    return "agent", str(user.pk), M.Scope(agent_ids=frozenset({user.pk}))


def trend(*, user: User, kind: str, n: int = 13, metrics: tuple[str, ...] = TREND_METRICS,
          subject: tuple[str, str] | None = None) -> dict[str, Any]:
    """{periods: [key…], series: {metric: [value…]}} of the last `n` weeks or months (oldest first)
    for the viewer's own series, or `subject` (group, key) when given (checked by the caller)."""
    group, key, scope = _series_row(user)
    if subject is not None:
        group, key = subject
        scope = M.Scope(agent_ids=frozenset({int(key)})) if group == "agent" else M.Scope(team_ids=frozenset({int(key)}))
        if group == "all":
            scope = M.EVERYTHING
    periods = Period.containing(kind, timezone.now()).last(n)
    stored = {
        r.period_key: r
        for r in MetricRollup.objects.filter(
            period_kind=kind, group=group, key=M.TOTAL if group == "all" else key, period_key__in=[p.key for p in periods]
        )
    }
    series: dict[str, list[float | None]] = {m: [] for m in metrics}
    for p in periods:
        row = stored.get(p.key)
        if row is not None:
            values = row.values
        else:
            values = M.compute(metrics=list(metrics), period=p, group="all", scope=scope).total.values
        for m in metrics:
            series[m].append(values.get(m))
    return {
        "kind": kind,
        "periods": [p.key for p in periods],
        "series": series,
        "labels": {m: str(M.METRICS[m].label) for m in metrics},
        "units": {m: M.METRICS[m].unit for m in metrics},
        "group": group,
        "key": key,
    }


@dataclass
class Live:
    open: int
    at_risk: int
    breached: int
    waiting: int
    agents_online: int

    def as_dict(self) -> dict[str, int]:
        return self.__dict__.copy()


def live_numbers(*, user: User) -> Live:
    """Now, within what the viewer sees: open tickets, at risk, breached, waiting on the customer,
    agents online (supervisors: all; leads: their team; agents: themselves)."""
    q = visible_tickets_q(user)
    if not user.sees_all_tickets:
        q &= Q(team_id=user.team_id or 0) if is_lead(user) else (Q(assignee_id=user.pk) | Q(owner_id=user.pk))
    open_ = Ticket.objects.filter(q, status__in=OPEN_STATUSES)
    counts = sla_live_counts(ticket_ids_q=q)
    online = User.objects.filter(is_active=True, presence=Presence.ONLINE)
    if not user.sees_all_tickets:
        online = online.filter(team_id=user.team_id or 0) if is_lead(user) else online.filter(pk=user.pk)
    return Live(
        open=open_.count(),
        at_risk=counts["at_risk"],
        breached=counts["breached"],
        waiting=open_.filter(status=TicketStatus.PENDING_CUSTOMER).count(),
        agents_online=online.count(),
    )


def drill_tickets(*, user: User, metric: str, period: Period, group: str, key: str, limit: int = 200) -> list[Ticket]:
    """The tickets behind one point, those the viewer may see."""
    if M.METRICS[metric].drill is None:
        raise DomainError(code=E.NO_DRILL, message=_("This metric has no ticket list."))
    ids = M.drill_ticket_ids(metric=metric, period=period, group=group, key=key, scope=scope_for(user))
    return list(
        Ticket.objects.filter(visible_tickets_q(user), pk__in=ids[: limit * 2])
        .select_related("assignee", "team", "category").order_by("-created_at")[:limit]
    )


# --- scorecards ---------------------------------------------------------------------------------------


def plan_agents(plan: ScorecardPlan) -> list[User]:
    """The agents a plan judges: its team's agents; or everyone of its role; or (the default plan)
    every agent whose team and role have no plan of their own."""
    users = User.objects.filter(is_active=True).select_related("team").order_by("id")
    if plan.team_id is not None:
        return list(users.filter(team_id=plan.team_id, role=Role.AGENT))
    if plan.role:
        return list(users.filter(role=plan.role))
    others = ScorecardPlan.objects.filter(is_active=True).exclude(pk=plan.pk)
    teams = [t for t in others.values_list("team_id", flat=True) if t is not None]
    roles = [r for r in others.values_list("role", flat=True) if r]
    return list(users.filter(role=Role.AGENT).exclude(team_id__in=teams).exclude(role__in=roles))


def plan_indicators(plan: ScorecardPlan) -> list[S.Indicator]:
    return [
        S.Indicator(i.metric, float(i.weight), i.target, i.higher_is_better)
        for i in plan.indicators.all()
        if i.metric in M.METRICS
    ]


def plan_results_live(plan: ScorecardPlan, month: Period) -> list[S.Result]:
    """Every agent of the plan scored for the month from the current numbers (rollups when stored)."""
    inds = plan_indicators(plan)
    agents = plan_agents(plan)
    metrics = [i.metric for i in inds]
    table = _from_rollup(month, "agent", metrics, M.EVERYTHING) or M.compute(
        metrics=metrics, period=month, group="agent", keys=[str(a.pk) for a in agents]
    )
    rows = {r.key: r for r in table.rows}
    results = [
        S.Result(
            agent_id=a.pk, name=a.name, team=a.team.name if a.team else "",
            values={m: (rows[str(a.pk)].values.get(m) if str(a.pk) in rows else None) for m in metrics},
        )
        for a in agents
    ]
    return S.score(results, inds, top_share=plan.top_share)


@dataclass
class ScorecardView:
    plan: ScorecardPlan
    month: Period
    indicators: list[S.Indicator]
    results: list[S.Result]
    locked: ScorecardMonth | None
    changes: list[dict[str, Any]]
    team_average: dict[str, float | None]


def plans_visible_to(user: User) -> list[ScorecardPlan]:
    plans = list(ScorecardPlan.objects.filter(is_active=True).prefetch_related("indicators"))
    if user.sees_all_tickets:
        return plans
    return [p for p in plans if any(may_see_agent(user, a) for a in plan_agents(p))]


def plan_get(*, user: User, plan_id: int) -> ScorecardPlan:
    plan = next((p for p in plans_visible_to(user) if p.pk == plan_id), None)
    if plan is None:
        raise NotFound(code=E.NOT_FOUND, message=_("No such scorecard plan."))
    return plan


def scorecard(*, user: User, plan: ScorecardPlan, month: Period) -> ScorecardView:
    """A plan's month as the viewer may see it: a locked month shows its frozen results and what changed
    since; rows are cut to the viewer (agents: themselves, leads: their team) after ranking, so ranks
    and the team average stay those of the whole plan."""
    inds = plan_indicators(plan)
    metrics = [i.metric for i in inds]
    locked = ScorecardMonth.objects.filter(plan=plan, month=month.key).first()
    live = plan_results_live(plan, month)
    if locked is not None:
        results = [S.Result.from_dict(d) for d in locked.frozen.get("results", [])]
        diff = S.changes(results, live, metrics)
    else:
        results, diff = live, []
    agents = {a.pk: a for a in plan_agents(plan)}
    team_id = user.team_id if not user.sees_all_tickets else None
    mates = [r for r in results if team_id is None or (agents.get(r.agent_id) and agents[r.agent_id].team_id == team_id)]
    average: dict[str, float | None] = {}
    for m in [*metrics, "total"]:
        xs = [v for r in mates if (v := (r.total if m == "total" else r.values.get(m))) is not None]
        average[m] = round(sum(xs) / len(xs), 1) if xs else None
    visible = [r for r in results if r.agent_id in agents and may_see_agent(user, agents[r.agent_id])]
    if not user.sees_all_tickets:
        diff = [d for d in diff if any(r.agent_id == d["agent_id"] for r in visible)]
    return ScorecardView(plan=plan, month=month, indicators=inds, results=visible, locked=locked, changes=diff, team_average=average)


def agent_trend(*, user: User, agent: User, months: int = 6) -> dict[str, Any]:
    if not may_see_agent(user, agent):
        raise NotFound(code=E.NOT_FOUND, message=_("No such agent."))
    return trend(user=user, kind="month", n=months, subject=("agent", str(agent.pk)))

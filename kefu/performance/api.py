"""/api/v1/performance/: metric tables with filters, the tickets behind a number, scorecard results,
the dashboard's data. Visibility: agents themselves, leads their team, managers all (built into the
selectors). Bad input — an unknown metric or grouping, a period that does not parse, from > to — is a
400 with {"code", "message"}."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema

from kefu.accounts.api import ApiRequest
from kefu.core.apitypes import ApiDate
from kefu.core.errors import DomainError
from kefu.performance import selectors
from kefu.performance.errors import PerformanceErrorCode as E
from kefu.performance.metrics import METRICS
from kefu.performance.periods import Period

router = Router(tags=["performance"])


class PerfMetricsQuery(Schema):
    metrics: str = ""  # comma-separated keys; empty = all
    period: str = ""  # 2026-10, 2026-W41, 2026-Q4, 2026, 2026-10-03
    start: ApiDate | None = None  # a range instead of `period` (both days included)
    end: ApiDate | None = None
    group: str = "all"


class PerfRowOut(Schema):
    key: str
    label: str
    values: dict[str, float | None]
    counts: dict[str, int]


class PerfTableOut(Schema):
    period: str
    group: str
    metrics: list[str]
    rows: list[PerfRowOut]
    total: PerfRowOut


class PerfMetricDefOut(Schema):
    key: str
    label: str
    unit: str
    higher_is_better: bool


def _period(params: PerfMetricsQuery) -> Period:
    if params.start and params.end and params.start > params.end:
        raise DomainError(code=E.RANGE_REVERSED, message=_("The start date is after the end date."))
    if (params.start is None) != (params.end is None):
        raise DomainError(code=E.BAD_PERIOD, message=_("Give both start and end, or a period."))
    if params.start and params.end:
        return Period.range(params.start, params.end)
    return selectors.parse_period(period=params.period or None)


@router.get("/definitions", response=list[PerfMetricDefOut])
def definitions(request: ApiRequest) -> list[dict[str, Any]]:
    """Every metric: key, Chinese label, unit, direction (docs/metrics.md has the definitions)."""
    return [{"key": m.key, "label": str(m.label), "unit": m.unit, "higher_is_better": m.higher_is_better} for m in METRICS.values()]


@router.get("/metrics", response=PerfTableOut)
def metrics(request: ApiRequest, params: Query[PerfMetricsQuery]) -> dict[str, Any]:
    names = selectors.parse_metrics(params.metrics)
    group = selectors.parse_group(params.group)
    period = _period(params)
    table = selectors.metric_table(user=request.auth, metrics=names, period=period, group=group)
    return {
        "period": period.key, "group": group, "metrics": names,
        "rows": [r.as_dict() for r in table.rows], "total": table.total.as_dict(),
    }


class PerfDrillQuery(Schema):
    metric: str
    period: str
    group: str = "all"
    key: str = "__total__"


class PerfTicketOut(Schema):
    number: str
    title: str
    status: str


@router.get("/drill", response=list[PerfTicketOut])
def drill(request: ApiRequest, params: Query[PerfDrillQuery]) -> list[dict[str, Any]]:
    """The tickets behind one number (those the caller may see)."""
    metric = selectors.parse_metrics(params.metric)[0]
    tickets = selectors.drill_tickets(
        user=request.auth, metric=metric, period=selectors.parse_period(period=params.period),
        group=selectors.parse_group(params.group), key=params.key,
    )
    return [{"number": t.number, "title": t.title, "status": t.status} for t in tickets]


class PerfScorecardRowOut(Schema):
    agent_id: int
    name: str
    team: str
    values: dict[str, float | None]
    scores: dict[str, float | None]
    total: float | None
    rank: int | None
    top: bool


class PerfIndicatorOut(Schema):
    metric: str
    weight: float
    target: float
    higher_is_better: bool


class PerfScorecardOut(Schema):
    plan_id: int
    plan: str
    month: str
    locked: bool
    indicators: list[PerfIndicatorOut]
    results: list[PerfScorecardRowOut]
    team_average: dict[str, float | None]
    changes: list[dict[str, Any]]


class PerfPlanOut(Schema):
    id: int
    name: str
    top_share: int


@router.get("/scorecard/plans", response=list[PerfPlanOut])
def plans(request: ApiRequest) -> list[dict[str, Any]]:
    return [{"id": p.pk, "name": p.name, "top_share": p.top_share} for p in selectors.plans_visible_to(request.auth)]


@router.get("/scorecard/plans/{plan_id}", response=PerfScorecardOut)
def scorecard(request: ApiRequest, plan_id: int, month: str = "") -> dict[str, Any]:
    """A plan's month (default: last month): ranks, top share, frozen numbers when locked and what changed."""
    plan = selectors.plan_get(user=request.auth, plan_id=plan_id)
    period = selectors.parse_period(period=month) if month else Period.containing("month", timezone.now()).shift(-1)
    if period.kind != "month":
        raise DomainError(code=E.BAD_PERIOD, message=_("A scorecard is for a month (e.g. 2026-10)."))
    view = selectors.scorecard(user=request.auth, plan=plan, month=period)
    return {
        "plan_id": plan.pk, "plan": plan.name, "month": period.key, "locked": view.locked is not None,
        "indicators": [i.__dict__ for i in view.indicators],
        "results": [r.as_dict() for r in view.results],
        "team_average": view.team_average, "changes": view.changes,
    }


class PerfTrendOut(Schema):
    kind: str
    periods: list[str]
    series: dict[str, list[float | None]]
    labels: dict[str, str]


class PerfLiveOut(Schema):
    open: int
    at_risk: int
    breached: int
    waiting: int
    agents_online: int


class PerfDashboardOut(Schema):
    live: PerfLiveOut
    weeks: PerfTrendOut
    months: PerfTrendOut


@router.get("/dashboard", response=PerfDashboardOut)
def dashboard(request: ApiRequest) -> dict[str, Any]:
    """Today's live numbers and the 13-week and 13-month trends of CSAT, FCR, SLA attainment and complaint rate."""
    return {
        "live": selectors.live_numbers(user=request.auth).as_dict(),
        "weeks": selectors.trend(user=request.auth, kind="week"),
        "months": selectors.trend(user=request.auth, kind="month"),
    }

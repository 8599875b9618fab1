"""HTML pages: the manager dashboard (live numbers, 13-week and 13-month trends with table view, CSV
and drill-down), the team view, the metric table, the scorecard (an agent's own with the team average
and trend). Thin: parse, call a selector or service, render; bad input is a Chinese message."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kefu.accounts.models import Team, User
from kefu.core.errors import DomainError
from kefu.performance import metrics as M
from kefu.performance import selectors, services
from kefu.performance.access import is_lead, may_manage, may_read, may_see_team
from kefu.performance.models import ScorecardPlan
from kefu.performance.periods import Period

Req = Any


def _guard(request: Req) -> None:
    if not may_read(request.user):
        raise Http404


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "percent":
        return f"{value:.1f}%"
    if unit == "count":
        return f"{value:.0f}"
    return f"{value:.1f}"


@login_required
def home(request: Req) -> HttpResponse:
    _guard(request)
    if request.user.sees_all_tickets:
        return redirect("performance:dashboard")
    if is_lead(request.user):
        return redirect("performance:team")
    return redirect("performance:scorecard")


@login_required
def dashboard(request: Req) -> HttpResponse:
    """The center manager's dashboard; leads and agents get the same page over their own scope."""
    _guard(request)
    weeks = selectors.trend(user=request.user, kind="week")
    months = selectors.trend(user=request.user, kind="month")
    charts = []
    for kind, data in (("week", weeks), ("month", months)):
        for m in selectors.TREND_METRICS:
            unit = M.METRICS[m].unit
            charts.append({
                "id": f"chart-{kind}-{m}",
                "kind": kind,
                "metric": m,
                "title": data["labels"][m],
                "rows": [(p, _fmt(v, unit)) for p, v in zip(data["periods"], data["series"][m], strict=True)],
            })
    return render(request, "performance/dashboard.html", {
        "nav": "performance", "tab": "dashboard",
        "live": selectors.live_numbers(user=request.user),
        "charts": charts,
        "chart_data": {
            "week": weeks, "month": months,
            "drill": reverse("performance:drill"),
            "group": weeks["group"], "key": weeks["key"],
        },
    })


@login_required
def trend_csv(request: Req) -> HttpResponse:
    _guard(request)
    kind = request.GET.get("kind", "month")
    if kind not in ("week", "month"):
        raise Http404
    data = selectors.trend(user=request.user, kind=kind)
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow([_("Period"), *[data["labels"][m] for m in selectors.TREND_METRICS]])
    for i, p in enumerate(data["periods"]):
        w.writerow([p, *["" if (v := data["series"][m][i]) is None else v for m in selectors.TREND_METRICS]])
    resp = HttpResponse("\ufeff" + buf.getvalue(), content_type="text/csv; charset=utf-8")
    resp["Content-Disposition"] = f'attachment; filename="kpi-trend-{kind}.csv"'
    return resp


@login_required
def drill(request: Req) -> HttpResponse:
    """The tickets behind one point of a chart or one cell of a table."""
    _guard(request)
    try:
        metric = selectors.parse_metrics(request.GET.get("metric", ""))[0]
        period = selectors.parse_period(period=request.GET.get("period"))
        group = selectors.parse_group(request.GET.get("group"))
        tickets = selectors.drill_tickets(
            user=request.user, metric=metric, period=period, group=group, key=request.GET.get("key", M.TOTAL)
        )
    except DomainError as exc:
        messages.error(request, str(exc.message))
        return redirect("performance:dashboard")
    return render(request, "performance/drill.html", {
        "nav": "performance", "tab": "dashboard", "metric": M.METRICS[metric], "period": period, "tickets": tickets,
    })


@login_required
def table(request: Req) -> HttpResponse:
    """Any metrics over any period and grouping, as a table (and CSV with ?format=csv)."""
    _guard(request)
    try:
        metrics = selectors.parse_metrics(request.GET.get("metrics", ""))
        period = selectors.parse_period(period=request.GET.get("period"), start=request.GET.get("from"), end=request.GET.get("to"))
        group = selectors.parse_group(request.GET.get("group", "agent"))
    except DomainError as exc:
        messages.error(request, str(exc.message))
        return redirect("performance:table")
    data = selectors.metric_table(user=request.user, metrics=metrics, period=period, group=group)
    defs = [M.METRICS[m] for m in metrics]
    rows = [
        (r, [_fmt(r.values.get(d.key), d.unit) for d in defs]) for r in [*data.rows, data.total]
    ]
    if request.GET.get("format") == "csv":
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow([_("Name"), *[str(d.label) for d in defs]])
        for r, _cells in rows:
            w.writerow([r.label, *["" if (v := r.values.get(d.key)) is None else v for d in defs]])
        resp = HttpResponse("\ufeff" + buf.getvalue(), content_type="text/csv; charset=utf-8")
        resp["Content-Disposition"] = f'attachment; filename="kpi-{period.key}-{group}.csv"'
        return resp
    return render(request, "performance/table.html", {
        "nav": "performance", "tab": "table", "defs": defs, "rows": rows, "period": period, "group": group,
        "groups": [(g, label) for g, label in _group_labels().items()], "query": request.GET.urlencode(),
    })


def _group_labels() -> dict[str, str]:
    return {"all": _("All"), "agent": _("Agent"), "team": _("Team"), "queue": _("Queue"), "category": _("Category")}


@login_required
def team(request: Req) -> HttpResponse:
    """A team's numbers this month, and each agent's (leads: their team; managers: any team)."""
    _guard(request)
    team_id = request.GET.get("team") or request.user.team_id
    teams = list(Team.objects.filter(is_active=True)) if request.user.sees_all_tickets else []
    try:
        tid = int(team_id) if team_id else None
    except ValueError:
        tid = None
    if tid is None or not may_see_team(request.user, tid):
        if request.user.sees_all_tickets and teams:
            tid = teams[0].pk
        else:
            return redirect("performance:scorecard")
    try:
        period = selectors.parse_period(period=request.GET.get("period"))
    except DomainError as exc:
        messages.error(request, str(exc.message))
        period = Period.containing("month", timezone.now())
    metrics = ["contacts_handled", "tickets_resolved", "first_response_median", "sla_attainment", "fcr", "csat",
               "complaint_rate", "qa_average"]
    members = User.objects.filter(team_id=tid, is_active=True)
    data = M.compute(metrics=metrics, period=period, group="agent", scope=M.Scope(team_ids=frozenset({tid})),
                     keys=[str(u.pk) for u in members])
    defs = [M.METRICS[m] for m in metrics]
    rows = [(r, [_fmt(r.values.get(d.key), d.unit) for d in defs]) for r in data.rows]
    total = [_fmt(data.total.values.get(d.key), d.unit) for d in defs]
    return render(request, "performance/team.html", {
        "nav": "performance", "tab": "team", "defs": defs, "rows": rows, "total": total, "period": period,
        "team": Team.objects.filter(pk=tid).first(), "teams": teams,
    })


@login_required
def scorecard(request: Req) -> HttpResponse:
    """The 12-indicator monthly scorecard of a plan: managers all agents with lock (定稿); leads their
    team; agents themselves with the team average and their trend."""
    _guard(request)
    plans = selectors.plans_visible_to(request.user)
    try:
        month = Period.parse(request.GET["month"]) if request.GET.get("month") else Period.containing("month", timezone.now()).shift(-1)
        if month.kind != "month":
            raise ValueError(month)
    except ValueError:
        messages.error(request, _("The period could not be read (e.g. 2026-10, 2026-W41, 2026-Q4)."))
        month = Period.containing("month", timezone.now()).shift(-1)
    plan = next((p for p in plans if str(p.pk) == request.GET.get("plan")), plans[0] if plans else None)
    view = selectors.scorecard(user=request.user, plan=plan, month=month) if plan else None
    my_trend = selectors.trend(user=request.user, kind="month", n=6, subject=("agent", str(request.user.pk)))
    return render(request, "performance/scorecard.html", {
        "nav": "performance", "tab": "scorecard", "plans": plans, "plan": plan, "view": view, "month": month,
        "labels": {k: str(d.label) for k, d in M.METRICS.items()},
        "may_manage": may_manage(request.user),
        "trend": my_trend,
        "prev": month.shift(-1).key, "next": month.shift(1).key,
    })


@login_required
@require_POST
def scorecard_lock(request: Req, plan_id: int) -> HttpResponse:
    _guard(request)
    month_text = request.POST.get("month", "")
    back = f"{reverse('performance:scorecard')}?plan={plan_id}&month={month_text}"
    try:
        if not ScorecardPlan.objects.filter(pk=plan_id).exists():
            raise Http404
        services.scorecard_month_lock(actor=request.user, plan_id=plan_id, month=Period.parse(month_text))
    except DomainError as exc:
        messages.error(request, str(exc.message))
    except ValueError:
        messages.error(request, _("The period could not be read (e.g. 2026-10, 2026-W41, 2026-Q4)."))
    else:
        messages.success(request, _("The month is locked."))
    return redirect(back)

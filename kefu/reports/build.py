"""The figures of a pack: each section a small table (columns with units, rows of values) read through
the performance selectors with the pack owner's visibility, so a pack shows the very numbers the KPI
pages show its owner for the same period (stored rollups when the clock has them, live otherwise).

`build(pack=…, period=…)` answers a `PackData`; `PackData.as_dict()` is what a ReportRun stores and
what the Excel and PDF renderers read."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.utils.translation import gettext as _

from kefu.accounts.models import User
from kefu.complaints.selectors import complaint_bulletin
from kefu.performance import metrics as M
from kefu.performance.access import scope_for
from kefu.performance.periods import Period
from kefu.performance.scorecard import DEFAULT_INDICATORS
from kefu.performance.selectors import metric_table
from kefu.points.selectors import earned_in, star_of_month, star_ranking
from kefu.reports.choices import Section
from kefu.reports.models import ReportPack
from kefu.tickets.models import Category, Ticket
from kefu.workforce.access import may_plan
from kefu.workforce.selectors import staffing_summary

DEFAULT_METRICS = [m for m, _w, _t, _h in DEFAULT_INDICATORS]
TEAM_METRICS = ["contacts_handled", "tickets_resolved", "fcr", "sla_attainment", "csat", "complaint_rate"]
QUALITY_METRICS = ["qa_pass_rate", "qa_average"]
SATISFACTION_METRICS = ["csat", "nps", "survey_response_rate", "callback_on_time_rate", "callback_repaired_rate"]
SLA_METRICS = [("sla_first_response", "first_response"), ("sla_resolution", "resolution"), ("sla_attainment", None)]
TOP_N = 10


@dataclass
class Column:
    key: str
    label: str
    unit: str = "text"  # text | count | percent | minutes | per_mille | score | nps | signed


@dataclass
class SectionData:
    key: str
    title: str
    columns: list[Column]
    rows: list[list[Any]]
    # A bar chart of one column against the first (the PDF draws it): {"label": …, "value": col index}.
    chart: dict[str, Any] | None = None
    note: str = ""
    # Per-row unit of the columns whose unit is "metric" (the indicator table: one metric a row), and
    # the metric key of each row.
    row_units: list[str] = field(default_factory=list)
    row_keys: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key, "title": self.title, "columns": [c.__dict__ for c in self.columns],
            "rows": self.rows, "chart": self.chart, "note": self.note,
            "row_units": self.row_units, "row_keys": self.row_keys,
        }


@dataclass
class PackData:
    pack: str
    period: str
    period_label: str
    previous: str
    scope: str
    sections: list[SectionData] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "pack": self.pack, "period": self.period, "period_label": self.period_label, "previous": self.previous,
            "scope": self.scope, "sections": [s.as_dict() for s in self.sections],
        }

    def section(self, key: str) -> SectionData | None:
        return next((s for s in self.sections if s.key == key), None)


def period_label(period: Period) -> str:
    last = period.end - timedelta(days=1)
    if period.kind == "week":
        y, w, _d = period.start.isocalendar()
        return _("%(y)s week %(w)s (%(a)s to %(b)s)") % {"y": y, "w": w, "a": f"{period.start:%m-%d}", "b": f"{last:%m-%d}"}
    if period.kind == "month":
        return _("%(y)s-%(m)02d") % {"y": period.start.year, "m": period.start.month}
    if period.kind == "day":
        return period.start.isoformat()
    return period.key


def _metrics_of(pack: ReportPack) -> list[str]:
    return [m for m in (pack.metrics or DEFAULT_METRICS) if m in M.METRICS]


def _row_of(table: M.Table, pack: ReportPack) -> M.Row:
    """The pack's one row: the team's when the pack is for a team, else the total."""
    if pack.team_id is None:
        return table.total
    return table.row(str(pack.team_id)) or M.Row(key=str(pack.team_id), label="")


def _group_for(pack: ReportPack) -> str:
    return "all" if pack.team_id is None else "team"


def _change(now: float | None, before: float | None) -> float | None:
    return None if now is None or before is None else round(now - before, 1)


def _indicators(pack: ReportPack, period: Period, owner: User) -> SectionData:
    metrics = _metrics_of(pack)
    group = _group_for(pack)
    now = _row_of(metric_table(user=owner, metrics=metrics, period=period, group=group), pack)
    before = _row_of(metric_table(user=owner, metrics=metrics, period=period.shift(-1), group=group), pack)
    rows = []
    for m in metrics:
        d = M.METRICS[m]
        v, p = now.values.get(m), before.values.get(m)
        better = None
        if (c := _change(v, p)) not in (None, 0.0):
            assert c is not None
            better = _("better") if (c > 0) == d.higher_is_better else _("worse")
        rows.append([str(d.label), v, p, _change(v, p), better or "", now.counts.get(m, 0)])
    return SectionData(
        key=Section.INDICATORS, title=str(Section.INDICATORS.label),
        columns=[
            Column("label", _("Indicator")), Column("value", _("This period"), "metric"),
            Column("previous", _("Previous period"), "metric"), Column("change", _("Change"), "metric"),
            Column("direction", _("Direction")), Column("count", _("Counted over"), "count"),
        ],
        rows=rows, row_units=[M.METRICS[m].unit for m in metrics], row_keys=metrics,
    )


TREND_METRICS = ["contacts_handled", "sla_attainment"]
TREND_STEP = {"day": "day", "week": "day", "month": "day", "quarter": "week", "year": "month"}


def trend_buckets(period: Period) -> list[Period]:
    """The points of a pack's trend: the days of a week or month, the weeks of a quarter (those
    starting in it), the months of a year."""
    step = TREND_STEP.get(period.kind, "day")
    out, p = [], Period.of(step, period.start)
    if p.start < period.start:
        p = p.shift(1)
    while p.start < period.end:
        out.append(p)
        p = p.shift(1)
    return out


def _trend(pack: ReportPack, period: Period, owner: User) -> SectionData:
    """Contacts handled and SLA attainment per day (week, month) of the period: the metric table of each
    bucket, as the KPI pages give it for that day. The PDF draws the volume as bars, SLA as a line."""
    rows = []
    for p in trend_buckets(period):
        row = _row_of(metric_table(user=owner, metrics=TREND_METRICS, period=p, group=_group_for(pack)), pack)
        label = f"{p.start:%m-%d}" if p.kind != "month" else f"{p.start:%Y-%m}"
        rows.append([label, row.values.get("contacts_handled") or 0, row.values.get("sla_attainment")])
    return SectionData(
        key=Section.TREND, title=str(Section.TREND.label),
        columns=[Column("bucket", _("Date")), Column("contacts_handled", str(M.METRICS["contacts_handled"].label), "count"),
                 Column("sla_attainment", str(M.METRICS["sla_attainment"].label), "percent")],
        rows=rows, chart={"kind": "trend", "label": 0, "bars": 1, "line": 2},
    )


def _table_section(key: Section, pack: ReportPack, period: Period, owner: User, group: str, metrics: list[str]) -> SectionData:
    table = metric_table(user=owner, metrics=metrics, period=period, group=group)
    rows_in = table.rows
    if pack.team_id is not None:
        if group == "team":
            rows_in = [r for r in rows_in if r.key == str(pack.team_id)]
        elif group == "agent":
            mates = {str(pk) for pk in User.objects.filter(team_id=pack.team_id).values_list("pk", flat=True)}
            rows_in = [r for r in rows_in if r.key in mates]
    total = _row_of(metric_table(user=owner, metrics=metrics, period=period, group=_group_for(pack)), pack)
    total_label = _("Total") if pack.team_id is None else (pack.team.name if pack.team else "")
    rows = [[r.label, *[r.values.get(m) for m in metrics]] for r in rows_in]
    rows.append([total_label, *[total.values.get(m) for m in metrics]])
    name = {"team": _("Team"), "agent": _("Agent")}.get(group, _("Name"))
    return SectionData(
        key=key, title=str(key.label),
        columns=[Column("name", name), *[Column(m, str(M.METRICS[m].label), M.METRICS[m].unit) for m in metrics]],
        rows=rows,
    )


def _calc(pack: ReportPack, period: Period, owner: User) -> tuple[M.Calc, str]:
    group = _group_for(pack)
    want = M.TOTAL if pack.team_id is None else str(pack.team_id)
    return M.Calc(period=period, group=group, scope=scope_for(owner)), want


def _complaints(pack: ReportPack, period: Period, owner: User) -> SectionData:
    """Pareto of the period's complaints (the ones complaint_rate counts) by category."""
    calc, want = _calc(pack, period, owner)
    counts = Counter(t["category_id"] for t in calc.created() if t["kind"] == "complaint" and want in calc.ticket_keys(t))
    names = dict(Category.objects.filter(pk__in=[k for k in counts if k]).values_list("pk", "name"))
    total = sum(counts.values())
    rows, running = [], 0
    for cat, n in sorted(counts.items(), key=lambda kv: (-kv[1], names.get(kv[0] or 0, ""))):
        running += n
        rows.append([names.get(cat or 0, _("No category")), n, M.share(n, total), M.share(running, total)])
    return SectionData(
        key=Section.COMPLAINTS, title=str(Section.COMPLAINTS.label),
        columns=[Column("category", _("Category")), Column("count", _("Complaints"), "count"),
                 Column("share", _("Share"), "percent"), Column("cumulative", _("Cumulative share"), "percent")],
        rows=rows, chart={"label": 0, "value": 1},
        note=_("%(n)s complaints in the period.") % {"n": total},
    )


def _sla(pack: ReportPack, period: Period, owner: User) -> SectionData:
    """Targets settled in the period per SLA target (as sla_attainment counts them), how many were
    breached, and the breached tickets (newest first, at most 50)."""
    metrics = [m for m, _t in SLA_METRICS]
    row = _row_of(metric_table(user=owner, metrics=metrics, period=period, group=_group_for(pack)), pack)
    calc, want = _calc(pack, period, owner)
    settled = [(t, tg, met) for t, tg, met in calc.settled() if want in calc.ticket_keys(t)]
    rows = []
    for m, target in SLA_METRICS:
        mine = [s for s in settled if target is None or s[1] == target]
        rows.append([str(M.METRICS[m].label), len(mine), sum(1 for s in mine if not s[2]), row.values.get(m)])
    breached_ids = sorted({t["id"] for t, _tg, met in settled if not met}, reverse=True)[:50]
    numbers = dict(Ticket.objects.filter(pk__in=breached_ids).values_list("pk", "number"))
    note = ", ".join(numbers[i] for i in breached_ids if i in numbers)
    return SectionData(
        key=Section.SLA, title=str(Section.SLA.label),
        columns=[Column("target", _("SLA target")), Column("settled", _("Settled"), "count"),
                 Column("breached", _("Breached"), "count"), Column("rate", _("Attainment"), "percent")],
        rows=rows, note=(_("Breached tickets: %(list)s") % {"list": note}) if note else "",
    )


def _points(pack: ReportPack, period: Period, owner: User) -> SectionData:
    """Monthly packs: the 服务之星 ranking of the month (top 10) and the announced star; other
    periods: the points earned in the period (top 10)."""
    team_filter = pack.team_id
    if period.kind == "month":
        ranking = [r for r in star_ranking(viewer=owner, month=period.start)
                   if team_filter is None or User.objects.filter(pk=r.agent_id, team_id=team_filter).exists()][:TOP_N]
        star = star_of_month(period.start)
        return SectionData(
            key=Section.POINTS, title=str(Section.POINTS.label),
            columns=[Column("rank", _("Rank"), "count"), Column("name", _("Agent")), Column("team", _("Team")),
                     Column("points", _("Points earned"), "count"), Column("csat", str(M.METRICS["csat"].label), "percent"),
                     Column("qa", str(M.METRICS["qa_pass_rate"].label), "percent"), Column("score", _("Star score"), "score")],
            rows=[[r.rank, r.name, r.team, r.points, r.csat, r.qa_pass_rate, float(r.score)] for r in ranking],
            note=(_("Service star of the month: %(name)s") % {"name": star.agent.name}) if star else "",
        )
    start, end = period.bounds()
    agents = User.objects.filter(is_active=True).select_related("team")
    if team_filter is not None:
        agents = agents.filter(team_id=team_filter)
    if not owner.sees_all_tickets:
        scope = scope_for(owner)
        agents = [a for a in agents if scope.admits(a.pk, a.team_id)]  # type: ignore[assignment]
    people = {a.pk: a for a in agents}
    earned = earned_in(start=start, end=end, agent_ids=list(people))
    top = sorted(((n, pk) for pk, n in earned.items() if n), key=lambda x: (-x[0], people[x[1]].name))[:TOP_N]
    return SectionData(
        key=Section.POINTS, title=str(Section.POINTS.label),
        columns=[Column("rank", _("Rank"), "count"), Column("name", _("Agent")), Column("team", _("Team")),
                 Column("points", _("Points earned"), "count")],
        rows=[[i + 1, people[pk].name, _team_name(people[pk]), n] for i, (n, pk) in enumerate(top)],
    )


def _workforce(pack: ReportPack, period: Period, owner: User) -> SectionData:
    """Per queue (the pack's team's queues for a team pack): contacts forecast and counted, the forecast's
    WAPE, required and scheduled head-hours, staffing, intervals short of heads and occupancy, read by
    kefu.workforce.selectors.staffing_summary with the owner's rights (planners: managers and team leads)."""
    rows: list[list[Any]] = []
    if may_plan(owner):
        summary = staffing_summary(user=owner, start=period.start, end=period.end, team_id=pack.team_id)
        rows = [[r.name, r.forecast_contacts, r.actual_contacts, r.forecast_wape, r.required_hours,
                 r.scheduled_hours, r.staffing, r.short_intervals, r.occupancy] for r in summary]
    return SectionData(
        key=Section.WORKFORCE, title=str(Section.WORKFORCE.label),
        columns=[Column("queue", _("Queue")), Column("forecast", _("Contacts forecast"), "count"),
                 Column("actual", _("Contacts counted"), "count"), Column("wape", _("Forecast error (WAPE)"), "percent"),
                 Column("required", _("Required head-hours"), "hours"), Column("scheduled", _("Scheduled head-hours"), "hours"),
                 Column("staffing", _("Staffing (scheduled / required)"), "percent"),
                 Column("short", _("Intervals short of heads"), "count"), Column("occupancy", _("Occupancy"), "percent")],
        rows=rows,
        note=_("Schedule adherence needs recorded presence changes, which kefu does not keep yet."),
    )


def _complaint_bulletin(pack: ReportPack, period: Period, owner: User) -> SectionData:
    """投诉周报 (of a week; of the pack's period otherwise): kefu.complaints' bulletin selector, each
    figure against the period before, with the top categories, regions and root causes as a note."""
    start, end = period.bounds()
    b = complaint_bulletin(user=owner, start=start, end=end, team_id=pack.team_id)

    def top(label: str, rows: list[tuple[str, int]]) -> str:
        return f"{label}: " + "、".join(f"{name} {n}" for name, n in rows) if rows else ""

    note = "; ".join(
        t for t in (
            top(_("Top categories"), b.top_categories), top(_("Top regions"), b.top_regions),
            top(_("Top root causes"), b.top_causes),
            (_("%(n)s upstream actions past their due date.") % {"n": b.actions_due}) if b.actions_due else "",
        ) if t
    )
    return SectionData(
        key=Section.COMPLAINT_BULLETIN, title=str(Section.COMPLAINT_BULLETIN.label),
        columns=[Column("item", _("Item")), Column("now", _("This period"), "count"),
                 Column("before", _("Period before"), "count"), Column("change", _("Change"), "percent")],
        rows=[[f.label, f.now, f.before, f.change] for f in b.figures],
        row_keys=[f.key for f in b.figures], note=note,
    )


def _team_name(user: User) -> str:
    team = user.team
    return team.name if team is not None else ""


def build(*, pack: ReportPack, period: Period) -> PackData:
    """The pack's figures for `period`, as its owner may see them."""
    owner = pack.owner
    out = PackData(
        pack=pack.name, period=period.key, period_label=period_label(period), previous=period.shift(-1).key,
        scope=pack.team.name if pack.team else _("All teams"),
    )
    wanted = [s for s in Section.values if s in (pack.sections or Section.values)]
    for key in wanted:
        if key == Section.INDICATORS:
            out.sections.append(_indicators(pack, period, owner))
        elif key == Section.TREND:
            out.sections.append(_trend(pack, period, owner))
        elif key == Section.TEAMS:
            out.sections.append(_table_section(Section.TEAMS, pack, period, owner, "team", TEAM_METRICS))
        elif key == Section.AGENTS:
            out.sections.append(_table_section(Section.AGENTS, pack, period, owner, "agent", _metrics_of(pack)))
        elif key == Section.COMPLAINTS:
            out.sections.append(_complaints(pack, period, owner))
        elif key == Section.SLA:
            out.sections.append(_sla(pack, period, owner))
        elif key == Section.QUALITY:
            out.sections.append(_table_section(Section.QUALITY, pack, period, owner, "team", QUALITY_METRICS))
        elif key == Section.SATISFACTION:
            out.sections.append(_table_section(Section.SATISFACTION, pack, period, owner, "team", SATISFACTION_METRICS))
        elif key == Section.WORKFORCE:
            out.sections.append(_workforce(pack, period, owner))
        elif key == Section.POINTS:
            out.sections.append(_points(pack, period, owner))
        elif key == Section.COMPLAINT_BULLETIN:
            out.sections.append(_complaint_bulletin(pack, period, owner))
    return out


def last_complete(kind: str, today: date) -> Period:
    """The last whole period of `kind` before the local day `today` (a Monday's weekly pack: last week)."""
    return Period.of(kind, today).shift(-1)

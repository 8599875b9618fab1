"""Reads of quality inspection, each through the viewer's visibility."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Avg, Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from kefu.accounts.choices import Role
from kefu.accounts.models import User
from kefu.quality.access import is_qa_lead, may_inspect, visible_inspections_q
from kefu.quality.choices import (
    AppealState,
    CalibrationState,
    CoachingState,
    InspectionLevel,
    InspectionState,
    ItemKind,
)
from kefu.quality.models import (
    Appeal,
    Calibration,
    CoachingTask,
    Inspection,
    InspectionItem,
    PlanDraw,
    QualityEvent,
    SamplingPlan,
    Scorecard,
    ScorecardItem,
    ScorecardVersion,
)
from kefu.quality.results import counted_inspections
from kefu.quality.stats import cohen_kappa


def my_queue(*, user: User, limit: int = 200) -> list[Inspection]:
    """The viewer's open (draft) inspections, the ones the pre-screen flagged first, oldest first."""
    if not may_inspect(user):
        return []
    rows = list(
        Inspection.objects.filter(inspector_id=user.pk, state=InspectionState.DRAFT)
        .select_related("item__agent", "item__team", "version__scorecard", "entry")
        .order_by("created_at", "id")[:limit]
    )
    rows.sort(key=lambda i: not i.item.findings)
    return rows


def queue(*, user: User, limit: int = 200) -> list[InspectionItem]:
    """Contacts nobody inspects yet (free picks for an inspector; never the viewer's own)."""
    if not may_inspect(user):
        return []
    any_insp = Inspection.objects.filter(item=OuterRef("pk"))
    rows = (
        InspectionItem.objects.annotate(taken=Exists(any_insp)).filter(taken=False).exclude(agent_id=user.pk)
        .select_related("agent", "team").order_by("-sampled_at", "-id")[:limit]
    )
    items: list[InspectionItem] = list(rows)
    items.sort(key=lambda i: (not i.findings,))
    return items


def item_get(*, user: User, item_id: int) -> InspectionItem | None:
    """An item the viewer may inspect: QA leads any; an inspector the ones given to them or untaken."""
    if not may_inspect(user):
        return None
    item = InspectionItem.objects.select_related("agent", "team").filter(pk=item_id).first()
    if item is None or is_qa_lead(user):
        return item
    mine = item.inspections.filter(inspector_id=user.pk).exists()
    return item if mine or not item.inspections.exists() else None


def items_list(*, user: User, pending: bool | None = None, limit: int = 200) -> QuerySet[InspectionItem]:
    if not is_qa_lead(user):
        return InspectionItem.objects.none()
    qs = InspectionItem.objects.select_related("agent", "team")
    if pending is not None:
        done = Inspection.objects.filter(item=OuterRef("pk"), state=InspectionState.SUBMITTED)
        qs = qs.annotate(done=Exists(done)).filter(done=not pending)
    return qs.order_by("-sampled_at", "-id")[:limit]


def inspections_visible(*, user: User) -> QuerySet[Inspection]:
    return (
        Inspection.objects.filter(visible_inspections_q(user))
        .select_related("item__agent", "item__team", "inspector", "version__scorecard")
    )


def inspection_get(*, user: User, inspection_id: int) -> Inspection | None:
    return inspections_visible(user=user).filter(pk=inspection_id).first()


def inspections_list(
    *, user: User, state: str | None = None, agent_id: int | None = None, level: str | None = None,
    inspector_id: int | None = None, limit: int = 100, before_id: int | None = None,
) -> list[Inspection]:
    qs = inspections_visible(user=user)
    if state:
        qs = qs.filter(state=state)
    if agent_id is not None:
        qs = qs.filter(item__agent_id=agent_id)
    if level:
        qs = qs.filter(level=level)
    if inspector_id is not None and may_inspect(user):
        qs = qs.filter(inspector_id=inspector_id)
    if before_id is not None:
        qs = qs.filter(pk__lt=before_id)
    return list(qs.order_by("-id")[:limit])


def item_inspections(*, user: User, item: InspectionItem) -> list[Inspection]:
    return list(inspections_visible(user=user).filter(item=item).order_by("created_at", "id"))


def item_events(*, user: User, item: InspectionItem) -> list[QualityEvent]:
    if not is_qa_lead(user):
        return []
    return list(QualityEvent.objects.filter(item=item).select_related("actor").order_by("at", "id"))


def results(
    *, user: User, agent_id: int | None = None, start: datetime | None = None, end: datetime | None = None,
) -> QuerySet[Inspection]:
    qs = inspections_visible(user=user).filter(state=InspectionState.SUBMITTED)
    if agent_id is not None:
        qs = qs.filter(item__agent_id=agent_id)
    if start is not None:
        qs = qs.filter(submitted_at__gte=start)
    if end is not None:
        qs = qs.filter(submitted_at__lt=end)
    return qs.order_by("-submitted_at", "-id")


def my_results(*, user: User, limit: int = 200) -> list[Inspection]:
    """The agent's own contacts, one row each: the inspection that counts (with its appeal)."""
    latest: dict[int, Inspection] = {}
    rows = (
        Inspection.objects.filter(item__agent_id=user.pk, state=InspectionState.SUBMITTED)
        .select_related("item", "version__scorecard").order_by("submitted_at", "id")
    )
    for insp in rows:
        latest[insp.item_id] = insp
    out = sorted(latest.values(), key=lambda i: i.submitted_at or i.created_at, reverse=True)[:limit]
    appeals = {a.inspection.item_id: a for a in Appeal.objects.filter(inspection__item__agent_id=user.pk).select_related("inspection")}
    for insp in out:
        insp.item_appeal = appeals.get(insp.item_id)  # type: ignore[attr-defined]
    return out


@dataclass(frozen=True)
class PassRate:
    key: int | None
    label: str
    inspected: int
    passed: int
    average: float | None

    @property
    def rate(self) -> float | None:
        return round(self.passed * 100 / self.inspected, 1) if self.inspected else None


def pass_rate(*, user: User, agent_id: int | None = None) -> PassRate:
    """质检合格率 over what the viewer may see (an agent: their own)."""
    agg = results(user=user, agent_id=agent_id).aggregate(n=Count("id"), ok=Count("id", filter=Q(passed=True)), avg=Avg("total"))
    return PassRate(key=agent_id, label="", inspected=agg["n"], passed=agg["ok"], average=float(agg["avg"]) if agg["avg"] is not None else None)


def scorecard_items(version: ScorecardVersion) -> list[ScorecardItem]:
    return list(ScorecardItem.objects.filter(section__version=version).select_related("section"))


# --- results page --------------------------------------------------------------------------------------


def result_scope(user: User) -> tuple[list[int] | None, list[int] | None]:
    """(agent ids, team ids) the viewer's results are limited to; None = no limit."""
    if may_inspect(user):
        return None, None
    if user.role == Role.TEAM_LEAD and user.team_id:
        return None, [user.team_id]
    return [user.pk], None


@dataclass
class ItemStat:
    name: str
    kind: str
    scored: int = 0
    earned: float = 0
    top: float = 0
    failed: int = 0

    @property
    def share(self) -> float | None:
        return round(self.earned * 100 / self.top, 1) if self.top else None

    @property
    def fail_rate(self) -> float | None:
        return round(self.failed * 100 / self.scored, 1) if self.scored else None


@dataclass
class ResultsPage:
    total: PassRate
    by_agent: list[PassRate]
    by_team: list[PassRate]
    by_scorecard: list[PassRate]
    items: list[ItemStat]
    worst: list[ItemStat]
    trend: dict[str, list[Any]] = field(default_factory=dict)


def _rate(key: int | None, label: str, rows: list[Inspection]) -> PassRate:
    n = len(rows)
    total = sum((r.total or Decimal(0) for r in rows), Decimal(0))
    return PassRate(key=key, label=label, inspected=n, passed=sum(1 for r in rows if r.passed),
                    average=round(float(total) / n, 1) if n else None)


def results_page(
    *, user: User, start: datetime, end: datetime, team_id: int | None = None, scorecard_id: int | None = None,
) -> ResultsPage:
    """Pass rate and average per agent, team, scorecard and scorecard item over the contacts of
    [start, end) (the inspection that counts for each), the worst items, and a weekly trend."""
    agent_ids, team_ids = result_scope(user)
    if team_id is not None:
        team_ids = [t for t in (team_ids or [team_id]) if t == team_id]
    qs = counted_inspections(start=start, end=end, agent_ids=agent_ids, team_ids=team_ids)
    if scorecard_id is not None:
        qs = qs.filter(version__scorecard_id=scorecard_id)
    rows = list(qs.select_related("item__agent", "item__team", "version__scorecard"))
    groups: dict[str, dict[int | None, list[Inspection]]] = {"agent": defaultdict(list), "team": defaultdict(list),
                                                            "card": defaultdict(list)}
    labels: dict[tuple[str, int | None], str] = {}
    for r in rows:
        a, t = r.item.agent, r.item.team
        groups["agent"][r.item.agent_id].append(r)
        labels[("agent", r.item.agent_id)] = a.name if a else "—"
        groups["team"][r.item.team_id].append(r)
        labels[("team", r.item.team_id)] = t.name if t else "—"
        groups["card"][r.version.scorecard_id].append(r)
        labels[("card", r.version.scorecard_id)] = r.version.scorecard.name

    def table(kind: str) -> list[PassRate]:
        out = [_rate(k, labels[(kind, k)], v) for k, v in groups[kind].items()]
        return sorted(out, key=lambda p: (p.rate if p.rate is not None else 101, p.label))

    version_ids = {r.version_id for r in rows}
    sc_items = {str(i.pk): i for i in ScorecardItem.objects.filter(section__version_id__in=version_ids)}
    stats: dict[tuple[str, str], ItemStat] = {}
    for r in rows:
        for key, value in (r.scores or {}).items():
            it = sc_items.get(str(key))
            if it is None:
                continue
            st = stats.setdefault((it.name, it.kind), ItemStat(name=it.name, kind=it.kind))
            st.scored += 1
            top = it.points if it.kind == ItemKind.SCORED else 1
            st.top += top
            st.earned += value
            if value < top if it.kind == ItemKind.SCORED else value == 0:
                st.failed += 1
    items = sorted(stats.values(), key=lambda s: s.name)
    worst = sorted((s for s in items if s.failed), key=lambda s: (-(s.fail_rate or 0), s.share or 0))[:5]
    # weekly trend by the contact's time
    weeks: dict[str, list[Inspection]] = defaultdict(list)
    for r in rows:
        at = timezone.localtime(r.item.contact_at or r.item.sampled_at)
        monday = (at - timedelta(days=at.weekday())).date().isoformat()
        weeks[monday].append(r)
    order = sorted(weeks)
    trend: dict[str, list[Any]] = {
        "weeks": order,
        "rate": [_rate(None, w, weeks[w]).rate for w in order],
        "average": [_rate(None, w, weeks[w]).average for w in order],
    }
    return ResultsPage(
        total=_rate(None, "", rows), by_agent=table("agent"), by_team=table("team"), by_scorecard=table("card"),
        items=items, worst=worst, trend=trend,
    )


@dataclass(frozen=True)
class KappaRow:
    first: str
    second: str
    item: str
    pairs: int
    kappa: float | None
    agreement: float | None


def kappa_table(*, user: User, start: datetime, end: datetime) -> list[KappaRow]:
    """Cohen's kappa per scorecard item per inspector pair over double-blind pairs (both submitted)
    of contacts in [start, end). QA leads and managers only."""
    if not is_qa_lead(user):
        return []
    rows = list(
        Inspection.objects.filter(
            level__in=[InspectionLevel.FIRST, InspectionLevel.BLIND], state=InspectionState.SUBMITTED,
            item__inspections__level=InspectionLevel.BLIND, item__inspections__state=InspectionState.SUBMITTED,
        ).filter(Q(item__contact_at__gte=start, item__contact_at__lt=end) | Q(item__contact_at=None, item__sampled_at__gte=start, item__sampled_at__lt=end))
        .select_related("inspector").distinct().order_by("item_id", "level")
    )
    by_item: dict[int, dict[str, Inspection]] = defaultdict(dict)
    for r in rows:
        by_item[r.item_id][r.level] = r
    names = {str(i.pk): i.name for i in ScorecardItem.objects.filter(section__version_id__in={r.version_id for r in rows})}
    pairs: dict[tuple[str, str, str], list[tuple[int, int]]] = defaultdict(list)
    for levels in by_item.values():
        a, b = levels.get(InspectionLevel.FIRST), levels.get(InspectionLevel.BLIND)
        if a is None or b is None:
            continue
        (x, y) = sorted([a, b], key=lambda i: i.inspector_id)
        for key in set(x.scores) & set(y.scores):
            pairs[(x.inspector.name, y.inspector.name, names.get(key, key))].append((x.scores[key], y.scores[key]))
    out = []
    for (first, second, item), ratings in sorted(pairs.items()):
        agree = round(sum(1 for p, q in ratings if p == q) * 100 / len(ratings), 1)
        out.append(KappaRow(first=first, second=second, item=item, pairs=len(ratings), kappa=cohen_kappa(ratings), agreement=agree))
    return out


# --- plans, calibration, appeals, coaching -------------------------------------------------------------


def plans_list(*, user: User) -> list[SamplingPlan]:
    if not may_inspect(user):
        return []
    return list(
        SamplingPlan.objects.select_related("scorecard", "team").prefetch_related("inspectors")
        .annotate(n_entries=Count("entries")).order_by("id")
    )


def plan_get(*, user: User, plan_id: int) -> SamplingPlan | None:
    if not may_inspect(user):
        return None
    return SamplingPlan.objects.select_related("scorecard", "team").filter(pk=plan_id).first()


def plan_draws(*, plan: SamplingPlan, limit: int = 20) -> list[PlanDraw]:
    return list(PlanDraw.objects.filter(plan=plan).select_related("actor").order_by("-drawn_at", "-id")[:limit])


def calibrations(*, user: User, open_only: bool = False) -> list[Calibration]:
    if not is_qa_lead(user):
        return []
    qs = Calibration.objects.select_related("item__agent", "first__inspector", "second__inspector", "settled_by")
    if open_only:
        qs = qs.filter(state=CalibrationState.OPEN)
    return list(qs.order_by("state", "-created_at")[:200])


def calibration_get(*, user: User, calibration_id: int) -> Calibration | None:
    if not is_qa_lead(user):
        return None
    return (
        Calibration.objects.select_related("item", "first__inspector", "second__inspector", "second__version")
        .filter(pk=calibration_id).first()
    )


def appeals_visible(*, user: User) -> QuerySet[Appeal]:
    qs = Appeal.objects.select_related("inspection__item__agent", "inspection__item__team", "inspection__inspector", "result")
    if is_qa_lead(user):
        return qs
    if user.is_authenticated and user.role == Role.TEAM_LEAD and user.team_id:
        return qs.filter(Q(inspection__item__team_id=user.team_id) | Q(agent_id=user.pk))
    if user.is_authenticated:
        return qs.filter(agent_id=user.pk)
    return qs.none()


def appeals_waiting(*, user: User) -> list[Appeal]:
    """What the viewer must decide: team leads the LEAD step of their team, QA leads the QA step."""
    qs = appeals_visible(user=user)
    cond = Q(pk__in=[])
    if is_qa_lead(user):
        cond |= Q(state=AppealState.QA)
        if user.is_supervising:
            cond |= Q(state=AppealState.LEAD)
    if user.role == Role.TEAM_LEAD:
        cond |= Q(state=AppealState.LEAD, inspection__item__team_id=user.team_id)
    return list(qs.filter(cond).exclude(agent_id=user.pk).order_by("created_at"))


def appeal_get(*, user: User, appeal_id: int) -> Appeal | None:
    return appeals_visible(user=user).filter(pk=appeal_id).first()


def coaching_for(*, user: User, open_only: bool = True) -> list[CoachingTask]:
    qs = CoachingTask.objects.select_related("agent", "lead", "inspection", "item")
    if not is_qa_lead(user):
        if user.role == Role.TEAM_LEAD and user.team_id:
            qs = qs.filter(Q(item__team_id=user.team_id) | Q(lead_id=user.pk))
        else:
            qs = qs.filter(agent_id=user.pk)
    if open_only:
        qs = qs.filter(state=CoachingState.OPEN)
    return list(qs.order_by("due_at", "id")[:200])


def scorecards_list(*, user: User) -> list[Scorecard]:
    if not may_inspect(user):
        return []
    return list(Scorecard.objects.prefetch_related("versions").order_by("id"))


def scorecard_get(*, user: User, scorecard_id: int) -> Scorecard | None:
    if not may_inspect(user):
        return None
    return Scorecard.objects.filter(pk=scorecard_id).first()


def version_tree(version: ScorecardVersion) -> list[tuple[Any, list[ScorecardItem]]]:
    sections = list(version.sections.prefetch_related("items").order_by("position", "id"))
    return [(s, list(s.items.all())) for s in sections]
